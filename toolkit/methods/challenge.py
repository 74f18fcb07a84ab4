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
                    raise ValueError(
                        f"School {s} asks for its own past progress in {subject}, but it has no value "
                        "added for past cohorts (ks2_<year>.csv files) to compute it from"
                    )
                p = own[subject][i]
            values[i] = p
        out[subject] = values
    return out
