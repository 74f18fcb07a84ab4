"""A school's chosen challenge levels, per year group and subject, kept in ``parameters/schools/<school_id>.yaml``.

Format (every level is FFT50, FFT20, FFT5, own_past_progress, or a percentile from 1 to 99)::

    school_id: "9252000"
    challenge:
      default: FFT50            # the whole school, unless a year group says otherwise
      year_groups:
        6: {default: FFT20, maths: FFT5}
        5: {reading: 70}

Targets a school edits in the dashboard are kept beside it in ``parameters/schools/<school_id>_targets.csv``
(``upn`` and ``target_<subject>`` columns); they replace the targets in the pupil file for those pupils.

A level is resolved from the most specific entry: year group and subject, then the year group's default, then the
school's default, then the batch's ``--challenge``. The report pack reads these files, so what a school decides in
the what-if dashboard is what its PDF shows.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from toolkit import parameters
from toolkit.data.schema import year_group_number

OWN = "own_past_progress"
FOLDER = "schools"


def percentile_of(level) -> float | str:
    """50 for FFT50, 80 for FFT20, 95 for FFT5, a number for a percentile, ``OWN`` for own past progress."""
    named = parameters.load_yaml("estimates.yaml")["named_challenges"]
    text = str(level).strip()
    if text.upper() in named:
        return float(named[text.upper()])
    if text.lower() in (OWN, "own", "own past progress"):
        return OWN
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"'{level}' is not a challenge level: give FFT50, FFT20, FFT5, own_past_progress or a "
                         "percentile from 1 to 99") from None
    if not 1 <= value <= 99:
        raise ValueError(f"challenge {level} is outside 1-99")
    return value


def label_of(level) -> str:
    """How a level is written in reports: FFT50, FFT20, FFT5, own past progress, or 'percentile 70'."""
    p = percentile_of(level)
    if p == OWN:
        return "own past progress"
    named = {float(v): k for k, v in parameters.load_yaml("estimates.yaml")["named_challenges"].items()}
    return named.get(p, f"percentile {p:g}")


def settings_path(school_id: str) -> Path:
    return parameters.parameters_dir() / FOLDER / f"{school_id}.yaml"


def load(school_id: str) -> dict | None:
    """The school's settings, or None when it has none. Every level in the file is checked."""
    path = settings_path(school_id)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    challenge = data.get("challenge") or {}
    try:
        if "default" in challenge:
            percentile_of(challenge["default"])
        for year, levels in (challenge.get("year_groups") or {}).items():
            for subject, level in (levels or {}).items():
                percentile_of(level)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    return data


def load_all(school_ids: list[str]) -> dict[str, dict]:
    return {s: data for s in school_ids if (data := load(s)) is not None}


def level_for(settings: dict | None, year_group: int, subject: str, default) -> object:
    """The level that applies to one year group and subject."""
    challenge = (settings or {}).get("challenge") or {}
    year = (challenge.get("year_groups") or {}).get(year_group) or (challenge.get("year_groups") or {}).get(str(year_group)) or {}
    for level in (year.get(subject), year.get("default"), challenge.get("default")):
        if level is not None:
            return level
    return default


def per_pupil(settings: dict[str, dict], pupils: pd.DataFrame, subjects: tuple[str, ...], default,
              own: dict[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """Subject -> each pupil's challenge percentile, from their school's settings (``default`` where none)."""
    year = year_group_number(pupils["year_group"]).fillna(-1).astype(int).to_numpy()
    school = pupils["school_id"].astype("string").to_numpy()
    out = {}
    for subject in subjects:
        values = np.empty(len(pupils))
        for i, (s, y) in enumerate(zip(school, year)):
            p = percentile_of(level_for(settings.get(s), y, subject, default))
            if p == OWN:
                if own is None:
                    raise ValueError(f"School {s} asks for its own past progress in {subject}, but it has no value "
                                     "added for past cohorts (ks2_<year>.csv files) to compute it from")
                p = own[subject][i]
            values[i] = p
        out[subject] = values
    return out


def save(school_id: str, challenge: dict, folder: Path | None = None) -> Path:
    """Write a school's challenge settings (checked first); returns the file."""
    for level in [challenge.get("default")] + [v for y in (challenge.get("year_groups") or {}).values() for v in y.values()]:
        if level is not None:
            percentile_of(level)
    path = (Path(folder) / f"{school_id}.yaml") if folder else settings_path(school_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"school_id": str(school_id), "challenge": challenge}, sort_keys=False))
    return path


TARGET_SUBJECTS = ("reading", "writing", "maths", "gps")


def targets_path(school_id: str, folder: Path | None = None) -> Path:
    return (Path(folder) if folder else parameters.parameters_dir() / FOLDER) / f"{school_id}_targets.csv"


def save_targets(school_id: str, targets: pd.DataFrame, folder: Path | None = None) -> Path:
    """Write a school's edited targets: ``upn`` and ``target_<subject>`` columns."""
    cols = ["upn"] + [f"target_{s}" for s in TARGET_SUBJECTS if f"target_{s}" in targets]
    path = targets_path(school_id, folder)
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
