"""The one interface of a pipeline stage: a key stage or measure computed for every school asked at once.

A stage has a name, the inputs it needs (fields of ``load.Loaded``, or tables an earlier stage made), the slice
tables it makes (name -> what each holds: the store's declaration) and two pure functions:

- ``run(given) -> {name: SliceTable}``: trust-wide tables, each row owned by one school;
- ``facts(mine) -> dict``: the school's facts for ``school.json`` (which years it has, its own past progress...),
  from ``mine(name)``, its own rows of any table the stages made (``Mine``).

Adding a measure is one stage module listed in ``pipeline.stages`` (or, outside the package, one
``stages.register`` call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from toolkit.pipeline.load import Loaded
from toolkit.vocabulary import Challenge


@dataclass(frozen=True)
class SliceTable:
    """A trust-wide table and the school each of its rows belongs to (``school``, aligned by position). A school's
    slice gets its rows as ``<name>.parquet`` when ``when`` is None (always, even with no rows) or when the table
    named ``when`` has rows of that school; ``written=False`` keeps a table for facts and later stages only."""

    frame: pd.DataFrame
    school: pd.Series
    when: str | None = None
    written: bool = True


def of_schools(frame: pd.DataFrame, when: str | None = None, written: bool = True) -> SliceTable:
    """A table split by its own ``school_id`` column."""
    return SliceTable(frame, frame["school_id"].astype("string"), when, written)


def of_pupils(frame: pd.DataFrame, pupils: pd.DataFrame, when: str | None = None) -> SliceTable:
    """A table by ``upn`` without a school column, split by each UPN's school in ``pupils``."""
    school = pupils.drop_duplicates("upn").set_index("upn")["school_id"].astype("string")
    return SliceTable(frame, frame["upn"].map(school), when)


@dataclass
class Given:
    """What a stage is given: the loaded inputs, the national models, the chosen challenge and the tables earlier
    stages made (by name)."""

    loaded: Loaded
    models: object  # national.NationalModels
    challenge: Challenge
    tables: dict[str, SliceTable] = field(default_factory=dict)

    def frame(self, name: str) -> pd.DataFrame | None:
        """An earlier stage's trust-wide table, or None where none made it."""
        table = self.tables.get(name)
        return None if table is None else table.frame


class Mine(Protocol):
    """One school's rows of the tables the stages made."""

    def __call__(self, name: str) -> pd.DataFrame | None:
        """The school's rows of table ``name`` (None where no stage made it)."""

    def years(self, prefix: str) -> list[int]:
        """The years ``y`` for which table ``<prefix><y>`` has rows of the school."""


@dataclass(frozen=True)
class Stage:
    """A named step of the pipeline (see the module's docstring)."""

    name: str
    needs: tuple[str, ...]
    makes: dict[str, str]
    run: Callable[[Given], dict[str, SliceTable]]
    facts: Callable[[Mine], dict] = lambda mine: {}
