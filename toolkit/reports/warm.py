"""Imported once by the batch's fork server, so every report process starts with these already loaded.

Importing this module has one purpose, side effects included: load the libraries a report uses and compile the
nbconvert HTML template (by converting an empty notebook), so report processes forked from it pay neither.
"""

import matplotlib

matplotlib.use("Agg")

import IPython.core.interactiveshell  # noqa: E402,F401
import matplotlib.pyplot  # noqa: E402,F401
import nbformat  # noqa: E402
import pandas  # noqa: E402,F401
import papermill  # noqa: E402,F401
import seaborn  # noqa: E402,F401

from toolkit.reports import (  # noqa: E402,F401
    baseline_views,
    engine,
    ks5_views,
    render,
    subject_leader_views,
    summary_views,
    tracking_views,
    views,
)

render.html_of(nbformat.v4.new_notebook())
