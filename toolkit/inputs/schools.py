"""The schools table (``schools.csv``): one row per school of a data folder, read and checked like every other input
table (encodings, separators, spreadsheets; every problem named by file, row and column; nothing loaded when
anything is wrong).

Columns: ``school_id`` (the DfE number, LAESTAB: 7 digits; it names each school's folder), then whatever describes
the school (``school_name``, ``la``, ``phase``, ``trust``, ``synthetic`` ...). Each other column is read as
true/false where every value is one, as a number where every value is one, else as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.inputs.load import normalise_school_ids, read_table
from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.rules import Rule, TableRules, once_per
from toolkit.scales.identifiers import names_a_folder

KEY = "school_id"
TRUE_FALSE = {"true": True, "false": False}


RULES = TableRules(
    "schools",
    [
        Rule(
            KEY,
            "school_id must be a 7-digit DfE number (it names each school's folder)",
            lambda f: f[KEY].map(lambda v: not pd.isna(v) and names_a_folder(v)).astype(bool),
        ),
        once_per((KEY,), KEY, "School {0} is listed twice: one row per school"),
    ],
)


def _typed(column: pd.Series) -> pd.Series:
    """True/false, numbers or text, as the whole column allows."""
    known = column.dropna()
    if len(known) and known.str.lower().isin(TRUE_FALSE).all():
        return column.str.lower().map(TRUE_FALSE).astype("boolean")
    numbers = pd.to_numeric(known, errors="coerce")
    if len(known) and numbers.notna().all():
        typed = pd.to_numeric(column, errors="coerce")
        whole = typed.dropna().mod(1).eq(0).all() and not known.str.contains(r"[.eE]").any()
        return typed.astype("Int64") if whole else typed.astype(float)
    return column


def load_schools(path: Path | str) -> pd.DataFrame:
    """The schools table, checked; ``school_id`` as text, the other columns typed (``_typed``)."""
    frame = normalise_school_ids(read_table(path, (KEY,)))
    if KEY not in frame.columns:
        raise PupilDataError(path, [Problem(f"Required column '{KEY}' is missing: it names each school", KEY)])
    if frame.empty:
        raise PupilDataError(path, [Problem("The file has a header row but no schools")])
    problems = RULES.problems(frame)
    if problems:
        raise PupilDataError(path, problems)
    return frame.apply(lambda col: col if col.name == KEY else _typed(col))
