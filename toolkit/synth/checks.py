"""Synthetic statutory check results for the demo trust: phonics marks in Year 1 (and the Year 2 re-check for those
who did not meet the standard) and multiplication tables check scores in Year 4, for the pupils on roll who took
them in the last three years, in the long ``statutory_checks`` layout the CTF import writes.

A pupil's check result follows their own attainment (EYFS goals, KS1, disadvantage and SEN: a standardised
index), with noise, and is placed on the national distribution: phonics so that 80% of a nationally typical cohort
meet the threshold of 32 (the DfE's 2025 figure), the check's mean and full-marks share near the DfE's 2025
figures (21.0, 37%); ``parameters/statutory/national.csv`` holds them and ``tests/test_statutory_checks.py`` the
calibration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from toolkit.methods.statutory_checks import national, threshold
from toolkit.scales import eyfs

NOISE = 0.6  # share of a check's spread not explained by the attainment index (not_published)


def _index(pupils: pd.DataFrame) -> np.ndarray:
    """An attainment index as normal scores (by rank): EYFS goals at the expected level, KS1 reading, disadvantage
    and SEN."""
    goals = [c for c in eyfs.goal_columns() if c in pupils]
    parts = []
    if goals:
        parts.append((pupils[goals] == "expected").sum(axis=1).where(pupils[goals].notna().any(axis=1)))
    if "ks1_reading" in pupils:
        parts.append(pupils["ks1_reading"].map({"GDS": 3, "EXS": 2, "WTS": 1}).astype(float))
    score = pd.concat(parts, axis=1).apply(lambda c: (c - c.mean()) / c.std()).mean(axis=1) if parts else None
    base = np.zeros(len(pupils)) if score is None else score.fillna(0).to_numpy(dtype=float, copy=True)
    base -= 0.5 * pupils.get("fsm6", pd.Series(False, index=pupils.index)).astype("boolean").fillna(False).to_numpy(
        dtype=float
    )
    base -= 0.8 * pupils.get("sen", pd.Series("N", index=pupils.index)).isin(["K", "E"]).to_numpy(dtype=float)
    ranks = pd.Series(base).rank(method="average").to_numpy()
    return norm.ppf(ranks / (len(base) + 1))  # normal scores: the national shape whatever the index is made of


def _latent(rng: np.random.Generator, index: np.ndarray) -> np.ndarray:
    return np.sqrt(1 - NOISE**2) * index + NOISE * rng.standard_normal(len(index))


def phonics(rng: np.random.Generator, pupils: pd.DataFrame, year: int) -> pd.DataFrame:
    """Year 1 marks in ``year`` (80% of a typical cohort at 32 or more) and, for those below, the Year 2 re-check."""
    share = national().query("check == 'phonics' and measure == 'year1_met' and group == 'all'").sort_values("year")
    met = share["value"].iloc[-1] / 100
    z = _latent(rng, _index(pupils))
    cut = threshold(year)
    mark = np.clip(np.round(cut - 0.5 + 6.0 * (z - norm.ppf(1 - met))), 0, 40).astype(int)  # at z = the cut: 31.5
    first = pd.DataFrame(
        {
            "upn": pupils["upn"].to_numpy(),
            "school_id": pupils["school_id"].astype(str).to_numpy(),
            "check": "phonics",
            "academic_year": year,
            "mark": mark,
        }
    )
    first["outcome"] = np.where(mark >= cut, "WA", "WT")
    again = first[first["outcome"] == "WT"].copy()
    gain = rng.normal(3, 3, len(again))  # a year of teaching later (not_published: gives 89% by the end of Year 2)
    again["mark"] = np.clip(np.round(again["mark"] + gain), 0, 40).astype(int)
    again["academic_year"] = year + 1
    again["outcome"] = np.where(again["mark"] >= threshold(year + 1), "WA", "WT")
    return pd.concat([first, again], ignore_index=True)


def mtc(rng: np.random.Generator, pupils: pd.DataFrame, year: int) -> pd.DataFrame:
    """Year 4 scores in ``year`` on a ceiling-shaped distribution (mean near 21.0, 37% full marks), 4% not taking it
    (3% working below it, B; 1% absent, A), as the DfE's 2025 release describes."""
    z = _latent(rng, _index(pupils))
    raw = 22.5 + 6.0 * z  # clipped at 25: the ceiling gives the full-marks share (37% at z >= 0.33)
    score = np.clip(np.round(raw), 0, 25).astype(int).astype(object)
    u = rng.random(len(pupils))
    score[(u < 0.03) & (z < -1)] = "B"
    score[(u > 0.99)] = "A"
    return pd.DataFrame(
        {
            "upn": pupils["upn"].to_numpy(),
            "school_id": pupils["school_id"].astype(str).to_numpy(),
            "check": "mtc",
            "academic_year": year,
            "mark": score.astype(str),
            "outcome": pd.NA,
        }
    )


def demo_checks(rng: np.random.Generator, pupils: pd.DataFrame, year: int) -> pd.DataFrame:
    """The checks the pupils on roll in ``year`` took in the last three years: phonics for Years 2-4 (in Year 1, and
    the re-check in Year 2), the multiplication tables check for Years 5-6 and last year's Year 6 via ``past``."""
    group = pupils["year_group"].astype(int)
    parts = []
    for g in (2, 3, 4):  # Year 1 was g - 1 years ago
        cohort = pupils[group == g]
        if len(cohort):
            checks = phonics(rng, cohort, year - (g - 1))
            parts.append(checks[checks["academic_year"] < year])  # a re-check this summer has not happened yet
    for g in (5, 6):  # Year 4 was g - 4 years ago
        cohort = pupils[group == g]
        if len(cohort):
            parts.append(mtc(rng, cohort, year - (g - 4)))
    return pd.concat(parts, ignore_index=True)
