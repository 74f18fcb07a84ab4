"""Load statutory check results (``statutory_checks.csv``, as ``toolkit import ctf`` writes it): one row per pupil,
check and year, with the pupil loader's rules (every problem named by file, row and column; nothing loaded when
anything is wrong).

Columns: ``upn, school_id, check`` (phonics or mtc), ``academic_year`` (the summer of the check), ``mark`` (phonics
0-40, multiplication tables check 0-25, or a code: ``parameters/ctf/codes.yaml`` values), ``outcome`` (phonics: WA
met, WT not met, A, D, L, Q; blank for the multiplication tables check).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.inputs.assessments import ACADEMIC_YEAR, checked_yearly_table
from toolkit.inputs.ctf import codes
from toolkit.inputs.entries import IDENTIFIER_RULES
from toolkit.inputs.rules import Rule, TableRules, once_per

COLUMNS = ("upn", "school_id", "check", "academic_year", "mark")
CHECKS = {"phonics": "phonics_mark", "mtc": "mtc"}  # check -> its values in codes.yaml


def _mark_ok(frame: pd.DataFrame) -> pd.Series:
    values = codes()["values"]
    out = pd.Series(True, index=frame.index)
    for check, kind in CHECKS.items():
        rows = frame["check"].str.strip().str.lower() == check
        low, high = values[kind]["numbers"]
        allowed = {str(c).upper() for c in values[kind]["codes"]} | (
            {"A", "D", "L", "Q", "WA", "WT"} if check == "phonics" else set()
        )
        mark = frame.loc[rows, "mark"].str.strip().str.upper()
        number = pd.to_numeric(mark, errors="coerce")
        out[rows] = (number.between(low, high) & (number % 1 == 0)) | mark.isin(allowed)
    return out.fillna(False)


def check_rules() -> TableRules:
    return TableRules(
        "statutory checks",
        [
            *IDENTIFIER_RULES,
            ACADEMIC_YEAR,
            Rule(
                "check",
                "Check must be phonics or mtc",
                lambda f: f["check"].str.strip().str.lower().isin(CHECKS),
                found=True,
            ),
            Rule(
                "mark",
                "Mark must be a whole number (phonics 0-40, multiplication tables check 0-25) or a result code",
                _mark_ok,
                needs=("check", "mark"),
                found=True,
            ),
            Rule(
                "outcome",
                "Outcome must be WA (met), WT (not met), A, D, L or Q, or blank",
                lambda f: (
                    f["outcome"].isna() | f["outcome"].str.strip().str.upper().isin(["WA", "WT", "A", "D", "L", "Q"])
                ),
                found=True,
            ),
            once_per(
                ("upn", "check", "academic_year"),
                "mark",
                "Pupil {0} has two {1} results for {2}: one per pupil, check and year",
            ),
        ],
    )


def load_checks(path: Path | str) -> pd.DataFrame:
    """Statutory check results, checked; ``check`` lower case, ``academic_year`` an integer, ``mark`` and
    ``outcome`` as written (upper case)."""
    out = checked_yearly_table(path, COLUMNS, "check results", check_rules(), ("outcome",))
    out["check"] = out["check"].str.strip().str.lower()
    out["mark"] = out["mark"].str.strip().str.upper()
    out["outcome"] = out["outcome"].str.strip().str.upper()
    return out
