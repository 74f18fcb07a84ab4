"""Load suspensions and permanent exclusions (``suspensions.csv``): one row per pupil and academic year with any,
for the school profile's attendance and behaviour (``toolkit.methods.profile.suspension_measures``), with the pupil
loader's rules (every problem named by file, row and column; nothing loaded when anything is wrong).

Columns: ``upn, school_id, academic_year`` (by its summer), ``suspensions`` (the pupil's number of suspensions that
year so far, a whole number 0-99) and ``permanent_exclusion`` (Y/N; blank is N).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.inputs.assessments import ACADEMIC_YEAR, checked_yearly_table
from toolkit.inputs.entries import IDENTIFIER_RULES
from toolkit.inputs.rules import Rule, TableRules, once_per, one_of

COLUMNS = ("upn", "school_id", "academic_year", "suspensions")


def _count_ok(frame: pd.DataFrame) -> pd.Series:
    number = pd.to_numeric(frame["suspensions"].str.strip(), errors="coerce")
    return number.between(0, 99) & (number % 1 == 0)


def suspension_rules() -> TableRules:
    return TableRules(
        "suspensions",
        [
            *IDENTIFIER_RULES,
            ACADEMIC_YEAR,
            Rule(
                "suspensions",
                "Suspensions must be the pupil's number of suspensions that year: a whole number from 0 to 99",
                _count_ok,
                found=True,
            ),
            Rule(
                "permanent_exclusion",
                "Permanent exclusion must be Y or N (blank is N)",
                one_of("permanent_exclusion", ["Y", "N", "YES", "NO"]),
                found=True,
            ),
            once_per(
                ("upn", "academic_year"),
                "suspensions",
                "Pupil {0} has two rows for {1}: one row per pupil and year, with the year's number of suspensions",
            ),
        ],
    )


def load_suspensions(path: Path | str) -> pd.DataFrame:
    """Suspensions, checked: ``academic_year`` and ``suspensions`` integers, ``permanent_exclusion`` Y or N."""
    out = checked_yearly_table(path, COLUMNS, "suspensions", suspension_rules(), ("permanent_exclusion",))
    out["suspensions"] = pd.to_numeric(out["suspensions"].str.strip()).astype(int)
    flag = out["permanent_exclusion"].fillna("N").str.strip().str.upper()
    out["permanent_exclusion"] = flag.map({"Y": "Y", "YES": "Y", "N": "N", "NO": "N"}).fillna("N")
    return out
