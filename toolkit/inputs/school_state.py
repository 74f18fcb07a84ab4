"""A school's saved decisions: its challenge levels per year group and subject, and targets edited in the
dashboard. This is state (what people chose), not methodology, so it lives in the state folder
(``toolkit.locations.school_state_dir``: ``$XDG_STATE_HOME/toolkit/schools`` or ``TOOLKIT_STATE``), never under
``parameters/``.

``<school_id>.yaml`` (every level is FFT50, FFT20, FFT5, own_past_progress, or a percentile from 1 to 99)::

    school_id: "9252000"
    challenge:
      default: FFT50            # the whole school, unless a year group says otherwise
      year_groups:
        6: {default: FFT20, maths: FFT5}
        5: {reading: 70}

``<school_id>_targets.csv``: ``upn`` and ``target_<subject>`` columns; they replace the targets in the pupil file
for those pupils. The report pack reads both, so what a school decides in the what-if dashboard is what its PDF
shows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from toolkit import locations
from toolkit.scales.identifiers import school_id_for_path
from toolkit.vocabulary import TARGET_SUBJECTS, percentile_of


def folder(override: Path | None = None) -> Path:
    """The folder school state is read from and written to (``override`` for tests and exports)."""
    if override is not None:
        return Path(override)
    return locations.school_state_dir()


def settings_path(school_id: str, override: Path | None = None) -> Path:
    return folder(override) / f"{school_id_for_path(school_id)}.yaml"


def targets_path(school_id: str, override: Path | None = None) -> Path:
    return folder(override) / f"{school_id_for_path(school_id)}_targets.csv"


def ks4_targets_path(school_id: str, override: Path | None = None) -> Path:
    return folder(override) / f"{school_id_for_path(school_id)}_ks4_targets.csv"


def files(school_id: str) -> list[Path]:
    """The state files a school has (settings, targets, GCSE targets), for hashing and the manifest."""
    paths = (settings_path(school_id), targets_path(school_id), ks4_targets_path(school_id))
    return [p for p in paths if p.exists()]


def _check_levels(challenge: dict) -> None:
    levels = [challenge.get("default")]
    levels += [v for y in (challenge.get("year_groups") or {}).values() for v in (y or {}).values()]
    for level in levels:
        if level is not None:
            percentile_of(level)


def load(school_id: str) -> dict | None:
    """The school's settings, or None when it has none. Every level in the file is checked."""
    path = settings_path(school_id)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        _check_levels(data.get("challenge") or {})
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return data


def load_all(school_ids: list[str]) -> dict[str, dict]:
    return {s: data for s in school_ids if (data := load(s)) is not None}


def save(school_id: str, challenge: dict, override: Path | None = None) -> Path:
    """Write a school's challenge settings (checked first); returns the file."""
    _check_levels(challenge)
    path = settings_path(school_id, override)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"school_id": str(school_id), "challenge": challenge}, sort_keys=False))
    return path


def save_targets(school_id: str, targets: pd.DataFrame, override: Path | None = None) -> Path:
    """Write a school's edited targets: ``upn`` and ``target_<subject>`` columns."""
    cols = ["upn"] + [f"target_{s}" for s in TARGET_SUBJECTS if f"target_{s}" in targets]
    path = targets_path(school_id, override)
    path.parent.mkdir(parents=True, exist_ok=True)
    targets[cols].to_csv(path, index=False)
    return path


def apply_saved_targets(pupils: pd.DataFrame) -> pd.DataFrame:
    """Pupils with the targets each school saved (if any) in place of those in the pupil file."""
    out = pupils.copy()
    for school_id in out["school_id"].astype("string").unique():
        path = targets_path(str(school_id))
        if not path.exists():
            continue
        saved = pd.read_csv(path, dtype="string").set_index("upn")
        rows = out["school_id"].astype("string").eq(school_id) & out["upn"].isin(saved.index)
        for col in saved.columns:
            if col not in out:
                out[col] = pd.Series(pd.NA, index=out.index, dtype="string")
            out.loc[rows, col] = out.loc[rows, "upn"].map(saved[col]).to_numpy()
    return out


def save_ks4_targets(school_id: str, targets: pd.DataFrame, override: Path | None = None) -> Path:
    """Write a school's edited GCSE targets: ``upn, subject, target`` (one row per pupil and subject)."""
    path = ks4_targets_path(school_id, override)
    path.parent.mkdir(parents=True, exist_ok=True)
    targets[["upn", "subject", "target"]].to_csv(path, index=False)
    return path


def apply_saved_ks4_targets(targets: pd.DataFrame | None, school_ids: list[str]) -> pd.DataFrame | None:
    """GCSE targets (``upn, school_id, subject, target``) with each school's saved ones in place of its rows."""
    parts = [] if targets is None else [targets]
    for school_id in school_ids:
        path = ks4_targets_path(str(school_id))
        if not path.exists():
            continue
        saved = pd.read_csv(path, dtype="string").assign(school_id=str(school_id))
        if parts:
            parts[0] = parts[0][parts[0]["school_id"].astype("string") != str(school_id)]
        parts.append(saved)
    return pd.concat(parts, ignore_index=True) if parts else None
