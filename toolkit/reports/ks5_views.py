"""What the KS5 results report shows (notebooks/ks5_results.ipynb). Attainment and value added were computed once
for all schools by ``prepare`` (``toolkit.methods.ks5``, ``value_added.Level3ValueAdded``); this module selects the
school's latest year, compares it with national figures and formats it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods import ks5
from toolkit.methods.value_added import level3_va_by_group
from toolkit.reports import charts
from toolkit.reports.display import heading, note, show_figure, show_table
from toolkit.reports.formats import marked, one_decimal, percent, signed, significance, whole
from toolkit.reports.headings import headed
from toolkit.reports.views import School
from toolkit.vocabulary import academic_year

MEASURE_LABELS = {
    "aps_per_entry": "Average point score per entry",
    "pct_a_star_a": "% A*-A",
    "pct_a_star_b": "% A*-B",
    "pct_a_star_c": "% A*-C",
    "pct_a_star_e": "% A*-E",
}


def latest_year(school: School) -> int | None:
    years = school.info.get("ks5_years") or []
    return max(years) if years else None


def _subject_order(subjects: pd.Series) -> pd.Series:
    """Overall row first, then A levels, then AS, alphabetically within each."""
    overall = ks5.overall_label()
    return subjects.map(lambda s: (0 if s == overall else 1 if s.startswith("A level") else 2, s))


def _year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    return frame[frame["academic_year"].astype(int) == year]


def headline(school: School, year: int) -> pd.DataFrame:
    """All A levels: each measure for the school and nationally (published figure where there is one)."""
    mine = _year(school.ks5["attainment"], year)
    table = ks5.compare_with_national(mine, school.ks5_national)
    table = table[table["subject"] == ks5.overall_label()]
    table = table.assign(measure=table["measure"].map(MEASURE_LABELS))
    return table.drop(columns="subject").pipe(headed, {"national_source": "National figure"})


def subject_table(school: School, year: int) -> pd.DataFrame:
    """Per subject: entries, APS per entry, % A*-B and % A*-E, each against national."""
    mine = _year(school.ks5["attainment"], year)
    both = ks5.compare_with_national(mine, school.ks5_national)
    wide = both.pivot_table(index="subject", columns="measure", values=["school", "national"], aggfunc="first")
    out = pd.DataFrame({"Subject": wide.index})
    out["Entries"] = out["Subject"].map(mine.set_index("subject")["entries"]).to_numpy()
    for m in ("aps_per_entry", "pct_a_star_b", "pct_a_star_e"):
        label = MEASURE_LABELS[m].replace("Average point score per entry", "APS")
        out[f"{label} school"] = wide[("school", m)].to_numpy()
        out[f"{label} national"] = wide[("national", m)].to_numpy()
    # whose national figures a row compares with (a published England or UK figure, or the reference cohort's)
    shown = both[both["measure"].isin(["aps_per_entry", "pct_a_star_b", "pct_a_star_e"])]
    sources = shown.groupby("subject")["national_source"].agg(lambda s: "; ".join(dict.fromkeys(s)))
    out["National from"] = out["Subject"].map(sources).to_numpy()
    return out.sort_values("Subject", key=_subject_order).reset_index(drop=True)


def model_used(school: School, year: int) -> str:
    """Which national model a year's A level value added comes from: the DfE's published one for its own year, a
    projection on it for the other years."""
    published = school.national.get("ks5_published_year")
    if published is None:
        return f"fitted on the national KS5 reference {school.national.get('ks5_reference_file')}"
    model = f"the DfE's published {academic_year(published)} level 3 value added model"
    return (
        model
        if year == published
        else f"a projection on {model} (the DfE publishes the {year} model only after the results)"
    )


def _source(school: School, subject: str) -> str:
    source = (school.national.get("ks5_sources") or {}).get(subject, "fitted")
    return "DfE published" if source == "published" else "fitted (synthetic reference)"


def va_table(school: School, year: int) -> pd.DataFrame:
    scores = _year(school.ks5["scores"], year)
    table = scores.assign(significance=significance(scores["ci_low"], scores["ci_high"], " national"))
    table = table.sort_values("subject", key=_subject_order)
    table = table.assign(model=table["subject"].map(lambda x: _source(school, x)))
    return table[["subject", "pupils", "size", "score", "ci_low", "ci_high", "significance", "model"]].pipe(
        headed, {"pupils": "Entries", "size": "Size", "score": "VA (grades)", "model": "National model"}
    )


def va_by_group(school: School, year: int) -> pd.DataFrame:
    """Overall A level value added by gender and disadvantage (``value_added.level3_va_by_group``)."""
    progress = _year(school.ks5["progress"], year)
    progress = progress[progress["subject"] == ks5.overall_label()]
    students = _year(school.ks5["entries"], year).drop_duplicates("upn").set_index("upn")
    out = level3_va_by_group(progress, students, school.national["ks5_sd"])
    if out.empty:
        return pd.DataFrame()
    return out.pipe(headed, {"label": "Students", "pupils": "Entries", "score": "VA (grades)"})


def student_table(school: School, year: int) -> pd.DataFrame:
    """Every entry of the year: student, subject, KS4 APS, grade, points, expected points, VA in grades."""
    progress = _year(school.ks5["progress"], year)
    progress = progress[progress["subject"] != ks5.overall_label()]
    entries = _year(school.ks5["entries"], year)
    entries = entries.assign(subject_label=ks5.label(entries["qualification"], entries["subject"]))
    if {"forename", "surname"} <= set(entries.columns):
        named = entries.assign(
            student=(entries["forename"].fillna("") + " " + entries["surname"].fillna("")).str.strip()
        )
    else:
        named = entries.assign(student=entries["upn"])
    table = progress.merge(
        named[["upn", "subject_label", "student", "grade"]],
        left_on=["upn", "subject"],
        right_on=["upn", "subject_label"],
        how="left",
    )
    table = table.sort_values(["student", "subject"])
    table = table.assign(outside=np.where(table["outside_bands"].fillna(False).astype(bool), "outside", ""))
    columns = ["student", "subject", "prior", "grade", "actual", "estimate", "progress", "outside"]
    if not (table["outside"] != "").any():  # no student outside the national curve: no empty column
        columns.remove("outside")
    return table[columns].pipe(
        headed,
        {
            "prior": "KS4 APS",
            "actual": "Points",
            "estimate": "Expected points",
            "progress": "VA (grades)",
            "outside": "National bands",
        },
    )


def ks5_report(school: School) -> None:
    year = latest_year(school)
    if year is None:
        note("No KS5 results: the KS5 report needs ks5_<year>.csv files or an accepted KS5 upload.")
        return
    heading(f"A level results {year}: headline measures")
    show_table(headline(school, year), {"School": one_decimal, "National": one_decimal, "Difference": signed})
    note(
        "Average point score per entry uses the DfE 16-18 points (A* 60, A 50 ... E 10; an AS counts as half an "
        "entry). National figures are published figures where they exist (England, or the UK where only that is "
        "published, with their year) and otherwise the national reference cohort's; 'National figure' and "
        "'National from' say which for each row."
    )
    heading("By subject", 2)
    subjects = subject_table(school, year)
    show_table(
        subjects,
        {
            "Entries": whole,
            **{
                c: (one_decimal if c.startswith("APS") else percent)
                for c in subjects.columns[2:]
                if c != "National from"
            },
        },
        long=True,
    )
    heading("Grades by subject", 3)
    dist = ks5.grade_distribution(_year(school.ks5["entries"], year))
    dist = dist.reset_index().sort_values("subject", key=_subject_order).rename(columns={"subject": "Subject"})
    show_table(dist, {c: whole for c in dist.columns if c != "Subject"}, long=True)

    heading(f"Value added {year}: KS4 to A level", 2, new_page=True)
    table = va_table(school, year)
    show_table(
        table,
        {
            "VA (grades)": signed,
            "95% CI low": signed,
            "95% CI high": signed,
            "Entries": whole,
            "Size": one_decimal,
            "Significance": marked,
        },
        long=True,
    )
    scores = _year(school.ks5["scores"], year).sort_values("subject", key=_subject_order)
    show_figure(charts.va_intervals(scores, f"A level {year}: value added with 95% confidence intervals", "grades"))
    note(
        f"Level 3 value added for A levels {year}: {model_used(school, year)} (parameters/ks5/l3va_a_level_2025.csv): "
        "each entry's expected points are read from the DfE's national curve for the subject at the student's KS4 "
        "average point score; VA is actual minus expected, in grades (10 points an A level grade, 5 an AS grade); "
        "school VA is the size-weighted mean with a 95% confidence interval from the DfE's subject standard "
        "deviations. Subjects without a published curve (AS, and any A level the DfE's table lacks) use bands "
        "fitted on the synthetic national reference: the National model column says which. Formulas: "
        "docs/methodology.md; parameters: parameters/ks5.yaml."
    )
    years = sorted(school.info.get("ks5_years") or [])
    if len(years) > 1:
        heading("Value added over the years", 3)
        trend = school.ks5["scores"].pivot_table(index="subject", columns="academic_year", values="score")
        trend = trend.loc[sorted(trend.index, key=lambda s: _subject_order(pd.Series([s])).iloc[0])]
        trend.columns = [str(c) for c in trend.columns]
        show_table(trend.reset_index().rename(columns={"subject": "Subject"}), {c: signed for c in trend.columns})
    groups = va_by_group(school, year)
    if len(groups):
        heading("Value added by student group (all A levels)", 3)
        show_table(groups, {"VA (grades)": signed, "95% CI low": signed, "95% CI high": signed, "Entries": whole})

    note(
        f"Each student's entries {year} (named, with KS4 average point score, points, expected points and value "
        "added) are in the per-pupil appendix, not in this report."
    )
