"""Read methodology parameters (YAML and CSV) from ``parameters/``.

The folder is the bundled ``parameters/`` (``toolkit.locations``) unless the environment variable
``TOOLKIT_PARAMETERS`` names another folder; a file missing there falls back to the bundled one, so an override
may hold only what it changes.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import yaml

from toolkit import locations
from toolkit.locations import parameters_dir


def path(name: str) -> Path:
    """Path of parameter file ``name`` (relative to the folder), falling back to the bundled copy."""
    override = parameters_dir() / name
    if override.exists():
        return override
    bundled = locations.bundled_parameters() / name
    if not bundled.exists():
        raise FileNotFoundError(f"Parameter file {name!r} not found in {parameters_dir()} or {bundled.parent}")
    return bundled


@functools.cache
def _yaml(file: Path, mtime: float) -> dict:
    with open(file, encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.cache
def _csv(file: Path, mtime: float) -> pd.DataFrame:
    return pd.read_csv(file, dtype=str, keep_default_na=False)


def load_yaml(name: str) -> dict:
    """Parsed YAML parameter file (cached until the file changes). An override holds only the keys it changes: its
    keys are laid over the bundled file's, mapping by mapping (a list or a value replaces the bundled one whole)."""
    p = path(name)
    own = _yaml(p, p.stat().st_mtime)
    bundled = locations.bundled_parameters() / name
    if bundled.exists() and not _same_file(bundled, p):
        return _laid_over(_yaml(bundled, bundled.stat().st_mtime), own)
    return own


@functools.cache
def _same_file(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


def _laid_over(base: dict, over: dict) -> dict:
    """``over``'s keys laid over ``base`` (a new dict; nested mappings merged the same way)."""
    out = dict(base)
    for key, value in (over or {}).items():
        out[key] = (
            _laid_over(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        )
    return out


def load_csv(name: str) -> pd.DataFrame:
    """CSV parameter table with every column as text; empty cells are ''. Callers convert what they need."""
    p = path(name)
    return _csv(p, p.stat().st_mtime).copy()


def stamp(names: tuple[str, ...]) -> tuple:
    """A key that changes when any of the named parameter files (or the folder they come from) changes: for caching
    values derived from them."""
    out = []
    for name in names:
        p = path(name)
        out.append((str(p), p.stat().st_mtime_ns))
    return tuple(out)
