"""Load pupil tables from CSV, XLSX or Parquet, with one report naming file, row and column for every problem.

Nothing is dropped or coerced silently: a file with any problem raises ``PupilDataError`` listing all of them,
grouped by kind as in FFT's upload messages (seed 002), e.g.
``UPN must be 13 characters long. Column: upn. Rows: 6, 14``. Row numbers are spreadsheet rows (the header is row 1).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from toolkit.inputs import files, partitions, schema
from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.rules import spreadsheet_rows
from toolkit.scales.identifiers import normalise_upn

BOOL_COLUMNS = ("fsm", "fsm6", "eal", "target_reviewed", "ks2_english_level6", "ks2_maths_level6")
CODE_COLUMNS_UPPER = ("gender", "sen", "upn")


def read_table(path: Path | str, expected: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet file (or a table partitioned by school, or one school's folder of it) with every
    cell as text (blank cells as <NA>), headers as written, the index the spreadsheet row minus 2
    (``toolkit.inputs.files``: encodings, separators, header row, blank lines; a sentence for a file that is not what
    its name says). How it was read is in ``frame.attrs["notices"]``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir() and not (partitions.is_part(path) or partitions.is_dataset(path)):
        raise PupilDataError(path, [Problem("This is a folder, not a file: give the pupil file inside it")])
    notices: list[str] = []
    if partitions.is_dataset(path):
        frame = partitions.read_parts(path)
    elif path.is_dir():
        frame = partitions.read_part(path)
    elif path.suffix.lower() == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception:  # pyarrow raises several kinds for a file that is not Parquet
            raise PupilDataError(
                path, [Problem("The file is not a readable Parquet file (damaged or renamed)")]
            ) from None
    else:
        frame, notices = files.cells(path, expected)
    frame = frame.astype("string")
    frame = frame.apply(lambda col: col.str.strip().replace("", pd.NA))
    frame.attrs["notices"] = notices
    return frame


#: A DfE number written with its LA and establishment parts apart: 925/2005, 925-2005, 925 2005.
DFE_NUMBER_APART = r"(\d{3})\s*[/\- ]\s*(\d{4})"


def normalise_school_ids(frame: pd.DataFrame, column: str = "school_id") -> pd.DataFrame:
    """DfE numbers written with a slash, hyphen or space between the LA and establishment parts (925/2005) written
    as the 7 digits every other file uses (9252005), with a notice naming the rows: otherwise those pupils would
    belong to no school of schools.csv."""
    if column not in frame.columns or frame.columns.tolist().count(column) != 1:
        return frame
    written = frame[column]
    apart = written.str.fullmatch(DFE_NUMBER_APART).fillna(False).astype(bool)
    if apart.any():
        frame[column] = written.where(~apart, written.str.replace(DFE_NUMBER_APART, r"\1\2", regex=True))
        rows = spreadsheet_rows(frame.index[apart])
        shown = ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more" if len(rows) > 20 else "")
        frame.attrs["notices"] = [
            *frame.attrs.get("notices", []),
            f"DfE numbers written with a / or - (such as 925/2005) read as 7 digits (9252005) (rows {shown})",
        ]
    return frame


def read_normalised(path: Path | str, expected: tuple[str, ...] = schema.REQUIRED) -> pd.DataFrame:
    """``read_table`` with headers as the schema spells them (``schema.normalise_header``) and UPNs written the one
    way (``identifiers.normalise_upn``: spaces out, upper case, with a notice naming the rows)."""
    frame = read_table(path, expected)
    frame.columns = [schema.normalise_header(c) for c in frame.columns]
    if "upn" in frame.columns and frame.columns.tolist().count("upn") == 1:
        written = frame["upn"]
        frame["upn"] = normalise_upn(written)
        changed = (frame["upn"] != written).fillna(False)
        if changed.any():
            rows = spreadsheet_rows(frame.index[changed])
            shown = ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more" if len(rows) > 20 else "")
            frame.attrs["notices"] = [
                *frame.attrs.get("notices", []),
                f"UPNs with spaces or lower-case letters written without spaces, in capitals (rows {shown})",
            ]
    return normalise_school_ids(frame)


def read_long_table(path: Path | str, required: tuple[str, ...], what: str) -> pd.DataFrame:
    """``read_normalised`` for a long table (entries, grades, judgements, counts); raises ``PupilDataError`` at once
    when it has no rows (``what``: "grades" ...) or its headers are repeated or lack a ``required`` column."""
    frame = read_normalised(path, required)
    if len(frame) == 0:
        raise PupilDataError(path, [Problem(f"The file has a header row but no {what}")])
    problems = header_problems(frame, required, known=lambda h: h in required)
    if problems:
        raise PupilDataError(path, problems)
    return frame


def header_problems(frame: pd.DataFrame, required=schema.REQUIRED, known=schema.is_known_column) -> list[Problem]:
    """Repeated headers, and ``required`` columns that are missing (with a hint when an unknown header is close)."""
    problems = []
    headers = list(frame.columns)
    seen: dict[str, int] = {}
    for h in headers:
        seen[h] = seen.get(h, 0) + 1
    for h, n in seen.items():
        if n > 1:
            problems.append(Problem(f"Column '{h}' appears {n} times: keep one", h))
    for name in required:
        if name not in seen:
            near = difflib.get_close_matches(name, [h for h in headers if not known(h)], n=1)
            hint = f"; is '{near[0]}' meant to be '{name}'?" if near else ""
            problems.append(Problem(f"Required column '{name}' is missing{hint}", name))
    return problems


def to_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Convert a checked text table to the pupil table's types (dates, integers, booleans, upper-case codes)."""
    out = frame.copy()
    for col in CODE_COLUMNS_UPPER:
        if col in out:
            out[col] = out[col].str.upper()
    out["dob"] = schema.parse_date(out["dob"])
    if "entry_date" in out:
        out["entry_date"] = schema.parse_date(out["entry_date"])
    out["year_group"] = out["year_group"].str.upper().map(schema.YEAR_GROUPS).astype("Int64")
    if "academic_year" in out:
        out["academic_year"] = pd.to_numeric(out["academic_year"]).astype("Int64")
    for col in BOOL_COLUMNS:
        if col in out:
            out[col] = schema.parse_bool(out[col])
    for col in ("ks4_aps", "ks2_english_mark", "ks2_maths_mark", "ks2_reading_mark"):
        if col in out:
            out[col] = pd.to_numeric(out[col]).astype(float)
    if "rba" in out:
        out["rba"] = pd.to_numeric(out["rba"]).astype("Int64")
    if "ks2_year" in out:
        out["ks2_year"] = pd.to_numeric(out["ks2_year"]).astype("Int64")
    for col in [c for c in out.columns if c.startswith(("ks1_", "ks2_", "target_")) and schema.is_known_column(c)]:
        if out[col].dtype == "string":
            out[col] = out[col].str.upper()
    for col in [c for c in out.columns if c.startswith("eyfs_")]:
        out[col] = out[col].str.lower().replace("a", "A")
    return out


def check_pupils(frame: pd.DataFrame) -> list[Problem]:
    """Every problem in a text pupil table (headers as the schema spells them); [] when it is usable."""
    if len(frame) == 0:
        return [Problem("The file has a header row but no pupils")]
    problems = header_problems(frame)
    if any("appears" in p.message for p in problems):
        return problems
    return problems + schema.pupil_rules(list(frame.columns)).problems(frame)


def load_pupils(path: Path | str) -> pd.DataFrame:
    """Read and check a pupil table (CSV, XLSX or Parquet); return it typed, with every column the file had.

    Columns are those of ``toolkit.inputs.schema.FIELDS`` (docs/data_model.md); unknown extra columns are kept as
    text. Raises ``PupilDataError`` naming file, row and column for every problem, and loads nothing then.
    """
    frame = read_normalised(path)
    problems = check_pupils(frame)
    if problems:
        raise PupilDataError(path, problems)
    typed = to_types(frame)
    typed.attrs["notices"] = list(frame.attrs.get("notices", []))
    return typed
