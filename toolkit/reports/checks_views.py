"""What the statutory checks report shows (notebooks/statutory_checks.ipynb): the EYFS good level of development,
phonics and the multiplication tables check over three years against the DfE's national figures, by pupil group,
and the spread of multiplication tables check scores (``pipeline.stages.statutory_checks``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from toolkit.reports.display import PALETTE, heading, note, show_figure, show_table
from toolkit.reports.formats import difference_in_units, one_decimal, percent, whole
from toolkit.reports.views import School, smallest_group

MEASURES = {  # (check, measure) -> (label, unit)
    ("eyfs", "good_level_of_development"): ("EYFS: good level of development", "%"),
    ("phonics", "year1_met"): ("Phonics: met the standard in Year 1", "%"),
    ("phonics", "end_of_year2_met"): ("Phonics: met the standard by the end of Year 2", "%"),
    ("mtc", "average_score"): ("Multiplication tables check: average score (of 25)", "score"),
    ("mtc", "full_marks"): ("Multiplication tables check: full marks", "%"),
}


def cohort_label(school: School) -> str:
    years = school.info.get("checks_years") or []
    return f"Reception to Year 4 checks, {min(years)}-{max(years)}" if years else "statutory checks"


def _value(v: float, unit: str) -> str:
    return one_decimal(v) if unit == "score" else percent(v)


def _gap(a: float, b: float, unit: str) -> str:
    """``a`` minus ``b`` as printed beside them: score points to 1 decimal, percentages in whole pp."""
    return difference_in_units(a, b, in_points=unit == "score", digits=1 if unit == "score" else 0)


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per measure and year: the school, national (with its year) and the gap."""
    rows = []
    for (check, measure), (label, unit) in MEASURES.items():
        mine = summary[(summary["check"] == check) & (summary["measure"] == measure)].sort_values("academic_year")
        for r in mine.itertuples():
            national = "" if pd.isna(r.national) else f"{_value(r.national, unit)} ({int(r.national_year)})"
            rows.append(
                {
                    "Measure": label,
                    "Year": int(r.academic_year),
                    "Pupils": int(r.pupils),
                    "School": _value(r.value, unit),
                    "National (year)": national,
                    "Gap": _gap(r.value, r.national, unit),
                }
            )
    return pd.DataFrame(rows)


SHOWN = (
    "Disadvantaged (FSM in last 6 years)",
    "SEN support",
    "EHC plan",
    "EAL",
    "Female",
    "Male",
    "Autumn born",
    "Summer born",
)  # "the rest" is the other side


def groups_table(groups: pd.DataFrame, smallest: int) -> pd.DataFrame:
    """The groups an inspector asks about (``SHOWN``) for the headline measure of each check, a column per year
    ("the figure (pupils)"), then the latest year's gap to the rest and the national figure for the group; a group
    of fewer than ``smallest`` pupils in a year is named without its figure."""
    shown = groups[groups["label"].isin(SHOWN) & (groups["measure"] != "full_marks")]
    years = sorted(int(y) for y in shown["academic_year"].unique())
    rows = []
    for (check, measure), (label, unit) in MEASURES.items():
        mine = shown[(shown["check"] == check) & (shown["measure"] == measure)]
        for group in (g for g in SHOWN if g in set(mine["label"])):
            by_year = mine[mine["label"] == group].set_index("academic_year")
            row = {"Measure": label, "Pupils of": group}
            for year in years:
                if year not in by_year.index:
                    row[str(year)] = ""
                    continue
                r = by_year.loc[year]
                small = r["pupils"] < smallest
                row[str(year)] = (
                    f"fewer than {smallest}" if small else f"{_value(r['value'], unit)} ({int(r['pupils'])})"
                )
            last = by_year.loc[by_year.index.max()]
            small = last["pupils"] < smallest
            row["Gap to the rest, latest year"] = "" if small else _gap(last["value"], last["rest"], unit)
            row["National for the group"] = (
                "" if pd.isna(last["national"]) else f"{_value(last['national'], unit)} ({int(last['national_year'])})"
            )
            rows.append(row)
    return pd.DataFrame(rows)


def scores_chart(scores: pd.DataFrame):
    year = int(scores["academic_year"].iloc[0])
    fig, ax = plt.subplots(figsize=(7, 2.6))
    ax.bar(scores["score"], scores["pupils"], color=PALETTE[0])
    ax.set(xlabel="Score (of 25)", ylabel="Pupils", title=f"Multiplication tables check {year}: pupils per score")
    top = scores.loc[scores["pupils"].idxmax()]
    fig.set_label(
        f"Bar chart: multiplication tables check {year}, pupils per score 0-25; the most common score is "
        f"{int(top['score'])} ({int(top['pupils'])} pupils)"
    )
    return fig


def checks_report(school: School) -> None:
    heading("The statutory checks against national")
    show_table(summary_table(school.table("checks_summary")), {"Pupils": whole})
    note(
        "National: the DfE's figure of the year in brackets (the latest published where the year's is not). Phonics: the "
        "share of the year group meeting the standard (32 of 40 words); pupils absent or disapplied count as not "
        "meeting it. Multiplication tables check: the average of the pupils who took it; full marks as a share of all "
        "eligible pupils. Gap: the school minus national, in percentage points (pp) or score points."
    )
    groups = school.table("checks_groups")
    if groups is not None and len(groups):
        heading("By pupil group, year by year", 2, new_page=True)
        show_table(groups_table(groups, smallest_group()).fillna(""))
        note(
            "Each year: the group's figure with its pupils in brackets. Gap to the rest: the latest year's group minus "
            "the other pupils of the same kind (not disadvantaged, for disadvantaged pupils; spring and summer born, "
            "for autumn born), in pp or score points. Groups of a few pupils move a lot from year to year; smaller "
            "groups than the summary judges are named without figures. National for the group: the DfE's published "
            "figure where there is one (by term of birth there is none)."
        )
    scores = school.table("checks_mtc_scores")
    if scores is not None and len(scores):
        heading("Multiplication tables check scores", 2)
        show_figure(scores_chart(scores))
