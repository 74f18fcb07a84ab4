"""The pupil table: one set of column names used everywhere, declared once as a pandera schema.

Files are read as text; the schema checks the text (so nothing is coerced before it is judged), and
``toolkit.inputs.load`` converts the checked columns to their types. docs/data_model.md is this module in prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from toolkit.inputs.rules import Rule, TableRules, present
from toolkit.scales import eyfs, ks1, ks2
from toolkit.scales.identifiers import upn_problems, upn_reason, validate_dfe_number
from toolkit.vocabulary import OLD_KS2_SUBJECTS, TARGET_SUBJECTS

TRUE_WORDS = {"Y", "YES", "TRUE", "T", "1"}
FALSE_WORDS = {"N", "NO", "FALSE", "F", "0"}
YEAR_GROUPS = {
    "R": 0,
    "RECEPTION": 0,
    "YR": 0,
    **{str(i): i for i in range(14)},
    **{f"Y{i}": i for i in range(1, 14)},
    **{f"YEAR {i}": i for i in range(1, 14)},
}
SEN_CODES = {"N": "No special educational need", "K": "SEN support", "E": "Education, health and care plan"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class Field:
    """One pupil-table column: its name, meaning, whether every file must have it, and the rule its values obey."""

    name: str
    meaning: str
    required: bool
    rule: str = ""  # the sentence shown when a value breaks the rule ("" = free text)
    nullable: bool = True


def parse_date(values: pd.Series) -> pd.Series:
    """Dates in any of ``DATE_FORMATS`` (ISO, dd/mm/yyyy, or Excel's date-time text); NaT where none fits."""
    text = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        todo = out.isna() & text.notna()
        if todo.any():
            out[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    return out


def parse_bool(values: pd.Series) -> pd.Series:
    """Y/N, Yes/No, True/False, T/F, 1/0 (any case) as a nullable boolean."""
    up = values.astype("string").str.strip().str.upper()
    return up.map(lambda v: True if v in TRUE_WORDS else False if v in FALSE_WORDS else pd.NA).astype("boolean")


def _upper(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.upper()


def _in(allowed: set[str]):
    allowed_up = {a.upper() for a in allowed}
    return lambda s: s.isna() | _upper(s).isin(allowed_up)


def _valid_test_result(s: pd.Series) -> pd.Series:
    reasons = {v: ks2.scaled_score_problem(v) for v in s.dropna().unique()}
    return s.isna() | s.map(lambda v: reasons.get(v) is None).astype(bool)


def _valid_target(s: pd.Series) -> pd.Series:
    allowed = set(ks2.BANDS_10) | set(ks2.writing_codes()["code"]) | set(ks1.ta_codes()["code"])
    return s.isna() | _upper(s).isin({a.upper() for a in allowed}) | _valid_test_result(s)


def _valid_date(s: pd.Series) -> pd.Series:
    parsed = parse_date(s)
    return s.isna() | (parsed.notna() & parsed.dt.year.between(1990, 2100))


FIELDS: tuple[Field, ...] = (
    Field("upn", "Unique pupil number: 13 characters, check letter first (DfE CBDS)", True, "upn", nullable=False),
    Field(
        "school_id",
        "DfE number of the school (LAESTAB: 3-digit LA + 4-digit establishment)",
        True,
        "Invalid DfE number: it must be 7 digits, a local authority number then the establishment number",
        nullable=False,
    ),
    Field("forename", "Forename", True, "Forename must have a value", nullable=False),
    Field("surname", "Surname", True, "Surname must have a value", nullable=False),
    Field(
        "dob",
        "Date of birth (YYYY-MM-DD or DD/MM/YYYY)",
        True,
        "Date of birth must be a real date, written YYYY-MM-DD or DD/MM/YYYY",
        nullable=False,
    ),
    Field("gender", "F or M", True, "Gender must be F or M", nullable=False),
    Field(
        "year_group",
        "Year group: R (Reception) or 1-13",
        True,
        "Year group must be R or a number from 1 to 13",
        nullable=False,
    ),
    Field(
        "academic_year",
        "Year the data belongs to, by its summer (2026 = 2025/26)",
        False,
        "Academic year must be a four-digit year such as 2026",
    ),
    Field("fsm", "Eligible for free school meals now (Y/N)", False, "FSM must be Y or N"),
    Field(
        "fsm6",
        "Eligible for free school meals in the last 6 years: disadvantaged, pupil premium (Y/N)",
        False,
        "FSM6 must be Y or N",
    ),
    Field("eal", "English as an additional language (Y/N)", False, "EAL must be Y or N"),
    Field(
        "entry_date",
        "Date the pupil joined this school (YYYY-MM-DD or DD/MM/YYYY): the school profile's stability",
        False,
        "Entry date must be a real date, written YYYY-MM-DD or DD/MM/YYYY",
    ),
    Field("sen", "Special educational needs: N none, K SEN support, E EHC plan", False, "SEN must be N, K or E"),
    *(
        Field(
            f"ks1_{s}",
            f"KS1 teacher assessment in {s} (GDS, EXS, WTS, PKF, PK1-PK6, P-scale, old level, or A/D/M ...)",
            False,
            f"Unknown KS1 {s} code",
        )
        for s in ks1.SUBJECTS
    ),
    *(
        Field(
            c,
            f"EYFS profile goal '{c[5:]}': emerging or expected (A absent)",
            False,
            "EYFS outcomes must be emerging, expected or A",
        )
        for c in eyfs.goal_columns()
    ),
    *(
        Field(
            f"ks2_{s}",
            f"KS2 {s} test: scaled score 80-120 or a result code (B, N, A ...)",
            False,
            f"KS2 {s} must be a scaled score from 80 to 120 or a KS2 result code",
        )
        for s in ks2.TEST_SUBJECTS
    ),
    Field(
        "ks2_writing",
        "KS2 writing teacher assessment: GDS, EXS, WTS, PKF/PKE/PKG, BLW, or A/D ...",
        False,
        "Unknown KS2 writing code",
    ),
    *(
        Field(
            f"ks2_ta_{s}",
            f"KS2 {s} teacher assessment (EXS, HNM, PKF, PK1-PK6, BLW, P-scale ...): the DfE's nominal score for a "
            "pupil working below the test (B)",
            False,
            f"Unknown KS2 {s} teacher assessment code",
        )
        for s in ks2.TA_SUBJECTS
    ),
    *(
        Field(
            f"target_{s}",
            f"Target for {s}: a band (B, W-, ... A+), a TA code or a scaled score",
            False,
            f"A {s} target must be a band (B, W-, W, W+, N-, N, N+, A-, A, A+), a TA code or a scaled score",
        )
        for s in TARGET_SUBJECTS
    ),
    Field("target_reviewed", "Target reviewed (Y/N)", False, "Target reviewed must be Y or N"),
    Field(
        "ks4_aps",
        "KS4 GCSE average point score (0-9): prior attainment of KS5 value added (Years 12-13)",
        False,
        "KS4 average point score must be a number from 0 to 9",
    ),
    Field(
        "ks2_year",
        "Old-style KS2 results (before 2016): the summer the pupil sat KS2",
        False,
        "KS2 year must be a four-digit year such as 2011",
    ),
    *(
        f
        for s in OLD_KS2_SUBJECTS
        for f in (
            Field(
                f"ks2_{s}_level",
                f"Old-style KS2 {s} test level from the standard test: N, 2, 3, 4 or 5",
                False,
                f"KS2 {s} level must be the standard test's level (N, 2, 3, 4 or 5); a level 6 is ignored for fine "
                "points: give the standard test's level and mark",
            ),
            Field(
                f"ks2_{s}_mark",
                f"Old-style KS2 {s} test mark (0-100)",
                False,
                f"KS2 {s} mark must be a number from 0 to 100",
            ),
            Field(
                f"ks2_{s}_ta",
                f"Old-style KS2 {s} teacher assessment: W, 1-6 (or A, D)",
                False,
                f"KS2 {s} teacher assessment must be W, 1, 2, 3, 4, 5, 6, A or D",
            ),
            Field(
                f"ks2_{s}_level6",
                f"Passed the KS2 {s} level 6 test (Y/N); ignored for fine points",
                False,
                f"KS2 {s} level 6 must be Y or N",
            ),
        )
    ),
    Field(
        "rba",
        "Reception Baseline Assessment score (0-39): in synthetic national cohorts only (schools never see RBA scores)",
        False,
        "RBA score must be a whole number from 0 to 39",
    ),
    # Seed 004: from Year 11 2016/17 (KS2 2012) English fine points come from the reading test's level and mark.
    Field(
        "ks2_reading_level",
        "Old-style KS2 reading test level (2012-2015): N, 2, 3, 4 or 5; gives the English fine points from KS2 2012",
        False,
        "KS2 reading level must be the reading test's level (N, 2, 3, 4 or 5)",
    ),
    Field(
        "ks2_reading_mark",
        "Old-style KS2 reading test mark (0-50, 2012-2015)",
        False,
        "KS2 reading mark must be a number from 0 to 50",
    ),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
REQUIRED = tuple(f.name for f in FIELDS if f.required)


def value_check(name: str):
    """The check of a column's text values (True where a value is allowed; blank is allowed)."""
    return _value_check(FIELD_BY_NAME[name])


def _value_check(field: Field):
    name = field.name
    if name == "upn":
        return lambda s: s.isna() | upn_problems(s).isna()
    if name == "school_id":
        return lambda s: s.isna() | s.map(lambda v: validate_dfe_number(v) is None).astype(bool)
    if name in ("forename", "surname"):
        return lambda s: s.notna()
    if name in ("dob", "entry_date"):
        return _valid_date
    if name == "gender":
        return _in({"F", "M"})
    if name == "year_group":
        return _in(set(YEAR_GROUPS))
    if name == "academic_year":
        return lambda s: s.isna() | s.str.fullmatch(r"(19|20)\d\d").fillna(False)
    if name in ("fsm", "fsm6", "eal", "target_reviewed"):
        return _in(TRUE_WORDS | FALSE_WORDS)
    if name == "sen":
        return _in(set(SEN_CODES))
    if name.startswith("ks1_"):
        return _in(ks1.allowed_codes())
    if name.startswith("eyfs_"):
        return _in(eyfs.outcome_codes())
    if name == "ks2_writing":
        return _in(set(ks2.writing_codes()["code"]))
    if name in {f"ks2_ta_{s}" for s in ks2.TA_SUBJECTS}:
        return _in(ks2.ta_codes())
    if name.startswith("ks2_") and name[4:] in ks2.TEST_SUBJECTS:
        return _valid_test_result
    if name.startswith("target_"):
        return _valid_target
    if name == "ks4_aps":
        return lambda s: s.isna() | pd.to_numeric(s, errors="coerce").between(0, 9)
    if name == "ks2_year":
        return lambda s: s.isna() | s.str.fullmatch(r"(19|20)\d\d").fillna(False)
    if name.endswith("_level6"):
        return _in(TRUE_WORDS | FALSE_WORDS)
    if name.endswith("_level") and name.startswith("ks2_"):
        return _in({"N", "2", "3", "4", "5"})
    if name == "rba":
        return lambda s: (
            s.isna() | s.str.fullmatch(r"\d{1,2}").fillna(False) & pd.to_numeric(s, errors="coerce").between(0, 39)
        )
    if name == "ks2_reading_mark":
        return lambda s: s.isna() | pd.to_numeric(s, errors="coerce").between(0, 50)
    if name.endswith("_mark") and name.startswith("ks2_"):
        return lambda s: s.isna() | pd.to_numeric(s, errors="coerce").between(0, 100)
    if name.endswith("_ta") and name.startswith("ks2_"):
        return _in({"W", "1", "2", "3", "4", "5", "6", "A", "D"})
    raise KeyError(name)


AGE_LEEWAY_YEARS = 1  # a pupil a year older or younger than the year group is possible (held back, moved up)


def _birth_window(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parsed dates of birth, and the first and last birthday of a pupil of the row's year group in the row's
    academic year (by its summer Y, Year N: 1 September Y-N-6 to 31 August Y-N-5), ``AGE_LEEWAY_YEARS`` wider."""
    dob = parse_date(frame["dob"])
    year = pd.to_numeric(frame["academic_year"], errors="coerce")
    group = frame["year_group"].astype("string").str.strip().str.upper().map(YEAR_GROUPS)
    group = pd.to_numeric(group, errors="coerce")
    first = pd.to_datetime(
        (year - group - 6 - AGE_LEEWAY_YEARS).astype("Int64").astype("string") + "-09-01", errors="coerce"
    )
    last = pd.to_datetime(
        (year - group - 5 + AGE_LEEWAY_YEARS).astype("Int64").astype("string") + "-08-31", errors="coerce"
    )
    return dob, first, last


def _born_in_the_future(frame: pd.DataFrame) -> pd.Series:
    dob = parse_date(frame["dob"])
    return ~(dob > pd.Timestamp.today().normalize()).fillna(False)


def _age_fits_year_group(frame: pd.DataFrame) -> pd.Series:
    dob, first, last = _birth_window(frame)
    outside = (dob < first) | (dob > last)
    return ~outside.fillna(False).astype(bool)


PLAUSIBILITY_RULES = (
    Rule("dob", "Date of birth is in the future", _born_in_the_future, found=True),
    Rule(
        "dob",
        "Date of birth does not fit the year group in this academic year (more than a year older or younger than "
        "its pupils): check the date, the year group and the academic year",
        _age_fits_year_group,
        needs=("dob", "year_group", "academic_year"),
        detail=lambda row, value: f"row {row}: born {value}",
        max_details=5,
    ),
)


def _must_have_a_value(field: Field) -> str:
    return f"{field.meaning.split(':')[0].split('(')[0].strip()} must have a value"


def _duplicates(in_two_schools: bool):
    """Rows of a pupil listed more than once, whose rows name two schools (or do not)."""

    def ok(frame: pd.DataFrame) -> pd.Series:
        upn = frame["upn"].str.upper()
        dup = (upn.notna() & upn.duplicated(keep=False)).astype(bool)
        if not dup.any():
            return pd.Series(True, index=frame.index)
        schools = frame["school_id"] if "school_id" in frame else pd.Series(pd.NA, index=frame.index, dtype="string")
        two = (schools[dup].groupby(upn[dup]).transform("nunique") > 1).reindex(frame.index, fill_value=False)
        return ~(dup & (two == in_two_schools))

    return ok


def _pupil_upper(group: pd.DataFrame) -> str:
    return str(group["upn"].str.upper().iloc[0])


DUPLICATE_RULES = (
    Rule(
        "upn",
        lambda g: (
            f"Pupil {_pupil_upper(g)} is in two schools ({', '.join(map(str, g['school_id'].dropna().unique()))}); "
            "a pupil belongs to one school in a file"
        ),
        _duplicates(True),
        key=("upn",),
    ),
    Rule(
        "upn",
        lambda g: f"Pupil {_pupil_upper(g)} appears more than once: each pupil must have one row",
        _duplicates(False),
        key=("upn",),
    ),
)


#: Characters no spreadsheet can store and no reader sees (a name pasted from another system may carry them).
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _no_control_characters(column: str) -> Rule:
    return Rule(
        column,
        f"{column.capitalize()} holds a control character (an invisible character no spreadsheet can store): retype it",
        lambda f: ~f[column].str.contains(CONTROL_CHARACTERS, regex=True).fillna(False),
    )


def _column_rule(field: Field) -> Rule:
    check = _value_check(field)
    ok = lambda frame: check(frame[field.name])  # noqa: E731
    if field.name == "upn":
        return Rule("upn", "UPN", ok, explain=upn_reason)
    return Rule(field.name, field.rule or field.name, ok, found=True)


def pupil_rules(columns: list[str]) -> TableRules:
    """The pupil table's rules for a file holding ``columns``: required columns plus any known optional ones
    present. Each rule's sentence is its ``Field.rule``; a pupil on two rows is reported with both rows."""
    rules = []
    for field in FIELDS:
        if not (field.required or field.name in columns):
            continue
        if not field.nullable:
            rules.append(Rule(field.name, _must_have_a_value(field), present(field.name)))
        if field.name not in ("forename", "surname"):  # their rule is the one above
            rules.append(_column_rule(field))
        else:
            rules.append(_no_control_characters(field.name))
    return TableRules("pupils", [*rules, *DUPLICATE_RULES, *PLAUSIBILITY_RULES])


def is_known_column(name: str) -> bool:
    return name in FIELD_BY_NAME


def normalise_header(name: object) -> str:
    """Header as the schema spells it: trimmed, lower case, spaces and hyphens as underscores."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())
