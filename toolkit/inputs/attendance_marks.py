"""Daily register marks (``attendance_marks.csv`` or ``.parquet``, or a folder of Parquet files partitioned by
school): one row per pupil and session, aggregated into the attendance input's sessions per pupil and term with
Arrow's columnar group-by (no Python loop over marks: a trust's year is about 110 million).

Columns: ``upn, school_id, date`` (YYYY-MM-DD), ``session`` (AM or PM), ``mark`` (a register code of
``parameters/attendance/codes.csv``: /, \\, L, I, N ...). The term is the date's (``attendance.yaml`` ``term_months``:
September-December autumn, January-March spring, April-August summer, an approximation where Easter moves the
boundary), the academic year its summer. Marks that are not possible sessions (X, Y1-Y7, Z, #, D, Q) are counted
nowhere; an unknown mark, a bad date or session, or the same pupil and session twice is refused with the rows named.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv
import pyarrow.dataset as ds

from toolkit import parameters
from toolkit.inputs import partitions
from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.rules import spreadsheet_rows
from toolkit.scales.attendance_codes import codes, from_codes

COLUMNS = ("upn", "school_id", "date", "session", "mark")


def _table(path: Path) -> pa.Table:
    if partitions.is_dataset(path):  # a table partitioned by school: the schools asked for only (by_school)
        files = [f for folder in partitions.chosen_parts(path) for f in sorted(folder.glob("*.parquet"))]
        return ds.dataset(files, format="parquet").to_table()  # each file holds its own school_id column
    if path.is_dir() or path.suffix.lower() == ".parquet":
        return ds.dataset(path, format="parquet").to_table()
    return pa.csv.read_csv(path, convert_options=pa.csv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS}))


def _rows(mask: pa.ChunkedArray) -> list[int]:
    return spreadsheet_rows(pd.Index(pc.indices_nonzero(mask).to_numpy(zero_copy_only=False)))


def aggregate(table: pa.Table, path: Path | str = "marks") -> pd.DataFrame:
    """Sessions per pupil, school, academic year and term, by code (``code_<CODE>``) and category (possible, present,
    aea, authorised, unauthorised), from a table of marks; ``PupilDataError`` naming the rows of every problem."""

    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise PupilDataError(path, [Problem(f"Required column '{c}' is missing", c) for c in missing])
    table = table.select(list(COLUMNS)).cast(pa.schema([(c, pa.string()) for c in COLUMNS]))
    known = codes()
    problems = []
    mark = pc.utf8_upper(pc.utf8_trim_whitespace(table["mark"]))
    unknown = pc.invert(pc.is_in(mark, value_set=pa.array(known["code"].str.upper().tolist())))
    if pc.any(unknown).as_py():
        found = sorted(set(pc.filter(table["mark"], unknown).unique().to_pylist()) - {None})[:8]
        problems.append(
            Problem(
                f"Mark is not a register code of parameters/attendance/codes.csv (found: {', '.join(map(str, found))})",
                "mark",
                _rows(unknown),
            )
        )
    session = pc.utf8_upper(pc.utf8_trim_whitespace(table["session"]))
    bad_session = pc.invert(pc.is_in(session, value_set=pa.array(["AM", "PM"])))
    if pc.any(bad_session).as_py():
        problems.append(Problem("Session must be AM or PM", "session", _rows(bad_session)))
    dates = pc.strptime(table["date"], format="%Y-%m-%d", unit="s", error_is_null=True)
    bad_date = pc.is_null(dates)
    if pc.any(bad_date).as_py():
        problems.append(Problem("Date must be a date written YYYY-MM-DD", "date", _rows(bad_date)))
    if problems:
        raise PupilDataError(path, problems)
    month = pc.month(dates)
    year = pc.year(dates)
    months = parameters.load_yaml("attendance.yaml")["term_months"]
    term = pc.if_else(
        pc.is_in(month, value_set=pa.array(months["autumn"])),
        "autumn",
        pc.if_else(pc.is_in(month, value_set=pa.array(months["spring"])), "spring", "summer"),
    )
    academic_year = pc.add(year, pc.cast(pc.greater_equal(month, 9), pa.int32()))
    keyed = pa.table({"upn": table["upn"], "school_id": table["school_id"], "date": dates, "session": session})
    repeats = keyed.group_by(["upn", "date", "session"]).aggregate([("school_id", "count")])
    twice = pc.greater(repeats["school_id_count"], 1)
    if pc.any(twice).as_py():
        first = pc.filter(repeats, twice).slice(0, 3).to_pylist()
        raise PupilDataError(
            path,
            [
                Problem(
                    "A pupil has two marks for one session: one mark per pupil and session",
                    "mark",
                    details=[f"{r['upn']} {r['date']:%Y-%m-%d} {r['session']}" for r in first],
                )
            ],
        )
    counted = pa.table(
        {
            "upn": table["upn"],
            "school_id": table["school_id"],
            "academic_year": academic_year,
            "term": term,
            "mark": mark,
        }
    )
    groups = counted.group_by(["upn", "school_id", "academic_year", "term", "mark"]).aggregate([("mark", "count")])
    long = groups.to_pandas()
    wide = long.pivot_table(
        index=["upn", "school_id", "academic_year", "term"],
        columns="mark",
        values="mark_count",
        aggfunc="sum",
        fill_value=0,
    )
    wide.columns = [f"code_{c}" for c in wide.columns]
    not_counted = [
        f"code_{c}" for c in known.loc[known["category"] == "not_counted", "code"] if f"code_{c}" in wide.columns
    ]
    out = from_codes(wide.drop(columns=not_counted).reset_index())
    return out.astype(
        {
            c: int
            for c in out.columns
            if c.startswith("code_") or c in ("possible", "present", "aea", "authorised", "unauthorised")
        }
    )


def load_marks(path: Path | str) -> pd.DataFrame:
    """Daily marks from a CSV, a Parquet file or a folder of Parquet files, aggregated (``aggregate``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    return aggregate(_table(path), path)
