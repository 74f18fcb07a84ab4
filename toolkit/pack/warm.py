"""Imported once by the batch's fork server, so every report process starts with these already loaded.

Importing this module has one purpose, side effects included: load the libraries a report uses and compile the
nbconvert HTML template (by converting an empty notebook), so report processes forked from it pay neither.
"""

import importlib
import pkgutil

import matplotlib

matplotlib.use("Agg")

import IPython.core.interactiveshell  # noqa: E402,F401
import matplotlib.pyplot  # noqa: E402,F401
import nbformat  # noqa: E402
import openpyxl  # noqa: E402,F401  (the appendix and subject leader spreadsheets)
import pandas  # noqa: E402,F401
import papermill  # noqa: E402,F401
import pyarrow.parquet  # noqa: E402,F401  (pandas imports it at the first slice table read)
import seaborn  # noqa: E402,F401

import toolkit.reports  # noqa: E402
from toolkit.pack import engine, render, workbooks  # noqa: E402,F401

for view in pkgutil.iter_modules(toolkit.reports.__path__):  # every report view, whatever the catalogue holds
    importlib.import_module(f"toolkit.reports.{view.name}")

render.html_of(nbformat.v4.new_notebook())

# Everything above is shared with every report process forked from here. Moved out of the garbage collector's
# reach, it is never traversed (so never copied page by page) by a child's collections.
import gc  # noqa: E402

gc.freeze()
