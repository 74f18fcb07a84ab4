"""Column headings a reader sees: one heading per column name of the prepared tables, so that "pupils" reads
"Pupils" and "ci_low" reads "95% CI low" in every report; a view names only the columns that differ."""

from __future__ import annotations

import pandas as pd

HEADINGS = {
    "subject": "Subject",
    "measure": "Measure",
    "method": "Method",
    "group": "Group",
    "label": "Pupils in",
    "pupils": "Pupils",
    "year_group": "Year group",
    "student": "Student",
    "grade": "Grade",
    "school": "School",
    "national": "National",
    "difference": "Difference",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "significance": "Significance",
}


def headed(table: pd.DataFrame, own: dict[str, str] | None = None) -> pd.DataFrame:
    """``table`` with its columns headed for the reader: the view's ``own`` headings, else ``HEADINGS``; a column
    named in neither keeps its name."""
    return table.rename(columns={**HEADINGS, **(own or {})})
