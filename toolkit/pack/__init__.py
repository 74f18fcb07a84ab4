"""The report pack: plan one task per school and report, run each report's notebook (in process, or on a Dask
cluster), render it to HTML and PDF, and write the journal, manifest and index."""
