"""The pipeline's stages, in the order they run (a stage may use the tables of those before it), and the registry
for stages added from outside the package (``register``; see ``pipeline.stage`` for the interface)."""

from __future__ import annotations

from collections.abc import Iterator

from toolkit.pipeline.stage import Stage
from toolkit.pipeline.stages import (
    assessments,
    attendance,
    baseline,
    estimates,
    ks4,
    ks5,
    profile,
    roll,
    statutory_checks,
    value_added,
)

BUILT_IN: tuple[Stage, ...] = (
    roll.STAGE,
    value_added.STAGE,
    estimates.STAGE,
    ks5.STAGE,
    baseline.STAGE,
    assessments.STAGE,
    ks4.STAGE,
    attendance.STAGE,
    statutory_checks.STAGE,
    profile.STAGE,
)

_ADDED: list[Stage] = []


def all_stages() -> list[Stage]:
    """The built-in stages in their order, then those registered."""
    return [*BUILT_IN, *_ADDED]


def register(stage: Stage) -> Stage:
    """Add a stage after the built-in ones (its name and its tables' names unique)."""
    if stage.name in {s.name for s in all_stages()}:
        raise ValueError(f"a stage called {stage.name!r} exists already")
    clash = set(stage.makes) & {name for name, _, _ in declared_tables()}
    if clash:
        raise ValueError(f"stage {stage.name!r}: tables {sorted(clash)} are made by another stage")
    _ADDED.append(stage)
    return stage


def unregister(name: str) -> None:
    """Remove a stage added with ``register``."""
    _ADDED[:] = [s for s in _ADDED if s.name != name]


def declared_tables() -> Iterator[tuple[str, str, str]]:
    """(table name, what it holds, the stage that makes it) for every slice table a stage declares; a name with a
    year is written ``<name>_<year>``."""
    for s in all_stages():
        for name, what in s.makes.items():
            yield name, what, s.name
