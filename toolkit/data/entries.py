"""Load KS5 entries tables (one row per student and qualification; ``toolkit.ks5``) with the pupil loader's rules:
every problem named by file, row and column; nothing loaded when anything is wrong; extra columns kept as text.

| column | required | meaning |
| --- | --- | --- |
| upn | yes | the student's UPN |
| school_id | yes | DfE number of the school |
| qualification | yes | A level or AS |
| subject | yes | subject name, e.g. Mathematics |
| grade | yes | A*, A, B, C, D, E or U (AS: no A*) |
| ks4_aps | | GCSE average point score (0-9), the prior attainment of value added; blank = none |
| gender, fsm6, forename, surname | | as in the pupil table, the same on every row of a student |
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.data import schema
from toolkit.data.load import Problem, PupilDataError, _spreadsheet_rows, read_long_table
from toolkit.intake.layout import UNGRADED_LOOKALIKES
from toolkit.scales.a_level import QUALIFICATIONS, grade_table
from toolkit.scales.identifiers import upn_reason, validate_dfe_number

REQUIRED = ("upn", "school_id", "qualification", "subject", "grade")
STUDENT_COLUMNS = ("school_id", "ks4_aps", "gender", "fsm6", "forename", "surname")   # one value per student


def _qualification(values: pd.Series) -> pd.Series:
    """Qualifications spelt as in ``QUALIFICATIONS`` (any case); <NA> for anything else."""
    return values.str.strip().str.lower().map({q.lower(): q for q in QUALIFICATIONS}).astype("string")


def _rows_where(frame: pd.DataFrame, mask: pd.Series) -> list[int]:
    return _spreadsheet_rows(frame.index[mask.fillna(False).to_numpy(dtype=bool)])


def identifier_problems(f: pd.DataFrame) -> list[Problem]:
    """UPN problems (grouped by rule) and invalid DfE numbers in a long table (each distinct value checked once)."""
    by_rule: dict[str, Problem] = {}
    upn = f["upn"].fillna("")
    reasons = {u: upn_reason(u) for u in upn.unique()}
    for idx, value in upn[upn.map(lambda u: reasons[u] is not None).astype(bool)].items():
        rule = reasons[value][0]
        by_rule.setdefault(rule, Problem(rule, "upn")).rows.append(int(idx) + 2)
    problems = list(by_rule.values())
    school = f["school_id"].fillna("")
    bad_ids = {v for v in school.unique() if validate_dfe_number(v) is not None}
    if school.isin(bad_ids).any():
        problems.append(Problem("Invalid DfE number", "school_id", _rows_where(f, school.isin(bad_ids))))
    return problems


def duplicate_problems(f: pd.DataFrame, key: list[str], message: str, column: str) -> list[Problem]:
    """One problem per group of rows sharing ``key`` (case-insensitive); ``message`` formats with the key values."""
    k = pd.DataFrame({c: f[c].astype("string").str.upper() for c in key})
    dup = k.duplicated(keep=False) & k.notna().all(axis=1)
    return [Problem(message.format(*f.loc[rows[0], key]), column, _spreadsheet_rows(rows))
            for rows in f[dup].groupby([k[c][dup] for c in key]).groups.values()]


def _value_problems(f: pd.DataFrame) -> list[Problem]:
    problems = identifier_problems(f)
    for col in ("subject", "grade"):
        if f[col].isna().any():
            problems.append(Problem(f"{col.capitalize()} must have a value", col, _rows_where(f, f[col].isna())))
    qual = _qualification(f["qualification"])
    if qual.isna().any():
        problems.append(Problem(f"Qualification must be {' or '.join(QUALIFICATIONS)}", "qualification",
                                _rows_where(f, qual.isna()),
                                [f"found {', '.join(sorted(set(f.loc[qual.isna(), 'qualification'].dropna())))}"]))
    table = grade_table()
    grade = f["grade"].str.upper()
    for q in QUALIFICATIONS:
        allowed = set(table.loc[table["qualification"] == q, "grade"])
        rows = (qual == q) & grade.notna() & ~grade.isin(allowed)
        lookalike = rows & grade.isin(UNGRADED_LOOKALIKES)
        if lookalike.any():
            problems.append(Problem(f"Use U for an ungraded {q}, not F or X", "grade", _rows_where(f, lookalike)))
        other = rows & ~lookalike
        if other.any():
            problems.append(Problem(f"Grade not allowed for {q} (allowed: {', '.join(sorted(allowed))})", "grade",
                                    _rows_where(f, other), [f"found {', '.join(sorted(set(grade[other])))}"]))
    if "ks4_aps" in f:
        aps = pd.to_numeric(f["ks4_aps"], errors="coerce")
        bad = f["ks4_aps"].notna() & ~aps.between(0, 9)
        if bad.any():
            problems.append(Problem("KS4 average point score must be a number from 0 to 9", "ks4_aps", _rows_where(f, bad)))
    if "gender" in f:
        bad = f["gender"].notna() & ~f["gender"].str.upper().isin(["F", "M"])
        if bad.any():
            problems.append(Problem("Gender must be F or M", "gender", _rows_where(f, bad)))
    return problems


def _consistency_problems(f: pd.DataFrame) -> list[Problem]:
    problems = duplicate_problems(f, ["upn", "qualification", "subject"], "Student {0} has {2} more than once: one row "
                                  "per student and qualification", "subject")
    for col in (c for c in STUDENT_COLUMNS if c in f):
        values = f.groupby(f["upn"].str.upper())[col].nunique(dropna=False)
        for upn in values[values > 1].index:
            rows = f.index[f["upn"].str.upper() == upn]
            problems.append(Problem(f"Student {upn} has different {col} values on different rows", col,
                                    _spreadsheet_rows(rows)))
    return problems


def load_entries(path: Path | str) -> pd.DataFrame:
    """Read and check an entries table (CSV, XLSX or Parquet): ``upn``, ``grade`` upper case, ``qualification``
    spelt as in ``QUALIFICATIONS``, ``ks4_aps`` a float. Raises ``PupilDataError`` listing every problem."""
    frame = read_long_table(path, REQUIRED, "entries")
    problems = _value_problems(frame) + _consistency_problems(frame)
    if problems:
        raise PupilDataError(path, problems)
    return typed(frame)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A checked text entries table with its types (also used for results accepted through ``toolkit upload``)."""
    out = frame.copy()
    out["upn"] = out["upn"].str.upper()
    out["grade"] = out["grade"].str.upper()
    out["qualification"] = _qualification(out["qualification"])
    if "ks4_aps" in out:
        out["ks4_aps"] = pd.to_numeric(out["ks4_aps"], errors="coerce").astype(float)
    if "gender" in out:
        out["gender"] = out["gender"].str.upper()
    if "fsm6" in out:
        out["fsm6"] = schema.parse_bool(out["fsm6"])
    return out
