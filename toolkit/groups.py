"""Pupil groups (seed 000 "Benchmark estimates for pupil groups", seed 001 pupil groups).

``pupil_groups`` labels every pupil by gender, prior attainment (higher / middle / lower), disadvantage (FSM in the
last 6 years), FSM, EAL, SEN and term of birth. ``breakdown`` gives the mean of any pupil-level values per group
with the gap to the group's complement (the rest of the cohort); ``va_by_group`` does the same for progress scores
with confidence intervals.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.scales import ks1
from toolkit.value_added import ks1_prior_attainment, school_scores

GROUPS = ("Gender", "Prior attainment", "Disadvantage", "FSM", "EAL", "SEN", "Term of birth")


def _yes_no(values: pd.Series, yes: str, no: str) -> pd.Series:
    return values.map({True: yes, False: no}).astype("string")


def pupil_groups(pupils: pd.DataFrame) -> pd.DataFrame:
    """Group label per pupil (columns ``GROUPS``; <NA> where the pupil table does not say)."""
    out = pd.DataFrame(index=pupils.index)
    out["Gender"] = pupils["gender"].map({"F": "Female", "M": "Male"}).astype("string")
    if all(f"ks1_{s}" in pupils for s in ks1.SUBJECTS):
        pa = ks1_prior_attainment(pupils)
        hml = pd.Series(pd.NA, index=pupils.index, dtype="string")
        for fw in ks1.FRAMEWORKS:
            rows = pa["framework"] == fw
            hml[rows] = ks1.hml(pa.loc[rows, "aps"], fw)
        out["Prior attainment"] = hml.map({"H": "Higher attainers", "M": "Middle attainers", "L": "Lower attainers"})
    else:
        out["Prior attainment"] = pd.Series(pd.NA, index=pupils.index, dtype="string")
    flags = {"Disadvantage": ("fsm6", "Disadvantaged (FSM in last 6 years)", "Not disadvantaged"),
             "FSM": ("fsm", "FSM", "Not FSM"), "EAL": ("eal", "EAL", "Not EAL")}
    for group, (col, yes, no) in flags.items():
        out[group] = _yes_no(pupils[col], yes, no) if col in pupils else pd.Series(pd.NA, index=pupils.index, dtype="string")
    out["SEN"] = (pupils["sen"].map({"N": "No SEN", "K": "SEN support", "E": "EHC plan"}).astype("string")
                  if "sen" in pupils else pd.Series(pd.NA, index=pupils.index, dtype="string"))
    month = pd.to_datetime(pupils["dob"]).dt.month
    term = np.select([month.isin([9, 10, 11, 12]), month.isin([1, 2, 3, 4])], ["Autumn born", "Spring born"], "Summer born")
    out["Term of birth"] = pd.Series(term, index=pupils.index, dtype="string").where(month.notna())
    return out


def groups_long(pupils: pd.DataFrame) -> pd.DataFrame:
    """``upn, group, label``: one row per pupil and group they have a label in."""
    wide = pupil_groups(pupils).assign(upn=pupils["upn"].to_numpy())
    long = wide.melt(id_vars="upn", var_name="group", value_name="label").dropna(subset=["label"])
    return long.reset_index(drop=True)


def breakdown(values: pd.DataFrame, pupils: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Mean of ``columns`` of ``values`` (aligned with ``pupils``) for all pupils and each group, with gaps.

    Returns ``group, label, pupils``, each column's mean, and ``gap_<column>``: the group's mean minus the mean of
    the other pupils (who have a label in that group kind). The first row is "All pupils".
    """
    labels = pupil_groups(pupils)
    rows = [{"group": "Summary", "label": "All pupils", "pupils": len(values),
             **{c: values[c].mean() for c in columns}, **{f"gap_{c}": np.nan for c in columns}}]
    for group in GROUPS:
        lab = labels[group]
        for label in sorted(lab.dropna().unique()):
            inside = (lab == label).fillna(False)
            others = lab.notna() & ~inside
            row = {"group": group, "label": label, "pupils": int(inside.sum())}
            for c in columns:
                row[c] = values.loc[inside, c].mean()
                row[f"gap_{c}"] = row[c] - values.loc[others, c].mean() if others.any() else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def va_by_group(progress: pd.DataFrame, pupils: pd.DataFrame, national_sd: dict[str, float]) -> pd.DataFrame:
    """Progress per pupil group and subject with confidence intervals and the gap to the rest of the cohort.

    ``progress``: a pupil-level table from ``DfeProgress`` or ``FftValueAdded``. Returns ``group, label, subject,
    pupils, score, ci_low, ci_high, gap``.
    """
    long = progress.merge(groups_long(pupils), on="upn")
    scores = school_scores(long, national_sd, by=["group", "label"])
    totals = long.dropna(subset=["progress"]).groupby(["group", "subject"])["progress"].agg(["sum", "size"])
    merged = scores.join(totals, on=["group", "subject"])
    rest = (merged["sum"] - merged["score"] * merged["pupils"]) / (merged["size"] - merged["pupils"])
    merged["gap"] = merged["score"] - rest
    return merged.drop(columns=["sum", "size"])
