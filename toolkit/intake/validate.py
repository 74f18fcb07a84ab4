"""``toolkit validate``: check a filled template and list every problem the way seed 002 shows them, grouped by
kind with all their rows ("Surname must have a value. Column: Surname. Row: 10"), and write them as an error-list
spreadsheet beside the file. Blank result cells mean "not entered", not an error."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook

from toolkit.data.load import Problem
from toolkit.intake import layout
from toolkit.intake.template import ABOUT, RESULTS, fingerprint
from toolkit.scales.identifiers import upn_reason, validate_dfe_number

UPN_MESSAGE = "UPN must start with a letter, followed by 11 digits, and end with a letter or digit"


@dataclass
class Validation:
    file: Path
    keystage: str | None
    school_id: str | None
    problems: list[Problem] = field(default_factory=list)
    results: pd.DataFrame = field(default_factory=pd.DataFrame)     # one row per pupil, template column names

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def pupils(self) -> int:
        return len(self.results)

    def report(self) -> str:
        if self.ok:
            return f"{self.file}: {self.pupils} pupils, no problems found."
        lines = [f"{self.file}: {len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} found; "
                 "nothing was accepted."]
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


def validate(path: Path | str) -> Validation:
    """Check a filled results template; never raises for bad content (it is all in ``problems``)."""
    path = Path(path)
    out = _Collector()
    try:
        wb = load_workbook(path, data_only=True)               # values as last calculated
        formulas = load_workbook(path)                         # and formulas, for cells never calculated
    except Exception as err:
        return Validation(path, None, None, [Problem(f"Not an Excel workbook (.xlsx) the toolkit can read: {err}")])
    if RESULTS not in wb.sheetnames:
        return Validation(path, None, None, [Problem(f"No '{RESULTS}' sheet: upload the template you downloaded")])
    about = json.loads(wb[ABOUT]["A1"].value) if ABOUT in wb.sheetnames and wb[ABOUT]["A1"].value else {}
    keystage = about.get("keystage")
    ws = wb[RESULTS]
    rows = [[v if v is not None else f for v, f in zip(rv, rf)]
            for rv, rf in zip(ws.iter_rows(values_only=True), formulas[RESULTS].iter_rows(values_only=True))]
    if not rows:
        return Validation(path, keystage, None, [Problem("The file is empty: it has no header row and no pupils")])
    header = [_text(v) for v in rows[0]]
    while header and header[-1] == "":
        header.pop()
    if keystage is None:            # a template whose About sheet was lost: recognise it by its subject columns
        keystage = next((k for k in layout.KEYSTAGES if set(layout.columns(k)) <= set(header)), None)
    if keystage is None:
        return Validation(path, None, None, [Problem("Not a results template: the columns match no key stage's "
                                                     "template (" + ", ".join(layout.KEYSTAGES) + ")")])
    expected = layout.columns(keystage)
    _header_problems(header, expected, out)
    body = [r[:len(header)] + [None] * (len(header) - len(r)) for r in rows[1:]]
    if about.get("blank_fingerprint") and fingerprint(body) == about["blank_fingerprint"]:
        out.add("This is the blank template, unchanged: no results have been entered", None)
    if out.groups:                  # columns wrong or nothing entered: row checks would only add noise
        return Validation(path, keystage, about.get("school_id"), out.problems())

    subjects = {s.column: s for s in layout.subjects(keystage)}
    allowed = {c: set(s.allowed()) for c, s in subjects.items()}
    seen: dict[str, int] = {}
    records = []
    for number, raw in enumerate(body, start=2):
        cells = dict(zip(header, (_text(v) for v in raw)))
        if not any(cells.values()):
            continue                # an empty row
        if validate_dfe_number(cells["School DFE"]):
            out.add("Invalid DfE number", "School DFE", number, cells["School DFE"] or "blank")
        reason = upn_reason(cells["UPN"])
        if reason:
            message = reason[0] if reason[0].startswith(("Wrong check letter", "UPN must have")) else UPN_MESSAGE
            out.add(message, "UPN", number)
        elif cells["UPN"].upper() in seen:
            out.add("Pupil appears more than once (same UPN)", "UPN", seen[cells["UPN"].upper()])
            out.add("Pupil appears more than once (same UPN)", "UPN", number)
        else:
            seen[cells["UPN"].upper()] = number
        for col in ("Forename", "Surname", "Organisation"):
            if not cells[col]:
                out.add(f"{col} must have a value", col, number)
        if cells["Key stage"] != keystage.upper().replace("KS", ""):
            out.add(f"Key stage must be {keystage.upper().replace('KS', '')} in this template", "Key stage", number)
        if cells["Year"] != str(layout.year_of(keystage)):
            out.add(f"Year must be {layout.year_of(keystage)} in this template", "Year", number)
        try:
            dob = pd.to_datetime(cells["Date of birth"], dayfirst=True, errors="raise") if cells["Date of birth"] else None
        except (ValueError, TypeError):
            dob = None
        if dob is None:
            out.add("Date of birth must be a date (DD/MM/YYYY)", "Date of birth", number)
        for col, subject in subjects.items():
            value = cells[col]
            if value == "" or value in allowed[col]:
                continue
            if value.upper() in layout.UNGRADED_LOOKALIKES and "U" in allowed[col]:
                out.add("Use U for ungraded, not F or X", col, number)
            elif value.upper() in allowed[col]:
                continue
            else:
                out.add(f"Result not allowed for {subject.kind.replace('_', ' ')}: see the Guidance sheet", col,
                        number, f"row {number}: '{value}'")
        records.append({**cells, "row": number})
    if not records:
        out.add("No pupils: the Results sheet has no pupil rows", None)
    results = pd.DataFrame(records)
    if len(results):
        for col in subjects:
            results[col] = results[col].str.upper().where(results[col] != "")
    return Validation(path, keystage, about.get("school_id") or (results["School DFE"].iloc[0] if len(results) else None),
                      out.problems(), results)


def safe_cell(value):
    """Text that no spreadsheet will run as a formula: a leading =, +, - or @ gets a quote in front (OWASP)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_error_list(validation: Validation, out: Path | None = None) -> Path:
    """The problems as a spreadsheet beside the file (``<name>_errors.xlsx``)."""
    out = out or validation.file.with_name(validation.file.stem + "_errors.xlsx")
    wb = Workbook()
    ws = wb.active
    ws.title = "Errors"
    ws.append(["Problem", "Column", "Rows", "Details"])
    for p in validation.problems:
        ws.append([safe_cell(p.message), safe_cell(p.column or ""), ", ".join(map(str, p.rows)),
                   safe_cell("; ".join(p.details))])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"              # stored as text, never as a formula
    ws.column_dimensions["A"].width = 80
    ws.column_dimensions["D"].width = 60
    wb.save(out)
    return out
