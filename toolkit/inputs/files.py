"""What a file given to the toolkit really is, read as the person sees it: every CSV, XLSX or Parquet file becomes a
grid of text cells whose index is the spreadsheet row the person sees, minus 2 (``rules.spreadsheet_rows``), or a
``PupilDataError`` saying in one sentence what is wrong with the file.

- CSV in any encoding: UTF-8 (with or without a byte-order mark) first, else the encoding charset-normalizer
  detects (Windows-1252 exports keep Zoë and Siân), with a notice naming it; comma-, semicolon- or tab-separated.
- Binary files, images, PDFs, zips and workbooks renamed ``.csv``; corrupt, password-protected or old ``.xls``
  workbooks; a zip that is not a workbook: each named.
- Workbooks whose cells hold formulas without saved values (written by a program that does not calculate).
- The header row found where it is (below a title, on another sheet), or the places looked at named.
- Blank lines never shift a row number: the row a problem names is the row in the spreadsheet or editor.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.inputs.problems import Problem, PupilDataError

HEADER_SEARCH_ROWS = 20  # rows of a sheet looked at for the header row
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or password-protected workbook",
    b"PK\x03\x04": "a zip file or an Excel workbook",
}


@dataclass
class Cells:
    """A file's cells as text (header row first, ``index`` = file row - 1), where they came from and notices."""

    raw: pd.DataFrame
    where: str = ""  # "sheet 'Pupils'" for a workbook's second sheet, else ""
    notices: list[str] = field(default_factory=list)
    separator: str = ","  # of a CSV file


def _refuse(path: Path, sentence: str) -> PupilDataError:
    return PupilDataError(path, [Problem(sentence)])


def _kind(head: bytes) -> str | None:
    return next((name for magic, name in MAGIC.items() if head.startswith(magic)), None)


def _utf16_without_bom(data: bytes) -> tuple[str, list[str]] | None:
    """UTF-16 text written without a byte-order mark (some exports do): plain text has a NUL byte beside every
    ASCII character, always on the same side."""
    head = data[:4096]
    if len(head) < 4 or len(head) % 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    for nuls, other, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if nuls >= 0.9 * (len(head) // 2) and other == 0:
            try:
                return data.decode(encoding), [f"read as UTF-16 text without a byte-order mark ({encoding})"]
            except UnicodeDecodeError:
                return None
    return None


def decode(path: Path, data: bytes) -> tuple[str, list[str]]:
    """The text of a CSV file and the notices about how it was read."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), ["read as UTF-16 text"]
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    if b"\x00" not in data[:4096]:
        try:  # Windows-1252 first: what English schools' management systems and Excel export
            text = data.decode("cp1252")
            if not any("\x80" <= ch <= "\x9f" for ch in text):
                return text, ["read as Windows-1252 text (not UTF-8); check accented names such as Zoë"]
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or b"\x00" in data[:4096]:
        raise _refuse(path, "The file is not text: it looks like a binary file; export the data as CSV or XLSX")
    return str(best), [f"read as {best.encoding} text (not UTF-8); check accented names such as Zoë"]


def separator(text: str) -> str:
    """The separator of the first non-blank line: the commonest of comma, semicolon and tab (comma on a tie)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda s: (counts[s], s == ","))
    return best if counts[best] else ","


def csv_cells(path: Path) -> Cells:
    data = path.read_bytes()
    kind = _kind(data[:8])
    if kind:
        raise _refuse(path, f"The file is named .csv but is {kind}: export the data as CSV (or give the .xlsx itself)")
    text, notices = decode(path, data)
    if not text.strip():
        return Cells(pd.DataFrame(), notices=notices)
    sep = separator(text)
    if sep != ",":
        notices.append(f"read as {SEPARATORS[sep]}-separated values")
    return Cells(_grid(text, sep), notices=notices, separator=sep)


def _grid(text: str, sep: str) -> pd.DataFrame:
    """The CSV's cells as text, one row per line (blank lines kept, short rows padded with ""), columns 0, 1, ...

    pandas' C reader does it in one pass; a row wider than the first (or a blank first line, which it refuses) is read
    by the csv module, which gives the same cells."""
    try:
        raw = pd.read_csv(
            io.StringIO(text), sep=sep, header=None, dtype=object, na_filter=False, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
        width = max(len(r) for r in rows)
        raw = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    return raw.fillna("")


def not_a_workbook(path: Path) -> str | None:
    """The sentence for a file named .xlsx that is no workbook at all (an image, an old .xls ...), else None."""
    head = path.read_bytes()[:8]
    if head.startswith(b"PK\x03\x04"):
        return None
    kind = _kind(head) or "not a workbook"
    return f"The file is named {path.suffix} but is {kind}: save it again as .xlsx or export CSV"


DAMAGED = "The workbook cannot be opened: it is damaged, truncated or a zip that is not a workbook"


def workbook_cells(path: Path, expected: tuple[str, ...]) -> Cells:
    """The first sheet whose first rows hold the header (``expected`` column names), else the first sheet."""
    sentence = not_a_workbook(path)
    if sentence:
        raise _refuse(path, sentence)
    try:
        sheets = pd.read_excel(path, dtype=str, keep_default_na=False, header=None, sheet_name=None)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        if "encrypted" in str(err).lower() or "password" in str(err).lower():
            raise _refuse(path, "The workbook is password-protected: remove the password or export CSV") from None
        raise _refuse(path, DAMAGED) from None
    if not sheets:
        return Cells(pd.DataFrame())
    hidden = hidden_sheets(path)
    names = [n for n in sheets if n not in hidden] or list(sheets)  # a hidden sheet is read only if all are
    chosen = next((n for n in names if header_row(sheets[n], expected) is not None), names[0])
    cells = Cells(sheets[chosen], where="" if chosen == list(sheets)[0] else f"sheet '{chosen}'")
    if cells.where:
        cells.notices.append(f"read from {cells.where} (the first sheet has no header row with {expected[0]})")
    skipped = [n for n in sheets if n in hidden and n != chosen]
    if skipped:
        cells.notices.append(f"hidden sheet{'s' if len(skipped) > 1 else ''} {', '.join(map(repr, skipped))} not read")
    missing, errors = unusable_cells(path, chosen, sheets[chosen])
    problems = []
    if missing:
        problems.append(
            Problem(
                "Cells hold formulas without saved values (the program that wrote the workbook did not "
                "calculate them): open and save it in Excel or LibreOffice, or export CSV",
                None,
                missing[:20],
            )
        )
    if errors:
        problems.append(
            Problem(
                "Cells hold Excel errors (such as #N/A or #VALUE!) where a value should be: correct or clear them "
                "(read as blank, those results would be lost)",
                None,
                sorted(errors)[:20],
                [f"row {r}: {', '.join(sorted(set(v)))}" for r, v in sorted(errors.items())[:5]],
            )
        )
    if problems:
        raise PupilDataError(path, problems)
    return cells


def hidden_sheets(path: Path) -> set[str]:
    """The names of a workbook's hidden sheets (a hidden sheet often holds last year's pupils or a lookup list)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return {ws.title for ws in book.worksheets if ws.sheet_state != "visible"}
    finally:
        book.close()


def unusable_cells(path: Path, sheet: str, values: pd.DataFrame) -> tuple[list[int], dict[int, list[str]]]:
    """Spreadsheet rows of ``sheet`` with a formula whose saved value is empty, and rows with Excel error values
    (#N/A, #VALUE! ...: pandas reads them as blank) with the errors found, in one pass over the sheet."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=False)
    rows, errors = set(), {}
    try:
        for row in book[sheet].iter_rows():
            for cell in row:
                kind = getattr(cell, "data_type", None)
                if kind == "f":
                    r, c = cell.row - 1, cell.column - 1
                    if r >= len(values) or c >= values.shape[1] or values.iat[r, c] in ("", None):
                        rows.add(cell.row)
                elif kind == "e":
                    errors.setdefault(cell.row, []).append(str(cell.value))
    finally:
        book.close()
    return sorted(rows), errors


def header_row(raw: pd.DataFrame, expected: tuple[str, ...]) -> int | None:
    """The first of the first ``HEADER_SEARCH_ROWS`` rows holding an ``expected`` column name (as normalised)."""
    from toolkit.inputs.schema import normalise_header

    if not expected:
        return 0 if len(raw) else None
    wanted = set(expected)
    for i in range(min(HEADER_SEARCH_ROWS, len(raw))):
        if wanted & {normalise_header(v) for v in raw.iloc[i] if str(v).strip()}:
            return i
    return None


def _filled(frame: pd.DataFrame) -> np.ndarray:
    """Which cells hold more than blanks (rows x columns), a column at a time."""
    columns = [frame.iloc[:, i].astype(str).str.strip().ne("").to_numpy(dtype=bool) for i in range(frame.shape[1])]
    return np.column_stack(columns) if columns else np.zeros(frame.shape, dtype=bool)


def cells(path: Path | str, expected: tuple[str, ...] = ()) -> tuple[pd.DataFrame, list[str]]:
    """A file's table of text cells (headers as written, blank rows left out, index = spreadsheet row - 2) and the
    notices about how it was read. ``expected``: column names whose presence marks the header row."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        found = csv_cells(path)
    elif suffix in (".xlsx", ".xlsm"):
        found = workbook_cells(path, expected)
    else:
        raise _refuse(path, f"Unsupported file type '{suffix}': use .csv, .xlsx or .parquet")
    raw = found.raw
    if raw.empty or not _filled(raw).any():
        raise _refuse(path, "The file is empty: it has no header row and no pupils")
    top = header_row(raw, expected)
    if top is None:
        top = next(i for i in range(len(raw)) if any(str(v).strip() for v in raw.iloc[i]))
    elif top > 0 and any(str(v).strip() for v in raw.iloc[:top].to_numpy().ravel()):
        found.notices.append(f"the header row is row {top + 1}{' of ' + found.where if found.where else ''}")
    header = [str(h).strip() for h in raw.iloc[top]]
    body = raw.iloc[top + 1 :]
    body = body[_filled(body).any(axis=1)]  # blank lines are not pupils
    body.index = body.index - 1  # file row r (0-based index r) is spreadsheet row r + 1 = label + 2
    body.columns = header
    unnamed = [i for i, h in enumerate(header) if not h]
    if unnamed:
        filled = _filled(body.iloc[:, unnamed]).any(axis=1)
        if filled.any():
            from toolkit.inputs.rules import spreadsheet_rows

            raise PupilDataError(
                path,
                [
                    Problem(
                        "Values in a column with no header (more cells than the header row; a value with a "
                        f"{SEPARATORS[found.separator]} in it needs quotes)",
                        None,
                        spreadsheet_rows(body.index[filled]),
                    )
                ],
            )
        body = body.drop(columns=body.columns[unnamed])
    return body, found.notices
