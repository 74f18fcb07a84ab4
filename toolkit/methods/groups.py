"""Pupil groups (seed 000 "Benchmark estimates for pupil groups", seed 001 pupil groups).

``pupil_groups`` labels every pupil by gender, prior attainment (higher / middle / lower: from KS1 in a primary,
from the KS2 average in Years 7-11, ``ks4.prior_band``), disadvantage (FSM in the
last 6 years), FSM, EAL, SEN and term of birth. ``breakdown`` gives the mean of any pupil-level values per group
with the gap to the group's complement (the rest of the cohort); ``va_by_group`` does the same for progress scores
with confidence intervals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods import ks4, ks4_estimates
from toolkit.methods.value_added import ks1_prior_attainment, school_scores
from toolkit.scales import ks1
from toolkit.vocabulary import year_group_number

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
    secondary = year_group_number(pupils["year_group"]).between(7, 11) if "year_group" in pupils else None
    if secondary is not None and secondary.any() and {"ks2_reading", "ks2_maths"} <= set(pupils.columns):
        rows = secondary.to_numpy() & out["Prior attainment"].isna().to_numpy()
        years = pupils["ks2_year"] if "ks2_year" in pupils else ks4_estimates.ks2_years(pupils)
        band = ks4.prior_band(ks4.ks2_prior(pupils[rows], years[rows]))
        out.loc[rows, "Prior attainment"] = band.to_numpy()
    flags = {
        "Disadvantage": ("fsm6", "Disadvantaged (FSM in last 6 years)", "Not disadvantaged"),
        "FSM": ("fsm", "FSM", "Not FSM"),
        "EAL": ("eal", "EAL", "Not EAL"),
    }
    for group, (col, yes, no) in flags.items():
        out[group] = (
            _yes_no(pupils[col], yes, no) if col in pupils else pd.Series(pd.NA, index=pupils.index, dtype="string")
        )
    out["SEN"] = (
        pupils["sen"].map({"N": "No SEN", "K": "SEN support", "E": "EHC plan"}).astype("string")
        if "sen" in pupils
        else pd.Series(pd.NA, index=pupils.index, dtype="string")
    )
    month = pd.to_datetime(pupils["dob"]).dt.month
    term = np.select(
        [month.isin([9, 10, 11, 12]), month.isin([1, 2, 3, 4])], ["Autumn born", "Spring born"], "Summer born"
    )
    out["Term of birth"] = pd.Series(term, index=pupils.index, dtype="string").where(month.notna())
    return out


def groups_long(pupils: pd.DataFrame, labels: pd.DataFrame | None = None) -> pd.DataFrame:
    """``upn, group, label``: one row per pupil and group they have a label in."""
    wide = (pupil_groups(pupils) if labels is None else labels).assign(upn=pupils["upn"].to_numpy())
    long = wide.melt(id_vars="upn", var_name="group", value_name="label").dropna(subset=["label"])
    return long.reset_index(drop=True)


def breakdown(
    values: pd.DataFrame, pupils: pd.DataFrame, columns: list[str], labels: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mean of ``columns`` of ``values`` (aligned with ``pupils``) for all pupils and each group, with gaps.

    Returns ``group, label, pupils``, each column's mean, and ``gap_<column>``: the group's mean minus the mean of
    the other pupils (who have a label in that group kind). The first row is "All pupils". ``labels``: the
    pupils' ``pupil_groups`` when already known.
    """
    labels = pupil_groups(pupils) if labels is None else labels
    x = values[columns].to_numpy(dtype=float)
    known = ~np.isnan(x)
    xz = np.where(known, x, 0.0)

    def mean(rows: np.ndarray) -> np.ndarray:
        n = known[rows].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, xz[rows].sum(axis=0) / n, np.nan)

    everyone = np.ones(len(values), dtype=bool)
    rows = [
        {
            "group": "Summary",
            "label": "All pupils",
            "pupils": len(values),
            **dict(zip(columns, mean(everyone))),
            **{f"gap_{c}": np.nan for c in columns},
        }
    ]
    for group in GROUPS:
        lab = labels[group].to_numpy(dtype=object)
        has = pd.notna(lab)
        for label in sorted(set(lab[has])):
            inside = has & (lab == label)
            others = has & ~inside
            m = mean(inside)
            gap = m - mean(others) if others.any() else np.full(len(columns), np.nan)
            rows.append(
                {
                    "group": group,
                    "label": label,
                    "pupils": int(inside.sum()),
                    **dict(zip(columns, m)),
                    **{f"gap_{c}": g for c, g in zip(columns, gap)},
                }
            )
    return pd.DataFrame(rows)


def va_by_group(
    progress: pd.DataFrame, pupils: pd.DataFrame, national_sd: dict[str, float], labels: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Progress per pupil group and subject with confidence intervals and the gap to the rest of the cohort.

    ``progress``: a pupil-level table from ``DfeProgress`` or ``FftValueAdded``. Returns ``group, label, subject,
    pupils, score, ci_low, ci_high, gap``.
    """
    long = progress.merge(groups_long(pupils, labels), on="upn")
    scores = school_scores(long, national_sd, by=["group", "label"])
    totals = long.dropna(subset=["progress"]).groupby(["group", "subject"])["progress"].agg(["sum", "size"])
    merged = scores.join(totals, on=["group", "subject"])
    rest = (merged["sum"] - merged["score"] * merged["pupils"]) / (merged["size"] - merged["pupils"])
    merged["gap"] = merged["score"] - rest
    return merged.drop(columns=["sum", "size"])


def gap_change(before: pd.Series, after: pd.Series, same: float = 0.5) -> np.ndarray:
    """What moving from gap ``before`` to gap ``after`` (percentage points) does, in words: "reverse it" (a lead of
    more than ``same`` becomes a gap of more than ``same``, or the other way), "narrow it", "widen it", or "leave it
    about the same"; empty where either is missing."""
    reversed_ = (before.abs() > same) & (after.abs() > same) & (np.sign(before) != np.sign(after))
    return np.select(
        [before.isna() | after.isna(), reversed_, after.abs() < before.abs() - same, after.abs() > before.abs() + same],
        ["", "reverse it", "narrow it", "widen it"],
        "leave it about the same",
    )


def target_gaps(
    estimates: dict[str, pd.DataFrame],
    pupils: pd.DataFrame,
    stage: str,
    subject: str,
    labels: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Seed 000's benchmark estimates for pupil groups, for one subject (% expected standard or higher).

    ``estimates``: challenge label -> estimates aligned with ``pupils`` (``targets.estimates_at_challenges``).
    Returns ``group, label, pupils``, a column per challenge label (mean chance, %), ``aggregated_target``,
    ``pct_with_target``, ``difference`` (target minus FFT50), ``estimated_gap`` (the group's FFT50 minus the rest's),
    ``target_gap`` (the same for the aggregated target) and ``narrows``: what the targets do to the gap, in words
    ("narrow it", "widen it", "reverse it" when a lead becomes a gap or a gap a lead, "leave it about the same"
    within half a percentage point). The same definitions as ``targets.aggregate_targets``, per group.
    """
    from toolkit.methods.targets import target_reaches

    reach = target_reaches(pupils, stage, subject, "expected")
    values = pd.DataFrame(
        {label: 100 * est[f"{subject}_p_expected"].to_numpy() for label, est in estimates.items()}, index=pupils.index
    )
    values["aggregated_target"] = 100 * reach
    values["pct_with_target"] = 100 * reach.notna()
    table = breakdown(values, pupils, list(values.columns), labels)
    for label in ("FFT50", "FFT20", "FFT5", "own_past_progress"):
        if label not in table:
            table[label] = np.nan
    table["difference"] = table["aggregated_target"] - table["FFT50"]
    table = table.rename(columns={"gap_FFT50": "estimated_gap", "gap_aggregated_target": "target_gap"})
    table["narrows"] = gap_change(table["estimated_gap"], table["target_gap"])
    keep = [
        "group",
        "label",
        "pupils",
        "FFT50",
        "FFT20",
        "FFT5",
        "own_past_progress",
        "aggregated_target",
        "pct_with_target",
        "difference",
        "estimated_gap",
        "target_gap",
        "narrows",
    ]
    return table[keep]


def gap_reads(gap: float, pupils: int, rest: int, min_group: int) -> str:
    """A group's gap to the rest in words: too few pupils to judge under ``min_group``; "in line" when smaller than
    one pupil of the smaller side (100 / its size, in percentage points); else behind or ahead."""
    if pupils < min_group:
        return "too few pupils to say"
    if abs(gap) < 100 / min(pupils, rest):
        return "in line"
    return "behind" if gap < 0 else "ahead"


def attainment_gaps(reached: np.ndarray, labels: pd.DataFrame, groups: dict[str, str], min_group: int) -> pd.DataFrame:
    """Each group's rate minus the rest's for one yes/no outcome of a cohort (``reached``, aligned with
    ``labels``: ``pupil_groups``), for the groups ``{group: label}`` asked (e.g. ``{"Disadvantage":
    "Disadvantaged"}``): ``group, label, pupils, rest, gap`` (percentage points), ``gap_pupils`` (the gap as pupils
    of the group: gap x pupils / 100) and ``reads`` (``gap_reads``). Groups with nobody in or out are left out."""
    reached = np.asarray(reached, dtype=bool)
    rows = []
    for group, wanted in groups.items():
        if group not in labels:
            continue
        inside = (labels[group] == wanted).fillna(False).to_numpy(dtype=bool)
        n_in, n_out = int(inside.sum()), int((~inside).sum())
        if n_in == 0 or n_out == 0:
            continue
        gap = 100 * (reached[inside].mean() - reached[~inside].mean())
        rows.append(
            {
                "group": group,
                "label": wanted,
                "pupils": n_in,
                "rest": n_out,
                "gap": gap,
                "gap_pupils": gap * n_in / 100,
                "reads": gap_reads(gap, n_in, n_out, min_group),
            }
        )
    return pd.DataFrame(rows, columns=["group", "label", "pupils", "rest", "gap", "gap_pupils", "reads"])
