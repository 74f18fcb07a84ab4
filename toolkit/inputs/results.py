"""``toolkit validate``: check a filled template and list every problem the way seed 002 shows them, grouped by
kind with all their rows ("Surname must have a value. Column: Surname. Row: 10"), and write them as an error-list
spreadsheet beside the file. Blank result cells mean "not entered", not an error."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from toolkit.inputs import files, layout
from toolkit.inputs.entries import dfe_number_rule, upn_rule, valid_upn
from toolkit.inputs.layout import ABOUT, RESULTS, fingerprint
from toolkit.inputs.problems import Problem
from toolkit.inputs.rules import Rule, TableRules
from toolkit.scales.identifiers import normalise_upn, upn_reason

UPN_MESSAGE = "UPN must start with a letter, followed by 11 digits, and end with a letter or digit"


@dataclass
class Validation:
    file: Path
    keystage: str | None
    school_id: str | None
    problems: list[Problem] = field(default_factory=list)
    results: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per pupil, template column names

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def pupils(self) -> int:
        return len(self.results)

    def report(self) -> str:
        if self.ok:
            return f"{self.file}: {self.pupils} pupils, no problems found."
        lines = [
            f"{self.file}: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} found; "
            "nothing was accepted."
        ]
        return "\n".join(lines + [f"  - {p}" for p in self.problems])


class _Collector:
    """Problems grouped by (message, column), rows kept in order."""

    def __init__(self):
        self.groups: dict[tuple[str, str | None], Problem] = {}

    def add(self, message: str, column: str | None, row: int | None = None, detail: str | None = None) -> None:
        p = self.groups.setdefault((message, column), Problem(message, column))
        if row is not None and row not in p.rows:
            p.rows.append(row)
        if detail and len(p.details) < 5:
            p.details.append(detail)

    def problems(self) -> list[Problem]:
        return list(self.groups.values())


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.strftime("%d/%m/%Y")
    return str(value).strip()


def _header_problems(found: list[str], expected: list[str], out: _Collector) -> None:
    missing = [c for c in expected if c not in found]
    added = [c for c in found if c not in expected]
    renamed = set()
    for m in missing:
        i = expected.index(m)
        if i < len(found) and found[i] in added:
            out.add(f"Column renamed: '{found[i]}' should be '{m}'; do not rename columns", found[i])
            renamed |= {m, found[i]}
    for m in missing:
        if m not in renamed:
            out.add(f"Column removed: '{m}' is missing; do not delete columns", m)
    for a in added:
        if a not in renamed:
            out.add(f"Column added: '{a}' is not in the template; do not add columns", a)
    if not missing and not added and found != expected:
        out.add("Columns re-ordered: keep the template's order (" + ", ".join(expected) + ")", None)


def _rows_entered(header: list[str], body: list[list]) -> pd.DataFrame:
    """The template's pupil rows as text (blank cells ""), indexed by spreadsheet row - 2; empty rows left out."""
    rows = {i: dict(zip(header, (_text(v) for v in raw))) for i, raw in enumerate(body)}
    frame = pd.DataFrame.from_dict(
        {i: r for i, r in rows.items() if any(r.values())}, orient="index", columns=header, dtype="string"
    )
    return frame.fillna("")


def _upn_message(upn: str) -> tuple[str, None]:
    reason = upn_reason(upn)[0]
    return (reason if reason.startswith(("Wrong check letter", "UPN must have")) else UPN_MESSAGE), None


def _readable_date(values: pd.Series) -> pd.Series:
    def ok(text: str) -> bool:
        try:
            return bool(text) and pd.to_datetime(text, dayfirst=True, errors="raise") is not None
        except (ValueError, TypeError):
            return False

    return values.map({v: ok(v) for v in values.unique()}).astype(bool)


def _result_rules(subject: layout.Subject) -> list[Rule]:
    allowed = set(subject.allowed())
    upper = {a.upper() for a in allowed}

    def fine(frame: pd.DataFrame) -> pd.Series:
        v = frame[subject.column]
        return (v == "") | v.isin(allowed) | v.str.upper().isin(upper)

    def lookalike(frame: pd.DataFrame) -> pd.Series:
        return frame[subject.column].str.upper().isin(layout.UNGRADED_LOOKALIKES) & ("U" in allowed)

    return [
        Rule(subject.column, "Use U for ungraded, not F or X", lambda f: fine(f) | ~lookalike(f)),
        Rule(
            subject.column,
            f"Result not allowed for {subject.kind.replace('_', ' ')}: see the Guidance sheet",
            lambda f: fine(f) | lookalike(f),
            detail=lambda row, value: f"row {row}: '{value}'",
            max_details=5,
        ),
    ]


def other_school_problems(frame: pd.DataFrame, about: dict) -> list[Problem]:
    """Rows naming another school than the template's (its About sheet, else the commonest School DFE): a school's
    upload never carries another school's pupils."""
    if "School DFE" not in frame or frame.empty:
        return []
    named = frame["School DFE"].where(frame["School DFE"] != "")
    school = str(about.get("school_id") or (named.mode().iloc[0] if named.notna().any() else ""))
    if not school:
        return []
    other = named.notna() & (named != school)
    return TableRules(
        "results template",
        [
            Rule(
                "School DFE",
                f"Row belongs to another school: this template is for school {school}; give those pupils' results "
                "in their own school's template",
                lambda f: ~other.reindex(f.index, fill_value=False),
                found=True,
            )
        ],
    ).problems(frame)


def template_rules(keystage: str) -> TableRules:
    """A filled results template's rules (seed 002's messages), for its pupil rows as text."""
    stage, year = keystage.upper().replace("KS", ""), str(layout.year_of(keystage))
    return TableRules(
        f"{keystage.upper()} results template",
        [
            dfe_number_rule("School DFE", detail=lambda row, value: value or "blank", max_details=5),
            upn_rule("UPN", explain=_upn_message),
            Rule(
                "UPN",
                "Pupil appears more than once (same UPN)",
                lambda f: ~(valid_upn(f, "UPN") & f["UPN"].str.upper().duplicated(keep=False)),
            ),
            *(
                Rule(col, f"{col} must have a value", lambda f, col=col: f[col] != "")
                for col in ("Forename", "Surname", "Organisation")
            ),
            Rule("Key stage", f"Key stage must be {stage} in this template", lambda f: f["Key stage"] == stage),
            Rule("Year", f"Year must be {year} in this template", lambda f: f["Year"] == year),
            Rule(
                "Date of birth",
                "Date of birth must be a date (DD/MM/YYYY)",
                lambda f: _readable_date(f["Date of birth"]),
            ),
            *(rule for subject in layout.subjects(keystage) for rule in _result_rules(subject)),
        ],
    )


def _read_sheet(path: Path) -> tuple[dict, list[list]] | Problem:
    """The template's About data and its Results rows (a cached value, else the formula), or what stops reading."""
    if not path.is_file():
        return Problem("No such file" if not path.exists() else "This is a folder, not a file: give the template")
    sentence = files.not_a_workbook(path)
    if sentence:
        return Problem(sentence)
    try:
        wb = load_workbook(path, data_only=True)  # values as last calculated
        formulas = load_workbook(path)  # and formulas, for cells never calculated
    except Exception:  # openpyxl raises many kinds for a damaged file
        return Problem(files.DAMAGED)
    if RESULTS not in wb.sheetnames:
        return Problem(f"No '{RESULTS}' sheet: upload the template you downloaded")
    try:
        about = json.loads(wb[ABOUT]["A1"].value) if ABOUT in wb.sheetnames and wb[ABOUT]["A1"].value else {}
    except (ValueError, TypeError):  # the About sheet was edited: recognise the template by its columns instead
        about = {}
    about = about if isinstance(about, dict) else {}
    rows = [
        [v if v is not None else f for v, f in zip(rv, rf)]
        for rv, rf in zip(wb[RESULTS].iter_rows(values_only=True), formulas[RESULTS].iter_rows(values_only=True))
    ]
    return about, rows


def _structure_problems(header: list[str], body: list[list], keystage: str, about: dict) -> list[Problem]:
    """Columns added, removed, renamed or re-ordered, and a blank template sent back unchanged."""
    out = _Collector()
    _header_problems(header, layout.columns(keystage), out)
    if about.get("blank_fingerprint") and fingerprint(body) == about["blank_fingerprint"]:
        out.add("This is the blank template, unchanged: no results have been entered", None)
    return out.problems()


def validate(path: Path | str) -> Validation:
    """Check a filled results template; never raises for bad content (it is all in ``problems``)."""
    path = Path(path)
    read = _read_sheet(path)
    if isinstance(read, Problem):
        return Validation(path, None, None, [read])
    about, rows = read
    keystage = about.get("keystage")
    if not rows:
        return Validation(path, keystage, None, [Problem("The file is empty: it has no header row and no pupils")])
    header = [_text(v) for v in rows[0]]
    while header and header[-1] == "":
        header.pop()
    if keystage is None:  # a template whose About sheet was lost: recognise it by its subject columns
        keystage = next((k for k in layout.KEYSTAGES if set(layout.columns(k)) <= set(header)), None)
    if keystage is None:
        return Validation(
            path,
            None,
            None,
            [
                Problem(
                    "Not a results template: the columns match no key stage's "
                    "template (" + ", ".join(layout.KEYSTAGES) + ")"
                )
            ],
        )
    body = [r[: len(header)] + [None] * (len(header) - len(r)) for r in rows[1:]]
    problems = _structure_problems(header, body, keystage, about)
    if problems:  # columns wrong or nothing entered: row checks would only add noise
        return Validation(path, keystage, about.get("school_id"), problems)
    frame = _rows_entered(header, body)
    if "UPN" in frame:
        frame["UPN"] = normalise_upn(frame["UPN"])  # the same pupil with a space is the same pupil
    problems = template_rules(keystage).problems(frame) + other_school_problems(frame, about)
    if frame.empty:
        problems.append(Problem("No pupils: the Results sheet has no pupil rows", None))
    results = frame.assign(row=frame.index.astype(int) + 2).reset_index(drop=True)
    for col in (s.column for s in layout.subjects(keystage)):
        results[col] = results[col].str.upper().where(results[col] != "")
    school_id = about.get("school_id") or (results["School DFE"].iloc[0] if len(results) else None)
    return Validation(path, keystage, school_id, problems, results)
