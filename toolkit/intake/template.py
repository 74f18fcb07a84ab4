"""``toolkit template``: an Excel workbook pre-populated with a school's pupils, one column per subject in a fixed
order, a drop-down of the allowed results on every result cell, and a Guidance sheet (seed 002)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from toolkit.inputs import layout, outputs
from toolkit.inputs.cells import inert
from toolkit.inputs.layout import ABOUT, GUIDANCE, LISTS, RESULTS, fingerprint

SPARE_ROWS = 200  # rows with drop-downs below the pupils, for pupils the school adds


def _dob(value) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")


def write_template(school: dict, pupils: pd.DataFrame, keystage: str, out: Path) -> Path:
    """Write the template for ``keystage`` with ``pupils`` (those of the school in the key stage's year group)."""
    subjects = layout.subjects(keystage)
    wb = Workbook()
    wb.properties.creator = f"{outputs.WORKBOOK_CREATOR}: results template"  # outputs.owned reads it
    ws = wb.active
    ws.title = RESULTS
    header = layout.columns(keystage)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8F1F8")
    for p in pupils.itertuples():
        ws.append(
            [
                inert(v)
                for v in [
                    school.get("school_name", ""),
                    str(school["school_id"]),
                    keystage.upper().replace("KS", ""),
                    layout.year_of(keystage),
                    p.upn,
                    p.forename,
                    p.surname,
                    _dob(p.dob),
                ]
            ]
            + [None] * len(subjects)
        )
    # Drop-downs: each subject's allowed results listed in a hidden sheet, referenced by a list validation.
    lists = wb.create_sheet(LISTS)
    first = len(layout.pupil_columns()) + 1
    last_row = ws.max_row + SPARE_ROWS
    for j, subject in enumerate(subjects):
        letter = get_column_letter(j + 1)
        values = subject.allowed()
        for i, v in enumerate(values, start=1):
            lists.cell(row=i, column=j + 1, value=v).data_type = "s"
        dv = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(LISTS)}!${letter}$1:${letter}${len(values)}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Not an allowed result",
            error=f"{subject.column}: choose one of the allowed results (see the Guidance sheet)",
        )
        col = get_column_letter(first + j)
        dv.add(f"{col}2:{col}{last_row}")
        ws.add_data_validation(dv)
    lists.sheet_state = "hidden"
    for j, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(12, len(name) + 2)
    ws.freeze_panes = "E2"

    guide = wb.create_sheet(GUIDANCE)
    guide.append(["Guidance"])
    guide["A1"].font = Font(bold=True, size=14)
    rules = [
        "Enter one result per pupil and subject; leave a cell blank if there is no result (blank means 'not entered').",
        "Do NOT delete, re-order, rename or add subject columns.",
        "You CAN add, delete and edit pupils: each needs Organisation, School DFE (7 digits), Key stage, Year, UPN, "
        "Forename, Surname and Date of birth (DD/MM/YYYY).",
        "Use U for ungraded (not F or X).",
        "Save as .xlsx and upload with: toolkit upload FILE.xlsx --by YOUR-NAME",
    ]
    for r in rules:
        guide.append([r])
    guide.append([])
    guide.append(["Subject", "Allowed results"])
    guide.cell(row=guide.max_row, column=1).font = Font(bold=True)
    for s in subjects:
        guide.append([s.column, ", ".join(s.allowed())])
    guide.column_dimensions["A"].width = 40
    guide.column_dimensions["B"].width = 100

    about = wb.create_sheet(ABOUT)
    blank = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    about["A1"] = json.dumps(
        {
            "keystage": keystage,
            "school_id": str(school["school_id"]),
            "pupils": len(pupils),
            "blank_fingerprint": fingerprint(blank),
        }
    )
    about.sheet_state = "hidden"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
