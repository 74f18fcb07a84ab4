"""Estimates of every current pupil in Years 1-6 at FFT50, FFT20, FFT5, the school's own past progress and the chosen
challenge, with "how likely" each pupil's target is at the chosen one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods import challenge
from toolkit.methods.estimates import EstimateModel
from toolkit.methods.targets import chance_of_target
from toolkit.pipeline.stage import Given, SliceTable, Stage, of_pupils
from toolkit.vocabulary import KS1_YEARS, KS2_YEARS, OWN, Challenge, named_challenges, year_group_number


def _estimates(model: EstimateModel, pupils: pd.DataFrame, challenges: dict[str, object]) -> pd.DataFrame:
    """Estimates for ``pupils`` at every labelled challenge, stacked with a ``challenge`` column."""
    parts = []
    for label, level in challenges.items():
        if level is None:
            continue
        est = model.predict(pupils, level)
        est.insert(1, "challenge", label)
        parts.append(est)
    return pd.concat(parts, ignore_index=True)


def _per_pupil(
    school_ids: pd.Series, by_school: pd.DataFrame, subjects: tuple[str, ...], default: float | None
) -> dict | None:
    """Subject -> one percentile per pupil from a ``school_id, subject, percentile`` table (``default`` where absent)."""
    if by_school.empty:
        return None
    out = {}
    for subject in subjects:
        table = by_school[by_school["subject"] == subject].set_index("school_id")["percentile"]
        values = school_ids.map(table).astype(float)
        if default is None and values.isna().any():
            return None
        out[subject] = values.fillna(default).to_numpy()
    return out


def current_estimates(
    pupils: pd.DataFrame, models, own: pd.DataFrame, settings: dict[str, dict], chosen: Challenge
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Key stage -> (its pupils, their long estimates at every challenge)."""
    yg = year_group_number(pupils["year_group"])
    estimates = {}
    for stage, model, years in (("ks2", models.ks2, KS2_YEARS), ("ks1", models.ks1, KS1_YEARS)):
        rows = pupils[yg.isin(years)].reset_index(drop=True)
        if rows.empty:
            continue
        labels: dict[str, object] = named_challenges()
        labels[OWN] = _per_pupil(rows["school_id"], own, model.subjects, None) if stage == "ks2" else None
        # KS1 has no own past progress (it is KS2 value added): a school-wide "own" falls back to FFT50 there.
        default = "FFT50" if stage == "ks1" and chosen.own else chosen
        labels["chosen"] = challenge.per_pupil(settings, rows, model.subjects, default, labels[OWN])
        est = _estimates(model, rows, labels)
        # "How likely, my school": each pupil's chance of their target at the school's chosen challenge.
        how_likely = chance_of_target(model, rows, labels["chosen"]).drop(columns="upn")
        chosen_rows = est["challenge"] == "chosen"
        for col in how_likely:
            est[col] = np.nan
            est.loc[chosen_rows, col] = how_likely[col].to_numpy()
        estimates[stage] = (rows, est)
    return estimates


def run(given: Given) -> dict[str, SliceTable]:
    own = given.frame("own_past_progress")
    found = current_estimates(given.loaded.pupils, given.models, own, given.loaded.settings, given.challenge)
    return {f"estimates_{stage}": of_pupils(est, rows) for stage, (rows, est) in found.items()}


MAKES = {
    "estimates_ks2": "estimates of Years 3-6 at every challenge (long, with a challenge column)",
    "estimates_ks1": "estimates of Years 1-2 at every challenge",
}
STAGE = Stage("estimates", needs=("pupils", "settings", "own_past_progress"), makes=MAKES, run=run)
