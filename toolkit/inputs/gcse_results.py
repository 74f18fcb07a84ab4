"""Load GCSE results (one row per pupil and subject; ``toolkit.methods.ks4``) with the pupil loader's rules: every
problem named by file, row and column; nothing loaded when anything is wrong; extra columns kept as text.

| column | required | meaning |
| --- | --- | --- |
| upn | yes | the pupil's UPN |
| school_id | yes | DfE number of the school |
| subject | yes | a subject of ``parameters/ks4/gcse_subjects.csv`` (any case), e.g. English Language |
| grade | yes | 9-1 or U; combined science two grades, higher first (6-5; U alone for U-U); X, A ... no result |
| academic_year | | the summer of the results, e.g. 2026 |

One row per pupil and subject (and year, when the file has ``academic_year``), but for the "Other ..." buckets of
``gcse_subjects.csv``, which hold several qualifications: combined science, a double award, is one row with both
grades; two rows of it, or a single grade, are refused (a single grade could be either half).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.inputs.entries import dfe_number_rule, upn_rule
from toolkit.inputs.load import read_long_table
from toolkit.inputs.problems import PupilDataError
from toolkit.inputs.rules import Rule, TableRules, once_per, one_of, repeated
from toolkit.scales import gcse

REQUIRED = ("upn", "school_id", "subject", "grade")


def _grade_fits(frame: pd.DataFrame) -> pd.Series:
    areas = dict(zip(gcse.subjects()["subject"].str.lower(), gcse.subjects()["area"]))
    area = frame["subject"].fillna("").str.strip().str.lower().map(areas)
    pairs = pd.MultiIndex.from_arrays([frame["grade"].fillna("").astype(str), area.astype(object)])
    fits = {(g, a): a is None or pd.isna(a) or gcse.valid_grade(g, a) for g, a in pairs.unique()}  # each pair once
    return pd.Series([fits[p] for p in pairs], index=frame.index)


def _subject_rules() -> list[Rule]:
    """Who and which subject: what results and targets share."""
    names = list(gcse.subjects()["subject"])
    return [
        upn_rule(),
        dfe_number_rule(),
        Rule(
            "subject",
            "Subject is not one the KS4 measures count (parameters/ks4/gcse_subjects.csv lists them; add a "
            "qualification there)",
            one_of("subject", names, case="lower", blank_ok=False),
            found=True,
        ),
    ]


ONCE = "Pupil {0} has {1} on more than one row: one row per pupil and subject (combined science is one row with both "


def gcse_rules(columns=()) -> TableRules:
    """The rules of a results table with these ``columns`` (one row per pupil and subject, per year when it has
    ``academic_year``)."""
    key = ("upn", "subject", "academic_year") if "academic_year" in columns else ("upn", "subject")
    return TableRules(
        "GCSE results",
        [
            *_subject_rules(),
            Rule(
                "grade",
                "Grade must be 9-1 or U (combined science two grades, higher first, e.g. 6-5 or 5-5), or a no-result "
                "code such as X",
                _grade_fits,
                found=True,
            ),
            Rule(
                "subject",
                ONCE + "grades, e.g. 6-5)" + (" in {2}" if len(key) == 3 else ""),
                lambda f: repeated(key)(f) | f["subject"].str.strip().str.lower().str.startswith("other "),
                key=key,
            ),
        ],
    )


def load_gcse_results(path: Path | str) -> pd.DataFrame:
    """Read and check GCSE results; subjects spelt as the parameters spell them. Raises ``PupilDataError``."""
    frame = read_long_table(path, REQUIRED, "results")
    problems = gcse_rules(frame.columns).problems(frame)
    if problems:
        raise PupilDataError(path, problems)
    names = {s.lower(): s for s in gcse.subjects()["subject"]}
    out = frame.copy()
    out["subject"] = out["subject"].str.strip().str.lower().map(names)
    out["grade"] = out["grade"].fillna("").str.strip().str.upper()
    return out


TARGET_COLUMNS = ("upn", "school_id", "subject", "target")


def _target_grade(frame: pd.DataFrame) -> pd.Series:
    text = frame["target"].fillna("").str.strip().str.upper()
    return text.isin(["U", *(str(g) for g in range(1, 10))])


def load_ks4_targets(path: Path | str) -> pd.DataFrame:
    """Read and check GCSE targets of Years 7-11 (``upn, school_id, subject, target``: one row per pupil and
    subject, target 9-1 or U). Raises ``PupilDataError`` naming file, row and column."""
    frame = read_long_table(path, TARGET_COLUMNS, "targets")
    problems = TableRules(
        "GCSE targets",
        [
            *_subject_rules(),
            Rule("target", "Target must be a GCSE grade, 9-1 or U", _target_grade, found=True),
            once_per(("upn", "subject"), "subject", "Pupil {0} has two targets in {1}: keep one"),
        ],
    ).problems(frame)
    if problems:
        raise PupilDataError(path, problems)
    names = {s.lower(): s for s in gcse.subjects()["subject"]}
    out = frame.copy()
    out["subject"] = out["subject"].str.strip().str.lower().map(names)
    out["target"] = out["target"].str.strip().str.upper()
    return out
