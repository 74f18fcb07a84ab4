"""The value added report: which years have an official measure, attainment against national, DfE and FFT-style value
added with intervals, the trend, prior attainment groups and value added by pupil group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods import attainment, policy
from toolkit.methods.groups import GROUPS, va_by_group
from toolkit.methods.value_added import ks1_prior_attainment, pag_table
from toolkit.reports import charts
from toolkit.reports.display import heading, note, show_figure, show_table
from toolkit.reports.formats import difference_in_units, marked, one_decimal, signed, significance, whole
from toolkit.reports.headings import headed
from toolkit.reports.views import School
from toolkit.scales import ks1
from toolkit.vocabulary import COMBINED, KS2_SUBJECTS, SUBJECT_LABELS


# ----------------------------------------------------------------------------------------------- value added
def latest_year(school: School) -> int | None:
    return max(school.past) if school.past else None


def attainment_table(school: School, year: int) -> pd.DataFrame:
    mine = attainment.headline_measures(school.past[year])
    nat = school.headline
    names = {
        "expected_standard": "% expected standard",
        "higher_standard": "% higher standard (writing: greater depth)",
        "average_scaled_score": "Average scaled score",
    }
    ks2_rows = mine[(mine["keystage"] == "KS2") & mine["measure"].isin(list(names))]
    merged = ks2_rows.merge(nat, on=["keystage", "measure", "subject"], how="left", suffixes=("_school", "_national"))
    merged["order"] = merged["measure"].map({m: i for i, m in enumerate(names)})
    merged = merged.sort_values("order", kind="stable")
    return pd.DataFrame(
        {
            "Measure": merged["measure"].map(names),
            "Subject": merged["subject"].map(SUBJECT_LABELS),
            "School": merged["value_school"],
            "National": merged["value_national"],
            # the difference of the two figures as printed, in its unit: pp for percentages, points for scores
            "Difference": [
                difference_in_units(a, b, in_points=m == "average_scaled_score")
                for a, b, m in zip(merged["value_school"], merged["value_national"], merged["measure"])
            ],
        }
    )


def pag_label(group: int, framework: str = "2016") -> str:
    """A prior attainment group as a reader can place it: its number and its KS1 average point score range."""
    t = ks1.pag_table(framework).set_index("pag")
    if group not in t.index:
        return str(group)
    low, below = t.loc[group, "aps_min"], t.loc[group, "aps_below"]
    return f"{group}: {low:g} or more" if np.isnan(below) else f"{group}: {low:g} to under {below:g}"


def measure_years(school: School) -> pd.DataFrame:
    """Each past KS2 cohort of the school, newest first: its pupils, those with a KS1 baseline, and whether the
    DfE's KS1-KS2 progress measure exists that year (the policy calendar), with the reason where it does not."""
    rows = []
    for year in sorted(school.past, reverse=True):
        entry = policy.status(policy.KS1_KS2, year)
        with_ks1 = int(ks1_prior_attainment(school.past[year])["aps"].notna().sum())
        has_va = school.va_scores is not None and bool((school.va_scores["year"] == year).any())
        state = entry.status if entry.has_baseline else (policy.UNOFFICIAL if has_va else policy.NONE)
        rows.append(
            {
                "year": year,
                "pupils": len(school.past[year]),
                "with_ks1": with_ks1,
                "status": policy.label(state),
                "reason": entry.reason or "",
                "has_va": has_va,
            }
        )
    return pd.DataFrame(rows)


def latest_measured(years: pd.DataFrame) -> tuple[int, str] | None:
    """The latest cohort of ``measure_years`` that has value added, and the DfE measure's status that year."""
    with_va = years[years["has_va"]] if len(years) else years
    if with_va.empty:
        return None
    year = int(with_va["year"].max())
    return year, with_va.set_index("year").loc[year, "status"]


def _trend_cell(value: float, years: pd.DataFrame, year: int) -> str:
    if not pd.isna(value):
        return signed(value)
    return years.set_index("year").loc[year, "status"]


def va_report(school: School) -> None:
    year = latest_year(school)
    if year is None:
        note("No past KS2 results: value added needs ks2_<year>.csv files.")
        return
    years = measure_years(school)
    heading("Which years have a progress measure", 3)
    show_table(
        years[["year", "pupils", "with_ks1", "status", "reason"]].pipe(
            headed,
            {
                "year": "KS2 year",
                "with_ks1": "Pupils with KS1 results",
                "status": "DfE KS1-KS2 progress",
                "reason": "Why not",
            },
        ),
        {"KS2 year": whole, "Pupils": whole, "Pupils with KS1 results": whole},
    )
    note(
        "The DfE publishes KS1-KS2 progress only where the cohort has a KS1 baseline (parameters/policy/measures.yaml). "
        "In a year without it this report shows attainment only; value added is shown for the latest cohort that has "
        "one."
    )
    heading(f"Attainment against national: KS2 {year}")
    show_table(attainment_table(school, year), {"School": one_decimal, "National": one_decimal})
    measured = latest_measured(years)
    if measured is None:
        note(f"No cohort of this school has KS1 results, so there is no value added to show: {years['reason'].iloc[0]}")
        return
    if measured[0] != year:
        row = years.set_index("year").loc[year]
        note(f"KS2 {year}: no progress measure ({row['reason'] or 'no pupil has a KS1 result'}).")
    year, status = measured
    order = {s: i for i, s in enumerate(SUBJECT_LABELS)}
    scores = school.va_scores[school.va_scores["year"] == year]
    scores = scores.assign(o=scores["subject"].map(order)).sort_values(["o", "method"]).drop(columns="o")
    heading(f"Value added: KS2 {year} (DfE measure: {status})")
    for part, unit in (
        (scores[scores["subject"].isin(KS2_SUBJECTS)], "points: scaled score; writing: TA points"),
        (scores[~scores["subject"].isin(KS2_SUBJECTS)], "percentage points of the combined standard"),
    ):
        if part.empty:
            continue
        table = part[["subject", "method", "pupils", "score", "ci_low", "ci_high"]].copy()
        table["subject"] = table["subject"].map(SUBJECT_LABELS)
        table["significance"] = significance(table["ci_low"], table["ci_high"], " national")
        show_table(
            table.pipe(headed, {"score": f"VA score ({unit})"}),
            {
                f"VA score ({unit})": signed,
                "95% CI low": signed,
                "95% CI high": signed,
                "Pupils": whole,
                "Significance": marked,
            },
        )
    test_scores = scores[scores["subject"].isin(KS2_SUBJECTS)]
    show_figure(charts.va_intervals(test_scores, f"KS2 {year}: value added with 95% confidence intervals ({status})"))
    note(
        "DfE: the DfE's progress measure (KS1 prior attainment groups). FFT: FFT-style value added (prior attainment, "
        "gender, month of birth). RWM and R&M (FFT) are in percentage points of the combined standard."
    )
    heading("Value added by year (FFT-style)", 3)
    trend = school.va_scores[school.va_scores["method"] == "FFT"].pivot_table(
        index="subject", columns="year", values="score"
    )
    trend = trend.reindex(columns=sorted(school.past))
    trend = trend.reindex([s for s in (*KS2_SUBJECTS, *COMBINED["ks2"]) if s in trend.index])
    cells = pd.DataFrame(
        {str(y): [_trend_cell(v, years, y) for v in trend[y]] for y in trend.columns}, index=trend.index
    )
    cells.index = cells.index.map(SUBJECT_LABELS)
    show_table(cells.reset_index().rename(columns={"subject": "Subject"}))

    progress = school.va_pupils[school.va_pupils["year"] == year]
    dfe = progress[progress["method"] == "DfE"]
    heading("Prior attainment groups (DfE)", 2, new_page=True)
    pag = pag_table(dfe, school.pag_means)
    pag["difference"] = pag["school_mean"] - pag["national_mean"]
    wide = pag.pivot_table(index="pag", columns="subject", values="difference", sort=True)
    wide = wide.reindex(columns=[s for s in order if s in wide.columns]).rename(columns=SUBJECT_LABELS)
    wide.insert(0, "Pupils", pag.groupby("pag")["pupils"].max())
    shown = wide.reset_index()
    framework = str(dfe["framework"].mode().iloc[0]) if len(dfe) else "2016"
    shown["pag"] = shown["pag"].map(lambda g: pag_label(int(g), framework))
    show_table(
        shown.rename(columns={"pag": "Prior attainment group (KS1 average points)"}),
        {"Pupils": whole} | {c: signed for c in wide.columns if c != "Pupils"},
    )
    note(
        "School mean minus national mean of the DfE's prior attainment group, in scaled-score points (writing: TA "
        "points); pupils: the most in any subject. A prior attainment group is the pupils with the same KS1 "
        "average point score nationally."
    )

    heading("Actual against estimate (FFT-style)", 2, new_page=True)
    fft = progress[progress["method"] == "FFT"]
    names = school.names()
    units = {s: "writing TA points" if s == "writing" else "scaled score" for s in KS2_SUBJECTS}
    outliers = fft[fft["outlier"] & fft["subject"].isin(KS2_SUBJECTS)].copy()  # pupils, in points (not RWM)
    order_of = {s: i for i, s in enumerate(KS2_SUBJECTS)}
    outliers = outliers.assign(o=outliers["subject"].map(order_of)).sort_values(["o", "progress"]).drop(columns="o")
    outliers.insert(0, "No.", [str(i) for i in range(1, len(outliers) + 1)])
    tags = pd.Series(outliers["No."].to_numpy(), index=pd.MultiIndex.from_frame(outliers[["upn", "subject"]]))
    show_figure(charts.actual_vs_estimate(fft, tags, units))
    note(
        "Numbered points: pupils more than two national standard deviations from their estimate (the table below "
        "names them). Hollow points: pupils working below the test, at the DfE's nominal score."
    )
    if len(outliers):
        outliers["Pupil"] = outliers["upn"].map(names)
        outliers["subject"] = outliers["subject"].map(SUBJECT_LABELS)
        show_table(
            outliers[["No.", "Pupil", "subject", "actual", "estimate", "progress"]].pipe(
                headed, {"actual": "Actual (points)", "estimate": "Estimate (points)", "progress": "VA (points)"}
            ),
            {"Actual (points)": one_decimal, "Estimate (points)": one_decimal, "VA (points)": signed},
            long=True,
            caption=f"KS2 {year}: pupils far from their estimate",
        )

    heading("Value added by pupil group (DfE)", 2, new_page=True)
    cohort = school.past[year]
    groups = va_by_group(dfe, cohort, school.national["dfe_sd"], school.labels_for(cohort, year))
    groups["cell"] = [
        f"{signed(v)} ({signed(lo)} to {signed(hi)})" if not np.isnan(v) else ""
        for v, lo, hi in zip(groups["score"], groups["ci_low"], groups["ci_high"])
    ]
    wide = groups.pivot_table(index=["group", "label"], columns="subject", values="cell", aggfunc="first", sort=False)
    wide = wide.reindex(columns=[s for s in order if s in wide.columns]).rename(columns=SUBJECT_LABELS)
    wide.insert(0, "Pupils", groups.groupby(["group", "label"], sort=False)["pupils"].max())
    wide = wide.reset_index()
    wide["group"] = pd.Categorical(wide["group"], categories=GROUPS, ordered=True)
    show_table(
        wide.sort_values(["group", "label"]).rename(columns={"group": "Group", "label": "Pupils in"}),
        {"Pupils": whole},
    )
    note(
        "Each group's value added (scaled-score points; writing: TA points) with its 95% confidence interval in "
        "brackets; pupils: the most in any subject. A small group's interval is wide: read it before the score."
    )
