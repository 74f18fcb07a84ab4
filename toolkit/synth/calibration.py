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
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from toolkit import parameters
from toolkit.methods import attainment
from toolkit.scales import eyfs, ks1
from toolkit.synth import common
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
    spec = eyfs.eyfs_scale()
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


def calibration_report(cal: Calibration) -> dict:
    """Targets, what the calibration sample achieved, and the solved effects, for the record."""
    return {
        "synthetic": True,
        "ks2_year": cal.year,
        "effects": asdict(cal.effects),
        "targets": cal.targets,
        "achieved_on_calibration_sample": cal.achieved,
    }
