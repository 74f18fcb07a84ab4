"""A level and AS results (KS5): points per entry, average point score per entry, % A*-B / A*-E, per subject and
overall. Parameters: ``parameters/ks5.yaml``; points: ``parameters/scales/a_level_points.csv``.

An *entries* table has one row per student and qualification: ``upn, school_id, qualification`` ("A level" or
"AS"), ``subject`` ("Mathematics"), ``grade`` (A* ... E, U), and per student ``ks4_aps`` (GCSE average point
score, the prior attainment of level 3 value added) and optionally ``gender, fsm6``. Files of this shape are read
by ``toolkit.inputs.entries.load_entries``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.scales.a_level import QUALIFICATIONS, a_level_points, grade_table

ENTRY_COLUMNS = ["upn", "school_id", "qualification", "subject", "grade"]
MEASURES = ("pct_a_star_a", "pct_a_star_b", "pct_a_star_c", "pct_a_star_e")


def ks5_parameters() -> dict:
    return parameters.load_yaml("ks5.yaml")


def overall_label() -> str:
    return ks5_parameters()["overall_label"]


def label(qualification: pd.Series, subject: pd.Series) -> pd.Series:
    """ "A level Mathematics", "AS Extended Project": the name a subject goes by in templates and reports."""
    return qualification.astype("string") + " " + subject.astype("string")


def grade_step(qualification: str) -> float:
    """Points between adjacent grades of a qualification (10 for an A level), from the points table."""
    t = grade_table()
    pts = np.sort(t.loc[(t["qualification"] == qualification) & (t["grade"] != "U"), "points"].astype(float).unique())
    return float(np.diff(pts).mean())


def scored(entries: pd.DataFrame) -> pd.DataFrame:
    """``entries`` plus ``label``, ``points`` (DfE 16-18 points of the grade) and ``size`` (1 for an A level)."""
    out = entries.copy()
    out["grade"] = out["grade"].astype("string").str.strip().str.upper()
    out["points"] = np.nan
    for q in QUALIFICATIONS:
        rows = out["qualification"] == q
        if rows.any():
            out.loc[rows, "points"] = a_level_points(out.loc[rows, "grade"], q).to_numpy()
    out["size"] = out["qualification"].map(ks5_parameters()["entry_size"]).astype(float)
    out["label"] = label(out["qualification"], out["subject"])
    return out


def _share(frame: pd.DataFrame, measure: str) -> pd.Series:
    grades = ks5_parameters()["measures"][measure]
    return pd.Series(
        [g in grades.get(q, ()) for q, g in zip(frame["qualification"], frame["grade"])], index=frame.index, dtype=bool
    )


def attainment(entries: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Per ``by`` (e.g. ``["school_id"]``) and subject label, plus the overall A level row: ``entries``,
    ``students``, ``aps_per_entry`` (points / size, so AS rows are on the A level scale) and the % measures
    (``MEASURES``, percent of entries). Entries without a valid grade are left out (``toolkit.inputs.entries`` refuses
    them in files)."""
    by = list(by or [])
    e = scored(entries).dropna(subset=["points"])
    for m in MEASURES:
        e[m] = _share(e, m).astype(float) * 100
    overall = e[e["qualification"] == "A level"].assign(label=overall_label())
    both = pd.concat([e, overall], ignore_index=True)
    g = both.groupby(by + ["label"], sort=True)
    out = g.agg(
        entries=("grade", "size"),
        students=("upn", "nunique"),
        total_points=("points", "sum"),
        total_size=("size", "sum"),
        **{m: (m, "mean") for m in MEASURES},
    ).reset_index()
    out["aps_per_entry"] = out["total_points"] / out["total_size"]
    out = out.drop(columns=["total_points", "total_size"]).rename(columns={"label": "subject"})
    return out[by + ["subject", "entries", "students", "aps_per_entry", *MEASURES]]


def grade_distribution(entries: pd.DataFrame) -> pd.DataFrame:
    """Entries per subject label and grade (counts), grades in the order of the points table."""
    e = scored(entries).dropna(subset=["points"])
    order = list(dict.fromkeys(grade_table()["grade"]))
    table = pd.crosstab(e["label"], e["grade"])
    return table.reindex(columns=[g for g in order if g in table.columns]).rename_axis(index="subject", columns=None)


def national_figures() -> pd.DataFrame:
    """Published national A level figures (``parameters/national/a_level.csv``): measure, subject, year, value,
    scope, status, source."""
    table = parameters.load_csv("national/a_level.csv")
    return table.assign(value=pd.to_numeric(table["value"].replace("", None), errors="coerce").astype(float))


def compare_with_national(school: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """School attainment (``attainment``) beside the national figure for each subject and measure: the published
    figure where ``parameters/national/a_level.csv`` has one, else the reference cohort's (``national_source``
    says which). Long format: ``subject, measure, school, national, difference, national_source``."""
    measures = ["aps_per_entry", *MEASURES]
    s = school.melt(id_vars=["subject"], value_vars=measures, var_name="measure", value_name="school")
    r = reference.melt(id_vars=["subject"], value_vars=measures, var_name="measure", value_name="reference")
    out = s.merge(r, on=["subject", "measure"], how="left")
    pub = national_figures()
    pub = pub[pub["value"].notna()]
    pub = pub.assign(
        published=pub["value"],
        national_source=pub["scope"].astype(str) + " " + pub["year"].astype(str) + " (published)",
    )[["subject", "measure", "published", "national_source"]]
    out = out.merge(pub, on=["subject", "measure"], how="left")
    out["national"] = out["published"].fillna(out["reference"])
    out["national_source"] = out["national_source"].fillna("reference cohort")
    out["difference"] = out["school"] - out["national"]
    return out[["subject", "measure", "school", "national", "difference", "national_source"]]
