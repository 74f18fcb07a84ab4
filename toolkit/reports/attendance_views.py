"""What the attendance report shows (notebooks/attendance.ipynb): the DfE's measures computed once by ``prepare``
(``pipeline.stages.attendance``, ``methods.attendance``); this module reads the school's slice and formats it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from toolkit.reports.display import PALETTE, heading, note, show_figure, show_table
from toolkit.reports.formats import marked, percent, pupils_gap, signed_pp, whole
from toolkit.reports.views import School


def cohort_label(school: School) -> str:
    summary = school.table("attendance_summary")
    latest = summary[summary["latest"]].iloc[0]
    return f"Years 1-11 on roll, {latest['period']}"


def _compare(value: float, against: float, higher_is_better: bool) -> str:
    """A rate against a comparator in words, with the marker for better or worse (never colour alone)."""
    gap = round(value, 1) - round(against, 1)
    if abs(gap) < 0.05:
        return "► the same"
    better = (gap > 0) == higher_is_better
    return f"{'▲' if better else '▼'} {signed_pp(gap)}, {'better' if better else 'worse'}"


def headline(summary: pd.DataFrame) -> pd.DataFrame:
    """This year so far and last year: each rate beside national and the LA for the phase, with the difference."""
    rows = []
    measures = (
        ("Attendance", "attendance_rate", "attendance_rate", True),
        ("Absence", "overall_absence_rate", "absence_rate", False),
        ("Authorised absence", "authorised_rate", "authorised_rate", False),
        ("Unauthorised absence", "unauthorised_rate", "unauthorised_rate", False),
        ("Persistent absence (pupils)", "persistent_rate", "persistent_rate", False),
    )
    latest = summary.sort_values("academic_year").iloc[-1]
    earlier = summary.sort_values("academic_year").iloc[:-1]
    for label, mine, theirs, higher in measures:
        row = {"Measure": label, f"School {latest['period']}": latest[mine]}
        if len(earlier):
            row[f"School {earlier.iloc[-1]['period']}"] = earlier.iloc[-1][mine]
        row["National"] = latest[f"national_{theirs}"]
        row["Against national"] = _compare(latest[mine], latest[f"national_{theirs}"], higher)
        if pd.notna(latest.get(f"la_{theirs}")):
            row[f"{latest['la_name']}"] = latest[f"la_{theirs}"]
            row["Against LA"] = _compare(latest[mine], latest[f"la_{theirs}"], higher)
        rows.append(row)
    severe = {"Measure": "Severe absence (pupils)", f"School {latest['period']}": latest["severe_rate"]}
    if len(earlier):
        severe[f"School {earlier.iloc[-1]['period']}"] = earlier.iloc[-1]["severe_rate"]
    rows.append(severe)
    return pd.DataFrame(rows)


def terms_chart(terms: pd.DataFrame, summary: pd.DataFrame):
    """Absence by term against national (the DfE's year-to-date rate, as a line)."""
    d = terms.sort_values(["academic_year", "order"]).assign(
        label=lambda f: (
            f["term"].str.capitalize()
            + " "
            + (f["academic_year"] - 1).astype(str)
            + "/"
            + f["academic_year"].astype(str).str[2:]
        )
    )
    fig, ax = plt.subplots(figsize=(7, 2.8))
    ax.bar(d["label"], d["overall_absence_rate"], color=PALETTE[0], label="School")
    national = summary["national_absence_rate"].iloc[0]
    ax.axhline(
        national,
        color="#444",
        linestyle="--",
        linewidth=1,
        label=f"National {national:.1f}% ({summary['comparator_period'].iloc[0]})",
    )
    for x, y in zip(d["label"], d["overall_absence_rate"], strict=True):
        ax.annotate(f"{y:.1f}%", (x, y), ha="center", va="bottom", fontsize=7)
    ax.set(ylabel="Absence, % of sessions", title="Absence by term")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    fig.set_label(
        f"Bar chart: absence by term, from {d['overall_absence_rate'].iloc[0]:.1f}% in the {d['label'].iloc[0]} to "
        f"{d['overall_absence_rate'].iloc[-1]:.1f}% in the {d['label'].iloc[-1]}, against {national:.1f}% nationally"
    )
    return fig


def attendance_report(school: School) -> None:
    summary = school.table("attendance_summary")
    latest = summary[summary["latest"]].iloc[0]
    phase = str(latest["comparator_phase"]).lower()
    heading("Attendance and absence against national")
    table = headline(summary)
    rate_columns = [c for c in table.columns if c not in ("Measure", "Against national", "Against LA")]
    show_table(
        table, {**{c: lambda v: percent(v, 1) for c in rate_columns}, "Against national": marked, "Against LA": marked}
    )
    note(
        f"{int(latest['pupils']):,} pupils of compulsory school age (Years 1-11) with possible sessions this year. National and "
        f"{latest.get('la_name', 'LA')}: {phase} schools, {latest['comparator_period']} (the DfE's latest published "
        "figures; a newer release is a file swap in parameters/attendance/). Better means higher attendance or lower absence."
    )

    terms = school.table("attendance_terms")
    if terms is not None and len(terms):
        heading("Absence by term", 2)
        show_figure(terms_chart(terms, summary))

    heading("Persistent absence by pupil group", 2)
    groups = school.table("attendance_groups")
    shown = groups[groups["group"] != "Summary"].copy()
    show_table(
        shown.rename(
            columns={
                "group": "Group",
                "label": "Pupils of",
                "pupils": "Pupils",
                "attendance_rate": "Attendance",
                "persistent_rate": "Persistent absence",
                "gap_persistent": "PA gap to the rest",
                "persistent_gap_pupils": "PA gap in pupils",
                "severe_rate": "Severe absence",
            }
        )[
            [
                "Group",
                "Pupils of",
                "Pupils",
                "Attendance",
                "Persistent absence",
                "PA gap to the rest",
                "PA gap in pupils",
                "Severe absence",
            ]
        ],
        {
            "Pupils": whole,
            "Attendance": lambda v: percent(v, 1),
            "Persistent absence": lambda v: percent(v, 1),
            "PA gap to the rest": signed_pp,
            "PA gap in pupils": pupils_gap,
            "Severe absence": lambda v: percent(v, 1),
        },
        long=True,
    )
    note(
        "PA gap to the rest: the group's persistent absence rate minus that of the other pupils of the same kind "
        "(disadvantaged against not disadvantaged), in percentage points. PA gap in pupils: how many more of the "
        "group's pupils are persistently absent than if they were as often absent as the rest."
    )

    reasons = school.table("attendance_reasons")
    if reasons is not None and len(reasons):
        heading("Absence by reason", 2)
        shown = reasons[(reasons["sessions"] > 0) | (reasons["national_rate"] > 0.005)].sort_values(
            "rate", ascending=False
        )
        show_table(
            shown.rename(
                columns={
                    "code": "Code",
                    "reason": "Reason",
                    "kind": "Kind",
                    "sessions": "Sessions",
                    "rate": "School",
                    "national_rate": "National",
                }
            )[["Code", "Reason", "Kind", "Sessions", "School", "National"]],
            {"Sessions": whole, "School": lambda v: percent(v, 2), "National": lambda v: percent(v, 2)},
        )
        note("Each reason's sessions as a % of all possible sessions (so the reasons add up to the absence rate).")

    what_if_section(school)
    attainment_section(school)
    pupils = school.table("attendance_pupils")
    if pupils is not None and len(pupils):
        heading("Pupils who crossed a threshold", 2)
        counts = pupils["change"].value_counts()
        since = pupils["since"].iloc[0]
        rows = [
            {"Change": c, "Pupils": int(counts.get(c, 0))}
            for c in (
                "became persistently absent",
                "became severely absent",
                "no longer persistently absent",
                "no longer severely absent",
            )
        ]
        show_table(pd.DataFrame(rows), {"Pupils": whole})
        note(f"This year so far against the year {since}. The pupils are named in the appendix and its workbook only.")


def what_if_section(school: School) -> None:
    table = school.table("attendance_what_if")
    if table is None or not len(table):
        return
    national = table["national_absence_rate"].iloc[0]
    heading(f"What if: absence no higher than the national {national:.1f}%", 2)
    show_table(
        table.rename(
            columns={
                "if": "If these pupils were absent no more than national",
                "pupils_brought_down": "Pupils above it",
                "absence_before": "Absence now",
                "absence_after": "Absence then",
                "persistent_before": "PA now",
                "persistent_after": "PA then",
            }
        )[
            [
                "If these pupils were absent no more than national",
                "Pupils above it",
                "Absence now",
                "Absence then",
                "PA now",
                "PA then",
            ]
        ],
        {
            "Pupils above it": whole,
            **{c: lambda v: percent(v, 1) for c in ("Absence now", "Absence then", "PA now", "PA then")},
        },
    )
    note(
        f"Each row brings the group's pupils whose absence is above the national rate for the phase ({national:.1f}% of "
        "possible sessions, this year so far) down to it, and works the school's rates out again: what closing the "
        "group's gap would be worth. PA: persistent absence, % of pupils."
    )


def attainment_section(school: School) -> None:
    table = school.table("attendance_attainment")
    if table is None or not len(table):
        return
    heading("Attendance and results", 2)
    for measure, rows in table.groupby("measure", sort=False):
        points = measure.startswith("average")
        show_table(
            rows.rename(
                columns={
                    "band": "Attendance last year",
                    "pupils": "Pupils",
                    "outcome": measure[0].upper() + measure[1:],
                }
            ).drop(columns=["measure", "school_id"]),
            {
                "Pupils": whole,
                measure[0].upper() + measure[1:]: (lambda v: f"{v:.1f}" if pd.notna(v) else "")
                if points
                else (lambda v: percent(v, 0)),
            },
        )
    note(
        "Last year's leavers, by their attendance that year. Bands with few pupils move a lot from year to year; "
        "the link is a description, not a cause."
    )


def crossed(school: School) -> pd.DataFrame | None:
    """The pupils whose absence crossed a threshold this period, named (for the appendix and its workbook only)."""
    pupils = school.table("attendance_pupils")
    if pupils is None or not len(pupils):
        return None
    moved = pupils[pupils["change"].fillna("") != ""]
    roll = school.table("pupils")[["upn", "surname", "forename", "year_group"]]
    named = moved.merge(roll, on="upn", how="left").sort_values(["change", "surname", "forename"])
    table = pd.DataFrame(
        {
            "UPN": named["upn"],
            "Surname": named["surname"],
            "Forename": named["forename"],
            "Year group": named["year_group"],
            "Absence before": named["absence_rate_before"],
            "Absence now": named["absence_rate"],
            "Change": named["change"].str.capitalize(),
        }
    ).reset_index(drop=True)
    table.attrs["since"] = pupils["since"].iloc[0]
    return table


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Attendance and persistent absence this year so far: last year, the change, national and the comparison."""
    ordered = summary.sort_values("academic_year")
    latest = ordered.iloc[-1]
    before = ordered.iloc[-2] if len(ordered) > 1 else None
    rows = []
    for label, mine, theirs, higher in (
        ("Attendance", "attendance_rate", "attendance_rate", True),
        ("Persistent absence (pupils)", "persistent_rate", "persistent_rate", False),
    ):
        row = {"Measure": label, "School": latest[mine]}
        if before is not None:
            row[f"Last year ({before['period']})"] = before[mine]
            row["Change"] = (
                _compare(latest[mine], before[mine], higher)
                .replace("better", "better than last year")
                .replace("worse", "worse than last year")
                .replace("the same", "about the same as last year")
            )
        row["National"] = latest[f"national_{theirs}"]
        row["Against national"] = _compare(latest[mine], latest[f"national_{theirs}"], higher)
        rows.append(row)
    return pd.DataFrame(rows)


def summary_section(school: School) -> None:
    """The summary's attendance lines (every phase): this year so far against last year and national."""
    summary = school.table("attendance_summary") if "attendance" in (school.info.get("reports") or []) else None
    if summary is None or not len(summary):
        return
    latest = summary[summary["latest"]].iloc[0]
    heading(f"Attendance: {latest['period']} (Years 1-11)", 3)
    table = summary_table(summary)
    rates = [c for c in table.columns if c not in ("Measure", "Change", "Against national")]
    show_table(table, {**{c: lambda v: percent(v, 1) for c in rates}, "Change": marked, "Against national": marked})
    note(
        f"National: {str(latest['comparator_phase']).lower()} schools, {latest['comparator_period']} (the DfE's latest "
        "figures). Persistent absence: pupils missing 10% or more of their sessions. Details in the Attendance report."
    )


def trust_rows(loaded: list[School], name) -> pd.DataFrame:
    """One row per school with attendance: this year so far, persistent absence, each against national for its
    phase, and the change in persistent absence since last year."""
    rows = []
    for school in loaded:
        summary = school.table("attendance_summary") if "attendance" in (school.info.get("reports") or []) else None
        if summary is None or not len(summary):
            continue
        ordered = summary.sort_values("academic_year")
        latest = ordered.iloc[-1]
        row = {
            "School": name(school),
            "Phase": latest["comparator_phase"],
            "Period": latest["period"],
            "Attendance": latest["attendance_rate"],
            "Attendance against national": _compare(
                latest["attendance_rate"], latest["national_attendance_rate"], True
            ),
            "PA": latest["persistent_rate"],
            "PA against national": _compare(latest["persistent_rate"], latest["national_persistent_rate"], False),
        }
        if len(ordered) > 1:
            row["PA change since last year"] = _compare(
                latest["persistent_rate"], ordered.iloc[-2]["persistent_rate"], False
            )
        rows.append(row)
    return pd.DataFrame(rows)


def trust_section(loaded: list[School], name) -> None:
    table = trust_rows(loaded, name)
    if not len(table):
        return
    periods = table["Period"].unique()
    if len(periods) == 1:  # one period for all: in the heading, not in every row
        table = table.drop(columns="Period")
    heading(f"Attendance: every school, {periods[0] if len(periods) == 1 else 'this year so far'}", 2)
    show_table(
        table,
        {
            "Attendance": lambda v: percent(v, 1),
            "PA": lambda v: percent(v, 1),
            "Attendance against national": marked,
            "PA against national": marked,
            "PA change since last year": marked,
        },
    )
    note(
        "Years 1-11. PA: persistent absence, the % of pupils missing 10% or more of their sessions. National: the DfE's "
        "latest figures for the school's phase (2025/26 year to date). Better: higher attendance, lower PA."
    )
