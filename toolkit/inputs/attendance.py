"""Load pupils' attendance (``attendance.csv``): sessions per pupil and period, with the pupil loader's rules (every
problem named by file, row and column; nothing loaded when anything is wrong).

Columns: ``upn, school_id, academic_year, term`` (autumn, spring, summer; blank for a whole year), and either the
sessions ``possible, present, aea, authorised, unauthorised`` (``toolkit.methods.attendance``) or per register code
``code_<CODE>`` counts (``code_I``, ``code_N`` ...: ``parameters/attendance/codes.csv``), or both (then the
categories must add up to the codes'). Where present and approved educational activity are not told apart (a CTF's
year summary), ``aea`` may be missing: it is 0 and present holds both.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit import parameters
from toolkit.inputs.assessments import ACADEMIC_YEAR, _checked
from toolkit.inputs.entries import IDENTIFIER_RULES
from toolkit.inputs.load import read_long_table
from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.rules import Rule, TableRules, once_per
from toolkit.scales.attendance_codes import SESSIONS, from_codes

KEY = ("upn", "school_id", "academic_year")
TERMS = ("autumn", "spring", "summer")


def _count(column: str) -> Rule:
    return Rule(
        column,
        f"{column} must be a whole number of sessions, 0 or more",
        lambda f: f[column].isna() | f[column].str.fullmatch(r"\d{1,6}").fillna(False),
        found=True,
    )


def _adds_up(frame: pd.DataFrame) -> pd.Series:
    numbers = {c: pd.to_numeric(frame[c], errors="coerce") for c in SESSIONS if c in frame.columns}
    parts = sum(numbers.get(c, 0) for c in ("present", "aea", "authorised", "unauthorised"))
    return (parts == numbers["possible"]).fillna(True)


def attendance_rules(columns: list[str]) -> TableRules:
    counts = [c for c in columns if c in SESSIONS or c.startswith("code_")]
    return TableRules(
        "attendance",
        [
            *IDENTIFIER_RULES,
            ACADEMIC_YEAR,
            Rule(
                "term",
                f"Term must be one of {', '.join(TERMS)}, or blank for a whole year",
                lambda f: f["term"].isna() | f["term"].str.strip().str.lower().isin(TERMS),
                found=True,
            ),
            *(_count(c) for c in counts),
            Rule(
                "possible",
                "Sessions do not add up: present + approved educational activity + authorised + unauthorised must "
                "equal possible (a pupil cannot miss more sessions than were possible)",
                _adds_up,
                needs=("possible", "present", "authorised", "unauthorised"),
                detail=lambda row, value: f"row {row}: possible {value}",
                max_details=8,
            ),
            once_per(
                ("upn", "academic_year", "term"),
                "upn",
                "Pupil {0} has two rows for {1} {2}: one per pupil and period",
            ),
        ],
    )


def load_attendance(path: Path | str) -> pd.DataFrame:
    """Sessions per pupil and period (integers; ``term`` lower case, <NA> for a whole year); raises
    ``PupilDataError`` listing every problem: a count that is not a whole number, sessions that do not add up, an
    unknown register code, a pupil twice in one period."""
    frame = read_long_table(path, ("upn", "school_id", "academic_year"), "attendance rows")
    known = set(parameters.load_csv("attendance/codes.csv")["code"])
    unknown = [c for c in frame.columns if c.startswith("code_") and c.removeprefix("code_").upper() not in known]
    has_sessions = {"possible", "present", "authorised", "unauthorised"} <= set(frame.columns)
    has_codes = any(c.startswith("code_") for c in frame.columns)
    header = [Problem(f"Column '{c}' is not a register code of parameters/attendance/codes.csv", c) for c in unknown]
    if not has_sessions and not has_codes:
        header.append(
            Problem("The file needs the sessions (possible, present, authorised, unauthorised) or code_<CODE> counts")
        )
    if header:
        raise PupilDataError(path, header)
    frame.columns = [
        c if not c.startswith("code_") else "code_" + c.removeprefix("code_").upper() for c in frame.columns
    ]
    if "term" not in frame.columns:
        frame["term"] = pd.NA
    _checked(path, frame, attendance_rules(list(frame.columns)))
    out = frame.copy()
    out["upn"] = out["upn"].str.upper()
    out["term"] = out["term"].str.strip().str.lower()
    out["academic_year"] = out["academic_year"].astype(int)
    for column in [c for c in out.columns if c in SESSIONS or c.startswith("code_")]:
        out[column] = pd.to_numeric(out[column]).fillna(0).astype(int)
    if not has_sessions:
        out = from_codes(out)
    if "aea" not in out.columns:
        out["aea"] = 0
    return out
