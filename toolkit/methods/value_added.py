"""Value added: the DfE's KS1-KS2 progress measure and FFT-style value added against the estimate model.

Both produce a pupil-level progress table (long format: one row per pupil and subject) with columns
``upn, school_id, subject, actual, estimate, progress, outlier``; ``school_scores`` turns any such table into
school (or group) scores with 95% confidence intervals: score = mean progress, interval = score +- 1.96 x national
pupil-level SD / sqrt(n). Formulas: docs/methodology.md. Parameters: parameters/value_added.yaml.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.methods import attainment, ks5, policy
from toolkit.methods.estimates import EstimateModel, outcome_scale, outcome_values, prior_known
from toolkit.scales import ks1, ks2

PROGRESS_COLUMNS = ["upn", "school_id", "subject", "actual", "estimate", "progress", "outlier"]


def va_parameters() -> dict:
    return parameters.load_yaml("value_added.yaml")


# ----------------------------------------------------------------------------------------------- shared machinery
def school_scores(
    progress: pd.DataFrame, national_sd: dict[str, float], by: str | list[str] = "school_id", weight: str | None = None
) -> pd.DataFrame:
    """Mean progress with its 95% confidence interval per ``by`` and subject.

    ``progress`` is a pupil-level table (``subject``, ``progress`` and the ``by`` columns); pupils without a progress
    score are left out. With ``weight`` (a column, e.g. an entry's size), the score is the weighted mean and the
    interval uses the total weight in place of n. Returns ``<by>, subject, pupils, score, ci_low, ci_high`` (and
    ``size``, the total weight, when weighted).
    """
    by = [by] if isinstance(by, str) else list(by)
    z = va_parameters()["confidence_z"]
    ok = progress.dropna(subset=["progress"])
    if weight is None:
        out = ok.groupby(by + ["subject"], sort=True)["progress"].agg(pupils="size", score="mean").reset_index()
        n = out["pupils"]
    else:
        ok = ok.assign(_wp=ok["progress"] * ok[weight])
        out = (
            ok.groupby(by + ["subject"], sort=True)
            .agg(pupils=("progress", "size"), size=(weight, "sum"), _wp=("_wp", "sum"))
            .reset_index()
        )
        out["score"] = out.pop("_wp") / out["size"]
        n = out["size"]
    sd = out["subject"].map(national_sd).astype(float)
    half = z * sd / np.sqrt(n)
    out["ci_low"], out["ci_high"] = out["score"] - half, out["score"] + half
    return out


def _flag_outliers(frame: pd.DataFrame, national_sd: dict[str, float]) -> pd.DataFrame:
    limit = va_parameters()["outlier_sd"] * frame["subject"].map(national_sd).astype(float)
    frame["outlier"] = (frame["progress"].abs() > limit).fillna(False)
    return frame


# ----------------------------------------------------------------------------------------------- DfE method
def dfe_outcome(pupils: pd.DataFrame, subject: str) -> np.ndarray:
    """KS2 points for DfE progress: scaled scores, nominal scores for B and N, writing TA points; NaN otherwise."""
    if subject == "writing":
        return attainment.writing_progress_points(pupils["ks2_writing"])
    dfe = va_parameters()["dfe"]
    col = pupils[f"ks2_{subject}"].astype("string").str.upper()
    score = ks2.scaled_score(col).to_numpy()
    for code, nominal_code in dfe["test_code_nominal"].items():
        value = ks2.nominal_score(nominal_code, dfe["nominal_year"])
        score = np.where(col.eq(code).fillna(False).to_numpy(), value, score)
    return score


def ks1_prior_attainment(pupils: pd.DataFrame, missing_subject: str | None = None) -> pd.DataFrame:
    """KS1 APS (maths double weighted), framework (old levels -> "2019") and prior attainment group per pupil;
    a file without KS1 columns (a cohort that had no KS1 assessments) gives no prior attainment to anyone.

    ``missing_subject``: ``exclude`` (the DfE's rule: no group without all three subjects) or ``renormalise``
    (average the subjects the pupil has); default ``parameters/value_added.yaml`` ``dfe.ks1_missing_subject``."""
    rule = missing_subject or va_parameters()["dfe"]["ks1_missing_subject"]
    if rule not in ("exclude", "renormalise"):
        raise ValueError(f"ks1_missing_subject must be 'exclude' or 'renormalise', not {rule!r}")
    blank = pd.Series(pd.NA, index=pupils.index, dtype="string")
    r, w, m = (pupils[f"ks1_{s}"] if f"ks1_{s}" in pupils else blank for s in ks1.SUBJECTS)
    aps = ks1.ks1_aps(r, w, m, min_subjects=3 if rule == "exclude" else 1)
    framework = ks1.framework_of(r, w, m)
    pag = pd.Series(pd.NA, index=pupils.index, dtype="Int64")
    for fw in ks1.FRAMEWORKS:
        rows = framework == fw
        if rows.any():
            pag[rows] = ks1.prior_attainment_group(aps[rows], fw)
    return pd.DataFrame({"aps": aps, "framework": framework, "pag": pag}, index=pupils.index)


def progress_caps(raw: pd.Series, group: list[pd.Series], share: float) -> tuple[pd.DataFrame, float]:
    """The DfE's caps for one subject: each group's cap is k SDs of its pupils' progress below its mean progress,
    with one k for the subject such that ``share`` of pupils nationally fall below their group's cap.

    ``raw``: each pupil's KS2 outcome minus their group's mean (so each group's mean is 0); returns
    ``framework, pag, sd, cap`` per group and k."""
    sd = raw.groupby(group).transform("std")
    z = (raw / sd).where(sd > 0)
    k = float(-np.nanquantile(z, share)) if z.notna().any() else np.inf
    table = raw.groupby(group).agg(sd="std").reset_index()
    table["cap"] = -k * table["sd"].fillna(0.0)
    return table, k


class DfeProgress:
    """The DfE's progress measure: KS2 outcome minus the national mean of the pupil's prior attainment group,
    extremely negative scores capped (k SDs below the group's mean, about 1% of pupils nationally), school score =
    mean with a 95% confidence interval."""

    label = "KS1-KS2 progress (DfE method)"

    def prior_groups(self, pupils: pd.DataFrame) -> pd.DataFrame:
        """``framework, pag`` per pupil: the KS1 prior attainment group (no group without a KS1 baseline)."""
        return ks1_prior_attainment(pupils)

    def fit(self, reference: pd.DataFrame) -> DfeProgress:
        """National means, caps and pupil-level SDs from the national cohort (the reference)."""
        pa = self.prior_groups(reference)
        rows, self.cap_sd_ = [], {}
        for subject in va_parameters()["dfe"]["subjects"]:
            y = dfe_outcome(reference, subject)
            frame = pd.DataFrame({"framework": pa["framework"], "pag": pa["pag"], "y": y}).dropna()
            grouped = frame.groupby(["framework", "pag"])["y"]
            means = grouped.agg(national_pupils="size", national_mean="mean").reset_index()
            means["subject"] = subject
            raw = frame["y"] - grouped.transform("mean")
            caps, self.cap_sd_[subject] = progress_caps(
                raw, [frame["framework"], frame["pag"]], va_parameters()["dfe"]["cap_share"]
            )
            means = means.merge(caps.drop(columns="sd"), on=["framework", "pag"])
            means["cap_sd"] = self.cap_sd_[subject]
            rows.append(means)
        self.national_ = pd.concat(rows, ignore_index=True)
        progress = self.transform(reference)
        self.national_sd_ = progress.groupby("subject")["progress"].std().to_dict()
        scored = progress.dropna(subset=["progress"])
        self.capped_share_ = scored.groupby("subject")["capped"].mean().to_dict()
        return self

    def transform(self, pupils: pd.DataFrame) -> pd.DataFrame:
        """Pupil-level progress (long format, ``PROGRESS_COLUMNS`` plus ``framework, pag, capped``)."""
        pa = self.prior_groups(pupils)
        parts = []
        for subject in va_parameters()["dfe"]["subjects"]:
            frame = pd.DataFrame(
                {
                    "upn": pupils["upn"],
                    "school_id": pupils["school_id"],
                    "subject": subject,
                    "framework": pa["framework"],
                    "pag": pa["pag"],
                    "actual": dfe_outcome(pupils, subject),
                }
            )
            frame = frame.merge(
                self.national_[self.national_["subject"] == subject].drop(columns="subject"),
                on=["framework", "pag"],
                how="left",
            )
            frame["estimate"] = frame["national_mean"]
            raw = frame["actual"] - frame["estimate"]
            frame["capped"] = (raw < frame["cap"]).fillna(False)
            frame["progress"] = raw.where(~frame["capped"], frame["cap"])
            parts.append(frame.drop(columns=["national_pupils", "national_mean", "cap", "cap_sd"]))
        out = pd.concat(parts, ignore_index=True)
        return _flag_outliers(out, self.national_sd_) if hasattr(self, "national_sd_") else out

    def school_scores(self, progress: pd.DataFrame, by: str | list[str] = "school_id") -> pd.DataFrame:
        return school_scores(progress, self.national_sd_, by)

    def pag_table(self, progress: pd.DataFrame) -> pd.DataFrame:
        return pag_table(progress, self.national_)


def pag_table(progress: pd.DataFrame, national_means: pd.DataFrame) -> pd.DataFrame:
    """Per subject and prior attainment group: pupils, their mean KS2 outcome and the national mean.

    ``progress``: DfE pupil progress (``DfeProgress.transform``); ``national_means``: ``DfeProgress.national_``."""
    ok = progress.dropna(subset=["actual", "pag"])
    table = ok.groupby(["subject", "framework", "pag"])["actual"].agg(pupils="size", school_mean="mean").reset_index()
    return table.merge(
        national_means[["subject", "framework", "pag", "national_mean", "national_pupils"]],
        on=["subject", "framework", "pag"],
        how="left",
    )


# ----------------------------------------------------------------------------------------------- FFT-style
class RbaProgressSimulation(DfeProgress):
    """A simulation of the DfE's RBA-KS2 progress measure (from KS2 2028) for researchers: the DfE's method with
    the Reception Baseline Assessment score (0-39, column ``rba``) as prior attainment, one group per score.

    Only synthetic cohorts carry RBA scores: the DfE shares no pupil's score with schools, so a school cannot
    compute this measure for itself, and every output of this class is labelled a simulation."""

    label = "RBA-KS2 progress (simulation: RBA scores are never shared with schools)"

    def prior_groups(self, pupils: pd.DataFrame) -> pd.DataFrame:
        if "rba" not in pupils:
            raise ValueError(
                "RBA-KS2 progress needs an rba column (Reception Baseline Assessment scores, 0-39); schools never "
                "see these scores, so only synthetic cohorts (toolkit synth national) have them"
            )
        rba = pd.to_numeric(pupils["rba"], errors="coerce")
        return pd.DataFrame(
            {"framework": pd.Series("RBA", index=pupils.index, dtype="string"), "pag": rba.round().astype("Int64")},
            index=pupils.index,
        )


class FftValueAdded:
    """FFT-style value added: each pupil's outcome minus the estimate for similar pupils nationally (prior
    attainment, gender, month of birth) from ``EstimateModel``; combined measures in percentage points. Pupils
    without a KS1 result have no value-added score (their estimate has no baseline to measure progress from)."""

    def __init__(self, model: EstimateModel | None = None):
        self.model = model

    def fit(self, reference: pd.DataFrame) -> FftValueAdded:
        if self.model is None:
            self.model = EstimateModel("ks2")
        if not hasattr(self.model, "fitted_"):  # an unfitted model is fitted on the reference
            self.model.fit(reference)
        self.national_sd_: dict[str, float] = {}
        progress = self.transform(reference, flag=False)
        self.national_sd_ = progress.groupby("subject")["progress"].std().to_dict()
        return self

    def transform(self, pupils: pd.DataFrame, flag: bool = True) -> pd.DataFrame:
        m = self.model
        expected = m.expected_outcome(pupils)
        parts = []
        for subject in m.subjects:
            parts.append(
                pd.DataFrame(
                    {
                        "subject": subject,
                        "actual": outcome_values(pupils, m.stage, subject),
                        "estimate": expected[subject],
                    },
                    index=pupils.index,
                )
            )
        national = m.predict(pupils, challenge=None)
        for name, joint in m.joint_.items():
            values = [outcome_values(pupils, m.stage, x) for x in joint.subjects]
            known = np.all([~np.isnan(v) for v in values], axis=0)
            reached = np.all([v >= outcome_scale(m.stage, x).expected for x, v in zip(joint.subjects, values)], axis=0)
            parts.append(
                pd.DataFrame(
                    {
                        "subject": name,
                        "actual": np.where(known, 100.0 * reached, np.nan),
                        "estimate": 100 * national[f"{name}_p_expected"].to_numpy(),
                    },
                    index=pupils.index,
                )
            )
        out = pd.concat([p.assign(upn=pupils["upn"], school_id=pupils["school_id"]) for p in parts], ignore_index=True)
        # Value added needs a KS1 baseline: pupils without one keep their result but have no progress score.
        baseline = np.tile(prior_known(pupils, m.stage, m.prior), len(parts))
        out["progress"] = (out["actual"] - out["estimate"]).where(baseline)
        out = out[["upn", "school_id", "subject", "actual", "estimate", "progress"]]
        return _flag_outliers(out, self.national_sd_) if flag else out

    def school_scores(self, progress: pd.DataFrame, by: str | list[str] = "school_id") -> pd.DataFrame:
        return school_scores(progress, self.national_sd_, by)


class Level3ValueAdded:
    """The DfE's level 3 (KS4 to KS5) value added for A levels and AS: per qualification and subject, a national
    table of prior-attainment bands (average KS4 APS and average points of the entries in each equal-sized band);
    a student's expected points are interpolated between the bands around their KS4 APS, and their VA is actual
    minus expected, in grades of the qualification. School VA per subject and overall (all A levels) is the
    size-weighted mean through ``school_scores``. Parameters: ``parameters/ks5.yaml`` (``value_added``)."""

    @classmethod
    def published(cls, table: str | None = None) -> Level3ValueAdded:
        """The DfE's own published model (``value_added.published_model``, status published): per A level subject
        the national curve, 22 points of KS4 prior attainment and the estimated points there, read as the bands,
        and the DfE's pupil-level SD per subject; the same for AS entries (``published_model_as``) unless ``table``
        names one A level table. The overall SD is the entries-weighted root mean square of the A level subjects'
        (derived). A school's VA from it is the DfE's figure for the model's year."""
        p = ks5.ks5_parameters()["value_added"]
        names = parameters.load_csv(p["published_names"])
        ours = dict(zip(names["dfe_subject"], names["subject"]))
        tables = [("A level", table or p["published_model"])]
        if table is None and p.get("published_model_as"):
            tables.append(("AS", p["published_model_as"]))
        model = cls()
        bands, model.national_sd_ = [], {}
        for qualification, name in tables:
            t = parameters.load_csv(name)
            subject = t["subject"].map(lambda s: ours.get(s, s))
            entries = pd.to_numeric(t["number_of_cases"]) / 22
            for i in range(22):
                bands.append(
                    pd.DataFrame(
                        {
                            "qualification": qualification,
                            "subject": subject,
                            "band": i + 1,
                            "prior": pd.to_numeric(t[f"x_{i}"]),
                            "outcome": pd.to_numeric(t[f"y_{i}"]),
                            "entries": entries,
                        }
                    )
                )
            sd = pd.to_numeric(t["sd"]).to_numpy()
            model.national_sd_ |= dict(zip(ks5.label(pd.Series(qualification, index=t.index), subject), sd))
            if qualification == "A level":
                cases = pd.to_numeric(t["number_of_cases"]).to_numpy()
                model.national_sd_[ks5.overall_label()] = float(np.sqrt(np.average(sd**2, weights=cases)))
        model.bands_ = pd.concat(bands, ignore_index=True).sort_values(
            ["qualification", "subject", "band"], ignore_index=True
        )
        return model

    @classmethod
    def with_fallback(cls, published: Level3ValueAdded, fitted: Level3ValueAdded) -> Level3ValueAdded:
        """The published model, and the fitted one for the qualifications and subjects it does not cover (AS,
        subjects without a published curve). ``sources_``: subject label -> "published" or "fitted"."""
        have = set(zip(published.bands_["qualification"], published.bands_["subject"]))
        pairs = pd.Series(
            list(zip(fitted.bands_["qualification"], fitted.bands_["subject"])), index=fitted.bands_.index
        )
        extra = fitted.bands_[~pairs.isin(have)]
        model = cls()
        model.bands_ = pd.concat([published.bands_, extra], ignore_index=True)
        model.national_sd_ = {**fitted.national_sd_, **published.national_sd_}
        label = lambda frame: ks5.label(frame["qualification"], frame["subject"])  # noqa: E731
        model.sources_ = {**{x: "fitted" for x in label(extra)}, **{x: "published" for x in label(published.bands_)}}
        model.sources_[ks5.overall_label()] = "published"
        return model

    def fit(self, reference: pd.DataFrame) -> Level3ValueAdded:
        """The national bands, and pupil-level SDs per subject, from a reference entries table."""
        p = ks5.ks5_parameters()["value_added"]
        e = ks5.scored(reference).dropna(subset=[p["prior"], "points"])
        e = e.assign(prior=e[p["prior"]].astype(float))
        rows = []
        for (q, subj), g in e.groupby(["qualification", "subject"], sort=True):
            if len(g) < p["min_national_entries"]:
                continue
            # Equal-sized bands: rank on prior attainment (ties share a band) and cut the ranks into p["bands"].
            rank = g["prior"].rank(method="average", pct=True)
            band = np.minimum((rank * p["bands"]).apply(np.ceil).astype(int), p["bands"])
            t = g.groupby(band).agg(prior=("prior", "mean"), outcome=("points", "mean"), entries=("points", "size"))
            rows.append(t.rename_axis("band").reset_index().assign(qualification=q, subject=subj))
        self.bands_ = pd.concat(rows, ignore_index=True)[
            ["qualification", "subject", "band", "prior", "outcome", "entries"]
        ]
        self.national_sd_: dict[str, float] = {}
        progress = self.transform(reference, flag=False)
        self.national_sd_ = progress.groupby("subject")["progress"].std().to_dict()
        return self

    def expected_points(self, qualification: str, subject: str, prior: np.ndarray) -> np.ndarray:
        """E = O1 + (O2 - O1) x (KS4 - P1) / (P2 - P1) between the bands around each prior (clamped at the ends);
        NaN for a subject without national bands or a missing prior."""
        t = self.bands_[(self.bands_["qualification"] == qualification) & (self.bands_["subject"] == subject)]
        prior = np.asarray(prior, dtype=float)
        if t.empty:
            return np.full(len(prior), np.nan)
        t = t.sort_values("prior")
        return np.where(np.isnan(prior), np.nan, np.interp(prior, t["prior"], t["outcome"]))

    def transform(self, entries: pd.DataFrame, flag: bool = True) -> pd.DataFrame:
        """Entry-level VA (``PROGRESS_COLUMNS`` plus ``qualification, size, prior``); ``subject`` is the label
        ("A level Mathematics"), and every A level entry is repeated under the overall label."""
        p = ks5.ks5_parameters()["value_added"]
        e = ks5.scored(entries).reset_index(drop=True)
        prior = e[p["prior"]].astype(float).to_numpy() if p["prior"] in e else np.full(len(e), np.nan)
        expected = np.full(len(e), np.nan)
        for (q, subj), idx in e.groupby(["qualification", "subject"], sort=False).groups.items():
            expected[idx] = self.expected_points(q, subj, prior[idx])
        step = (
            e["qualification"].map({q: ks5.grade_step(q) for q in e["qualification"].dropna().unique()}).astype(float)
        )
        out = pd.DataFrame(
            {
                "upn": e["upn"],
                "school_id": e["school_id"],
                "subject": e["label"],
                "qualification": e["qualification"],
                "actual": e["points"],
                "estimate": expected,
                "progress": (e["points"] - expected) / step,
                "size": e["size"],
                "prior": prior,
            }
        )
        # the DfE's app flags a student whose prior is outside the range of the subject's national bands
        ends = self.bands_.groupby(["qualification", "subject"])["prior"].agg(["min", "max"])
        key = pd.MultiIndex.from_arrays([e["qualification"], e["subject"]])
        low, high = ends["min"].reindex(key).to_numpy(), ends["max"].reindex(key).to_numpy()
        out["outside_bands"] = (prior < low) | (prior > high)
        overall = out[out["qualification"] == "A level"].assign(subject=ks5.overall_label())
        out = pd.concat([out, overall], ignore_index=True)
        return _flag_outliers(out, self.national_sd_) if flag else out

    def school_scores(self, progress: pd.DataFrame, by: str | list[str] = "school_id") -> pd.DataFrame:
        return school_scores(progress, self.national_sd_, by, weight="size")


def own_past_progress(school_va: pd.DataFrame, model: EstimateModel) -> pd.DataFrame:
    """A school's own past progress as a challenge percentile, per subject.

    ``school_va``: ``school_id, year, subject, pupils, score`` (FFT-style school VA of past cohorts). Only cohorts
    with a KS1 baseline count (the policy calendar's KS1-KS2 progress is published or calculated that year: not
    KS2 2024 or 2025); the three most recent of them are weighted 3:2:1, most recent first, each also by its
    pupils, and the weighted score is ranked among the reference cohort's schools. Returns ``school_id, subject,
    weighted_score, percentile`` (1-99) and ``years`` (the cohorts used, newest first, e.g. "2026, 2023, 2022").
    """
    weights = spec_weights()
    eligible = set(policy.baseline_years(policy.KS1_KS2, school_va["year"].unique())) if len(school_va) else set()
    rows = []
    for (school, subject), g in school_va[school_va["year"].isin(eligible)].groupby(["school_id", "subject"]):
        if subject not in model.subjects:
            continue
        g = g.sort_values("year", ascending=False).head(len(weights))
        w = np.asarray(weights[: len(g)], dtype=float) * g["pupils"].to_numpy(dtype=float)
        score = float(np.average(g["score"], weights=w))
        rows.append(
            {
                "school_id": school,
                "subject": subject,
                "weighted_score": score,
                "percentile": float(model.percentile_of_school_va(subject, score)),
                "years": ", ".join(str(int(y)) for y in g["year"]),
            }
        )
    return pd.DataFrame(rows, columns=["school_id", "subject", "weighted_score", "percentile", "years"])


def spec_weights() -> list[int]:
    return list(parameters.load_yaml("estimates.yaml")["own_past_weights"])


#: The student groups an entries file carries, for level 3 value added by group: (group, column, value -> label).
LEVEL3_GROUPS = (
    ("Gender", "gender", {"F": "Female", "M": "Male"}),
    ("Disadvantage", "fsm6", {True: "Disadvantaged", False: "Not disadvantaged"}),
)


def level3_va_by_group(progress: pd.DataFrame, students: pd.DataFrame, national_sd: dict[str, float]) -> pd.DataFrame:
    """Level 3 value added of one subject line (e.g. all A levels) by student group (``LEVEL3_GROUPS``, where
    ``students``, indexed by upn, has the column): ``group, label, pupils, score, ci_low, ci_high`` (entries, VA in
    grades, 95% interval; size-weighted as ``Level3ValueAdded.school_scores``)."""
    parts = []
    for group, col, labels in LEVEL3_GROUPS:
        if col not in students:
            continue
        labelled = progress.assign(group=group, label=progress["upn"].map(students[col]).map(labels))
        parts.append(
            school_scores(labelled.dropna(subset=["label"]), national_sd, by=["group", "label"], weight="size")
        )
    if not parts:
        return pd.DataFrame(columns=["group", "label", "pupils", "score", "ci_low", "ci_high"])
    return pd.concat(parts, ignore_index=True)[["group", "label", "pupils", "score", "ci_low", "ci_high"]]
