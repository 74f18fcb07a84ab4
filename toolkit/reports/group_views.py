"""The pupil groups report: each group's estimated gap to the rest and whether the targets narrow it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods.groups import target_gaps
from toolkit.reports import charts, profile_views
from toolkit.reports.display import heading, note, show_figure, show_table
from toolkit.reports.formats import percent, signed_pp, whole
from toolkit.reports.views import School, _measures, _year_groups_with_estimates, smallest_group
from toolkit.vocabulary import STAGE_OF_YEAR, SUBJECT_LABELS

# ----------------------------------------------------------------------------------------------- pupil groups
GAP_COLUMNS = {
    "group": "Group",
    "label": "Pupils in",
    "pupils": "Pupils",
    "FFT50": "RWM FFT50",
    "estimated_gap": "RWM gap",
    "target_gap": "RWM target gap",
    "narrows": "The targets would",
}


def target_gap_rows(school: School, year_group: int) -> pd.DataFrame:
    """One row per pupil group of a year group: pupils, the % estimated to reach the standard in the combined
    measure at FFT50, its gap to the rest of the year group, the gap in aggregated targets, whether targets narrow
    it, and the estimated gap in each subject (percentage points; ``groups.target_gaps``)."""
    pupils = school.year_pupils(year_group)
    estimates = school.challenge_estimates(year_group)
    stage = STAGE_OF_YEAR[year_group]
    labels = school.labels_for(pupils)
    measures = _measures(stage)
    table = target_gaps(estimates, pupils, stage, measures[0], labels)[list(GAP_COLUMNS)]
    for subject in measures[1:]:
        gaps = target_gaps(estimates, pupils, stage, subject, labels)
        table[f"{SUBJECT_LABELS[subject]} gap"] = gaps["estimated_gap"].to_numpy()
    return table


def _pp(value: float) -> str:
    return signed_pp(value, 0)


def groups_report(school: School, year_groups: list[int], comparator: str = "national_other") -> None:
    """Per year group: the gap chart (groups of at least ``min_group_pupils``) and one table of every group's
    gaps, combined measure and subjects; the full benchmark tables per subject are in the appendix spreadsheet."""
    smallest = smallest_group()
    for yg, _pupils, _estimates, _stage in _year_groups_with_estimates(school, year_groups, new_page=True):
        gaps = target_gap_rows(school, yg)
        shown = gaps[(gaps["group"] != "Summary") & (gaps["pupils"] >= smallest) & gaps["estimated_gap"].notna()]
        if len(shown):
            show_figure(charts.gap_chart(shown, f"Year {yg}: RWM gaps by pupil group (groups of {smallest}+ pupils)"))
        table = gaps.rename(columns=GAP_COLUMNS)
        table["Pupils in"] = np.where(table["Pupils"] < smallest, table["Pupils in"] + " *", table["Pupils in"])
        gap_columns = [c for c in table if c.endswith("gap")]
        show_table(
            table,
            {"Pupils": whole, "RWM FFT50": percent, **{c: _pp for c in gap_columns}},
            long=True,
            caption=f"Year {yg}: every pupil group",  # repeated on each page the table runs over
        )
    note(
        "RWM FFT50: the % of the group estimated to reach the expected standard in reading, writing and maths "
        "combined (Years 1-2: the KS1 combined measure). Gap: the group's % minus the rest of the year group's, in "
        "percentage points (pp); 'RWM target gap' the same for aggregated targets, and 'The targets would' says what "
        f"they do to the gap: narrow it, widen it, reverse it (a lead becomes a gap, or a gap a lead), or leave it about "
        f"the same (within 0.5 pp). * fewer than {smallest} pupils: too few to read a gap into; the chart "
        "leaves them out. Every challenge level for every group and subject: the appendix spreadsheet."
    )
    disadvantaged_section(school, comparator)


def disadvantaged_section(school: School, comparator: str) -> None:
    """Disadvantaged pupils' latest results against ``comparator`` (the ASP switch: national other pupils, national
    disadvantaged pupils, or all pupils nationally), from the school profile's tables."""
    rows = school.table("profile_achievement")
    if rows is None or rows.empty:
        return
    rows = rows[(rows["group"] == "disadvantaged") & rows["area"].isin(["achievement", "early_years"])]
    if rows.empty:
        return
    against = profile_views.comparator_label(comparator)
    heading(f"Disadvantaged pupils against {against}", 2, new_page=True)
    table = profile_views.achievement_table(rows, "disadvantaged", comparator, smallest_group())
    show_table(table, profile_views.MARKED)
    note(
        f"Disadvantaged pupils (FSM in the last 6 years) against {against}: the DfE compares them with other pupils "
        "nationally; the report's comparator parameter (or `toolkit reports --comparator`) shows them against national "
        "disadvantaged pupils or all pupils instead. Gap in pupils: how many more (+) or fewer (-) disadvantaged pupils "
        "reached the measure than the comparator's rate gives. The school profile has three years of each."
    )
