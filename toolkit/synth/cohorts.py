"""Synthetic pupils, calibrated to published national figures (real pupil-level data is not public).

The model (parameters/synth.yaml, docs/synthetic_data.md): each pupil has a latent general attainment built
from school intake, month of birth, gender, disadvantage, EAL, SEN and noise; KS1 and EYFS outcomes cut that
latent (plus subject noise) at thresholds; the KS2 latent adds progress effects, a planted school value added
and residual noise, and maps to scaled scores through a monotone piecewise-linear function.

Calibration makes the cohort reproduce the published figures by construction: on a fixed calibration sample
the thresholds are quantiles that hit each published percentage, the score map's upper slope is solved to hit
each average scaled score, and four effects are solved by root finding (the common share of KS2 residuals for
the RWM combined rate, girls' progress per subject for the published gender progress scores, and the
disadvantage progress effect for the disadvantage gap index). Everything is deterministic for a seed.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from toolkit import parameters
from toolkit.methods import attainment
from toolkit.scales import eyfs, ks1, ks2
from toolkit.scales.identifiers import make_upn
from toolkit.synth import common, names
from toolkit.vocabulary import KS1_SUBJECTS, KS2_SUBJECTS
from toolkit.vocabulary import KS2_TEST_SUBJECTS as TEST_SUBJECTS

# Ordered outcome categories, lowest first. Pupils below WTS at KS1 are split evenly across the codes before PKF.
# KS1 has pre-key-stage standards PK1-PK4 (PK4 = PKF, foundations for the expected standard) and P-scales below.
KS1_BELOW = ("P2i", "P3i", "P4", "PK1", "PK2", "PK3")
KS1_CATS = KS1_BELOW + ("PKF", "WTS", "EXS", "GDS")
WRITING_BELOW = ("BLW", "PKE", "PKG", "PKF")
WRITING_CATS = WRITING_BELOW + ("WTS", "EXS", "GDS")
SEN_CODES = np.array(["N", "K", "E"], dtype=object)


# ----------------------------------------------------------------------------------------------- targets
def national_targets(year: int) -> dict[tuple[str, str, str], tuple[float, int, str]]:
    """Published figures the generator reproduces for a cohort finishing KS2 in ``year``.

    Key ``(keystage, measure, subject)`` -> ``(value, year used, source)``: for each figure, the latest published
    at or before ``year``, else the earliest after it (parameters/national/figures.csv).
    """
    fig = parameters.load_csv("national/figures.csv")
    fig["year"] = fig["year"].astype(int)
    out = {}
    for key, g in fig.groupby(["keystage", "measure", "subject"]):
        before = g[g["year"] <= year]
        row = before.loc[before["year"].idxmax()] if len(before) else g.loc[g["year"].idxmin()]
        out[key] = (float(row["value"]), int(row["year"]), row["source"])
    return out


def _target(targets: dict, keystage: str, measure: str, subject: str) -> float | None:
    hit = targets.get((keystage, measure, subject))
    return None if hit is None else hit[0]


# ----------------------------------------------------------------------------------------------- draws
@dataclass
class Cohort:
    """Characteristics and standard-normal draws of a set of pupils (everything random is drawn here once)."""

    school: np.ndarray  # index into the school arrays
    female: np.ndarray
    month: np.ndarray  # 0 = September ... 11 = August
    disadvantaged: np.ndarray
    fsm: np.ndarray
    eal: np.ndarray
    sen: np.ndarray  # 0 none, 1 SEN support, 2 EHC plan
    z: dict[str, np.ndarray] = field(default_factory=dict)  # named standard-normal / uniform draws


@dataclass
class Schools:
    """School-level draws: intake, rates and planted value added (latent SD units)."""

    intake: np.ndarray
    disadvantage_rate: np.ndarray
    eal_rate: np.ndarray
    va: dict[str, np.ndarray]


def draw_schools(rng: np.random.Generator, n: int, model: dict, chars: dict) -> Schools:
    s = model["schools"]
    mean_dis = chars["disadvantaged"]["value"]
    k = s["disadvantage_concentration"]
    dis = rng.beta(mean_dis * k, (1 - mean_dis) * k, n)
    mean_eal = chars["eal"]["value"]
    ke = s["eal_concentration"]
    eal = rng.beta(mean_eal * ke, (1 - mean_eal) * ke, n)
    intake = s["intake_disadvantage_slope"] * (dis - mean_dis) + rng.normal(0, s["intake_sd"], n)
    sd = np.array([s["va_sd"][x] for x in KS2_SUBJECTS])
    corr = np.full((4, 4), s["va_correlation"]) + np.eye(4) * (1 - s["va_correlation"])
    va = rng.multivariate_normal(np.zeros(4), corr * np.outer(sd, sd), n)
    return Schools(intake, dis, eal, {x: va[:, i] for i, x in enumerate(KS2_SUBJECTS)})


def draw_cohort(rng: np.random.Generator, school: np.ndarray, schools: Schools, chars: dict) -> Cohort:
    n = len(school)
    female = rng.random(n) < chars["female"]["value"]
    dis = rng.random(n) < schools.disadvantage_rate[school]
    fsm = dis & (rng.random(n) < chars["fsm"]["value"] / chars["disadvantaged"]["value"])
    eal = rng.random(n) < schools.eal_rate[school]
    # SEN is about 1.7 times as common among boys as girls; the mix keeps the national rate.
    boy_ratio, girl_share = 1.7, chars["female"]["value"]
    scale = 1 / (girl_share + (1 - girl_share) * boy_ratio)
    mult = np.where(female, scale, scale * boy_ratio)
    u = rng.random(n)
    ehcp = u < chars["sen_ehcp"]["value"] * mult
    support = ~ehcp & (u < (chars["sen_ehcp"]["value"] + chars["sen_support"]["value"]) * mult)
    sen = np.where(ehcp, 2, np.where(support, 1, 0))
    c = Cohort(school, female, rng.integers(0, 12, n), dis, fsm, eal, sen)
    for name in ("general", "ks1_reading", "ks1_writing", "ks1_maths", "common", "eyfs_month"):
        c.z[name] = rng.standard_normal(n)
    for s in KS2_SUBJECTS:
        c.z[f"ks2_{s}"] = rng.standard_normal(n)
    c.z["elg"] = rng.standard_normal((n, len(eyfs.goals())))
    for name in ("no_ks1", "no_eyfs", "ks1_missing", "ks2_absent", "eyfs_absent"):
        c.z[name] = rng.random(n)
    c.z["ks1_missing_subject"] = rng.random((n, 3))
    c.z["ks2_absent_subject"] = rng.random((n, 4))
    return c


# ----------------------------------------------------------------------------------------------- latents
@dataclass
class Effects:
    """The effects calibration solves for (the rest come straight from parameters/synth.yaml)."""

    common_share: float
    disadvantaged: float
    female: dict[str, float]
    spread_slope: float = 0.0  # subject-specific KS2 noise scales by exp(slope x general attainment)


def latents(c: Cohort, schools: Schools, model: dict, fx: Effects) -> dict[str, np.ndarray]:
    """Latent KS1 (per subject), KS2 (per subject) and general attainment of each pupil."""
    p, g = model["pupil"], model["progress"]
    sen_ks1 = np.select([c.sen == 1, c.sen == 2], [p["sen_support_ks1"], p["sen_ehcp_ks1"]], 0.0)
    general = (
        schools.intake[c.school]
        + p["month_of_birth_ks1"] * c.month
        + p["disadvantaged_ks1"] * c.disadvantaged
        + p["eal_ks1"] * c.eal
        + sen_ks1
        + p["general_sd"] * c.z["general"]
    )
    out = {"general": general}
    dev = {s: p["ks1_subject_sd"] * c.z[f"ks1_{s}"] for s in KS1_SUBJECTS}
    dev["gps"] = (dev["reading"] + dev["writing"]) / 2
    for s in KS1_SUBJECTS:
        out[f"ks1_{s}"] = general + p["female_ks1"][s] * c.female + dev[s]
    sen_prog = np.select([c.sen == 1, c.sen == 2], [g["sen_support"], g["sen_ehcp"]], 0.0)
    base = (
        g["ks1_weight"] * general
        + g["month_of_birth"] * c.month
        + g["eal"] * c.eal
        + sen_prog
        + fx.disadvantaged * c.disadvantaged
        + g["residual_sd"] * np.sqrt(fx.common_share) * c.z["common"]
    )
    unique = g["residual_sd"] * np.sqrt(1 - fx.common_share) * np.exp(fx.spread_slope * general)
    for s in KS2_SUBJECTS:
        out[f"ks2_{s}"] = (
            base
            + g["subject_ks1_weight"] * dev[s]
            + fx.female[s] * c.female
            + schools.va[s][c.school]
            + unique * c.z[f"ks2_{s}"]
        )
    return out


# ----------------------------------------------------------------------------------------------- outcomes
@dataclass
class ScoreMap:
    """Latent -> scaled score: 99.5 at t_expected, 109.5 at t_high, linear between; tails scaled by ratios."""

    t_expected: float
    t_high: float
    lower_ratio: float
    upper_ratio: float

    def continuous(self, y: np.ndarray) -> np.ndarray:
        """The map before rounding and clipping."""
        slope = 10.0 / (self.t_high - self.t_expected)
        return np.where(
            y < self.t_expected,
            99.5 + (y - self.t_expected) * slope * self.lower_ratio,
            np.where(
                y < self.t_high,
                99.5 + (y - self.t_expected) * slope,
                109.5 + (y - self.t_high) * slope * self.upper_ratio,
            ),
        )

    def __call__(self, y: np.ndarray) -> np.ndarray:
        return np.clip(np.floor(self.continuous(y) + 0.5), 80, 120)


@dataclass
class Calibration:
    """Everything fitted: thresholds (latent units), score maps, the solved effects, and what was achieved."""

    year: int
    effects: Effects
    ks1_cuts: dict[str, list[float]]  # per subject: upper cut of each category but the top one
    ks2_below: dict[str, list[float]]  # per test subject: cut under B, cut under N (latent quantiles)
    score_maps: dict[str, ScoreMap]
    writing_cuts: list[float]
    eyfs_cut: float
    achieved: dict[str, float] = field(default_factory=dict)
    targets: dict[str, list] = field(default_factory=dict)


def _ks1_index(lat: dict, cuts: dict[str, list[float]]) -> dict[str, np.ndarray]:
    """Category index into KS1_CATS per subject (missing records are applied by the caller)."""
    return {s: np.searchsorted(np.asarray(cuts[s]), lat[f"ks1_{s}"], side="right") for s in KS1_SUBJECTS}


def _missing_masks(c: Cohort, model: dict) -> dict[str, np.ndarray]:
    m = model["missing"]
    no_ks1 = c.z["no_ks1"] < m["no_ks1"]
    no_eyfs = no_ks1 | (c.z["no_eyfs"] < m["no_eyfs_extra"])
    ks1_absent = ~no_ks1[:, None] & (c.z["ks1_missing_subject"] < m["ks1_absent"])  # (n, 3)
    ks1_disapplied = ~no_ks1[:, None] & (c.z["ks1_missing_subject"] > 1 - m["ks1_disapplied"])
    return {
        "no_ks1": no_ks1,
        "no_eyfs": no_eyfs,
        "ks1_absent": ks1_absent,
        "ks1_disapplied": ks1_disapplied,
        "ks2_absent": c.z["ks2_absent_subject"] < m["ks2_absent"],
        "eyfs_absent": ~no_eyfs & (c.z["eyfs_absent"] < m["eyfs_absent"]),
    }


def _ks2_scores(lat: dict, cal: Calibration, miss: dict) -> dict[str, np.ndarray]:
    """Scaled score per test subject (float, NaN for codes) and code index: 0 score, 1 B, 2 N, 3 A."""
    out = {}
    for j, s in enumerate(KS2_SUBJECTS):
        if s == "writing":
            continue
        y = lat[f"ks2_{s}"]
        b_cut, n_cut = cal.ks2_below[s]
        code = np.where(miss["ks2_absent"][:, j], 3, np.where(y < b_cut, 1, np.where(y < n_cut, 2, 0)))
        out[s] = np.where(code == 0, cal.score_maps[s](y), np.nan)
        out[f"{s}_code"] = code
    return out


def _writing_index(lat: dict, cal: Calibration, miss: dict) -> np.ndarray:
    """Index into WRITING_CATS; -2 where absent."""
    idx = np.searchsorted(np.asarray(cal.writing_cuts), lat["ks2_writing"], side="right")
    return np.where(miss["ks2_absent"][:, 1], -2, idx)


# ----------------------------------------------------------------------------------------------- statistics
def _ks1_points_of(idx: np.ndarray, usable: np.ndarray) -> np.ndarray:
    table = ks1.points_table()
    pts = np.array([table[code] for code in KS1_CATS])
    return np.where(usable, pts[np.clip(idx, 0, len(pts) - 1)], np.nan)


def _ks1_aps(c: Cohort, idx: dict, miss: dict) -> np.ndarray:
    pts = []
    for j, s in enumerate(KS1_SUBJECTS):
        usable = ~miss["no_ks1"] & ~miss["ks1_absent"][:, j] & ~miss["ks1_disapplied"][:, j]
        pts.append(_ks1_points_of(idx[s], usable))
    p = np.vstack(pts).T
    w = np.array([ks1.APS_WEIGHTS[s] for s in KS1_SUBJECTS])
    have = ~np.isnan(p)
    weight = (have * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight > 0, np.nansum(p * w, axis=1) / weight, np.nan)


def _pag(aps: np.ndarray) -> np.ndarray:
    t = ks1.pag_table("2016")
    idx = np.searchsorted(t["aps_min"].to_numpy(), aps, side="right") - 1
    return np.where(np.isnan(aps), -1, np.clip(idx, 0, len(t) - 1))


def _writing_points(widx: np.ndarray) -> np.ndarray:
    points = attainment.writing_progress_points(pd.Series(WRITING_CATS))
    return np.where(widx >= 0, points[np.clip(widx, 0, len(points) - 1)], np.nan)


def ks1_statistics(c: Cohort, lat: dict, cal: Calibration, model: dict) -> dict[str, float]:
    """Published KS1 measures (percent of pupils with a KS1 record) and EYFS GLD."""
    miss = _missing_masks(c, model)
    stats: dict[str, float] = {}
    idx = _ks1_index(lat, cal.ks1_cuts)
    has_ks1 = ~miss["no_ks1"]
    for j, s in enumerate(KS1_SUBJECTS):
        res = idx[s][has_ks1]
        ok = ~(miss["ks1_absent"][has_ks1, j] | miss["ks1_disapplied"][has_ks1, j])
        stats[f"KS1 expected_standard {s}"] = 100 * np.mean(ok & (res >= KS1_CATS.index("EXS")))
        stats[f"KS1 greater_depth {s}"] = 100 * np.mean(ok & (res >= KS1_CATS.index("GDS")))
    gld = _eyfs_expected(c, lat, cal, model)[:, _gld_columns()].all(axis=1)
    has_eyfs = ~miss["no_eyfs"]
    stats["EYFS good_level_of_development all"] = 100 * np.mean(gld[has_eyfs] & ~miss["eyfs_absent"][has_eyfs])
    return stats


def prior_attainment_groups(c: Cohort, lat: dict, cal: Calibration, model: dict) -> np.ndarray:
    """Index of each pupil's KS1 prior attainment group (2016+ framework); -1 without a KS1 APS."""
    miss = _missing_masks(c, model)
    return _pag(_ks1_aps(c, _ks1_index(lat, cal.ks1_cuts), miss))


def ks2_statistics(c: Cohort, lat: dict, cal: Calibration, model: dict, pag: np.ndarray) -> dict[str, float]:
    """Published KS2 measures: % expected / higher (percent of all pupils), averages, progress by gender, gap index."""
    miss = _missing_masks(c, model)
    stats: dict[str, float] = {}
    ks2 = _ks2_scores(lat, cal, miss)
    widx = _writing_index(lat, cal, miss)
    exp, high = {}, {}
    for s in TEST_SUBJECTS:
        sc = ks2[s]
        exp[s], high[s] = np.nan_to_num(sc) >= 100, np.nan_to_num(sc) >= 110
        stats[f"KS2 average_scaled_score {s}"] = float(np.nanmean(sc))
    exp["writing"], high["writing"] = widx >= WRITING_CATS.index("EXS"), widx >= WRITING_CATS.index("GDS")
    for s in KS2_SUBJECTS:
        stats[f"KS2 expected_standard {s}"] = 100 * exp[s].mean()
        stats[f"KS2 higher_standard {s}"] = 100 * high[s].mean()
    stats["KS2 expected_standard rwm"] = 100 * (exp["reading"] & exp["writing"] & exp["maths"]).mean()
    stats["KS2 higher_standard rwm"] = 100 * (high["reading"] & high["writing"] & high["maths"]).mean()
    outcomes = {"reading": ks2["reading"], "maths": ks2["maths"], "writing": _writing_points(widx)}
    for s, o in outcomes.items():
        prog = attainment.progress_against_group_mean(o, pag)
        stats[f"KS2 progress_score_girls {s}"] = float(np.nanmean(prog[c.female]))
        stats[f"KS2 progress_score_boys {s}"] = float(np.nanmean(prog[~c.female]))
    stats["KS2 disadvantage_gap_index all"] = attainment.disadvantage_gap_index(
        c.disadvantaged, ks2["reading"], ks2["maths"]
    )
    rwm = exp["reading"] & exp["writing"] & exp["maths"]
    stats["KS2 month_of_birth_gap rwm"] = 100 * (rwm[c.month == 0].mean() - rwm[c.month == 11].mean())
    return stats


def cohort_statistics(c: Cohort, lat: dict, cal: Calibration, model: dict) -> dict[str, float]:
    """Every published measure as this cohort shows it (percentages in percent)."""
    pag = prior_attainment_groups(c, lat, cal, model)
    return {**ks1_statistics(c, lat, cal, model), **ks2_statistics(c, lat, cal, model, pag)}


def _gld_columns() -> list[int]:
    spec = eyfs.spec()
    gld_goals = {g for a in spec["gld_areas"] for g in spec["areas"][a]}
    return [i for i, g in enumerate(eyfs.goals()) if g in gld_goals]


def _eyfs_latent(c: Cohort, lat: dict, model: dict) -> np.ndarray:
    e = model["eyfs"]
    base = lat["general"] + e["month_of_birth"] * c.month
    return base[:, None] + e["elg_sd"] * c.z["elg"]


def _eyfs_expected(c: Cohort, lat: dict, cal: Calibration, model: dict) -> np.ndarray:
    return _eyfs_latent(c, lat, model) >= cal.eyfs_cut


# ----------------------------------------------------------------------------------------------- calibration
def _quantile_cut(values: np.ndarray, share_above: float) -> float:
    """The latent value with ``share_above`` of ``values`` at or above it."""
    return float(np.quantile(values, 1 - share_above))


def _fit_ks1(c: Cohort, lat: dict, model: dict, targets: dict, miss: dict) -> dict[str, list[float]]:
    """KS1 cut points per subject: pre-key-stage slices, then PKF/WTS, WTS/EXS and EXS/GDS at the published rates."""
    m = model["missing"]
    has = ~miss["no_ks1"]
    cuts = {}
    for j, s in enumerate(KS1_SUBJECTS):
        y = lat[f"ks1_{s}"][has]
        share = (~(miss["ks1_absent"][has, j] | miss["ks1_disapplied"][has, j])).mean()
        gds = _target(targets, "KS1", "greater_depth", s) / 100 / share
        exs = _target(targets, "KS1", "expected_standard", s) / 100 / share
        below = np.quantile(y, np.linspace(0, m["ks1_below_wts"] * m["ks1_pre_key_share"], len(KS1_BELOW) + 1)[1:])
        cuts[s] = below.tolist() + [
            float(np.quantile(y, m["ks1_below_wts"])),
            _quantile_cut(y, exs),
            _quantile_cut(y, gds),
        ]
    return cuts


def _fit_ks2(
    lat: dict, model: dict, targets: dict, miss: dict, upper_ratios: dict[str, float]
) -> tuple[dict[str, list[float]], dict[str, ScoreMap], list[float]]:
    """KS2 cut points (B, N), score maps at the published % expected / higher, and writing TA cut points."""
    m = model["missing"]
    ks2_below, maps = {}, {}
    for j, s in enumerate(KS2_SUBJECTS):
        if s == "writing":
            continue
        y = lat[f"ks2_{s}"]
        b_cut, n_cut = np.quantile(y, [m["ks2_below_test"], m["ks2_below_test"] + m["ks2_no_score"]])
        scored = (y >= n_cut) & ~miss["ks2_absent"][:, j]
        ys, share = y[scored], scored.mean()
        maps[s] = ScoreMap(
            _quantile_cut(ys, _target(targets, "KS2", "expected_standard", s) / 100 / share),
            _quantile_cut(ys, _target(targets, "KS2", "higher_standard", s) / 100 / share),
            model["score_map"]["lower_slope_ratio"],
            upper_ratios[s],
        )
        ks2_below[s] = [float(b_cut), float(n_cut)]
    present = ~miss["ks2_absent"][:, 1]
    yw, share = lat["ks2_writing"][present], present.mean()
    below = np.quantile(yw, np.linspace(0, m["ks2_writing_below_wts"], len(WRITING_BELOW) + 1)[1:])
    writing_cuts = below.tolist() + [
        _quantile_cut(yw, _target(targets, "KS2", "expected_standard", "writing") / 100 / share),
        _quantile_cut(yw, _target(targets, "KS2", "higher_standard", "writing") / 100 / share),
    ]
    return ks2_below, maps, writing_cuts


def _fit_eyfs(c: Cohort, lat: dict, model: dict, targets: dict, miss: dict) -> float:
    gld_target = _target(targets, "EYFS", "good_level_of_development", "all") / 100
    keep = ~miss["no_eyfs"]
    present = ~miss["eyfs_absent"][keep]
    # GLD = every GLD goal expected: the pupil's minimum latent over those goals is at least the cut.
    low = _eyfs_latent(c, lat, model)[keep][:, _gld_columns()].min(axis=1)
    return _quantile_cut(low[present], gld_target / present.mean())


def _fit_upper_ratio(y: np.ndarray, smap: ScoreMap, target_mean: float, keep: np.ndarray) -> float:
    def gap(r: float) -> float:
        return float(ScoreMap(smap.t_expected, smap.t_high, smap.lower_ratio, r)(y[keep]).mean() - target_mean)

    lo, hi = 0.05, 20.0
    if gap(lo) > 0 or gap(hi) < 0:
        return lo if gap(lo) > 0 else hi
    return optimize.brentq(gap, lo, hi, xtol=1e-4)


def _solve(fn, target: float, lo: float, hi: float) -> float:
    """Root of fn(x) = target on [lo, hi], or the nearer end when the target lies outside the reachable range."""
    flo, fhi = fn(lo) - target, fn(hi) - target
    if flo * fhi > 0:
        return lo if abs(flo) < abs(fhi) else hi
    return optimize.brentq(lambda x: fn(x) - target, lo, hi, xtol=1e-4)


@functools.lru_cache(maxsize=8)
def _calibrate_cached(year: int, fingerprint: str) -> Calibration:
    model = parameters.load_yaml("synth.yaml")
    chars = parameters.load_yaml("national/characteristics.yaml")
    targets = national_targets(year)
    cfg = model["calibration"]
    rng = np.random.default_rng(cfg["seed"])
    sizes = school_sizes(rng, cfg["sample_pupils"], model)
    schools = draw_schools(rng, len(sizes), model, chars)
    c = draw_cohort(rng, np.repeat(np.arange(len(sizes)), sizes), schools, chars)
    g = model["progress"]
    fx = Effects(g["common_residual_share"], g["disadvantaged"], dict(g["female"]), g.get("spread_slope", 0.0))
    ratios = {s: 1.0 for s in TEST_SUBJECTS}
    miss = _missing_masks(c, model)
    # KS1 and EYFS depend on none of the solved effects: fit them once.
    lat0 = latents(c, schools, model, fx)
    base = Calibration(
        year, fx, _fit_ks1(c, lat0, model, targets, miss), {}, {}, [], _fit_eyfs(c, lat0, model, targets, miss)
    )
    pag = prior_attainment_groups(c, lat0, base, model)

    def fitted(effects: Effects) -> tuple[dict, Calibration]:
        lat = latents(c, schools, model, effects)
        below, maps, writing = _fit_ks2(lat, model, targets, miss, ratios)
        return lat, Calibration(year, effects, base.ks1_cuts, below, maps, writing, base.eyfs_cut)

    def stat(name: str, effects: Effects) -> float:
        lat, cal = fitted(effects)
        return ks2_statistics(c, lat, cal, model, pag)[name]

    def replace(**kw) -> Effects:
        return Effects(
            kw.get("common_share", fx.common_share),
            kw.get("disadvantaged", fx.disadvantaged),
            {**fx.female, **kw.get("female", {})},
            kw.get("spread_slope", fx.spread_slope),
        )

    for _ in range(cfg["rounds"]):
        lat, cal = fitted(fx)
        for j, s in enumerate(KS2_SUBJECTS):
            if s in TEST_SUBJECTS and (mean := _target(targets, "KS2", "average_scaled_score", s)) is not None:
                y = lat[f"ks2_{s}"]
                keep = (y >= cal.ks2_below[s][1]) & ~miss["ks2_absent"][:, j]
                ratios[s] = _fit_upper_ratio(y, cal.score_maps[s], mean, keep)
        for s in KS1_SUBJECTS:
            girls = _target(targets, "KS2", "progress_score_girls", s)
            if girls is not None:
                fx = replace(
                    female={
                        s: _solve(
                            lambda v, s=s: stat(f"KS2 progress_score_girls {s}", replace(female={s: v})),
                            girls,
                            -1.5,
                            1.5,
                        )
                    }
                )
        gap = _target(targets, "KS2", "disadvantage_gap_index", "all")
        if gap is not None:
            fx = replace(
                disadvantaged=_solve(
                    lambda v: stat("KS2 disadvantage_gap_index all", replace(disadvantaged=v)), gap, -2.0, 1.0
                )
            )
        rwm = _target(targets, "KS2", "expected_standard", "rwm")
        if rwm is not None:
            fx = replace(
                common_share=_solve(
                    lambda v: stat("KS2 expected_standard rwm", replace(common_share=v)), rwm, 0.0, 0.99
                )
            )
        rwm_high = _target(targets, "KS2", "higher_standard", "rwm")
        if rwm_high is not None:
            fx = replace(
                spread_slope=_solve(
                    lambda v: stat("KS2 higher_standard rwm", replace(spread_slope=v)), rwm_high, -0.3, 0.6
                )
            )
    lat, cal = fitted(fx)
    cal.achieved = {k: round(float(v), 3) for k, v in cohort_statistics(c, lat, cal, model).items()}
    cal.targets = {f"{k[0]} {k[1]} {k[2]}": list(v) for k, v in targets.items()}
    return cal


def calibrate(year: int) -> Calibration:
    """The generator's calibration for a cohort finishing KS2 in ``year`` (cached per parameter files)."""
    files = (
        "synth.yaml",
        "national/characteristics.yaml",
        "national/figures.csv",
        "scales/ks1_ta.csv",
        "scales/p_scales.csv",
        "scales/prior_attainment_groups.csv",
        "scales/ks2_writing_ta.csv",
        "scales/eyfs.yaml",
    )
    fingerprint = ";".join(f"{parameters.path(f)}:{parameters.path(f).stat().st_mtime_ns}" for f in files)
    return _calibrate_cached(year, fingerprint)


# ----------------------------------------------------------------------------------------------- pupil tables
def school_sizes(rng: np.random.Generator, pupils: int, model: dict) -> np.ndarray:
    """Year-group sizes of as many schools as it takes to hold ``pupils`` (the last one trimmed)."""
    s = model["schools"]
    return common.lognormal_sizes(
        rng, pupils, s["cohort_size_median"], s["cohort_size_log_sd"], s["cohort_size_min"], s["cohort_size_max"]
    )


def outcome_columns(c: Cohort, lat: dict, cal: Calibration, model: dict, stage: np.ndarray) -> pd.DataFrame:
    """Pupil-table result columns; ``stage`` per pupil: 0 none yet, 1 EYFS, 2 EYFS+KS1, 3 EYFS+KS1+KS2."""
    miss = _missing_masks(c, model)
    n = len(c.school)
    cols: dict[str, np.ndarray] = {}
    expected = _eyfs_expected(c, lat, cal, model)
    show_eyfs = (stage >= 1) & ~miss["no_eyfs"]
    for j, goal in enumerate(eyfs.goals()):
        v = np.where(expected[:, j], "expected", "emerging").astype(object)
        v = np.where(miss["eyfs_absent"], "A", v)
        cols[f"eyfs_{goal}"] = np.where(show_eyfs, v, None)
    idx = _ks1_index(lat, cal.ks1_cuts)
    show_ks1 = (stage >= 2) & ~miss["no_ks1"]
    cats = np.array(KS1_CATS, dtype=object)
    for j, s in enumerate(KS1_SUBJECTS):
        v = cats[idx[s]]
        v = np.where(miss["ks1_absent"][:, j], "A", np.where(miss["ks1_disapplied"][:, j], "D", v))
        cols[f"ks1_{s}"] = np.where(show_ks1, v, None)
    ks2 = _ks2_scores(lat, cal, miss)
    show_ks2 = stage >= 3
    for s in TEST_SUBJECTS:
        score = ks2[s]
        text = np.where(np.isnan(score), "", np.nan_to_num(score).astype(int).astype(str)).astype(object)
        text = np.where(
            ks2[f"{s}_code"] == 1, "B", np.where(ks2[f"{s}_code"] == 2, "N", np.where(ks2[f"{s}_code"] == 3, "A", text))
        )
        cols[f"ks2_{s}"] = np.where(show_ks2, text, None)
    widx = _writing_index(lat, cal, miss)
    wcats = np.array(WRITING_CATS, dtype=object)
    cols["ks2_writing"] = np.where(show_ks2, np.where(widx == -2, "A", wcats[np.clip(widx, 0, None)]), None)
    frame = pd.DataFrame(cols, index=range(n))
    return frame.astype("string")


def pupil_table(
    rng: np.random.Generator,
    c: Cohort,
    lat: dict,
    cal: Calibration,
    model: dict,
    school_ids: np.ndarray,
    year_group: np.ndarray,
    academic_year: np.ndarray,
    stage: np.ndarray,
) -> pd.DataFrame:
    """The pupil table (docs/data_model.md) for a drawn cohort."""
    fore, sur = names.pupil_names(rng, c.female)
    birth_start = academic_year - 6 - year_group
    dob = common.dates_of_birth(rng, c.month, birth_start)
    # UPN issued on entry to Reception: LA + establishment of the school, year of issue, serial within it.
    la = np.array([int(s[:3]) for s in school_ids])[c.school]
    estab = np.array([int(s[3:]) for s in school_ids])[c.school]
    issue = birth_start + 4
    key = pd.DataFrame({"s": c.school, "y": issue})
    serial = key.groupby(["s", "y"]).cumcount().to_numpy() + 1
    upn = [make_upn(a, b, y, k) for a, b, y, k in zip(la, estab, issue, serial)]
    base = pd.DataFrame(
        {
            "upn": upn,
            "school_id": school_ids[c.school],
            "forename": fore,
            "surname": sur,
            "dob": dob,
            "gender": np.where(c.female, "F", "M"),
            "year_group": year_group,
            "academic_year": academic_year,
            "fsm": c.fsm,
            "fsm6": c.disadvantaged,
            "eal": c.eal,
            "sen": SEN_CODES[c.sen],
        }
    )
    base = base.astype(
        {
            "upn": "string",
            "school_id": "string",
            "forename": "string",
            "surname": "string",
            "gender": "string",
            "sen": "string",
            "year_group": "Int64",
            "academic_year": "Int64",
            "fsm": "boolean",
            "fsm6": "boolean",
            "eal": "boolean",
        }
    )
    return pd.concat([base, outcome_columns(c, lat, cal, model, stage)], axis=1)


def draw_targets(rng: np.random.Generator, would_be: pd.DataFrame, year_group: np.ndarray, model: dict) -> pd.DataFrame:
    """Targets a school might have set: ``target_<subject>`` (KS2 subjects for Years 3-6, KS1 for Years 1-2) and
    ``target_reviewed``, from each pupil's would-be results ``would_be`` (``ks1_*`` and ``ks2_*`` columns)."""
    t = model["targets"]
    n = len(would_be)
    ks2_years, ks1_years = year_group >= 3, (year_group >= 1) & (year_group <= 2)
    step = rng.choice([1, -1, 0], n, p=[t["step_up"], t["step_down"], 1 - t["step_up"] - t["step_down"]])
    out: dict[str, np.ndarray] = {}

    def stepped(codes: pd.Series, ladder: tuple[str, ...]) -> np.ndarray:
        index = pd.Series(codes).map({c: i for i, c in enumerate(ladder)}).to_numpy(dtype=float)
        moved = np.clip(index + step, 0, len(ladder) - 1)
        return np.where(np.isnan(index), None, np.asarray(ladder, dtype=object)[np.nan_to_num(moved).astype(int)])

    for s in KS2_SUBJECTS:
        if s == "writing":
            ks2_target = stepped(would_be["ks2_writing"], ("PKF", "WTS", "EXS", "GDS"))
        else:
            score = ks2.scaled_score(would_be[f"ks2_{s}"]).to_numpy().astype(float)
            aim = np.clip(
                np.round(np.where(np.isnan(score), 84, score) + rng.normal(t["ambition_mean"], t["ambition_sd"], n)),
                80,
                120,
            )
            ks2_target = ks2.band_of_score(pd.Series(aim)).to_numpy(dtype=object)
        ks1_target = stepped(would_be[f"ks1_{s}"], ("PKF", "WTS", "EXS", "GDS")) if s != "gps" else np.full(n, None)
        target = np.where(ks2_years, ks2_target, np.where(ks1_years, ks1_target, None))
        out[f"target_{s}"] = np.where(rng.random(n) < t["without_target"], None, target)
    frame = pd.DataFrame(out).astype("string")
    has = frame.notna().any(axis=1).to_numpy()
    frame["target_reviewed"] = pd.array(np.where(has, rng.random(n) < t["reviewed"], None), dtype="boolean")
    return frame


@dataclass
class NationalCohort:
    pupils: pd.DataFrame
    schools: pd.DataFrame  # school_id, pupils, planted intake and value added (latent SD units)
    calibration: Calibration


def rba_scores(rng: np.random.Generator, c: Cohort, lat: dict, model: dict) -> np.ndarray:
    """Synthetic Reception Baseline Assessment scores (0-39): general attainment with the age-5 month-of-birth
    effect and assessment noise, scaled to the documented mean and SD (``rba`` in parameters/synth.yaml). Only
    synthetic national cohorts carry them: no school ever sees a real pupil's RBA score."""
    r = model["rba"]
    x = lat["general"] + model["eyfs"]["month_of_birth"] * c.month + r["noise_sd"] * rng.standard_normal(len(c.month))
    z = (x - x.mean()) / x.std()
    return np.clip(np.round(r["mean"] + r["sd"] * z), 0, 39).astype(int)


def national_cohort(pupils: int, year: int, seed: int) -> NationalCohort:
    """A synthetic national cohort of ``pupils`` who finished KS2 in ``year`` (EYFS, KS1 and KS2 results, and a
    simulated RBA score for researchers)."""
    if pupils < 1:
        raise ValueError("--pupils must be at least 1")
    model = parameters.load_yaml("synth.yaml")
    chars = parameters.load_yaml("national/characteristics.yaml")
    cal = calibrate(year)
    rng = np.random.default_rng(seed)
    sizes = school_sizes(rng, pupils, model)
    schools = draw_schools(rng, len(sizes), model, chars)
    c = draw_cohort(rng, np.repeat(np.arange(len(sizes)), sizes), schools, chars)
    lat = latents(c, schools, model, cal.effects)
    ids = common.school_ids(rng, len(sizes))
    n = len(c.school)
    table = pupil_table(rng, c, lat, cal, model, ids, np.full(n, 6), np.full(n, year), np.full(n, 3))
    table["rba"] = pd.array(rba_scores(np.random.default_rng([seed, 6000]), c, lat, model), dtype="Int64")
    school_frame = pd.DataFrame(
        {
            "school_id": ids,
            "pupils": sizes,
            "intake": schools.intake,
            **{f"va_{s}": schools.va[s] for s in KS2_SUBJECTS},
            **planted_effect_in_points(c, lat, schools, cal),
        }
    )
    return NationalCohort(table, school_frame, cal)


def planted_effect_in_points(c: Cohort, lat: dict, schools: Schools, cal: Calibration) -> dict[str, np.ndarray]:
    """Each school's planted value added in outcome units: the mean, over its pupils, of the outcome with the
    effect minus the outcome without it (scaled score for tests, TA points for writing), clipped to 79-120."""
    out = {}
    n_schools = len(schools.intake)
    for s in KS2_SUBJECTS:
        y = lat[f"ks2_{s}"]
        without = y - schools.va[s][c.school]
        if s == "writing":
            points = attainment.writing_progress_points(pd.Series(WRITING_CATS))
            cuts = np.asarray(cal.writing_cuts)
            diff = points[np.searchsorted(cuts, y, side="right")] - points[np.searchsorted(cuts, without, side="right")]
        else:
            smap = cal.score_maps[s]
            diff = np.clip(smap.continuous(y), 79, 120) - np.clip(smap.continuous(without), 79, 120)
        total = np.bincount(c.school, diff, minlength=n_schools)
        out[f"va_{s}_points"] = total / np.maximum(np.bincount(c.school, minlength=n_schools), 1)
    return out


@dataclass
class DemoTrust:
    schools: pd.DataFrame
    pupils: pd.DataFrame  # current pupils: Reception to Year 6 (primaries), Years 12-13 (secondary)
    past: dict[int, pd.DataFrame]  # KS2 year -> that year's Year 6 with KS2 results
    ks5: dict[int, pd.DataFrame] = field(default_factory=dict)  # year -> that year's Year 13 A level entries
    ks2_levels: dict[int, pd.DataFrame] = field(default_factory=dict)  # year -> Years 7-11 with old KS2 levels
    tracking: pd.DataFrame | None = None  # termly steps-and-points grades (primaries)
    judgements: pd.DataFrame | None = None  # foundation-subject judgements (primaries)
    ks4: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)  # year -> (Year 11, GCSEs)
    ks4_targets: pd.DataFrame | None = None  # Years 7-11 GCSE targets (upn, school_id, subject, target)


SECONDARY = {
    "school_id": "9254000",
    "school_name": "Thornbury Park School (synthetic)",
    "intake": 0.10,
    "va_ks5": 0.15,
    "sixth_form_students": 120,
    "ks4_pupils_per_year": 180,
    "p8": 0.3,  # planted: its pupils do about this much better than similar pupils nationally (Progress 8)
    "ks4_intake": 0.2,  # KS2 prior attainment of its intake, above national (weight on the standardised prior)
}


OLD_KS2_YEAR = 2016  # the last Years 7-11 who all sat old-style KS2 (levels and marks): Year 11 of 2015/16
OLD_KS2_EXCEPTIONS = (
    ("N", 5.0, "2"),
    ("N", 3.0, None),
    ("2", 15.0, "W"),
    ("2", 14.0, "1"),
    ("2", 16.0, "2"),
    ("2", 5.0, "3"),
    ("2", 30.0, "4"),
    ("2", 17.0, "4"),
)  # (level, mark, TA)


def old_ks2_cohort(
    rng: np.random.Generator, school_id: str, year: int = OLD_KS2_YEAR, per_year: int = 150
) -> pd.DataFrame:
    """Years 7-11 of a secondary school in ``year`` with old-style KS2 results (levels, test marks, teacher
    assessments), including every exception of seed 004 and, in Year 11, the seed's worked-example pupil (English
    level 4 mark 52, maths level 5 mark 88)."""
    from toolkit.methods.ks2_baseline import mark_range, thresholds

    table = thresholds()
    parts = []
    for g in range(7, 12):
        n = per_year
        female = rng.random(n) < 0.5
        fore, sur = names.pupil_names(rng, female)
        birth_start = np.full(n, year - 6 - g)
        ks2_year = year - (g - 6)
        frame = pd.DataFrame(
            {
                "upn": [
                    make_upn(int(school_id[:3]), int(school_id[3:]), int(b) + 4, 500 + k)
                    for k, b in enumerate(birth_start)
                ],
                "school_id": school_id,
                "forename": fore,
                "surname": sur,
                "dob": common.dates_of_birth(rng, rng.integers(0, 12, n), birth_start),
                "gender": np.where(female, "F", "M"),
                "year_group": g,
                "academic_year": year,
                "fsm6": rng.random(n) < 0.25,
                "ks2_year": ks2_year,
            }
        )
        general = rng.normal(0, 1, n)
        for subject, mean in (("english", 4.35), ("maths", 4.4)):
            grade = mean + 0.75 * (0.8 * general + 0.6 * rng.normal(0, 1, n))
            level = np.clip(np.floor(grade), 2, 5).astype(int)
            frac = np.clip(grade - np.floor(grade), 0, 0.999)
            mark = np.empty(n)
            for lv in (2, 3, 4, 5):
                lo, hi = mark_range(table, ks2_year, subject, lv)
                rows = level == lv
                mark[rows] = np.floor(lo + frac[rows] * (hi - lo + 1))
            level_text = level.astype(str).astype(object)
            ta = np.clip(level + rng.choice([-1, 0, 0, 0, 1], n), 1, 6).astype(str).astype(object)
            # The lowest attainers of each year carry seed 004's exceptions: level N with and without a TA, test
            # level 2 with TA W, 1, 2 and above 2 (marks below and above the level-2 range among them).
            lowest = np.argsort(grade)[: len(OLD_KS2_EXCEPTIONS)]
            for i, (lv, mk, t) in zip(lowest, OLD_KS2_EXCEPTIONS):
                level_text[i], mark[i], ta[i] = lv, mk, t
            frame[f"ks2_{subject}_level"] = level_text
            frame[f"ks2_{subject}_mark"] = mark
            frame[f"ks2_{subject}_ta"] = ta
            frame[f"ks2_{subject}_level6"] = (level == 5) & (grade > 5.7)
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    example = out.index[out["year_group"] == 11][0]  # seed 004's worked example
    out.loc[
        example,
        [
            "ks2_english_level",
            "ks2_english_mark",
            "ks2_english_ta",
            "ks2_english_level6",
            "ks2_maths_level",
            "ks2_maths_mark",
            "ks2_maths_ta",
            "ks2_maths_level6",
        ],
    ] = ["4", 52.0, "4", False, "5", 88.0, "5", False]
    out.loc[example, "ks2_year"] = year - 5
    return out


def demo_secondary(year: int, seed: int) -> tuple[dict, pd.DataFrame, dict[int, pd.DataFrame], pd.DataFrame, object]:
    """The demo trust's secondary school with a sixth form: its schools.csv row, Years 7-13 on roll in ``year``
    (Years 7-11 with KS2 results, Years 12-13 with KS4 APS), the A level entries of its three previous Year 13
    cohorts, its Years 7-11 of ``OLD_KS2_YEAR`` with old-style KS2 results (``old_ks2_cohort``) and its KS4 data
    (``toolkit.synth.ks4.school_ks4``: three past Year 11 cohorts with GCSE results, and GCSE targets). Drawn from
    its own random streams, so adding it leaves the primaries unchanged."""
    from toolkit.synth import ks4 as synth_ks4
    from toolkit.synth import ks5 as synth_ks5

    rng = np.random.default_rng([seed, 4000])
    sch = SECONDARY
    size = lambda: int(sch["sixth_form_students"] * rng.uniform(0.9, 1.1))
    current = [
        synth_ks5.sixth_form(rng, sch["school_id"], year, g, size(), sch["intake"], sch["va_ks5"])[0] for g in (12, 13)
    ]
    past = {
        ay: synth_ks5.sixth_form(rng, sch["school_id"], ay, 13, size(), sch["intake"], sch["va_ks5"])[1]
        for ay in (year - 3, year - 2, year - 1)
    }
    ks4 = synth_ks4.school_ks4(
        np.random.default_rng([seed, 4500]),
        sch["school_id"],
        year,
        sch["ks4_pupils_per_year"],
        sch["p8"],
        sch["ks4_intake"],
        [year - 3, year - 2, year - 1],
    )
    row = {
        "school_id": sch["school_id"],
        "school_name": sch["school_name"],
        "la": 925,
        "phase": "Secondary",
        "trust": "Synthetic Demo Trust",
        "synthetic": True,
        "sixth_form": True,
        "intake": sch["intake"],
        "va_ks5": sch["va_ks5"],
        "p8": sch["p8"],
    }
    on_roll = pd.concat([ks4.current, *current], ignore_index=True)
    return row, on_roll, past, old_ks2_cohort(rng, sch["school_id"]), ks4


def withhold_ks1(pupils: pd.DataFrame, year: int, demo: dict, rng: np.random.Generator) -> pd.DataFrame:
    """The KS1 results real pupils have: none for cohorts whose KS1 year was cancelled (KS2 2024 and 2025), and
    none for the pupils of a school and year group that did not assess KS1 once it was optional (from 2024; a
    share ``ks1_opt_out_share`` of schools per year group). Pupils in ``year`` are in Year ``g``: KS1 in
    ``year - (g - 2)``; past Year 6 cohorts of KS2 year ``ay``: KS1 in ``ay - 4``."""
    out = pupils.copy()
    g = out["year_group"].astype(int).to_numpy()
    ay = out["academic_year"].astype(int).to_numpy()
    ks1_year = ay - (g - 2)
    cancelled = np.isin(ks1_year, demo["ks1_cancelled_years"])
    optional = (g >= 3) & (ks1_year >= demo["ks1_optional_from"]) & (ay == year)
    keys = pd.DataFrame({"school": out["school_id"].astype(str), "g": g})[optional].drop_duplicates()
    opted_out = keys[rng.random(len(keys)) < demo["ks1_opt_out_share"]]
    out_key = pd.MultiIndex.from_frame(pd.DataFrame({"school": out["school_id"].astype(str), "g": g}))
    withheld = cancelled | (optional & out_key.isin(pd.MultiIndex.from_frame(opted_out)))
    for col in (c for c in out.columns if c.startswith("ks1_")):
        out.loc[withheld, col] = pd.NA
    return out


def demo_trust(n_schools: int, year: int, seed: int, secondary: bool = True) -> DemoTrust:
    """A synthetic trust: ``n_schools`` primaries with Reception-Year 6 in academic year ``year`` (by its summer)
    and past KS2 cohorts (``demo.past_ks2_cohorts`` in parameters/synth.yaml) for value added and own past
    progress, with the KS1 results real schools have (``withhold_ks1``), plus (unless
    ``secondary`` is False) a secondary school with a sixth form (``demo_secondary``)."""
    if n_schools < 1:
        raise ValueError("--schools must be at least 1")
    model = parameters.load_yaml("synth.yaml")
    chars = parameters.load_yaml("national/characteristics.yaml")
    cal = calibrate(year - 1)
    rng = np.random.default_rng(seed)
    schools = draw_schools(rng, n_schools, model, chars)
    ids = common.school_ids(rng, n_schools, las=[925])
    # A school keeps roughly its size from year to year: 1, 2 or 3 forms of entry, or a small village school.
    form = rng.choice([15, 30, 30, 45, 60, 90], n_schools)
    demo = model["demo"]
    past_years = [year - k for k in range(1, demo["past_ks2_cohorts"] + 1)]
    cohorts = [(g, year) for g in range(7)] + [(6, ay) for ay in past_years]
    parts = []
    for g, ay in cohorts:
        sizes = np.clip(np.round(form * rng.uniform(0.85, 1.0, n_schools)), 10, 90).astype(int)
        school = np.repeat(np.arange(n_schools), sizes)
        c = draw_cohort(rng, school, schools, chars)
        lat = latents(c, schools, model, cal.effects)
        stage = 3 if ay < year else (2 if g >= 3 else 1 if g >= 1 else 0)
        n = len(school)
        table = pupil_table(rng, c, lat, cal, model, ids, np.full(n, g), np.full(n, ay), np.full(n, stage))
        if ay == year:
            would_be = outcome_columns(c, lat, cal, model, np.full(n, 3))
            table = pd.concat([table, draw_targets(rng, would_be, np.full(n, g), model)], axis=1)
        parts.append(table)
    everyone = withhold_ks1(pd.concat(parts, ignore_index=True), year, demo, np.random.default_rng([seed, 5000]))
    current = everyone[everyone["academic_year"] == year].reset_index(drop=True)
    current = current.drop(columns=[c for c in current.columns if c.startswith("ks2_")])
    past = {
        ay: everyone[everyone["academic_year"] == ay]
        .reset_index(drop=True)
        .drop(columns=[c for c in everyone.columns if c.startswith("target_")])
        for ay in sorted(past_years)
    }
    school_frame = pd.DataFrame(
        {
            "school_id": ids,
            "school_name": names.school_names(n_schools),
            "la": 925,
            "phase": "Primary",
            "trust": "Synthetic Demo Trust",
            "synthetic": True,
            "sixth_form": False,
            "intake": schools.intake,
            **{f"va_{s}": schools.va[s] for s in KS2_SUBJECTS},
        }
    )
    from toolkit.synth import assessment as synth_assessment

    arng = np.random.default_rng([seed, 3000])  # its own stream: the pupils above are unchanged
    records = synth_assessment.tracking_records(arng, current, year)
    judged = synth_assessment.judgements(arng, current, year)
    if not secondary:
        return DemoTrust(school_frame, current, past, tracking=records, judgements=judged)
    row, secondary_pupils, ks5_past, old_ks2, ks4 = demo_secondary(year, seed)
    school_frame = pd.concat([school_frame, pd.DataFrame([row])], ignore_index=True)
    shared = {c: t for c, t in current.dtypes.items() if c in secondary_pupils and c != "dob"}
    current = pd.concat([current, secondary_pupils.astype(shared)], ignore_index=True)
    return DemoTrust(
        school_frame, current, past, ks5_past, {OLD_KS2_YEAR: old_ks2}, records, judged, ks4.past, ks4.targets
    )


# ----------------------------------------------------------------------------------------------- writing
def write_national(cohort: NationalCohort, out: Path) -> list[Path]:
    """Write the cohort (Parquet), its planted school effects and its calibration report beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cohort.pupils.to_parquet(out, index=False)
    schools_path = out.with_name(out.stem + "_schools.csv")
    cohort.schools.to_csv(schools_path, index=False, float_format="%.5f")
    report = out.with_name(out.stem + "_calibration.json")
    report.write_text(json.dumps(calibration_report(cohort.calibration), indent=2))
    return [out, schools_path, report]


def calibration_report(cal: Calibration) -> dict:
    """Targets, what the calibration sample achieved, and the solved effects, for the record."""
    return {
        "synthetic": True,
        "ks2_year": cal.year,
        "effects": asdict(cal.effects),
        "targets": cal.targets,
        "achieved_on_calibration_sample": cal.achieved,
    }


README_TEXT = """# Synthetic demo trust (NOT REAL PUPILS)

Every pupil, name, UPN and school here was generated by `toolkit synth schools`; surnames such as Mockford or
Sampleton say so on every page. Results follow a model calibrated to published national figures
(docs/synthetic_data.md). Files:

- schools.csv: the schools, with the value added planted in each (latent SD units)
- pupils.csv: pupils on roll in {year_label}: Reception to Year 6 in the primaries (EYFS from Year 1, KS1 from
  Year 3, except where a school did not assess the optional KS1 of 2024 on); Years 7-11 in the secondary school
  with their KS2 results, and Years 12 and 13 with their KS4 average point score
- ks2_<year>.csv: the Year 6 of each of the previous five years, with KS2 results (the 2024 and 2025 cohorts have
  no KS1 results: KS1 2020 and 2021 were cancelled, so there is no official progress measure for them)
- ks5_<year>.csv: the secondary school's Year 13 of each of the three previous years, one row per A level or AS
  entry with its grade
- tracking.csv: termly steps-and-points grades (reading, writing, maths) of the primaries' pupils: last year's
  three terms and this year's autumn
- subject_judgements.csv: emerging / expected / exceeding in the foundation subjects (science and PE by
  programme of study), one row per pupil, subject and programme
- ks4_<year>.csv and gcse_<year>.csv: the secondary school's Year 11 of each of the three previous years (KS2
  results; none for 2025 and 2026, whose KS2 tests of 2020 and 2021 were cancelled) and their GCSE results
- ks4_targets.csv: GCSE targets of the secondary school's Years 7-11 (Years 10-11 in their option subjects, Years
  7-9 in the core subjects)
- ks2_levels_<year>.csv: the secondary school's Years 7-11 of 2015/16 with old-style KS2 results (levels, test marks,
  teacher assessments) for the fine-points and Progress 8 baseline report
"""


def write_trust(trust: DemoTrust, out: Path, year: int) -> list[Path]:
    """Write the demo trust as CSV pupil tables (the same format a school would supply)."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "schools.csv", out / "pupils.csv"]
    trust.schools.to_csv(written[0], index=False, float_format="%.5f")
    _to_csv(trust.pupils, written[1])
    for ay, frame in trust.past.items():
        written.append(out / f"ks2_{ay}.csv")
        _to_csv(frame, written[-1])
    for ay, frame in trust.ks5.items():
        written.append(out / f"ks5_{ay}.csv")
        _to_csv(frame, written[-1])
    for ay, frame in trust.ks2_levels.items():
        written.append(out / f"ks2_levels_{ay}.csv")
        _to_csv(frame, written[-1])
    for ay, (pupils, results) in trust.ks4.items():
        written += [out / f"ks4_{ay}.csv", out / f"gcse_{ay}.csv"]
        _to_csv(pupils, written[-2])
        results.to_csv(written[-1], index=False)
    for name, frame in (
        ("tracking.csv", trust.tracking),
        ("subject_judgements.csv", trust.judgements),
        ("ks4_targets.csv", trust.ks4_targets),
    ):
        if frame is not None:
            written.append(out / name)
            frame.to_csv(written[-1], index=False)
    (out / "README.md").write_text(README_TEXT.format(year_label=f"{year - 1}/{str(year)[2:]}"))
    return written + [out / "README.md"]


def _to_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    if "dob" in out:
        out["dob"] = pd.to_datetime(out["dob"]).dt.strftime("%Y-%m-%d")
    if "ks2_year" in out:
        out["ks2_year"] = pd.to_numeric(out["ks2_year"]).astype("Int64")
    for col in ("fsm", "fsm6", "eal", "target_reviewed", "ks2_english_level6", "ks2_maths_level6"):
        if col in out:
            out[col] = out[col].map({True: "Y", False: "N"})
    out.to_csv(path, index=False)
