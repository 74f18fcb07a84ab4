"""The problems of a filled template as a spreadsheet beside it (``<name>_errors.xlsx``), safe to open."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from toolkit.inputs import outputs
from toolkit.inputs.cells import inert
from toolkit.inputs.results import Validation

KIND = "error list"


def write_error_list(validation: Validation, out: Path | None = None) -> Path:
    """The problems as a spreadsheet beside the file (``<name>_errors.xlsx``)."""
    out = out or validation.file.with_name(validation.file.stem + "_errors.xlsx")
    outputs.output_file(out, KIND, ".xlsx", option="the error list")  # never over a workbook of the user's
    wb = Workbook()
    wb.properties.creator = f"{outputs.WORKBOOK_CREATOR}: {KIND}"
    ws = wb.active
    ws.title = "Errors"
    ws.append(["Problem", "Column", "Rows", "Details"])
    for p in validation.problems:
        ws.append(
            [
                inert(p.message),
                inert(p.column or ""),
                ", ".join(map(str, p.rows)),
                inert("; ".join(p.details)),
            ]
        )
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # stored as text, never as a formula
    ws.column_dimensions["A"].width = 80
    ws.column_dimensions["D"].width = 60
    wb.save(out)
    return out
