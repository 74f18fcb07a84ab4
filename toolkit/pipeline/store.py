"""The prepared run on disk: the one reader and writer of its file names, for prepare, the report views, the
batch and the dashboard. A run folder holds::

    run.json                      {"format": FORMAT}: the layout version below
    prepare.json                  {"schools": {school_id: key}, "rows": ...}: the content key each slice was
                                  written with, and each input file's rows by school (pipeline.keys)
    national/national.json        reference file, year, size, national SDs (no pupils)
    national/<table>.parquet      headline, pag_means, ks5_attainment, ks5_bands
    national/models.pkl           the fitted estimate models (read by the dashboard, never shipped to a school)
    slices/<school_id>/school.json                    the school's facts and which reports its data supports
    slices/<school_id>/<table>.parquet                that school's pupils only (each declared by the stage
                                                      that makes it: ``declared``)

A run written with another ``FORMAT`` is refused with a sentence saying to prepare it again.
"""

from __future__ import annotations

import json
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from toolkit import locations
from toolkit.inputs.outputs import written_whole
from toolkit.pipeline.stages import declared_tables
from toolkit.scales.identifiers import school_id_for_path

FORMAT = 1


def declared(name: str) -> tuple[str, str]:
    """(what the slice table ``name`` holds, the stage that makes it), from the stages' declarations (a name with
    a year matches its ``<name>_<year>`` pattern); a ValueError naming the tables there are."""
    from_stages = {pattern: (what, stage) for pattern, what, stage in declared_tables()}
    for pattern, found in from_stages.items():
        if name == pattern or re.fullmatch(re.escape(pattern).replace(re.escape("<year>"), r"\d{4}"), name):
            return found
    raise ValueError(f"no slice table called {name!r}; the stages make {', '.join(sorted(from_stages))}")


class RunFormatError(RuntimeError):
    """A run folder this version cannot read."""


@dataclass(frozen=True)
class PreparedRun:
    """A prepared run folder (``<out>/prepared``)."""

    root: Path

    def __post_init__(self):
        object.__setattr__(self, "root", locations.existing(self.root))

    # -- locations
    @property
    def national_dir(self) -> Path:
        return self.root / "national"

    def slice_dir(self, school_id: str) -> Path:
        return self.root / "slices" / school_id_for_path(school_id)

    # -- the run as a whole
    def start(self) -> None:
        """Mark the folder as a run of this format (before anything else is written)."""
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "run.json").write_text(json.dumps({"format": FORMAT}))

    def check(self) -> None:
        """Refuse a folder that is no prepared run, or one of another format."""
        marker = self.root / "run.json"
        if not marker.exists():
            raise RunFormatError(f"{self.root}: not a prepared run (no run.json); run `toolkit reports` first")
        found = json.loads(marker.read_text()).get("format")
        if found != FORMAT:
            raise RunFormatError(
                f"{self.root}: prepared by another version of the toolkit (format {found}, this "
                f"version reads {FORMAT}); run `toolkit reports --force` to prepare it again"
            )

    def _record(self) -> dict:
        """``prepare.json``; empty for a run of another format or none."""
        path = self.root / "prepare.json"
        if not path.exists() or not (self.root / "run.json").exists():
            return {}
        try:
            self.check()
        except RunFormatError:
            return {}
        record = json.loads(path.read_text())
        return record if isinstance(record.get("schools"), dict) else {}

    def slice_keys(self) -> dict[str, str]:
        """school_id -> the content key its slice was written with (``pipeline.keys``)."""
        return self._record().get("schools", {})

    def row_digests(self) -> dict:
        """The input files' rows by school as the last run worked them out (``keys.row_digests``)."""
        return self._record().get("rows", {})

    def write_slice_keys(self, keys: dict[str, str], rows: dict) -> None:
        """Record the keys of the slices just written beside those of the others, and the input rows by school."""
        merged = self.slice_keys() | keys
        record = {"schools": dict(sorted(merged.items())), "rows": rows}
        (self.root / "prepare.json").write_text(json.dumps(record, indent=1))

    def has_slice(self, school_id: str) -> bool:
        return (self.slice_dir(school_id) / "school.json").exists()

    def school_ids(self) -> list[str]:
        folder = self.root / "slices"
        return sorted(d.name for d in folder.iterdir() if d.is_dir()) if folder.exists() else []

    # -- national
    def write_national(self, info: dict, tables: dict[str, pd.DataFrame], models: dict) -> None:
        self.national_dir.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            with written_whole(self.national_dir / f"{name}.parquet") as tmp:
                frame.to_parquet(tmp, index=False)
        with written_whole(self.national_dir / "models.pkl") as tmp, open(tmp, "wb") as f:  # read only by read_models
            pickle.dump(models, f)
        with written_whole(self.national_dir / "national.json") as tmp:
            tmp.write_text(json.dumps(info, indent=2))

    def national_info(self) -> dict:
        return json.loads((self.national_dir / "national.json").read_text())

    def national_table(self, name: str) -> pd.DataFrame | None:
        path = self.national_dir / f"{name}.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def has_models(self) -> bool:
        return (self.national_dir / "models.pkl").exists()

    def read_models(self) -> dict:
        """The fitted estimate models by key stage (``ks2``, ``ks1``)."""
        self.check()
        with open(self.national_dir / "models.pkl", "rb") as f:
            return pickle.load(f)

    # -- one school
    def write_school(self, school_id: str, info: dict, tables: dict[str, pa.Table]) -> None:
        """One Parquet file per table (Arrow tables, as ``pa.Table.from_pandas`` makes them), then ``school.json``;
        each written whole (``written_whole``), so a slice cut short by a full disk or a kill holds no half file."""
        d = self.slice_dir(school_id)
        d.mkdir(parents=True, exist_ok=True)
        for stale in (d / "school.json", *d.glob("*.parquet")):  # a table the school no longer has goes too
            stale.unlink(missing_ok=True)
        for name, table in tables.items():
            with written_whole(d / f"{name}.parquet") as tmp:
                pq.write_table(table, tmp)
        with written_whole(d / "school.json") as tmp:
            tmp.write_text(json.dumps(info, indent=2, default=str))

    def school_info(self, school_id: str) -> dict:
        path = self.slice_dir(school_id) / "school.json"
        if not path.exists():
            raise FileNotFoundError(
                f"No prepared data for school {school_id} in {self.root} (run `toolkit reports` first)"
            )
        return json.loads(path.read_text())

    def has_table(self, school_id: str, name: str) -> bool:
        """Whether the school's slice has table ``name``; a name no stage declares is an error."""
        if (self.slice_dir(school_id) / f"{name}.parquet").exists():
            return True
        declared(name)
        return False

    def table(self, school_id: str, name: str) -> pd.DataFrame:
        """A slice table by name; a missing one is a sentence saying which stage makes it (``declared``), a name no
        stage declares an error. (A table on disk is read whatever declared it: a report process knows only the
        stages of its own package.)"""
        path = self.slice_dir(school_id) / f"{name}.parquet"
        if not path.exists():
            what, stage = declared(name)
            raise FileNotFoundError(
                f"school {school_id} has no table {name!r} ({what}) in {self.root}: the {stage!r} stage made none "
                "for it (its data has none), or the run was prepared before that stage existed"
            )
        return pd.read_parquet(path)

    def table_or_none(self, school_id: str, name: str) -> pd.DataFrame | None:
        return self.table(school_id, name) if self.has_table(school_id, name) else None
