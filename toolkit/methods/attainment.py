"""National headline measures computed from a pupil table: the figures the DfE publishes.

``headline_measures`` gives, in the long format of ``parameters/national/figures.csv``
(``keystage, measure, subject, value``): KS2 % expected standard and % higher standard per subject and RWM
combined (percent of all pupils in the KS2 cohort), average scaled scores (pupils with a score), KS1 % expected
standard or above and % greater depth (pupils with a result in that subject), EYFS % good level of development,
KS1-KS2 progress of girls and boys, and the disadvantage gap index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.scales import eyfs, ks1, ks2


def progress_against_group_mean(outcome: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each pupil's outcome minus the mean outcome of pupils in the same group (group -1 or NaN outcome: NaN).

    With prior attainment groups as ``group`` this is the DfE's pupil progress score before nominal scores and capping.
    """
    outcome = np.asarray(outcome, dtype=float)
    group = np.asarray(group, dtype=int)
    ok = ~np.isnan(outcome) & (group >= 0)
    if not ok.any():
        return np.full(len(outcome), np.nan)
    size = group.max() + 1
    sums = np.bincount(group[ok], outcome[ok], minlength=size)
    counts = np.bincount(group[ok], minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return np.where(ok, outcome - means[np.clip(group, 0, None)], np.nan)


def disadvantage_gap_index(disadvantaged: np.ndarray, reading: np.ndarray, maths: np.ndarray) -> float:
    """Disadvantage gap index: 20 x (mean rank of other pupils - mean rank of disadvantaged pupils).

    Pupils with both a reading and a maths scaled score are ranked on the mean of the two, ranks scaled to 0-1
    (ties share their average rank). 0 means no gap; 10 means every disadvantaged pupil is below every other pupil,
    the range the DfE gives the index.
    """
    reading, maths = np.asarray(reading, dtype=float), np.asarray(maths, dtype=float)
    ok = ~np.isnan(reading) & ~np.isnan(maths)
    score = (reading[ok] + maths[ok]) / 2
    ranks = (pd.Series(score).rank(method="average").to_numpy() - 0.5) / ok.sum()
    d = np.asarray(disadvantaged, dtype=bool)[ok]
    return float(20 * (ranks[~d].mean() - ranks[d].mean()))


def writing_progress_points(codes: pd.Series) -> np.ndarray:
    """Points of each KS2 writing TA code for progress (parameters/scales/ks2_writing_ta.csv); NaN otherwise."""
    t = ks2.writing_codes()
    pts = dict(zip(t["code"], pd.to_numeric(t["progress_points"].replace("", np.nan))))
    return codes.astype("string").str.upper().map(pts).astype(float).to_numpy()


def _row(keystage: str, measure: str, subject: str, value: float) -> dict:
    return {"keystage": keystage, "measure": measure, "subject": subject, "value": float(value)}


def reached(pupils: pd.DataFrame, standard: str = "expected") -> pd.DataFrame:
    """Per pupil (``pupils``' index): whether each KS2 subject reached the ``"expected"`` or ``"high"`` standard
    (a scaled score of 100 / 110, writing EXS / GDS), and ``rwm``: reading, writing and maths all did. Bool columns
    ``reading, maths, gps, writing, rwm``; a missing result did not reach it."""
    out = pd.DataFrame(index=pupils.index)
    for s in ks2.TEST_SUBJECTS:
        test = ks2.reaches_expected if standard == "expected" else ks2.reaches_high
        out[s] = test(pupils[f"ks2_{s}"]).fillna(False).astype(bool)
    out["writing"] = ks2.writing_reaches(pupils["ks2_writing"], "EXS" if standard == "expected" else "GDS")
    out["writing"] = out["writing"].fillna(False).astype(bool)
    out["rwm"] = out["reading"] & out["writing"] & out["maths"]
    return out


def headline_measures(pupils: pd.DataFrame) -> pd.DataFrame:
    """Published headline measures of a pupil table (columns of docs/data_model.md), percentages in percent."""
    rows = []
    ks2_cols = [f"ks2_{s}" for s in ks2.SUBJECTS if f"ks2_{s}" in pupils]
    if ks2_cols:
        cohort = pupils[pupils[ks2_cols].notna().any(axis=1)]
        exp, high = reached(cohort, "expected"), reached(cohort, "high")
        for s in ks2.TEST_SUBJECTS:
            rows.append(_row("KS2", "average_scaled_score", s, ks2.scaled_score(cohort[f"ks2_{s}"]).mean()))
        for s in ks2.SUBJECTS:
            rows += [
                _row("KS2", "expected_standard", s, 100 * exp[s].mean()),
                _row("KS2", "higher_standard", s, 100 * high[s].mean()),
            ]
        rows += [
            _row("KS2", "expected_standard", "rwm", 100 * exp["rwm"].mean()),
            _row("KS2", "higher_standard", "rwm", 100 * high["rwm"].mean()),
        ]
        aps = (
            ks1.ks1_aps(cohort["ks1_reading"], cohort["ks1_writing"], cohort["ks1_maths"])
            if all(f"ks1_{s}" in cohort for s in ks1.SUBJECTS)
            else pd.Series(dtype=float)
        )
        if aps.notna().any():  # a cohort without KS1 results (KS2 2024, 2025) has no progress by gender
            pag = ks1.prior_attainment_group(aps).fillna(0).astype(int).to_numpy() - 1
            female = (cohort["gender"] == "F").to_numpy()
            outcomes = {
                "reading": ks2.scaled_score(cohort["ks2_reading"]).to_numpy(),
                "writing": writing_progress_points(cohort["ks2_writing"]),
                "maths": ks2.scaled_score(cohort["ks2_maths"]).to_numpy(),
            }
            for s, outcome in outcomes.items():
                prog = progress_against_group_mean(outcome, pag)
                rows += [
                    _row("KS2", "progress_score_girls", s, np.nanmean(prog[female])),
                    _row("KS2", "progress_score_boys", s, np.nanmean(prog[~female])),
                ]
        if "dob" in cohort:  # FFT's term-of-birth figure: September-born minus August-born, RWM expected standard
            month = (pd.to_datetime(cohort["dob"]).dt.month.to_numpy() - 9) % 12
            rwm = exp["rwm"].to_numpy(dtype=bool)
            if (month == 0).any() and (month == 11).any():
                gap = 100 * (rwm[month == 0].mean() - rwm[month == 11].mean())
                rows.append(_row("KS2", "month_of_birth_gap", "rwm", gap))
        if "fsm6" in cohort:
            rows.append(
                _row(
                    "KS2",
                    "disadvantage_gap_index",
                    "all",
                    disadvantage_gap_index(
                        cohort["fsm6"].fillna(False).to_numpy(dtype=bool),
                        ks2.scaled_score(cohort["ks2_reading"]).to_numpy(),
                        ks2.scaled_score(cohort["ks2_maths"]).to_numpy(),
                    ),
                )
            )
    for s in ks1.SUBJECTS:
        col = f"ks1_{s}"
        if col in pupils:
            codes = pupils[col].dropna().astype("string").str.upper()
            if len(codes):
                rows += [
                    _row("KS1", "expected_standard", s, 100 * codes.isin(["EXS", "GDS"]).mean()),
                    _row("KS1", "greater_depth", s, 100 * codes.eq("GDS").mean()),
                ]
    if all(c in pupils for c in eyfs.goal_columns()):
        gld = eyfs.good_level_of_development(pupils).dropna()
        if len(gld):
            rows.append(_row("EYFS", "good_level_of_development", "all", 100 * gld.astype(bool).mean()))
    return pd.DataFrame(rows, columns=["keystage", "measure", "subject", "value"])
