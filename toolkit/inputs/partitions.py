"""Input tables partitioned by school, for inputs larger than one machine's memory.

Any school data file with a ``school_id`` column (``pupils``, ``ks2_<year>``, ``tracking`` ...) may be given as a
Parquet dataset instead of a CSV file: a folder ``<name>.parquet/`` holding one folder per school,
``school_id=<DfE number>/`` (hive partitioning, as ``pandas.to_parquet(partition_cols=["school_id"])``, Spark and
Dask write it), each holding one or more Parquet files of that school's rows. ``toolkit partition`` makes such a
data folder from an ordinary one.

A run reads only the folders of the schools it prepares, so a worker holds its own schools' rows, never the whole
country's. The folders read are checked together, as one file would be; a problem is named by the school's folder
and its row there (its Parquet files in name order, the first row being row 2 as in a spreadsheet with its header).
A pupil listed in two schools' folders is found where both are read together (every school on one machine), not by
two workers that each read one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.schema import normalise_header

KEY = "school_id"
SUFFIX = ".parquet"
#: The data folder's one-file tables a school may have (``<name>.csv`` or ``.parquet``), beside the pupils and yearly ones.
OPTIONAL = (
    "tracking",
    "subject_judgements",
    "subject_counts",
    "ks4_targets",
    "attendance",
    "attendance_marks",
    "statutory_checks",
    "suspensions",
)
#: the school data files that may be partitioned (every one with a school_id column; ``<stem>_<year>`` for some)
PARTITIONED = ("pupils", "ks2", "ks2_levels", "ks5", "ks4", "gcse", *OPTIONAL)
YEARLY = ("ks2", "ks2_levels", "ks5", "ks4", "gcse")  # named <stem>_<year>


def is_dataset(path: Path) -> bool:
    """A folder named ``<name>.parquet``: a table partitioned by school."""
    return path.suffix.lower() == SUFFIX and path.is_dir()


def is_part(path: Path) -> bool:
    """One school's folder of a partitioned table (``<name>.parquet/school_id=<id>/``)."""
    return path.is_dir() and path.name.startswith(f"{KEY}=") and is_dataset(path.parent)


def parts(path: Path) -> dict[str, Path]:
    """school_id -> its folder, for every school in the partitioned table ``path``."""
    found = {p.name.split("=", 1)[1]: p for p in sorted(path.iterdir()) if p.is_dir() and p.name.startswith(f"{KEY}=")}
    if not found:
        raise PupilDataError(
            path,
            [Problem(f"This Parquet folder has no school folders ({KEY}=<DfE number>/): see docs/report_pack.md")],
        )
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob(f"*{SUFFIX}") if p.is_file())


def _arrow_part(path: Path):
    """One school's folder as an Arrow table (its files in name order), ``school_id`` from the folder name where the
    files lack it."""
    files = _files(path)
    if not files:
        raise PupilDataError(path, [Problem("The school's folder holds no Parquet file")])
    try:
        table = pa.concat_tables([_as_text(pq.read_table(f)) for f in files], promote_options="default")
    except Exception:  # pyarrow raises several kinds for a file that is not Parquet
        raise PupilDataError(
            path, [Problem("A file here is not a readable Parquet file (damaged or renamed)")]
        ) from None
    if KEY not in table.column_names:
        table = table.add_column(0, KEY, pa.array([path.name.split("=", 1)[1]] * len(table), pa.string()))
    return table


def _as_text(table):
    """Every column as text, as every input is read (``load.read_table``): school folders written by different
    programs may type one column differently (a year as numbers in one, as text in another)."""
    return table.cast(pa.schema([pa.field(f.name, pa.string()) for f in table.schema]))


def _frame(tables: list) -> pd.DataFrame:
    """Arrow tables one after another as one frame, each column in one piece (a take from a column in many
    pieces costs more with every piece)."""
    return pa.concat_tables(tables, promote_options="default").combine_chunks().to_pandas()


def read_part(path: Path) -> pd.DataFrame:
    """One school's rows of a partitioned table."""
    return _frame([_arrow_part(path)])


_CHOSEN: ContextVar[list[str] | None] = ContextVar("chosen_schools", default=None)  # set by ``by_school``


def chosen_parts(path: Path) -> list[Path]:
    """The folders of a partitioned table that ``by_school`` asked for (every one otherwise)."""
    found = parts(path)
    chosen = _CHOSEN.get()
    return [found[s] for s in (found if chosen is None else chosen) if s in found]


def read_parts(path: Path) -> pd.DataFrame:
    """The folders of a partitioned table that ``by_school`` asked for (every one otherwise), one after another."""
    found = parts(path)
    tables = [_arrow_part(folder) for folder in chosen_parts(path)]
    return _frame(tables) if tables else _no_rows(next(iter(found.values())))


def data_file(data: Path, name: str) -> Path | None:
    """A data folder's ``<name>.csv`` or ``<name>.parquet`` (a file, or a table partitioned by school); None where
    it has neither. Both at once are refused: which one counts would be a guess."""
    found = [data / f"{name}{ext}" for ext in (".csv", SUFFIX) if (data / f"{name}{ext}").exists()]
    if len(found) > 1:
        raise FileNotFoundError(f"{data}: both {found[0].name} and {found[1].name}; keep one")
    return found[0] if found else None


def only(frame: pd.DataFrame | None, ids: list[str]) -> pd.DataFrame | None:
    """The rows of ``frame`` of the schools ``ids`` (a frame without ``school_id`` as it is)."""
    if frame is None or KEY not in frame:
        return frame
    return frame[frame[KEY].astype("string").isin(ids)]


def by_school(load: Callable[[Path], pd.DataFrame], path: Path, ids: list[str] | None) -> pd.DataFrame:
    """``load`` (a loader: read, check, type) of the schools ``ids`` (default all) of ``path``: of a partitioned
    table only the folders asked for, read and checked together; any other file read whole and its rows of ``ids``
    kept. A problem is named by the school's folder and its row there."""
    if not is_dataset(path):
        frame = load(path)
        return frame if ids is None else only(frame, ids).reset_index(drop=True)
    found = parts(path)
    chosen = list(found) if ids is None else [s for s in ids if s in found]
    if not chosen:
        return _no_rows(next(iter(found.values())))
    token = _CHOSEN.set(chosen)
    try:
        return load(path).reset_index(drop=True)  # one read and one check for all the folders asked
    except PupilDataError as err:
        whole = err
    finally:
        _CHOSEN.reset(token)
    sizes = [len(load(found[s])) for s in chosen]  # the first folder with a problem of its own raises, by its rows
    raise _by_folder(whole, path, chosen, sizes)  # a problem across folders (a pupil in two schools)


def _by_folder(err: PupilDataError, path: Path, chosen: list[str], sizes: list[int]) -> PupilDataError:
    """``err`` (rows counted through the folders ``chosen`` read one after another) with each row named by its
    school's folder and its row there."""
    ends = np.cumsum(sizes)
    problems = []
    for problem in err.problems:
        by_part: dict[int, list[int]] = {}
        for row in problem.rows:
            part = int(np.searchsorted(ends, row - 2, side="right"))
            by_part.setdefault(part, []).append(row - int(ends[part] - sizes[part]))
        problems += [
            Problem(f"{problem.message} (in {KEY}={chosen[part]})", problem.column, rows)
            for part, rows in sorted(by_part.items())
        ] or [problem]
    return PupilDataError(path, problems)


def _no_rows(part: Path) -> pd.DataFrame:
    """A table with a school folder's columns (headers as the schema spells them) and no rows: what the schools
    asked have where none has a folder (no other school's rows are read or checked for it)."""
    files = _files(part)
    try:
        names = pq.read_schema(files[0]).names if files else [KEY]
    except Exception:  # not Parquet: said when that school's folder is read
        names = [KEY]
    return pd.DataFrame({normalise_header(n): pd.Series(dtype="string") for n in names})


def content_files(path: Path) -> list[Path]:
    """The files whose bytes make ``path``'s content: itself, or a partitioned table's Parquet files."""
    return _files(path) if path.is_dir() else [path]
