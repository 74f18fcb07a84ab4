"""Load teacher assessment records: termly steps-and-points grades (``tracking.csv``) and foundation-subject
judgements (``subject_judgements.csv``), with the pupil loader's rules (every problem named by file, row and
column; nothing loaded when anything is wrong).

tracking.csv: ``upn, school_id, academic_year, term`` (autumn, spring, summer), ``subject`` (reading, writing,
maths), ``grade`` (3C, 3B, 3A ... or between, 3B+).
subject_judgements.csv: ``upn, school_id, academic_year, subject, strand`` (blank for a subject without
programmes of study), ``judgement`` (emerging, expected, exceeding).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit import parameters
from toolkit.data.entries import _rows_where, duplicate_problems, identifier_problems
from toolkit.data.load import Problem, PupilDataError, read_long_table
from toolkit.scales.steps import grade_points

TRACKING_COLUMNS = ("upn", "school_id", "academic_year", "term", "subject", "grade")
JUDGEMENT_COLUMNS = ("upn", "school_id", "academic_year", "subject", "judgement")
JUDGEMENTS = ("emerging", "expected", "exceeding")


def _read(path: Path | str, required: tuple[str, ...], what: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The table and its identifier and year problems; raises at once when it is empty or its headers are wrong."""
    frame = read_long_table(path, required, what)
    problems = identifier_problems(frame)
    year = frame["academic_year"]
    bad = ~year.str.fullmatch(r"(19|20)\d\d").fillna(False)
    if bad.any():
        problems.append(Problem("Academic year must be a four-digit year such as 2026", "academic_year",
                                _rows_where(frame, bad)))
    return frame, problems


def _in(frame: pd.DataFrame, col: str, allowed, message: str) -> list[Problem]:
    bad = ~frame[col].str.strip().str.lower().isin([a.lower() for a in allowed]).fillna(False)
    if not bad.any():
        return []
    found = sorted(set(frame.loc[bad, col].dropna()))
    return [Problem(message, col, _rows_where(frame, bad), [f"found {', '.join(found[:8])}"] if found else [])]


def load_tracking(path: Path | str) -> pd.DataFrame:
    """Termly grades with ``points`` added; raises ``PupilDataError`` listing every problem."""
    spec = parameters.load_yaml("tracking.yaml")
    frame, problems = _read(path, TRACKING_COLUMNS, "grades")
    problems += _in(frame, "term", spec["terms"], f"Term must be one of {', '.join(spec['terms'])}")
    problems += _in(frame, "subject", spec["subjects"], f"Subject must be one of {', '.join(spec['subjects'])}")

    def points(g):
        try:
            return grade_points(g)
        except ValueError:
            return None
    pts = frame["grade"].map(points)
    bad = pts.isna()
    if bad.any():
        problems.append(Problem("Grade must be a year then a step, such as 3C, 3B or 3A (3B+ between steps)",
                                "grade", _rows_where(frame, bad),
                                [f"found {', '.join(sorted(set(frame.loc[bad, 'grade'].dropna()))[:8])}"]))
    problems += duplicate_problems(frame, ["upn", "academic_year", "term", "subject"],
                                   "Pupil {0} has two {3} grades for {2} {1}: one per pupil, subject and term",
                                   "grade")
    if problems:
        raise PupilDataError(path, problems)
    out = frame.copy()
    out["upn"] = out["upn"].str.upper()
    for col in ("term", "subject"):
        out[col] = out[col].str.strip().str.lower()
    out["grade"] = out["grade"].str.strip().str.upper()
    out["academic_year"] = out["academic_year"].astype(int)
    out["points"] = out["grade"].map(grade_points).astype(int)
    return out


def load_judgements(path: Path | str) -> pd.DataFrame:
    """Foundation-subject judgements (pupil level); raises ``PupilDataError`` listing every problem."""
    frame, problems = _read(path, JUDGEMENT_COLUMNS, "judgements")
    if "strand" not in frame.columns:
        frame["strand"] = pd.NA
    problems += _in(frame, "judgement", JUDGEMENTS, "Judgement must be emerging, expected or exceeding")
    if frame["subject"].isna().any():
        problems.append(Problem("Subject must have a value", "subject", _rows_where(frame, frame["subject"].isna())))
    problems += duplicate_problems(frame.assign(strand=frame["strand"].fillna("")),
                                   ["upn", "academic_year", "subject", "strand"],
                                   "Pupil {0} has two judgements for {2} {3} in {1}", "judgement")
    if problems:
        raise PupilDataError(path, problems)
    out = frame.copy()
    out["upn"] = out["upn"].str.upper()
    out["judgement"] = out["judgement"].str.strip().str.lower()
    out["academic_year"] = out["academic_year"].astype(int)
    return out


COUNT_COLUMNS = ("school_id", "subject", "year_group", "group", "emerging", "expected", "exceeding")


def load_counts(path: Path | str) -> pd.DataFrame:
    """Counts a subject leader typed in (``subject_counts.csv``: ``school_id, subject, strand`` (optional),
    ``year_group, group`` (Overall, Boys, Girls), ``emerging, expected, exceeding``); raises ``PupilDataError``."""
    frame = read_long_table(path, COUNT_COLUMNS, "counts")
    problems = []
    if "strand" not in frame.columns:
        frame["strand"] = ""
    bad = ~frame["year_group"].str.strip().isin([str(y) for y in range(1, 7)]).fillna(False)
    if bad.any():
        problems.append(Problem("Year group must be a number from 1 to 6", "year_group", _rows_where(frame, bad)))
    problems += _in(frame, "group", ("Overall", "Boys", "Girls"), "Group must be Overall, Boys or Girls")
    for col in JUDGEMENTS:
        bad = ~frame[col].str.strip().str.fullmatch(r"\d+").fillna(False)
        if bad.any():
            problems.append(Problem("Counts must be whole numbers of pupils (0 or more)", col, _rows_where(frame, bad)))
    problems += duplicate_problems(frame.assign(strand=frame["strand"].fillna("")),
                                   ["school_id", "subject", "strand", "year_group", "group"],
                                   "{1} {2} Year {3} {4} appears more than once for school {0}", "group")
    if problems:
        raise PupilDataError(path, problems)
    out = frame.copy()
    out["strand"] = out["strand"].fillna("")
    out["year_group"] = out["year_group"].astype(int)
    out["group"] = out["group"].str.strip().str.capitalize()
    for col in JUDGEMENTS:
        out[col] = out[col].astype(int)
    return out
