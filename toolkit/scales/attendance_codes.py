"""Register codes (the School Attendance (Pupil Registration) (England) Regulations 2024) and the session
categories the DfE's statistics count them in: present (/, \\, L), approved educational activity, authorised,
unauthorised (code N, no reason yet, included), and codes that are not possible sessions (X, Y1-Y7, Z, #, D, Q).
``parameters/attendance/codes.csv`` holds each code with its meaning, category and the DfE statistics column.
"""

from __future__ import annotations

import pandas as pd

from toolkit import parameters

SESSIONS = ("possible", "present", "aea", "authorised", "unauthorised")
CATEGORIES = ("present", "aea", "authorised", "unauthorised")


def codes() -> pd.DataFrame:
    """``parameters/attendance/codes.csv``: each register code's meaning, category (present, aea, authorised,
    unauthorised, not_counted), the DfE statistics column that counts it, status and source."""
    return parameters.load_csv("attendance/codes.csv")


def from_codes(counts: pd.DataFrame) -> pd.DataFrame:
    """Sessions by category from per-code counts (``code_<CODE>`` columns): present, aea, authorised, unauthorised,
    and possible (their sum: not-counted codes are left out of it). A code not in ``codes.csv`` is a KeyError
    naming it (the input checks refuse it first)."""
    table = codes().set_index("code")
    unknown = [c for c in counts.columns if c.startswith("code_") and c.removeprefix("code_") not in table.index]
    if unknown:
        raise KeyError(f"register codes not in parameters/attendance/codes.csv: {', '.join(unknown)}")
    out = counts.copy()
    for category in CATEGORIES:
        columns = [f"code_{c}" for c in table.index[table["category"] == category] if f"code_{c}" in counts.columns]
        out[category] = counts[columns].sum(axis=1) if columns else 0
    out["possible"] = out[list(CATEGORIES)].sum(axis=1)
    return out
