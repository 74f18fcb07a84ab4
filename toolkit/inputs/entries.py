"""Load KS5 entries tables (one row per student and qualification; ``toolkit.methods.ks5``) with the pupil loader's rules:
every problem named by file, row and column; nothing loaded when anything is wrong; extra columns kept as text.

| column | required | meaning |
| --- | --- | --- |
| upn | yes | the student's UPN |
| school_id | yes | DfE number of the school |
| qualification | yes | A level or AS |
| subject | yes | a subject the DfE's level 3 value added model knows (its name or ours, any case), e.g. Mathematics |
| grade | yes | A*, A, B, C, D, E or U (AS: no A*) |
| ks4_aps | | GCSE average point score (0-9), the prior attainment of value added; blank = none |
| gender, fsm6, forename, surname | | as in the pupil table, the same on every row of a student |

The DfE 16-18 ready reckoner's upload layout (Forename, Surname, Sex, Qualification name, Subject name, Prior
attainment, Actual points (new points), Disadvantaged status, DfE number ...) is accepted as it is: the grade comes
from the points, the DfE's subject names map to ours, and the student is keyed by the CYPMD ID or their name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.inputs import schema
from toolkit.inputs.layout import UNGRADED_LOOKALIKES
from toolkit.inputs.load import read_long_table, read_normalised
from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.rules import Rule, TableRules, consistent, once_per, one_of, present
from toolkit.scales.a_level import QUALIFICATIONS, grade_table, subject_names
from toolkit.scales.identifiers import upn_reason, upn_valid, validate_dfe_number

REQUIRED = ("upn", "school_id", "qualification", "subject", "grade")
STUDENT_COLUMNS = ("school_id", "ks4_aps", "gender", "fsm6", "forename", "surname")  # one value per student


def _qualification(values: pd.Series) -> pd.Series:
    """Qualifications spelt as in ``QUALIFICATIONS`` (any case); <NA> for anything else."""
    return values.str.strip().str.lower().map({q.lower(): q for q in QUALIFICATIONS}).astype("string")


def valid_upn(frame: pd.DataFrame, column: str = "upn") -> pd.Series:
    """True where ``column`` holds a valid UPN (``identifiers.upn_valid``)."""
    return pd.Series(upn_valid(frame[column]), index=frame.index)


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


UNKNOWN_SUBJECT = (
    "Subject is not one the DfE's level 3 value added model knows (parameters/ks5/l3va_a_level_2025.csv, our "
    "spellings in l3va_subject_names.csv): a misspelt subject would split the subject tables"
)


def _subject_known(frame: pd.DataFrame) -> pd.Series:
    known = subject_names()
    return frame["subject"].isna() | frame["subject"].str.strip().str.lower().isin(set(known))


def _unknown_subject(value) -> tuple[str, str]:
    """The sentence for an unknown subject, and the value with the nearest known name, when one is near."""
    import difflib

    known = subject_names()
    text = str(value).strip()
    near = difflib.get_close_matches(text.lower(), list(known), n=1, cutoff=0.6)
    if not near:
        near = [k for k in known if k.startswith(text.lower()[:4])][:1] if len(text) >= 4 else []
    return UNKNOWN_SUBJECT, f"'{text}'" + (f" (did you mean {known[near[0]]}?)" if near else "")


def entry_rules() -> TableRules:
    """The entries table's rules, in the order their problems are listed."""
    return TableRules(
        "KS5 entries",
        [
            *IDENTIFIER_RULES,
            Rule("subject", "Subject must have a value", present("subject")),
            Rule("subject", UNKNOWN_SUBJECT, _subject_known, explain=_unknown_subject, max_details=8),
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
            once_per(
                ("upn", "qualification", "subject"),
                "subject",
                "Student {0} has {2} more than once: one row per student and qualification",
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


# The DfE 16-18 ready reckoner's pupil upload layout (../shared/reference/dfe/l3va_model_2025/
# pupil_upload_template.csv), headers as ``schema.normalise_header`` writes them -> our columns.
READY_RECKONER = {
    "forename": "forename",
    "surname": "surname",
    "sex": "gender",
    "qualification_name": "qualification",
    "subject_name": "subject",
    "prior_attainment": "ks4_aps",
    "actual_points_(new_points)": "points",
    "disadvantaged_status": "fsm6",
    "dfe_number": "school_id",
    "estimated_points_(new_points)": "dfe_estimate",
    "value_added_score": "dfe_value_added",
    "cypmd_id": "cypmd_id",
}
RR_HEADERS = {  # the template's headers as written
    "Forename": "forename",
    "Surname": "surname",
    "Sex": "gender",
    "Qualification name": "qualification",
    "Subject name": "subject",
    "Prior attainment": "ks4_aps",
    "Disadvantaged status": "fsm6",
    "DfE number": "school_id",
    "Forename and surname or CYPMD ID": "upn",
}
READY_RECKONER_REQUIRED = ("forename", "surname", "qualification_name", "subject_name", "actual_points_(new_points)")
RR_QUALIFICATIONS = {"gce a level": "A level", "a level": "A level", "gce as level": "AS", "as level": "AS", "as": "AS"}


def from_ready_reckoner(frame: pd.DataFrame) -> pd.DataFrame:
    """A ready-reckoner upload as an entries table: qualification and subject names as ours (the DfE's subject
    names through ``parameters/ks5/l3va_subject_names.csv``), the grade from the actual points
    (``scales/a_level_points.csv``), the student identified by the CYPMD ID where given (else forename, surname and
    DfE number: the layout has no UPN). Unknown names and points stay as written, for the rules to name."""
    from toolkit import parameters

    out = frame.rename(columns={k: v for k, v in READY_RECKONER.items() if k in frame})
    names = parameters.load_csv("ks5/l3va_subject_names.csv")
    ours = {d.lower(): o for d, o in zip(names["dfe_subject"], names["subject"])}
    out["subject"] = out["subject"].map(lambda x: ours.get(str(x).strip().lower(), x) if pd.notna(x) else x)
    written = out["qualification"]
    out["qualification"] = written.str.strip().str.lower().map(RR_QUALIFICATIONS).fillna(written)
    table = grade_table()
    by_points = {(q, float(p)): g for q, g, p in zip(table["qualification"], table["grade"], table["points"])}
    points = pd.to_numeric(out["points"], errors="coerce")
    out["grade"] = [
        by_points.get((q, p), f"{w} points" if pd.notna(w) else pd.NA)
        for q, p, w in zip(out["qualification"], points, out["points"])
    ]
    key = out["cypmd_id"] if "cypmd_id" in out else pd.Series(pd.NA, index=out.index, dtype="string")
    names_key = out["forename"].fillna("") + " " + out["surname"].fillna("") + " " + out["school_id"].fillna("")
    out["upn"] = ("RR " + key.fillna(names_key).str.strip()).astype("string")
    if "gender" in out:
        out["gender"] = out["gender"].str.strip().str.upper().str[0]
    if "fsm6" in out:
        out["fsm6"] = (
            out["fsm6"]
            .str.strip()
            .str.lower()
            .map(
                {
                    "disadvantaged": "Y",
                    "y": "Y",
                    "1": "Y",
                    "true": "Y",
                    "not disadvantaged": "N",
                    "n": "N",
                    "0": "N",
                    "false": "N",
                }
            )
            .fillna(out["fsm6"])
        )
    out = out.drop(columns=["points"])
    out.attrs = frame.attrs
    return out


def _ready_reckoner_rules() -> TableRules:
    """The entries rules for a ready-reckoner upload: the student key is not a UPN, so it is only required; a key
    made of a name (no CYPMD ID) that two students could share is named as such when its rows disagree."""
    from dataclasses import replace

    def by_name(rule: Rule) -> Rule:
        if rule.key[:1] != ("upn",):
            return rule
        hint = " (two students with one name and no CYPMD ID? give each their CYPMD ID)"
        return replace(rule, message=lambda rows, m=rule.message: m.format(*_shown(rows, rule.key)) + hint)

    rules = entry_rules()
    return TableRules(
        "DfE ready reckoner upload",
        [Rule("upn", "Forename and surname (or CYPMD ID) must have a value", present("upn"))]
        + [by_name(r) for r in rules.rules if r not in IDENTIFIER_RULES[:1]],
    )


def _shown(rows: pd.DataFrame, key: tuple[str, ...]) -> list[str]:
    """A group's key values as the user wrote them (the name key without its "RR " mark)."""
    first = rows[list(key)].iloc[0]
    return [str(v).removeprefix("RR ") for v in first]


def load_entries(path: Path | str) -> pd.DataFrame:
    """Read and check an entries table (CSV, XLSX or Parquet): ``upn``, ``grade`` upper case, ``qualification``
    spelt as in ``QUALIFICATIONS``, ``ks4_aps`` a float. The DfE 16-18 ready reckoner's upload layout is read too
    (``from_ready_reckoner``). Raises ``PupilDataError`` listing every problem."""
    frame = read_normalised(path, REQUIRED)
    if "upn" not in frame and set(READY_RECKONER_REQUIRED) <= set(frame.columns):
        if len(frame) == 0:
            raise PupilDataError(path, [Problem("The file has a header row but no entries")])
        if "dfe_number" not in frame:
            missing = "The DfE 16-18 ready reckoner layout needs its DfE number column: which school each entry is for"
            raise PupilDataError(path, [Problem(missing, "DfE number")])
        frame, rules = from_ready_reckoner(frame), _ready_reckoner_rules()
    else:
        frame, rules = read_long_table(path, REQUIRED, "entries"), entry_rules()
    problems = rules.problems(frame)
    if problems and rules.name.startswith("DfE ready reckoner"):  # name the columns as the user's file has them
        written = {v: k for k, v in RR_HEADERS.items()} | {"grade": "Actual points (new points)"}
        for p in problems:
            p.column = written.get(p.column, p.column)
            for ours, theirs in written.items():
                p.message = p.message.replace(f" {ours} values", f" {theirs} values")
    if problems:
        raise PupilDataError(path, problems)
    return typed(frame)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A checked text entries table with its types (also used for results accepted through ``toolkit upload``)."""
    out = frame.copy()
    out["upn"] = out["upn"].str.upper()
    out["grade"] = out["grade"].str.upper()
    out["qualification"] = _qualification(out["qualification"])
    known = subject_names()
    out["subject"] = out["subject"].map(lambda x: known.get(str(x).strip().lower(), x)).astype("string")
    if "ks4_aps" in out:
        out["ks4_aps"] = pd.to_numeric(out["ks4_aps"], errors="coerce").astype(float)
    if "gender" in out:
        out["gender"] = out["gender"].str.upper()
    if "fsm6" in out:
        out["fsm6"] = schema.parse_bool(out["fsm6"])
    return out
