"""Which challenge level applies to a pupil: from the most specific entry of the school's settings (year group and
subject, then the year group's default, then the school's default), else the run's ``--challenge``; own past
progress resolved to the school's percentile (``value_added.own_past_progress``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.vocabulary import OWN, percentile_of, year_group_number


def level_for(settings: dict | None, year_group: int, subject: str, default) -> object:
    """The level that applies to one year group and subject."""
    challenge = (settings or {}).get("challenge") or {}
    years = challenge.get("year_groups") or {}
    year = years.get(year_group) or years.get(str(year_group)) or {}
    for level in (year.get(subject), year.get("default"), challenge.get("default")):
        if level is not None:
            return level
    return default


def per_pupil(
    settings: dict[str, dict],
    pupils: pd.DataFrame,
    subjects: tuple[str, ...],
    default,
    own: dict[str, np.ndarray] | None,
) -> dict[str, np.ndarray]:
    """Subject -> each pupil's challenge percentile, from their school's settings (``default`` where none). The
    level is looked up once per school and year group, not once per pupil."""
    year = year_group_number(pupils["year_group"]).fillna(-1).astype(int).to_numpy()
    school = pupils["school_id"].astype("string").fillna("").to_numpy()
    pairs, which = np.unique(np.stack([school.astype(str), year.astype(str)]), axis=1, return_inverse=True)
    which = which.ravel()
    out = {}
    for subject in subjects:
        levels = [percentile_of(level_for(settings.get(s), int(y), subject, default)) for s, y in pairs.T]
        is_own = np.array([v == OWN for v in levels])[which]
        if is_own.any() and own is None:
            raise ValueError(
                f"School {school[is_own.argmax()]} asks for its own past progress in {subject}, but it has no value "
                "added for past cohorts (ks2_<year>.csv files) to compute it from"
            )
        values = np.array([np.nan if v == OWN else float(v) for v in levels])[which]
        out[subject] = np.where(is_own, own[subject], values) if is_own.any() else values
    return out
