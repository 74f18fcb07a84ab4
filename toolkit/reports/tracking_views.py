"""What the steps-and-points tracking report shows (notebooks/tracking.ipynb): computed once by ``prepare`` with
``toolkit.methods.tracking``; this module reads the school's slice and formats it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from toolkit.methods import tracking
from toolkit.methods.groups import breakdown
from toolkit.reports.display import PALETTE, heading, note, show_figure, show_table
from toolkit.reports.formats import one_decimal, percent, signed_one_decimal, whole
from toolkit.reports.headings import headed
from toolkit.reports.views import School
from toolkit.vocabulary import academic_year

SUBJECTS = {"reading": "Reading", "writing": "Writing", "maths": "Maths"}


def cohort_label(school: School) -> str:
    year = int(school.info["academic_year"])
    return f"Years 1-6, {school.info.get('tracking_term')} {academic_year(year)}"


def are_chart(dist: pd.DataFrame, title: str):
    """Stacked bars: % below / at / above the age-related expectation per year group and subject."""
    d = dist.assign(label=("Year " + dist["year_group"].astype(str) + " " + dist["subject"].map(SUBJECTS)))
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(d) + 1.2))
    left = pd.Series(0.0, index=d.index)
    for status, colour in zip(tracking.STATUS, (PALETTE[5], PALETTE[0], PALETTE[2])):
        ax.barh(d["label"], d[f"% {status}"], left=left, color=colour, label=status)
        left = left + d[f"% {status}"]
    ax.invert_yaxis()
    ax.set(xlim=(0, 100), xlabel="% of pupils", title=title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.6 / (0.28 * len(d) + 1.2)), ncol=3, fontsize=7, frameon=False)
    return fig


def progress_chart(by_year: pd.DataFrame, title: str):
    """Whole school: mean points of progress since the same term last year, by year group and subject, against
    the expected 6 and good 7 points a year."""
    expected, good = tracking.expectations()
    d = by_year.dropna(subset=["since_last_year"]).assign(subject=lambda f: f["subject"].map(SUBJECTS))
    fig, ax = plt.subplots(figsize=(7, 3.4))
    sns.barplot(data=d, x="year_group", y="since_last_year", hue="subject", ax=ax, palette=PALETTE[:3])
    ax.axhline(expected, color="#444", linewidth=1, linestyle="--", label=f"Expected ({expected})")
    ax.axhline(good, color=PALETTE[2], linewidth=1, linestyle=":", label=f"Good ({good}+)")
    ax.set(xlabel="Year group", ylabel="Points since last year", title=title)
    ax.legend(fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    return fig


def tracking_report(school: School) -> None:
    progress = school.table("tracking")
    term = school.info.get("tracking_term")
    expected, good = tracking.expectations()
    heading(f"Against the age-related expectation ({term})")
    dist = tracking.are_distribution(progress)
    show_figure(are_chart(dist, f"Pupils against the age-related expectation, {term}"))
    show_table(
        dist.assign(subject=dist["subject"].map(SUBJECTS)).rename(
            columns={"year_group": "Year group", "subject": "Subject", "pupils": "Pupils"}
        ),
        {"Pupils": whole, **{f"% {s}": percent for s in tracking.STATUS}},
        long=True,
    )
    note(
        f"The age-related expectation is the third step of the pupil's own year (3A in Year 3) by the end of the "
        f"year; at each term's assessment the expected step is {', '.join(f'{t} {s}' for t, s in tracking.tracking_parameters()['are_step_by_term'].items())}. "
        "'At ARE' is the expected step or between it and the next; 'above' is the next step or higher."
    )

    heading("Progress in points", 2, new_page=True)
    by_year = tracking.progress_by_year(progress)
    show_figure(progress_chart(by_year, f"Progress since {term} last year, by year group"))
    bands = tracking.tracking_parameters()["progress_bands"]
    first_term = term == next(iter(tracking.tracking_parameters()["are_step_by_term"]))
    if first_term:  # the first assessment of the year: nothing since the start of the year to show
        by_year = by_year.drop(columns="since_start")
    show_table(
        by_year.assign(subject=by_year["subject"].map(SUBJECTS)).pipe(
            headed,
            {
                "pupils": "Pupils with last year's grade",
                "since_last_year": "Points since last year",
                "since_start": "Points since start of year",
            },
        ),
        {
            "Pupils with last year's grade": whole,
            "Points since last year": one_decimal,
            "Points since start of year": one_decimal,
            **{f"% {b}": percent for b in bands},
        },
        long=True,
    )
    note(
        f"Progress since last year = points now minus points at the same term last year: at least {expected} is "
        f"expected, {good} or more is good (the tracking system's rule). Year 1 pupils have no grade from last year (Reception)."
        + (
            f" The {term} assessment is the first of the year, so there is no progress since the start of the year yet."
            if first_term
            else ""
        )
    )

    heading("Progress by pupil group", 2, new_page=True)
    wide = progress.pivot_table(index="upn", columns="subject", values="since_last_year").reindex(
        columns=list(SUBJECTS)
    )
    pupils = school.pupils.set_index("upn").loc[wide.index].reset_index()
    table = breakdown(wide.reset_index(drop=True), pupils, list(SUBJECTS), school.labels_for(pupils))
    table = table[table["pupils"] > 0]
    show_table(
        table.rename(
            columns={
                "group": "Group",
                "label": "Pupils in",
                "pupils": "Pupils",
                **{s: f"{n} points" for s, n in SUBJECTS.items()},
                **{f"gap_{s}": f"{n} gap" for s, n in SUBJECTS.items()},
            }
        ),
        {
            "Pupils": whole,
            **{f"{n} points": one_decimal for n in SUBJECTS.values()},
            **{f"{n} gap": signed_one_decimal for n in SUBJECTS.values()},
        },
        long=True,
    )
    note(
        "Mean points since last year; gap = the group's mean minus the rest of the pupils' (groups as in the "
        "estimates report)."
    )

    note(
        f"The pupils below {expected} points of progress since last year, by year group and subject, are in the "
        "per-pupil appendix."
    )


def below_expected(school: School) -> pd.DataFrame:
    """Pupils who made fewer than the expected points since last year, by year group, subject and points."""
    progress = school.table("tracking")
    flagged = progress[progress["flag"]].copy()
    flagged["Pupil"] = flagged["upn"].map(school.names())
    flagged = flagged.sort_values(["year_group", "subject", "since_last_year"])
    return (
        flagged[["Pupil", "year_group", "subject", "last_year_grade", "grade", "since_last_year", "status"]]
        .assign(subject=lambda f: f["subject"].map(SUBJECTS))
        .pipe(
            headed,
            {"last_year_grade": "Last year", "grade": "Now", "since_last_year": "Points", "status": "Against ARE"},
        )
        .reset_index(drop=True)
    )
