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

``<school_id>_removed.yaml``: the pupils a user chose to leave out of a "remove pupils" what-if (as the DfE's ASP
data management does), with who made the list, when and why. The official figures never change; the pack adds a
what-if profile beside them, labelled on every page::

    school_id: "9252000"
    made_by: Ms Mock
    made_at: "2026-12-05T09:40:00"
    reason: recent arrivals
    upns: [A925200018014, B925200018005]
"""

from __future__ import annotations

from datetime import datetime
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


def removed_path(school_id: str, override: Path | None = None) -> Path:
    return folder(override) / f"{school_id_for_path(school_id)}_removed.yaml"


def files(school_id: str) -> list[Path]:
    """The state files a school has (settings, targets, GCSE targets, a remove-pupils list), for hashing and the
    manifest."""
    paths = (settings_path(school_id), targets_path(school_id), ks4_targets_path(school_id), removed_path(school_id))
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


def save_removed(school_id: str, upns: list[str], made_by: str, reason: str = "", made_at: str | None = None) -> Path:
    """Write a school's remove-pupils list (UPNs upper case, each once, in the order given) with who made it, when
    (default now, to the second) and why; returns the file. An empty list or no name is refused."""
    kept = list(dict.fromkeys(str(u).strip().upper() for u in upns if str(u).strip()))
    if not kept:
        raise ValueError("Name at least one pupil (UPN) to leave out")
    if not str(made_by).strip():
        raise ValueError("Say who made the list (--by): the what-if report names them")
    path = removed_path(school_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "school_id": str(school_id),
        "made_by": str(made_by).strip(),
        "made_at": made_at or datetime.now().isoformat(timespec="seconds"),
        "reason": str(reason).strip(),
        "upns": kept,
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load_removed(school_id: str) -> dict | None:
    """The school's remove-pupils list (``save_removed``), or None; a file without UPNs is refused by name."""
    path = removed_path(school_id)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not data.get("upns"):
        raise ValueError(f"{path}: the remove-pupils list names no pupil (upns:); delete the file to drop the what-if")
    return {**data, "upns": [str(u).upper() for u in data["upns"]]}


def load_all_removed(school_ids: list[str]) -> dict[str, dict]:
    return {s: data for s in school_ids if (data := load_removed(s)) is not None}
