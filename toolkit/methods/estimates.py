"""Estimates from prior attainment with challenge levels (seed 000, "A brief guide to an FFT estimate").

``EstimateModel(stage).fit(reference)`` learns, from last year's national results, how pupils with each prior
attainment, gender and month of birth did; ``predict(pupils, challenge)`` gives every pupil's estimated outcome,
an interval, the chance of each band, of the expected standard and of the high score, for any challenge level.

Method (docs/methodology.md):

1. A linear model per subject predicts the outcome (KS2 scaled score, writing TA points, KS1 TA points) from
   prior attainment (KS1 bands per subject and the KS1 average point score; or EYFS area scores), gender and month
   of birth (contextual factors optional).
2. Reference pupils are grouped into bins of that prediction; a pupil's predictive distribution is the prediction
   plus the residuals of the reference pupils in its bin. Chances are shares of that distribution, so they are
   calibrated wherever similar pupils were seen.
3. A challenge percentile p shifts the distribution by the value added of the school at the p-th percentile of
   school value added in the reference cohort (FFT50 = 50, FFT20 = 80, FFT5 = 95, or any 1-99).
4. Combined measures (RWM, reading and maths) use an empirical copula: each reference pupil's rank within its
   own predictive distribution in every subject, kept as tuples per bin of a combined index. A pupil reaches the
   standard in all subjects of a tuple when each rank is at least 1 - (its chance in that subject), so combined
   chances agree with the per-subject chances and keep the correlation between subjects.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.methods import attainment
from toolkit.scales import eyfs, ks1, ks2
from toolkit.vocabulary import COMBINED, SUBJECTS

STAGES = ("ks2", "ks1")


def model_parameters() -> dict:
    return parameters.load_yaml("estimates.yaml")


# ----------------------------------------------------------------------------------------------- outcome scales
@dataclass(frozen=True)
class OutcomeScale:
    """Bands of an outcome on a continuous scale: ``cuts[k]`` is the lower edge of ``bands[k + 1]``."""

    bands: tuple[str, ...]
    cuts: tuple[float, ...]
    expected: float
    high: float
    lowest: float
    highest: float

    def cut_of_band(self, band: str) -> float:
        """Lower edge of a band (-inf for the lowest)."""
        i = self.bands.index(band)
        return -np.inf if i == 0 else self.cuts[i - 1]


SCALE_FILES = (
    "estimates.yaml",
    "scales/bands.csv",
    "scales/ks2.yaml",
    "scales/ks2_writing_ta.csv",
    "scales/ks1_ta.csv",
)


def outcome_scale(stage: str, subject: str) -> OutcomeScale:
    """The scale estimates of ``subject`` are made on: KS2 tests 10 bands, writing and KS1 the 4 bands."""
    return _outcome_scale(stage, subject, parameters.stamp(SCALE_FILES))


@functools.lru_cache(maxsize=64)
def _outcome_scale(stage: str, subject: str, stamp: tuple) -> OutcomeScale:
    s = model_parameters()
    if stage == "ks2" and subject != "writing":
        t = ks2.band_table()
        cuts = tuple(float(m) - 0.5 for m in t["min_score"].iloc[1:])
        sc = ks2.scale()
        return OutcomeScale(
            tuple(t["band"]), cuts, sc["expected_standard"] - 0.5, sc["high_score"] - 0.5, sc["min"], sc["max"]
        )
    cuts = s["writing_cuts"] if stage == "ks2" else s["ks1_cuts"]
    points = (
        attainment.writing_progress_points(pd.Series(["BLW", "GDS"]))
        if stage == "ks2"
        else ks1.ks1_points(pd.Series(["P4", "GDS"])).to_numpy()
    )
    return OutcomeScale(
        ks2.BANDS_4, (cuts["W"], cuts["N"], cuts["A"]), cuts["N"], cuts["A"], float(points[0]), float(points[1])
    )


def is_teacher_assessed(stage: str, subject: str) -> bool:
    """KS1 subjects and KS2 writing are teacher assessments (categories), not test scores."""
    return stage == "ks1" or subject == "writing"


def spread_within_category(values: np.ndarray, scale: OutcomeScale, rng: np.random.Generator) -> np.ndarray:
    """A TA result is a category, not a point: place each pupil uniformly inside its band's interval.

    Band rates are unchanged (every value stays inside its band) and the mean stays at the category's points
    (each interval is centred on them), but predictive distributions become continuous, so a challenge shift
    smaller than one whole step still moves the chances. Band B keeps its points.
    """
    cuts = np.array(scale.cuts)
    band = np.searchsorted(cuts, values, side="right")
    lower = np.concatenate([[np.nan], cuts])[band]
    top_width = cuts[-1] - cuts[-2]
    upper = np.concatenate([cuts, [cuts[-1] + top_width]])[np.minimum(band, len(cuts))]
    spread = lower + rng.random(len(values)) * (upper - lower)
    return np.where((band == 0) | np.isnan(values), values, spread)


def outcome_values(pupils: pd.DataFrame, stage: str, subject: str) -> np.ndarray:
    """Numeric outcome: KS2 scaled score (B and N as 79), writing TA points, KS1 TA points; NaN without a result."""
    col = f"{stage}_{subject}"
    if col not in pupils:
        return np.full(len(pupils), np.nan)
    if stage == "ks1":
        return ks1.ks1_points(pupils[col]).to_numpy()
    if subject == "writing":
        return attainment.writing_progress_points(pupils[col])
    score = ks2.scaled_score(pupils[col]).to_numpy()
    below = pupils[col].astype("string").str.upper().isin(["B", "N"]).fillna(False).to_numpy()
    return np.where(below, model_parameters()["below_test_score"], score)


# ----------------------------------------------------------------------------------------------- features
def month_of_birth(dob: pd.Series) -> np.ndarray:
    """0 for September ... 11 for August (the school year's order)."""
    return ((pd.to_datetime(dob).dt.month.to_numpy() - 9) % 12).astype(float)


PRIORS = {"ks2": "ks1", "ks1": "eyfs"}  # each stage's usual prior attainment


def prior_known(pupils: pd.DataFrame, stage: str, prior: str | None = None) -> np.ndarray:
    """True where the pupil has prior attainment: a KS1 average point score (prior ``ks1``, the default for KS2) or
    any EYFS goal (prior ``eyfs``, the default for KS1)."""
    if (prior or PRIORS[stage]) == "ks1":
        if not all(f"ks1_{s}" in pupils for s in ks1.SUBJECTS):
            return np.zeros(len(pupils), dtype=bool)
        return ~np.isnan(ks1.ks1_aps(pupils["ks1_reading"], pupils["ks1_writing"], pupils["ks1_maths"]).to_numpy())
    if not all(c in pupils for c in eyfs.goal_columns()):
        return np.zeros(len(pupils), dtype=bool)
    return eyfs.area_scores(pupils).notna().any(axis=1).to_numpy()


def features(pupils: pd.DataFrame, stage: str, contextual: bool = False, prior: str | None = None) -> np.ndarray:
    """Design matrix: prior attainment (KS1 or EYFS, ``prior``; default the stage's usual one), gender, month of
    birth (and FSM6, EAL, SEN when ``contextual``)."""
    n = len(pupils)
    cols = [np.ones(n), (pupils["gender"] == "F").to_numpy(dtype=float), month_of_birth(pupils["dob"])]
    if (prior or PRIORS[stage]) == "ks1":
        for s in ks1.SUBJECTS:
            band = ks1.ks1_band(pupils[f"ks1_{s}"]) if f"ks1_{s}" in pupils else pd.Series(pd.NA, index=pupils.index)
            cols += [band.eq(b).fillna(False).to_numpy(dtype=float) for b in ks2.BANDS_4]
        aps = (
            ks1.ks1_aps(pupils["ks1_reading"], pupils["ks1_writing"], pupils["ks1_maths"]).to_numpy()
            if all(f"ks1_{s}" in pupils for s in ks1.SUBJECTS)
            else np.full(n, np.nan)
        )
        has = ~np.isnan(aps)
        a = np.nan_to_num(aps)
        cols += [has.astype(float), a, a**2]
    else:
        if all(c in pupils for c in eyfs.goal_columns()):
            areas = eyfs.area_scores(pupils)
            goals = pupils[eyfs.goal_columns()].apply(lambda c: c.astype("string").str.lower())
            expected = goals.isin(["expected", "exceeding"]).sum(axis=1).to_numpy(dtype=float)
            has = areas.notna().any(axis=1).to_numpy()
            picked = areas[["communication_language", "literacy", "maths", "personal_social_emotional"]]
            overall = areas.mean(axis=1)
            cols += [has.astype(float)] + [np.nan_to_num(picked[c].to_numpy()) for c in picked]
            cols += [np.nan_to_num(overall.to_numpy())]
            # The number of goals at the expected level, one column per count: pupils' chances are not a
            # straight line (nor a parabola) in it, least of all at the top where most pupils have every goal.
            cols += [(has & (expected == k)).astype(float) for k in range(1, len(eyfs.goal_columns()) + 1)]
        else:
            cols += [np.zeros(n)]
    if contextual:
        cols += [
            pupils["fsm6"].fillna(False).to_numpy(dtype=float),
            pupils["eal"].fillna(False).to_numpy(dtype=float),
            pupils["sen"].eq("K").fillna(False).to_numpy(dtype=float),
            pupils["sen"].eq("E").fillna(False).to_numpy(dtype=float),
        ]
    return np.column_stack(cols)


def linear_prediction(X: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``X @ coef`` rounded to 1e-9, in fitting and predicting alike: a matrix product's last bits depend on how
    many rows it has (BLAS blocking), and a pupil's estimate must not depend on which other pupils are estimated
    with them (a one-school run), nor fall on the other side of a bin edge because of it."""
    return np.round(X @ coef, 9)


def _check_challenge(challenge) -> np.ndarray:
    p = np.asarray(challenge, dtype=float)
    if np.any(np.isnan(p)) or np.any((p < 1) | (p > 99)):
        raise ValueError(
            "A challenge level is a percentile of school value added from 1 to 99 (FFT50 = 50, FFT20 = 80, FFT5 = 95)"
        )
    return p


# ----------------------------------------------------------------------------------------------- the model
@dataclass
class Bins:
    """Bins of a score, made separately for pupils with and without prior attainment (stratum 1 and 0): a pupil
    with no prior attainment is not like a pupil whose prior attainment predicts the same outcome; their spread
    and the link between their subjects differ. Each stratum gets up to ``bins`` equal-count bins of at least
    ``min_pupils``; a stratum with fewer reference pupils than that shares the other's bins."""

    edges: list[np.ndarray]  # per stratum: inner edges on the score
    offsets: list[int]  # per stratum: index of its first bin
    alias: list[int]  # per stratum: the stratum whose bins it uses

    @classmethod
    def of(cls, score: np.ndarray, stratum: np.ndarray, bins: int, min_pupils: int) -> Bins:
        sizes = [int((stratum == k).sum()) for k in (0, 1)]
        alias = [k if sizes[k] >= min_pupils or sizes[1 - k] < min_pupils else 1 - k for k in (0, 1)]
        if alias == [0, 0] or alias == [1, 1]:
            stratum = np.full(len(score), alias[0])
        edges, offsets, start = [], [], 0
        for k in (0, 1):
            values = score[stratum == k]
            n = min(bins, max(1, len(values) // min_pupils))
            # Edges are data values (each bin holds at least its lower edge) above the minimum (so the first
            # bin is not empty either).
            e = (
                np.unique(np.quantile(values, np.linspace(0, 1, n + 1)[1:-1], method="lower"))
                if n > 1
                else np.array([])
            )
            e = e[e > values.min()] if len(e) else e
            edges.append(e)
            offsets.append(start)
            start += len(e) + 1 if len(values) else 0
        return cls(edges, offsets, alias)

    @property
    def count(self) -> int:
        return max(o + len(e) + 1 for o, e in zip(self.offsets, self.edges))

    def index(self, score: np.ndarray, stratum: np.ndarray) -> np.ndarray:
        out = np.empty(len(score), dtype=int)
        for k in (0, 1):
            rows = stratum == k
            a = self.alias[k]
            out[rows] = self.offsets[a] + np.searchsorted(self.edges[a], score[rows], side="right")
        return out


@dataclass
class _Fitted:
    coef: np.ndarray
    bins: Bins  # bins of the prediction
    residuals: list[np.ndarray]  # sorted residuals per bin (empty where the reference had no pupil)
    school_va: np.ndarray  # sorted school mean residuals (schools with enough pupils)
    sd: float  # pupil-level residual standard deviation


@dataclass
class _Joint:
    subjects: tuple[str, ...]
    bins: Bins
    tuples: list[np.ndarray]  # per bin: (k, len(subjects)) ranks of reference pupils (0-1) per subject


class EstimateModel:
    """Estimates for one stage: ``"ks2"`` (KS1 -> KS2) or ``"ks1"`` (EYFS -> KS1). Constructor only stores settings."""

    def __init__(self, stage: str = "ks2", contextual: bool = False, prior: str | None = None):
        if stage not in STAGES:
            raise ValueError(f"Unknown stage {stage!r}; expected one of {STAGES}")
        self.stage = stage
        self.contextual = contextual
        self.prior = prior or PRIORS[stage]

    @property
    def subjects(self) -> tuple[str, ...]:
        return SUBJECTS[self.stage]

    # -- fit
    def fit(self, reference: pd.DataFrame) -> EstimateModel:
        """Learn from a reference cohort (a pupil table with the prior attainment and outcome columns)."""
        s = model_parameters()
        X = features(reference, self.stage, self.contextual, self.prior)
        known = prior_known(reference, self.stage, self.prior).astype(int)
        school = reference["school_id"].astype("string").to_numpy()
        self.fitted_: dict[str, _Fitted] = {}
        self.predictions_: dict[str, np.ndarray] = {}
        rank_all = {}
        rng = np.random.default_rng(s["seed"])
        for subject in self.subjects:
            y = outcome_values(reference, self.stage, subject)
            if is_teacher_assessed(self.stage, subject):
                y = spread_within_category(y, outcome_scale(self.stage, subject), rng)
            ok = ~np.isnan(y)
            if ok.sum() < s["bins"] * s["min_bin_pupils"]:
                raise ValueError(
                    f"The reference cohort has {ok.sum()} pupils with a {self.stage} {subject} result; "
                    f"at least {s['bins'] * s['min_bin_pupils']} are needed to fit estimates"
                )
            coef, *_ = np.linalg.lstsq(X[ok], y[ok], rcond=None)
            mu = linear_prediction(X, coef)
            bins = Bins.of(mu[ok], known[ok], s["bins"], s["min_bin_pupils"])
            b = bins.index(mu, known)
            r = y - mu
            residuals = [np.sort(r[ok & (b == k)]) for k in range(bins.count)]
            rank = np.full(len(y), np.nan)
            for k, res in enumerate(residuals):
                rows = ok & (b == k)
                rank[rows] = (np.searchsorted(res, r[rows], "left") + np.searchsorted(res, r[rows], "right")) / (
                    2 * len(res)
                )
            va = pd.Series(r[ok]).groupby(school[ok]).agg(["mean", "size"])
            school_va = np.sort(va.loc[va["size"] >= s["challenge_min_pupils"], "mean"].to_numpy())
            self.fitted_[subject] = _Fitted(coef, bins, residuals, school_va, float(r[ok].std()))
            self.predictions_[subject] = mu
            rank_all[subject] = rank
        self.joint_: dict[str, _Joint] = {}
        for name, subjects in COMBINED[self.stage].items():
            R = np.column_stack([rank_all[x] for x in subjects])
            ok = ~np.isnan(R).any(axis=1)
            z = self._joint_index(subjects, {x: self.predictions_[x] for x in subjects})
            bins = Bins.of(z[ok], known[ok], s["bins"], s["min_bin_pupils"])
            b = bins.index(z, known)
            tuples = []
            for k in range(bins.count):
                rows = np.flatnonzero(ok & (b == k))
                if len(rows) > s["joint_samples"]:
                    rows = rng.choice(rows, s["joint_samples"], replace=False)
                tuples.append(R[rows])
            self.joint_[name] = _Joint(subjects, bins, tuples)
        self.eyfs_ = self._fit_eyfs_model(reference)
        return self

    def _fit_eyfs_model(self, reference: pd.DataFrame) -> EstimateModel | None:
        """For KS2 pupils without KS1 results (KS1 optional from 2023/24): the same model with the EYFS profile as
        prior attainment, fitted on the reference pupils who have it (``ks2_without_ks1`` in
        parameters/estimates.yaml). No real national cohort has both the 2021 EYFS profile and KS2 results before
        2028, so on the toolkit's data this model is fitted on the synthetic cohort, and reports say so."""
        if self.stage != "ks2" or self.prior != "ks1" or model_parameters().get("ks2_without_ks1") != "eyfs":
            return None
        has_eyfs = prior_known(reference, "ks2", "eyfs")
        if has_eyfs.sum() < model_parameters()["bins"] * model_parameters()["min_bin_pupils"]:
            return None
        return EstimateModel("ks2", self.contextual, prior="eyfs").fit(reference[has_eyfs])

    def eyfs_rows(self, pupils: pd.DataFrame) -> np.ndarray:
        """Pupils estimated by the EYFS model: no KS1 result, an EYFS profile, and a fitted EYFS model."""
        if getattr(self, "eyfs_", None) is None:
            return np.zeros(len(pupils), dtype=bool)
        return ~prior_known(pupils, "ks2", "ks1") & prior_known(pupils, "ks2", "eyfs")

    def _joint_index(self, subjects: tuple[str, ...], mu: dict[str, np.ndarray]) -> np.ndarray:
        return sum((mu[x] - outcome_scale(self.stage, x).expected) / self.fitted_[x].sd for x in subjects)

    # -- challenge
    def challenge_shift(self, subject: str, percentile) -> np.ndarray:
        """Value added (outcome units) of the school at ``percentile`` of school value added (scalar or per pupil)."""
        p = _check_challenge(percentile)
        return np.quantile(self.fitted_[subject].school_va, p / 100)

    def percentile_of_school_va(self, subject: str, va) -> np.ndarray:
        """Percentile rank (1-99) of a school value-added score among the reference schools."""
        dist = self.fitted_[subject].school_va
        rank = 100 * np.searchsorted(dist, np.asarray(va, dtype=float), side="right") / len(dist)
        return np.clip(np.round(rank), 1, 99)

    # -- predict
    def _locations(self, pupils: pd.DataFrame) -> dict[str, np.ndarray]:
        """Each subject's prediction at the national average, and (key ``"known"``) the prior-attainment stratum."""
        X = features(pupils, self.stage, self.contextual, self.prior)
        out = {x: linear_prediction(X, self.fitted_[x].coef) for x in self.subjects}
        out["known"] = prior_known(pupils, self.stage, self.prior).astype(int)
        return out

    def _shifts(self, challenge, n: int) -> dict[str, np.ndarray]:
        """Shift per subject and pupil. ``challenge``: None (national average), a percentile, one per pupil, or a
        dict subject -> percentile(s) (subjects it leaves out are at 50)."""
        if challenge is None:
            return {x: np.zeros(n) for x in self.subjects}
        per_subject = challenge if isinstance(challenge, dict) else {x: challenge for x in self.subjects}
        unknown = set(per_subject) - set(self.subjects)
        if unknown:
            raise ValueError(f"No {self.stage} estimates for {sorted(unknown)}; subjects are {self.subjects}")
        return {
            x: self.challenge_shift(x, np.broadcast_to(np.asarray(per_subject.get(x, 50), dtype=float), (n,)))
            for x in self.subjects
        }

    def _at_least(self, subject: str, b: np.ndarray, loc: np.ndarray, cuts: np.ndarray) -> np.ndarray:
        """P(outcome >= cut) for each pupil (rows, in bin ``b``) and each cut (columns of ``cuts``, shape (n, m))."""
        f = self.fitted_[subject]
        out = np.empty(cuts.shape)
        for k in np.unique(b):
            rows = b == k
            res = f.residuals[k]
            below = np.searchsorted(res, cuts[rows] - loc[rows, None], side="left")
            out[rows] = 1 - below / len(res)
        return out

    def _interval(self, subject: str, b: np.ndarray, loc: np.ndarray) -> tuple[np.ndarray, ...]:
        f = self.fitted_[subject]
        half = model_parameters()["interval"] / 2
        key = ("interval", half)
        cache = f.__dict__.setdefault("cache", {})
        if key not in cache:  # per bin: mean residual and half the central interval's width
            cache[key] = np.array(
                [[r.mean(), (np.quantile(r, 0.5 + half) - np.quantile(r, 0.5 - half)) / 2] for r in f.residuals]
            )
        stats = cache[key]
        sc = outcome_scale(self.stage, subject)
        centre, width = loc + stats[b, 0], stats[b, 1]
        return tuple(np.clip(v, sc.lowest, sc.highest) for v in (centre, centre - width, centre + width))

    def predict(self, pupils: pd.DataFrame, challenge=50) -> pd.DataFrame:
        """Estimates for every pupil at a challenge percentile: a number, one per pupil, a dict subject -> either,
        or None for the national average (no school shift).

        Columns: ``upn`` and, per subject, ``<s>_estimate``, ``<s>_estimate_low``, ``<s>_estimate_high``,
        ``<s>_p_<band>`` for each band, ``<s>_p_expected``, ``<s>_p_high``, ``<s>_band`` (the band containing the
        estimate),
        ``<s>_p_lower`` (risk of a lower band) and ``<s>_p_higher`` (chance of a higher band); and for combined
        measures (``rwm``, ``rm``) ``<c>_p_expected`` and ``<c>_p_high``. Chances are 0-1.
        """
        return self.locate(pupils).predict(challenge)

    def locate(self, pupils: pd.DataFrame) -> Located:
        """The pupils' predictions at the national average, computed once: ``Located.predict`` then gives their
        estimates at any challenge level without recomputing features (what the what-if dashboard uses)."""
        located = Located(self, pupils["upn"].astype("string").to_numpy(), pupils.index, self._locations(pupils))
        rows = self.eyfs_rows(pupils)
        if rows.any():
            located.eyfs = (rows, self.eyfs_.locate(pupils[rows]))
        return located

    def _estimate_arrays(self, mu: dict[str, np.ndarray], shift: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The columns of ``predict`` (without ``upn``) from locations and shifts."""
        n = len(mu["known"])
        out: dict[str, np.ndarray] = {}
        for x in self.subjects:
            sc = outcome_scale(self.stage, x)
            loc = mu[x] + shift[x]
            b = self.fitted_[x].bins.index(mu[x], mu["known"])
            est, low, high = self._interval(x, b, loc)
            cuts = np.broadcast_to(np.array(sc.cuts + (sc.expected, sc.high)), (n, len(sc.cuts) + 2))
            p = self._at_least(x, b, loc, cuts)
            at_least = np.column_stack([np.ones(n), p[:, : len(sc.cuts)], np.zeros(n)])
            bands = at_least[:, :-1] - at_least[:, 1:]
            # The band shown is the band that contains the estimate (seed 000's "FFT 50 band"), with the risk of a
            # lower band and the chance of a higher one around it.
            best = np.clip(np.searchsorted(np.asarray(sc.cuts), est, side="right"), 0, len(sc.bands) - 1)
            cum = np.cumsum(bands, axis=1)
            out[f"{x}_estimate"], out[f"{x}_estimate_low"], out[f"{x}_estimate_high"] = est, low, high
            for j, band in enumerate(sc.bands):
                out[f"{x}_p_{band}"] = bands[:, j]
            out[f"{x}_p_expected"], out[f"{x}_p_high"] = p[:, -2], p[:, -1]
            out[f"{x}_band"] = np.asarray(sc.bands, dtype=object)[best]
            out[f"{x}_p_lower"] = cum[np.arange(n), best] - bands[np.arange(n), best]
            out[f"{x}_p_higher"] = 1 - cum[np.arange(n), best]
        for name, joint in self.joint_.items():
            out[f"{name}_p_expected"], out[f"{name}_p_high"] = self._joint_chances(
                joint,
                mu,
                {x: out[f"{x}_p_expected"] for x in joint.subjects},
                {x: out[f"{x}_p_high"] for x in joint.subjects},
            )
        return out

    def _joint_chances(self, joint: _Joint, mu: dict, p_exp: dict, p_high: dict) -> tuple[np.ndarray, np.ndarray]:
        """Chance of reaching the expected (high) standard in every subject of ``joint`` (empirical copula)."""
        z = self._joint_index(joint.subjects, mu)
        b = joint.bins.index(z, mu["known"])
        need_exp = 1 - np.column_stack([p_exp[x] for x in joint.subjects]).astype(np.float32)
        need_high = 1 - np.column_stack([p_high[x] for x in joint.subjects]).astype(np.float32)
        out_exp, out_high = np.empty(len(z)), np.empty(len(z))
        for k in np.unique(b):
            rows = np.flatnonzero(b == k)
            U = joint.tuples[k].astype(np.float32)
            for chunk in np.array_split(rows, max(1, len(rows) // 4000)):
                for need, out in ((need_exp, out_exp), (need_high, out_high)):
                    ok = U[None, :, 0] >= need[chunk, 0, None]
                    for j in range(1, U.shape[1]):
                        ok &= U[None, :, j] >= need[chunk, j, None]
                    out[chunk] = ok.mean(axis=1)
        # Sampling noise in the tuples can leave a combined chance a fraction of a point above its least likely
        # part; reaching all subjects is never more likely than reaching one.
        least = {
            name: np.column_stack([p[x] for x in joint.subjects]).min(axis=1)
            for name, p in (("expected", p_exp), ("high", p_high))
        }
        return np.minimum(out_exp, least["expected"]), np.minimum(out_high, least["high"])

    def chance_at_least(self, pupils: pd.DataFrame, subject: str, cut: np.ndarray, challenge=50) -> np.ndarray:
        """P(outcome >= cut) per pupil, ``cut`` on the outcome's continuous scale (NaN cut gives NaN)."""
        return self.locate(pupils).chance_at_least(subject, cut, challenge)

    def expected_outcome(self, pupils: pd.DataFrame) -> dict[str, np.ndarray]:
        """Each pupil's estimate at the national average (no challenge shift): the benchmark for value added."""
        mu = self._locations(pupils)
        out = {}
        for x in self.subjects:
            f = self.fitted_[x]
            b = f.bins.index(mu[x], mu["known"])
            out[x] = mu[x] + np.array([r.mean() for r in f.residuals])[b]
        return out


@dataclass
class Located:
    """Pupils located by a fitted ``EstimateModel``; ``predict`` and ``chance_at_least`` for any challenge."""

    model: EstimateModel
    upn: np.ndarray
    index: pd.Index
    mu: dict[str, np.ndarray]
    eyfs: tuple[np.ndarray, Located] | None = None  # pupils estimated from the EYFS profile (no KS1 result)

    @property
    def subjects(self) -> tuple[str, ...]:
        return self.model.subjects

    def predict(self, challenge=50) -> pd.DataFrame:
        """Exactly ``EstimateModel.predict(pupils, challenge)``; ``prior`` says which prior attainment each pupil's
        estimate comes from (``ks1``, ``eyfs`` or ``none``)."""
        out = self._predict(challenge)
        known = self.mu["known"].astype(bool)
        out["prior"] = pd.array(np.where(known, self.model.prior, "none"), dtype="string")
        if self.eyfs is not None:
            rows, sub = self.eyfs
            part = sub._predict(_take(challenge, rows))
            where = out.index[rows]
            for col in part.columns.drop("upn"):
                out.loc[where, col] = part[col].to_numpy()
            out.loc[where, "prior"] = "eyfs"
        return out

    def _predict(self, challenge=50) -> pd.DataFrame:
        m = self.model
        shift = m._shifts(challenge, len(self.upn))
        # Pupils with the same prior attainment, gender and month of birth (and challenge) have the same estimates:
        # compute each distinct combination once.
        keys = np.column_stack([self.mu[x] for x in m.subjects] + [self.mu["known"]] + [shift[x] for x in m.subjects])
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        out = m._estimate_arrays({k: v[first] for k, v in self.mu.items()}, {k: v[first] for k, v in shift.items()})
        frame = pd.DataFrame({"upn": pd.array(self.upn, dtype="string")}, index=self.index)
        expanded = pd.DataFrame({k: v[inverse.ravel()] for k, v in out.items()}, index=self.index)
        return pd.concat([frame, expanded], axis=1)

    def chance_at_least(self, subject: str, cut: np.ndarray, challenge=50) -> np.ndarray:
        """P(outcome >= cut) per pupil at ``challenge`` (NaN cut gives NaN)."""
        out = self._chance_at_least(subject, cut, challenge)
        if self.eyfs is not None:
            rows, sub = self.eyfs
            out[rows] = sub._chance_at_least(subject, np.asarray(cut, dtype=float)[rows], _take(challenge, rows))
        return out

    def _chance_at_least(self, subject: str, cut: np.ndarray, challenge=50) -> np.ndarray:
        m = self.model
        mu = self.mu[subject]
        loc = mu + m._shifts(challenge, len(mu))[subject]
        b = m.fitted_[subject].bins.index(mu, self.mu["known"])
        cut = np.asarray(cut, dtype=float)
        p = m._at_least(subject, b, loc, np.nan_to_num(cut, nan=0.0)[:, None])[:, 0]
        return np.where(np.isnan(cut), np.nan, p)


def _take(challenge, rows: np.ndarray):
    """The part of a challenge (None, a number, one per pupil, or a dict subject -> either) for ``rows``."""
    if isinstance(challenge, dict):
        return {k: _take(v, rows) for k, v in challenge.items()}
    if challenge is None or np.ndim(challenge) == 0:
        return challenge
    return np.asarray(challenge, dtype=float)[rows]
