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

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.inputs.entries import IDENTIFIER_RULES
from toolkit.inputs.load import read_long_table
from toolkit.inputs.problems import PupilDataError
from toolkit.inputs.rules import Rule, TableRules, once_per, one_of
from toolkit.scales.steps import grade_points

TRACKING_COLUMNS = ("upn", "school_id", "academic_year", "term", "subject", "grade")
JUDGEMENT_COLUMNS = ("upn", "school_id", "academic_year", "subject", "judgement")
JUDGEMENTS = ("emerging", "expected", "exceeding")
COUNT_COLUMNS = ("school_id", "subject", "year_group", "group", "emerging", "expected", "exceeding")

ACADEMIC_YEAR = Rule(
    "academic_year",
    "Academic year must be a four-digit year such as 2026",
    lambda f: f["academic_year"].str.fullmatch(r"(19|20)\d\d"),
)


def _grade_points(grade) -> int | None:
    try:
        return grade_points(grade)
    except ValueError:
        return None


def _points_of(grades: pd.Series) -> pd.Series:
    """Steps-and-points points of each grade (None where it is not one), each distinct grade scored once: a trust's
    tracking file has tens of thousands of rows and a few dozen grades."""
    distinct = grades.dropna().unique()
    return grades.map({g: _grade_points(g) for g in distinct})


def _listed(column: str, allowed, message: str) -> Rule:
    """A rule that ``column`` is one of ``allowed`` (any case, blank not allowed), listing what was found."""
    return Rule(column, message, one_of(column, allowed, case="lower", blank_ok=False), found=True)


def foundation_subjects() -> dict[str, list[str]]:
    """The foundation subjects and their programmes of study (parameters/subject_leader.yaml)."""
    return {k: list(v or []) for k, v in parameters.load_yaml("subject_leader.yaml")["subjects"].items()}


def _known_strand(frame: pd.DataFrame) -> pd.Series:
    """True where the strand is blank, 'Overall', or a programme of study of the row's subject (any case)."""
    strands = {k.lower(): {x.lower() for x in v} | {"overall"} for k, v in foundation_subjects().items()}
    strand = frame["strand"].fillna("").str.strip().str.lower()
    subject = frame["subject"].fillna("").str.strip().str.lower()
    known = lambda subj, s: s == "" or subj not in strands or s in strands[subj]  # noqa: E731
    return pd.Series(_per_pair(known, subject, strand), index=frame.index, dtype=bool)


def foundation_rules() -> list[Rule]:
    """A subject the report knows and a strand of it: an unknown one would be dropped from the report while kept in
    the spreadsheet, so it is refused by row instead."""
    subjects = foundation_subjects()
    listing = "; ".join(f"{k}: {', '.join(v)}" for k, v in subjects.items() if v)
    return [
        _listed(
            "subject",
            list(subjects),
            f"Subject must be a foundation subject of parameters/subject_leader.yaml ({', '.join(subjects)})",
        ),
        Rule(
            "strand",
            f"Strand is not a programme of study of its subject ({listing}; blank for the others)",
            _known_strand,
            needs=("subject", "strand"),
            found=True,
        ),
    ]


def canonical_foundation(frame: pd.DataFrame) -> pd.DataFrame:
    """Subjects and strands spelt as parameters/subject_leader.yaml spells them (they were matched in any case)."""
    subjects = foundation_subjects()
    by_lower = {k.lower(): k for k in subjects}
    out = frame.copy()
    out["subject"] = out["subject"].str.strip().str.lower().map(by_lower)
    strand_names = {(k, x.lower()): x for k, v in subjects.items() for x in [*v, "Overall"]}
    named = lambda subj, st: (
        strand_names.get((subj, st.strip().lower()), st) if isinstance(st, str) and st.strip() else st
    )  # noqa: E731
    out["strand"] = list(_per_pair(named, out["subject"], out["strand"]))
    return out


def _per_pair(f, first: pd.Series, second: pd.Series) -> np.ndarray:
    """``f(a, b)`` for each row's pair of values, worked out once per distinct pair (a trust's file has hundreds of
    thousands of rows and a few dozen subjects and strands); values, missing ones included, are passed as they are."""
    a, b = first.to_numpy(dtype=object), second.to_numpy(dtype=object)
    a_codes, _ = pd.factorize(a, use_na_sentinel=False)
    b_codes, b_values = pd.factorize(b, use_na_sentinel=False)
    _, row, rows = np.unique(a_codes.astype(np.int64) * len(b_values) + b_codes, return_index=True, return_inverse=True)
    worked = np.empty(len(row), dtype=object)
    worked[:] = [f(a[i], b[i]) for i in row]
    return worked[rows.reshape(-1)]


def tracking_rules() -> TableRules:
    spec = parameters.load_yaml("tracking.yaml")
    return TableRules(
        "tracking grades",
        [
            *IDENTIFIER_RULES,
            ACADEMIC_YEAR,
            _listed("term", spec["terms"], f"Term must be one of {', '.join(spec['terms'])}"),
            _listed("subject", spec["subjects"], f"Subject must be one of {', '.join(spec['subjects'])}"),
            Rule(
                "grade",
                "Grade must be a year then a step, such as 3C, 3B or 3A (3B+ between steps)",
                lambda f: _points_of(f["grade"]).notna(),
                found=True,
            ),
            once_per(
                ("upn", "academic_year", "term", "subject"),
                "grade",
                "Pupil {0} has two {3} grades for {2} {1}: one per pupil, subject and term",
            ),
        ],
    )


def judgement_rules() -> TableRules:
    return TableRules(
        "foundation-subject judgements",
        [
            *IDENTIFIER_RULES,
            ACADEMIC_YEAR,
            _listed("judgement", JUDGEMENTS, "Judgement must be emerging, expected or exceeding"),
            *foundation_rules(),
            once_per(
                ("upn", "academic_year", "subject", "strand"),
                "judgement",
                "Pupil {0} has two judgements for {2} {3} in {1}",
            ),
        ],
    )


def count_rules() -> TableRules:
    return TableRules(
        "foundation-subject counts",
        [
            Rule(
                "year_group",
                "Year group must be a number from 1 to 6",
                one_of("year_group", [str(y) for y in range(1, 7)], blank_ok=False),
            ),
            _listed("group", ("Overall", "Boys", "Girls"), "Group must be Overall, Boys or Girls"),
            *foundation_rules(),
            *(
                Rule(
                    col,
                    "Counts must be whole numbers of pupils (0 or more)",
                    lambda f, col=col: f[col].str.strip().str.fullmatch(r"\d+"),
                )
                for col in JUDGEMENTS
            ),
            once_per(
                ("school_id", "subject", "strand", "year_group", "group"),
                "group",
                "{1} {2} Year {3} {4} appears more than once for school {0}",
            ),
        ],
    )


def _checked(path: Path | str, frame: pd.DataFrame, rules: TableRules) -> None:
    problems = rules.problems(frame)
    if problems:
        raise PupilDataError(path, problems)


def checked_yearly_table(
    path: Path | str, columns: tuple[str, ...], what: str, rules: TableRules, optional: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A long table of pupils by academic year (``columns`` required, ``optional`` added blank where missing),
    checked by ``rules`` (every problem raised at once), with UPNs upper case and ``academic_year`` an integer."""
    frame = read_long_table(path, columns, what)
    for column in optional:
        if column not in frame.columns:
            frame[column] = pd.NA
    _checked(path, frame, rules)
    out = frame.copy()
    out["upn"] = out["upn"].str.upper()
    out["academic_year"] = out["academic_year"].astype(int)
    return out


def load_tracking(path: Path | str) -> pd.DataFrame:
    """Termly grades with ``points`` added; raises ``PupilDataError`` listing every problem."""
    frame = read_long_table(path, TRACKING_COLUMNS, "grades")
    _checked(path, frame, tracking_rules())
    out = frame.copy()
    out["upn"] = out["upn"].str.upper()
    for col in ("term", "subject"):
        out[col] = out[col].str.strip().str.lower()
    out["grade"] = out["grade"].str.strip().str.upper()
    out["academic_year"] = out["academic_year"].astype(int)
    out["points"] = _points_of(out["grade"]).astype(int)
    return out


def load_judgements(path: Path | str) -> pd.DataFrame:
    """Foundation-subject judgements (pupil level); raises ``PupilDataError`` listing every problem."""
    frame = read_long_table(path, JUDGEMENT_COLUMNS, "judgements")
    if "strand" not in frame.columns:
        frame["strand"] = pd.NA
    _checked(path, frame.assign(strand=frame["strand"].fillna("")), judgement_rules())
    out = canonical_foundation(frame)
    out["upn"] = out["upn"].str.upper()
    out["judgement"] = out["judgement"].str.strip().str.lower()
    out["academic_year"] = out["academic_year"].astype(int)
    return out


def load_counts(path: Path | str) -> pd.DataFrame:
    """Counts a subject leader typed in (``subject_counts.csv``: ``school_id, subject, strand`` (optional),
    ``year_group, group`` (Overall, Boys, Girls), ``emerging, expected, exceeding``); raises ``PupilDataError``."""
    frame = read_long_table(path, COUNT_COLUMNS, "counts")
    if "strand" not in frame.columns:
        frame["strand"] = ""
    _checked(path, frame.assign(strand=frame["strand"].fillna("")), count_rules())
    out = canonical_foundation(frame)
    out["strand"] = out["strand"].fillna("")
    out["year_group"] = out["year_group"].astype(int)
    out["group"] = out["group"].str.strip().str.capitalize()
    for col in JUDGEMENTS:
        out[col] = out[col].astype(int)
    return out
