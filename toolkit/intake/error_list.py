"""The problems of a filled template as a spreadsheet beside it (``<name>_errors.xlsx``), safe to open."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from toolkit.inputs.results import Validation


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
        ws.append(
            [
                safe_cell(p.message),
                safe_cell(p.column or ""),
                ", ".join(map(str, p.rows)),
                safe_cell("; ".join(p.details)),
            ]
        )
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.data_type = "s"  # stored as text, never as a formula
    ws.column_dimensions["A"].width = 80
    ws.column_dimensions["D"].width = 60
    wb.save(out)
    return out
