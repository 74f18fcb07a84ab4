"""A copy of a school data folder with every school data file partitioned by school (``toolkit partition``): the
layout ``toolkit.inputs.partitions`` reads, ``<name>.parquet/school_id=<id>/part-0.parquet``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

from toolkit.inputs import outputs
from toolkit.inputs.load import normalise_school_ids, read_table
from toolkit.inputs.partitions import KEY, PARTITIONED, SUFFIX, YEARLY
from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.rules import spreadsheet_rows
from toolkit.inputs.schema import normalise_header
from toolkit.scales.identifiers import names_a_folder, school_id_for_path


def write_partitioned(frame: pd.DataFrame, path: Path, source: Path | None = None) -> Path:
    """``frame`` (text cells, read from ``source``) as a partitioned table ``path``
    (``<name>.parquet/school_id=<id>/part-0.parquet``); rows without a school are refused by their row of ``source``,
    as nothing may be left out."""
    school = frame[KEY].astype("string").str.strip()
    blank = school.isna() | (school == "")
    if blank.any():
        rows = spreadsheet_rows(frame.index[blank])
        raise PupilDataError(source or path, [Problem("Rows without a school cannot be placed", KEY, rows)])
    bad = [i for i, s in school.items() if not names_a_folder(s)]
    if bad:
        raise PupilDataError(
            source or path,
            [
                Problem(
                    "school_id must be a 7-digit DfE number: it names the school's folder", KEY, spreadsheet_rows(bad)
                )
            ],
        )
    if path.exists():  # an earlier copy's table (the folder is this command's: ``outputs.output_folder``)
        shutil.rmtree(path)
    for school_id, rows in frame.groupby(school, sort=True):
        folder = path / f"{KEY}={school_id_for_path(school_id)}"
        folder.mkdir(parents=True)
        rows.astype("string").to_parquet(folder / f"part-0{SUFFIX}", index=False)  # school_id kept in its place
    return path


KIND = "partitioned copy"  # what partition_folder's output folder holds (``inputs.outputs``)


def partitionable(path: Path) -> bool:
    """A school data file that may be partitioned: ``<stem>.csv`` or ``<stem>_<year>.csv`` of ``PARTITIONED``."""
    stem = re.sub(r"_\d{4}$", "", path.stem)
    return (
        path.is_file()
        and path.suffix.lower() == ".csv"
        and stem in PARTITIONED
        and (stem != path.stem) == (stem in YEARLY)
    )


def partition_folder(data: Path, out: Path, say=print) -> list[Path]:
    """A copy of the school data folder ``data`` in ``out`` with every school data file partitioned by school
    (``<name>.parquet/school_id=<id>/part-0.parquet``, cells as text, headers as the schema spells them); every
    other file and folder copied as it is. Returns the tables written."""
    outputs.refuse_inputs([out], [data])  # not the data folder, nor a folder in it or around it
    out = outputs.output_folder(out, KIND)  # new, empty, or a partitioned copy made earlier
    outputs.mark(out, KIND)
    written = []
    for path in sorted(data.iterdir()):
        if partitionable(path):
            frame = read_table(path, ("upn", KEY))
            frame.columns = [normalise_header(c) for c in frame.columns]
            frame = normalise_school_ids(frame)
            if KEY not in frame:
                raise PupilDataError(path, [Problem(f"Required column '{KEY}' is missing: rows are placed by it", KEY)])
            written.append(write_partitioned(frame, out / f"{path.stem}{SUFFIX}", path))
            say(f"{path.name}: {len(frame):,} rows in {frame[KEY].nunique():,} school folders -> {written[-1].name}")
        elif path.is_dir():
            shutil.copytree(path, out / path.name, dirs_exist_ok=True)
        else:
            shutil.copy2(path, out / path.name)
    return written
