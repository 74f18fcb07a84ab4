"""Text the toolkit writes into a spreadsheet or CSV is never run as a formula (spreadsheet formula injection,
OWASP): a text cell beginning with =, +, -, @, a tab or a carriage return gets a quote in front. Numbers stay
numbers. Every writer (templates, the subject leader workbook, error lists, CSV exports) goes through here."""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """``value`` as text no spreadsheet will execute (strings only; other values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def inert_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns are ``inert`` (for CSV exports)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(inert, na_action="ignore")
    return out
