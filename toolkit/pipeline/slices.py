"""Cutting the trust-wide tables the stages made into one slice per school: its facts (``school.json``) and its own
rows of each table, written to the prepared run's store. Each table is split and made an Arrow table once, so
slicing is linear in the number of schools."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from toolkit.pipeline.load import Loaded
from toolkit.pipeline.stage import SliceTable, Stage
from toolkit.vocabulary import Challenge

_NO_ROWS = np.array([], dtype=np.intp)


def _arrow(frame: pd.DataFrame) -> pa.Table | None:
    """``frame`` as an Arrow table (as ``to_parquet`` makes it), or None where Arrow cannot type a column whole."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return table.combine_chunks()  # one chunk a column: a take from many chunks costs more with every chunk


@dataclass
class _Split:
    """A trust-wide table split by school once: positions of each school's rows, and the table in Arrow."""

    table: SliceTable
    rows: dict[str, np.ndarray]
    arrow: pa.Table | None

    @classmethod
    def of(cls, table: SliceTable) -> _Split:
        frame = table.frame
        if not len(frame):
            return cls(table, {}, _arrow(frame) if table.written else None)
        rows = {str(k): v for k, v in frame.groupby(table.school, sort=False, dropna=False).indices.items()}
        return cls(table, rows, _arrow(frame) if table.written else None)

    def positions(self, school_id: str) -> np.ndarray:
        return self.rows.get(school_id, _NO_ROWS)

    def frame(self, school_id: str) -> pd.DataFrame:
        return self.table.frame.iloc[self.positions(school_id)]

    def take(self, school_id: str) -> pa.Table:
        rows = self.positions(school_id)
        if self.arrow is not None:
            return self.arrow.take(rows)
        return pa.Table.from_pandas(self.table.frame.iloc[rows], preserve_index=False)


class _Mine:
    """One school's rows of every table (``stage.Mine``)."""

    def __init__(self, splits: dict[str, _Split], school_id: str):
        self.splits, self.school_id = splits, school_id

    def __call__(self, name: str) -> pd.DataFrame | None:
        split = self.splits.get(name)
        return None if split is None else split.frame(self.school_id)

    def has_rows(self, name: str) -> bool:
        split = self.splits.get(name)
        return split is not None and len(split.positions(self.school_id)) > 0

    def years(self, prefix: str) -> list[int]:
        found = (re.fullmatch(rf"{re.escape(prefix)}(\d{{4}})", name) for name in self.splits)
        return sorted(int(m.group(1)) for m in found if m and self.has_rows(m.group(0)))


def _plain(value):
    return None if pd.isna(value) else (value.item() if hasattr(value, "item") else value)


class Slicer:
    """Every school's slice of one run's tables."""

    def __init__(self, loaded: Loaded, challenge: Challenge, stages: list[Stage], tables: dict[str, SliceTable]):
        self.loaded, self.challenge, self.stages = loaded, challenge, stages
        self.splits = {name: _Split.of(t) for name, t in tables.items()}

    def facts(self, school_id: str) -> dict:
        """The school's facts: its row of schools.csv, the run's year and challenge, its saved settings, then each
        stage's facts."""
        schools = self.loaded.schools
        info = {k: _plain(v) for k, v in schools[schools["school_id"] == school_id].iloc[0].to_dict().items()}
        info |= {
            "academic_year": self.loaded.academic_year,
            "challenge": str(self.challenge),
            "settings": self.loaded.settings.get(school_id),
        }
        mine = _Mine(self.splits, school_id)
        for stage in self.stages:
            info |= stage.facts(mine)
        return info

    def tables(self, school_id: str) -> dict[str, pa.Table]:
        """The school's tables (its rows only), those a school without rows does not get left out."""
        mine = _Mine(self.splits, school_id)
        return {
            name: split.take(school_id)
            for name, split in self.splits.items()
            if split.table.written and (split.table.when is None or mine.has_rows(split.table.when))
        }
