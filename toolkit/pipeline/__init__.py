"""The per-school pipeline: find a data folder's inputs, read what a run needs, fit (or load) the national models,
compute every school's measures stage by stage, and keep them as named slice tables in the prepared run's store.
Nothing here draws, formats or runs a notebook."""
