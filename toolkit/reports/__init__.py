"""The per-school report pack: prepare (methodology once for all schools), views (what notebooks show), the
in-process notebook engine, rendering to HTML and PDF, and the batch that ties them together."""
