"""Targets versus estimates (seed 000: "Aspire aggregates targets and compares to FFT estimates").

Targets are pupil-table columns ``target_<subject>`` holding a band (B, W-, ... A+ for KS2 tests; B, W, N, A for
writing and KS1), a TA code (WTS, EXS, GDS ...) or a scaled score. Every target becomes a lower edge on the
outcome's continuous scale, so "how likely" is the estimate model's chance of reaching at least that.

Aggregated chances are the mean of pupils' chances, not the share of pupils whose most likely band is high enough:
the mean of chances is the expected share of pupils who reach the standard, whereas counting most likely bands
treats every 51% as a certainty and every 49% as a failure, which biases cohorts of borderline pupils.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.methods.estimates import EstimateModel, outcome_scale
from toolkit.scales import ks1, ks2
from toolkit.vocabulary import COMBINED, SUBJECT_LABELS, named_challenges


def target_parameters() -> dict:
    return parameters.load_yaml("targets.yaml")


def target_cut(targets: pd.Series, stage: str, subject: str) -> np.ndarray:
    """Lower edge, on the outcome's continuous scale, of each target (NaN where there is no target).

    Raises ValueError naming the rows of targets that are not a band, TA code or scaled score of that subject.
    """
    sc = outcome_scale(stage, subject)
    text = targets.astype("string").str.strip()
    out = np.full(len(text), np.nan)
    bad = []
    four = len(sc.bands) == 4
    codes = ks2.writing_codes() if stage == "ks2" else ks1.ta_codes()
    ta_band = {c: b for c, b in zip(codes["code"], codes["band"]) if b}
    for i, value in enumerate(text.to_numpy()):
        if value is pd.NA or value == "":
            continue
        v = str(value)
        if v in sc.bands:
            out[i] = sc.cut_of_band(v)
        elif four and v.rstrip("+-") in sc.bands:  # a 10-band label on a 4-band scale
            out[i] = sc.cut_of_band(v.rstrip("+-"))
        elif four and v.upper() in ta_band:
            out[i] = sc.cut_of_band(ta_band[v.upper()])
        elif not four and v.upper() in ("WTS", "EXS", "GDS"):
            out[i] = {"WTS": sc.cut_of_band("W-"), "EXS": sc.expected, "GDS": sc.high}[v.upper()]
        elif not four and ks2.scaled_score_problem(v) is None and v.replace(".", "").isdigit():
            out[i] = float(v) - 0.5
        else:
            bad.append((i, v))
    if bad:
        rows = ", ".join(f"row {targets.index[i]} ('{v}')" for i, v in bad[:10])
        raise ValueError(
            f"Targets for {stage} {subject} must be a band ({', '.join(sc.bands)}), a TA code or a "
            f"scaled score; not understood: {rows}"
        )
    return out


def chance_of_target(model: EstimateModel, pupils: pd.DataFrame, challenge=50) -> pd.DataFrame:
    """'How likely, my school': each pupil's chance of reaching their target in each subject that has targets."""
    out = pd.DataFrame({"upn": pupils["upn"]}, index=pupils.index)
    for subject in model.subjects:
        col = f"target_{subject}"
        if col in pupils:
            cut = target_cut(pupils[col], model.stage, subject)
            per_subject = challenge.get(subject, 50) if isinstance(challenge, dict) else challenge
            out[f"{subject}_p_target"] = model.chance_at_least(pupils, subject, cut, per_subject)
    return out


REVIEW_COLUMNS = ["upn", "subject", "target", "chance", "flag", "distance"]


def below_the_standard(targets: pd.Series) -> pd.Series:
    """Targets for pupils working below the standard of the test: band B, pre-key-stage and below codes."""
    text = targets.astype("string").str.strip().str.upper()
    return (text.eq("B") | text.str.match(r"^(PK[1-6EFG]?|BLW|HNM)$")).fillna(False).astype(bool)


def review_targets(
    pupils: pd.DataFrame, chances: pd.DataFrame, subjects: tuple[str, ...], stage: str = "ks2"
) -> pd.DataFrame:
    """Pupils whose target looks unlikely or unambitious: ``upn, subject, target, chance, flag, distance``, where
    ``distance`` is how far the target's lower edge is from the estimate (outcome points; needs
    ``<subject>_estimate`` in ``chances``, else NaN). Ranked within each subject by distance, largest first. A
    target below the standard of the test (B, pre-key-stage codes) is never "unambitious": such a pupil is working
    below the standard, and a realistic target there is not a lack of ambition."""
    s = target_parameters()
    rows = []
    for subject in subjects:
        col = f"{subject}_p_target"
        if col not in chances:
            continue
        p = chances[col].to_numpy(dtype=float)
        targets = pupils[f"target_{subject}"]
        below = below_the_standard(targets).to_numpy(dtype=bool)
        flag = np.select(
            [p < s["unlikely_below"], (p > s["unambitious_above"]) & ~below], ["unlikely", "unambitious"], ""
        )
        keep = flag != ""
        estimate = chances.get(f"{subject}_estimate")
        if estimate is not None:
            cut = target_cut(targets, stage, subject)
            distance = np.where(np.isfinite(cut), cut + 0.5 - estimate.to_numpy(dtype=float), np.nan)
        else:
            distance = np.full(len(p), np.nan)
        part = pd.DataFrame(
            {
                "upn": pupils["upn"].to_numpy()[keep],
                "subject": subject,
                "target": targets.to_numpy()[keep],
                "chance": p[keep],
                "flag": flag[keep],
                "distance": distance[keep],
            }
        )
        order = np.argsort(-np.nan_to_num(np.abs(part["distance"].to_numpy()), nan=-1), kind="stable")
        rows.append(part.iloc[order])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=REVIEW_COLUMNS)


def review_counts(flagged: pd.DataFrame) -> pd.DataFrame:
    """How many targets of ``review_targets`` each subject has under each flag (``subject, flag, targets``)."""
    return flagged.groupby(["subject", "flag"], sort=False).size().rename("targets").reset_index()


def cap_review(flagged: pd.DataFrame, per_subject: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first ``per_subject`` flagged targets of each subject (already ranked), and the counts per subject and
    flag of all of them (``review_counts`` with ``shown``)."""
    shown = flagged.groupby("subject", sort=False, group_keys=False).head(per_subject)
    counts = review_counts(flagged)
    counts["shown"] = [
        int(((shown["subject"] == s) & (shown["flag"] == f)).sum()) for s, f in zip(counts["subject"], counts["flag"])
    ]
    return shown, counts


def target_reaches(pupils: pd.DataFrame, stage: str, subject: str, indicator: str) -> pd.Series:
    """Per pupil: 1.0 if the target reaches the indicator's standard, 0.0 if not, NaN without a target.
    For ``"average"`` the target's score: a scaled score, or the middle of a band."""
    sc = outcome_scale(stage, subject)
    if subject in COMBINED[stage]:
        parts = [target_reaches(pupils, stage, x, indicator) for x in COMBINED[stage][subject]]
        frame = pd.concat(parts, axis=1)
        return frame.min(axis=1).where(frame.notna().all(axis=1))
    col = f"target_{subject}"
    if col not in pupils:
        return pd.Series(np.nan, index=pupils.index)
    cut = target_cut(pupils[col], stage, subject)
    if indicator == "average":
        edges = np.array((-np.inf,) + sc.cuts + (np.inf,))
        k = np.searchsorted(edges, cut, side="right") - 1
        lo = np.clip(edges[np.clip(k, 0, len(edges) - 1)], sc.lowest, sc.highest)
        hi = np.clip(edges[np.clip(k + 1, 0, len(edges) - 1)], sc.lowest, sc.highest)
        value = np.where(np.isnan(cut), np.nan, (lo + hi) / 2)
        exact = pupils[col].astype("string").str.fullmatch(r"\d+").fillna(False).to_numpy()
        return pd.Series(np.where(exact, cut + 0.5, value), index=pupils.index)
    level = sc.expected if indicator == "expected" else sc.high
    return pd.Series(np.where(np.isnan(cut), np.nan, (cut >= level - 1e-9).astype(float)), index=pupils.index)


def estimates_at_challenges(
    model: EstimateModel, pupils: pd.DataFrame, own_challenge: dict | None = None
) -> dict[str, pd.DataFrame]:
    """Estimates at FFT50, FFT20, FFT5 and (with ``own_challenge``: subject -> percentile) own past progress."""
    estimates = {label: model.predict(pupils, p) for label, p in named_challenges().items()}
    if own_challenge:
        estimates["own_past_progress"] = model.predict(pupils, own_challenge)
    return estimates


def aggregate_targets(
    estimates: dict[str, pd.DataFrame], pupils: pd.DataFrame, stage: str, indicator: str = "expected"
) -> pd.DataFrame:
    """The seed's aggregated-target table from estimates already made (``estimates_at_challenges``), one row per
    subject and combined measure.

    Columns: ``subject, measure, pupils, FFT50, FFT20, FFT5, own_past_progress, pct_with_target,
    aggregated_target, difference`` (aggregated target minus FFT50). Percentages in percent; for ``"average"``
    scaled scores (test subjects only). Own past progress is empty when ``estimates`` has no such entry.
    """
    if indicator not in target_parameters()["indicators"]:
        raise ValueError(f"indicator must be one of {list(target_parameters()['indicators'])}")
    subjects = [c[: -len("_p_expected")] for c in next(iter(estimates.values())).columns if c.endswith("_p_expected")]
    rows = []
    for subject in subjects:
        if indicator == "average" and (subject in COMBINED[stage] or stage == "ks1" or subject == "writing"):
            continue
        column = f"{subject}_estimate" if indicator == "average" else f"{subject}_p_{indicator}"
        scale = 1 if indicator == "average" else 100
        row = {"subject": subject, "measure": SUBJECT_LABELS[subject], "pupils": len(pupils)}
        for label in ("FFT50", "FFT20", "FFT5", "own_past_progress"):
            row[label] = scale * estimates[label][column].mean() if label in estimates else np.nan
        reaches = target_reaches(pupils, stage, subject, indicator)
        has = reaches.notna()
        row["pct_with_target"] = 100 * has.mean() if len(pupils) else np.nan
        row["aggregated_target"] = scale * reaches[has].mean() if has.any() else np.nan
        row["difference"] = row["aggregated_target"] - row["FFT50"]
        rows.append(row)
    return pd.DataFrame(rows)


def target_summary(
    model: EstimateModel, pupils: pd.DataFrame, indicator: str = "expected", own_challenge: dict | None = None
) -> pd.DataFrame:
    """``aggregate_targets`` for pupils estimated by ``model`` at FFT50, FFT20, FFT5 (and own past progress)."""
    if indicator not in target_parameters()["indicators"]:
        raise ValueError(f"indicator must be one of {list(target_parameters()['indicators'])}")
    return aggregate_targets(estimates_at_challenges(model, pupils, own_challenge), pupils, model.stage, indicator)
