"""Load pupil tables from CSV, XLSX or Parquet, with one report naming file, row and column for every problem.

Nothing is dropped or coerced silently: a file with any problem raises ``PupilDataError`` listing all of them,
grouped by kind as in FFT's upload messages (seed 002), e.g.
``UPN must be 13 characters long. Column: upn. Rows: 6, 14``. Row numbers are spreadsheet rows (the header is row 1).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd

from toolkit.inputs import schema
from toolkit.inputs.problems import Problem, PupilDataError

BOOL_COLUMNS = ("fsm", "fsm6", "eal", "target_reviewed", "ks2_english_level6", "ks2_maths_level6")
CODE_COLUMNS_UPPER = ("gender", "sen", "upn")


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV, XLSX or Parquet file with every cell as text (blank cells as <NA>), headers as written."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    empty = PupilDataError(path, [Problem("The file is empty: it has no header row and no pupils")])
    try:
        if suffix == ".csv":
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", header=None)
        elif suffix in (".xlsx", ".xlsm"):
            raw = pd.read_excel(path, dtype=str, keep_default_na=False, header=None)
        elif suffix == ".parquet":
            raw = None
            frame = pd.read_parquet(path)
        else:
            raise PupilDataError(path, [Problem(f"Unsupported file type '{suffix}': use .csv, .xlsx or .parquet")])
    except pd.errors.EmptyDataError:
        raise empty from None
    if raw is not None:
        # Headers read as a row, so repeated names stay visible (pandas would rename them 'name.1').
        if raw.empty:
            raise empty
        frame = raw.iloc[1:].reset_index(drop=True)
        frame.columns = [str(h) for h in raw.iloc[0]]
    frame = frame.astype("string")
    return frame.apply(lambda col: col.str.strip().replace("", pd.NA))


def read_normalised(path: Path | str) -> pd.DataFrame:
    """``read_table`` with headers as the schema spells them (``schema.normalise_header``)."""
    frame = read_table(path)
    frame.columns = [schema.normalise_header(c) for c in frame.columns]
    return frame


def read_long_table(path: Path | str, required: tuple[str, ...], what: str) -> pd.DataFrame:
    """``read_normalised`` for a long table (entries, grades, judgements, counts); raises ``PupilDataError`` at once
    when it has no rows (``what``: "grades" ...) or its headers are repeated or lack a ``required`` column."""
    frame = read_normalised(path)
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
    return to_types(frame)
