"""Load KS5 entries tables (one row per student and qualification; ``toolkit.methods.ks5``) with the pupil loader's rules:
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

from toolkit.inputs import schema
from toolkit.inputs.layout import UNGRADED_LOOKALIKES
from toolkit.inputs.load import read_long_table
from toolkit.inputs.problems import PupilDataError
from toolkit.inputs.rules import Rule, TableRules, consistent, one_of, present, repeated
from toolkit.scales.a_level import QUALIFICATIONS, grade_table
from toolkit.scales.identifiers import upn_reason, validate_dfe_number

REQUIRED = ("upn", "school_id", "qualification", "subject", "grade")
STUDENT_COLUMNS = ("school_id", "ks4_aps", "gender", "fsm6", "forename", "surname")  # one value per student


def _qualification(values: pd.Series) -> pd.Series:
    """Qualifications spelt as in ``QUALIFICATIONS`` (any case); <NA> for anything else."""
    return values.str.strip().str.lower().map({q.lower(): q for q in QUALIFICATIONS}).astype("string")


def valid_upn(frame: pd.DataFrame, column: str = "upn") -> pd.Series:
    """True where ``column`` holds a valid UPN (each distinct value checked once)."""
    upn = frame[column].fillna("")
    reasons = {u: upn_reason(u) is None for u in upn.unique()}
    return upn.map(reasons).astype(bool)


def upn_rule(column: str = "upn", explain=None) -> Rule:
    """UPNs of a long table: one sentence per UPN rule broken (``explain``: bad value -> (sentence, detail);
    default the rule's own sentence)."""
    explain = explain or (lambda u: (upn_reason("" if pd.isna(u) else u)[0], None))
    return Rule(column, "UPN", lambda frame: valid_upn(frame, column), explain=explain)


def dfe_number_rule(column: str = "school_id", message: str = "Invalid DfE number", **kw) -> Rule:
    """DfE numbers (LAESTAB, 7 digits) of a long table (each distinct value checked once)."""

    def ok(frame: pd.DataFrame) -> pd.Series:
        school = frame[column].fillna("")
        good = {v: validate_dfe_number(v) is None for v in school.unique()}
        return school.map(good).astype(bool)

    return Rule(column, message, ok, **kw)


IDENTIFIER_RULES = (upn_rule(), dfe_number_rule())


def _grade_allowed(qualification: str, lookalike: bool):
    """Rows of ``qualification`` whose grade is not allowed for it (``lookalike``: F or X where U is meant)."""

    def ok(frame: pd.DataFrame) -> pd.Series:
        table = grade_table()
        allowed = set(table.loc[table["qualification"] == qualification, "grade"])
        grade = frame["grade"].str.upper()
        mine = (_qualification(frame["qualification"]) == qualification).fillna(False)
        bad = mine & grade.notna() & ~grade.isin(allowed).fillna(False)
        return ~(bad & (grade.isin(UNGRADED_LOOKALIKES).fillna(False) == lookalike))

    return ok


def _allowed_grades(qualification: str) -> str:
    table = grade_table()
    return ", ".join(sorted(set(table.loc[table["qualification"] == qualification, "grade"])))


def _grade_rules() -> list[Rule]:
    rules = []
    for q in QUALIFICATIONS:
        rules.append(
            Rule(
                "grade",
                f"Use U for an ungraded {q}, not F or X",
                _grade_allowed(q, True),
                needs=("grade", "qualification"),
            )
        )
        rules.append(
            Rule(
                "grade",
                f"Grade not allowed for {q} (allowed: {_allowed_grades(q)})",
                _grade_allowed(q, False),
                needs=("grade", "qualification"),
                found=True,
            )
        )
    return rules


def entry_rules() -> TableRules:
    """The entries table's rules, in the order their problems are listed."""
    return TableRules(
        "KS5 entries",
        [
            *IDENTIFIER_RULES,
            Rule("subject", "Subject must have a value", present("subject")),
            Rule("grade", "Grade must have a value", present("grade")),
            Rule(
                "qualification",
                f"Qualification must be {' or '.join(QUALIFICATIONS)}",
                lambda f: _qualification(f["qualification"]).notna(),
                found=True,
            ),
            *_grade_rules(),
            Rule(
                "ks4_aps",
                "KS4 average point score must be a number from 0 to 9",
                lambda f: f["ks4_aps"].isna() | pd.to_numeric(f["ks4_aps"], errors="coerce").between(0, 9),
            ),
            Rule("gender", "Gender must be F or M", one_of("gender", ("F", "M"))),
            Rule(
                "subject",
                "Student {0} has {2} more than once: one row per student and qualification",
                repeated(("upn", "qualification", "subject")),
                key=("upn", "qualification", "subject"),
            ),
            *(
                Rule(
                    col,
                    f"Student {{0}} has different {col} values on different rows",
                    consistent("upn", col),
                    key=("upn",),
                )
                for col in STUDENT_COLUMNS
            ),
        ],
    )


def load_entries(path: Path | str) -> pd.DataFrame:
    """Read and check an entries table (CSV, XLSX or Parquet): ``upn``, ``grade`` upper case, ``qualification``
    spelt as in ``QUALIFICATIONS``, ``ks4_aps`` a float. Raises ``PupilDataError`` listing every problem."""
    frame = read_long_table(path, REQUIRED, "entries")
    problems = entry_rules().problems(frame)
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
