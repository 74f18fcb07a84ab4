"""Synthetic attendance that behaves like the real thing: each pupil's sessions per term, calibrated to the DfE's
national rates by phase (overall absence, persistent absence, the authorised and unauthorised split, approved
educational activity and the reasons, all read from the DfE's own file: ``parameters/attendance.yaml``), with the
published differences by free school meals and SEN and by term (``parameters/attendance/synthetic.yaml``).

A pupil has a yearly propensity to be absent, from a mixture of two lognormals (most pupils around the phase's
mean, a few in a high-absence part), multiplied by the group ratios (scaled so the phase's national absence rate
holds whatever the cohort's mix); the share in the high part is solved so the share of persistent absentees (10% or
more of a year's sessions) is the national one. Absent sessions per term are binomial on the pupil's rate
for that term; they are split into authorised and unauthorised, and into reasons, by the national shares.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.inputs.dfe_attendance import read_dfe_attendance

TERMS = ("autumn", "spring", "summer")
REASONS = {"authorised": ("I", "M", "R", "H", "C", "C2", "E"), "unauthorised": ("G", "O", "N", "U")}


def spec() -> dict:
    return parameters.load_yaml("attendance/synthetic.yaml")


@functools.cache
def national(phase: str) -> dict:
    """The phase's national figures from the DfE's file: absence and persistent absence rates (fractions), the
    authorised share of absence, approved educational activity's share of possible sessions, and each reason's
    share of its kind of absence."""
    row = read_dfe_attendance().query("level == 'National' and phase == @phase").iloc[0]
    absence = row["authorised"] + row["unauthorised"]
    shares = {}
    for kind, codes in REASONS.items():
        counts = {c: float(row.get(f"code_{c}", 0) or 0) for c in codes}
        total = sum(counts.values())
        shares[kind] = {c: v / total for c, v in counts.items()}
    return {
        "absence": absence / row["possible"],
        "persistent": row["pa_perc"] / 100,
        "authorised_share": row["authorised"] / absence,
        "aea": row["aea"] / row["possible"],
        "reasons": shares,
    }


def _multipliers(pupils: pd.DataFrame) -> np.ndarray:
    """Each pupil's group ratio (FSM x SEN), relative to the rest, scaled to a mean of 1 over the cohort."""
    groups = spec()["absence_percent"]
    fsm = (
        pupils["fsm6"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if "fsm6" in pupils
        else np.zeros(len(pupils), bool)
    )
    ratio = np.where(fsm, groups["fsm"]["yes"] / groups["fsm"]["no"], 1.0)
    sen = pupils["sen"].fillna("N").astype(str).to_numpy() if "sen" in pupils else np.full(len(pupils), "N")
    ratio = ratio * np.vectorize(lambda s: groups["sen"].get(s, groups["sen"]["N"]) / groups["sen"]["N"])(sen)
    return ratio / ratio.mean() if len(ratio) else ratio


def _year_rates(
    phase: str, normals: np.ndarray, high: np.ndarray, multipliers: np.ndarray, share: float, mean: float
) -> np.ndarray:
    """Pupils' yearly absence rates: most from a lognormal around the phase's mean, ``share`` of them (those whose
    ``high`` uniform is below it) from a high-absence lognormal; the two means weighted to the phase's mean, and
    the whole scaled so the rates' mean is the phase's after no rate is let past 98%."""
    shape = spec()["distribution"]
    sigma = shape["low_sigma"][phase]
    high_mean = shape["high_median"] * np.exp(shape["high_sigma"] ** 2 / 2)
    low_mean = max((mean - share * high_mean) / (1 - share), 1e-4)
    low = low_mean * np.exp(sigma * normals - sigma**2 / 2)
    many = shape["high_median"] * np.exp(shape["high_sigma"] * normals)
    raw = np.where(high < share, many, low) * multipliers
    scale = 1.0
    for _ in range(4):  # what the clip takes from the few highest is given back to everyone
        scale *= mean / max(np.clip(raw * scale, 0, 0.98).mean(), 1e-9)
    return np.clip(raw * scale, 0, 0.98)


@functools.cache
def high_share(phase: str) -> float:
    """The share of pupils in the high-absence part that gives the phase's national share of persistent absentees
    over a year's 380 sessions, for a cohort with the national mix (bisection on a fixed sample: the share of
    persistent absentees grows with it)."""
    target = national(phase)
    rng = np.random.default_rng(20260)
    n = 80_000
    sample = pd.DataFrame({"fsm6": rng.random(n) < 0.25, "sen": rng.choice(["N", "K", "E"], n, p=[0.83, 0.13, 0.04])})
    multipliers = _multipliers(sample)
    normals, high, uniforms = rng.standard_normal(n), rng.random(n), rng.random(n)
    low, top = 0.0, 0.3
    for _ in range(40):
        share = (low + top) / 2
        rates = _year_rates(phase, normals, high, multipliers, share, target["absence"])
        absent = _binomial_by_uniform(uniforms, 380, rates)
        if np.mean(absent >= 38) < target["persistent"]:
            low = share
        else:
            top = share
    return (low + top) / 2


def _binomial_by_uniform(u: np.ndarray, trials: int, p: np.ndarray) -> np.ndarray:
    """A binomial draw by its normal approximation at fixed uniforms (smooth in ``p``, so bisection converges)."""
    from scipy.stats import norm

    mean, sd = trials * p, np.sqrt(trials * p * (1 - p))
    return np.clip(np.round(mean + sd * norm.ppf(u)), 0, trials)


def attendance(
    rng: np.random.Generator,
    pupils: pd.DataFrame,
    phase: str,
    periods: list[tuple[int, str]],
    effect: float = 1.0,
    attainment: np.ndarray | None = None,
) -> pd.DataFrame:
    """Sessions of each pupil (``upn, school_id``, optionally ``fsm6``, ``sen``) in each (academic year, term) of
    ``periods``: the attendance input's layout with per-reason ``code_`` counts. ``effect``: the school's own
    multiplier of absence (1: as its intake would have it). ``attainment``: each pupil's standardised attainment
    (0 where unknown), which lowers absence for higher attainers (``synthetic.yaml`` ``attainment_link``)."""
    target, shape = national(phase), spec()
    mean_absence = np.mean([shape["term_absence_percent"][t] for t in TERMS])
    multipliers = _multipliers(pupils)
    n = len(pupils)
    yearly = _year_rates(
        phase, rng.standard_normal(n), rng.random(n), multipliers, high_share(phase), target["absence"]
    )
    if attainment is not None:
        link = np.exp(-spec()["attainment_link"] * np.nan_to_num(np.asarray(attainment, dtype=float)))
        yearly = yearly * link / link.mean()
    yearly = np.clip(yearly * effect, 0, 0.98)
    rows = []
    for year, term in periods:
        n = len(pupils)
        possible = np.full(n, shape["term_sessions"][term])
        part = rng.random(n) < shape["part_term_share"]
        possible[part] = np.round(possible[part] * rng.uniform(0.25, 0.75, part.sum())).astype(int)
        rate = np.clip(yearly * shape["term_absence_percent"][term] / mean_absence, 0, 0.98)
        absent = rng.binomial(possible, rate)
        authorised = rng.binomial(absent, target["authorised_share"])
        unauthorised = absent - authorised
        aea = rng.binomial(possible - absent, target["aea"] / (1 - target["absence"]))
        frame = pd.DataFrame(
            {
                "upn": pupils["upn"].to_numpy(),
                "school_id": pupils["school_id"].astype(str).to_numpy(),
                "academic_year": year,
                "term": term,
                "possible": possible,
                "present": possible - absent - aea,
                "aea": aea,
                "authorised": authorised,
                "unauthorised": unauthorised,
            }
        )
        for kind, counts in (("authorised", authorised), ("unauthorised", unauthorised)):
            shares = target["reasons"][kind]
            split = rng.multinomial(counts, list(shares.values()))
            for k, code in enumerate(shares):
                frame[f"code_{code}"] = split[:, k]
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)
