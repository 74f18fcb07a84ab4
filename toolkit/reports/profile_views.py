"""What the school profile shows (notebooks/profile.ipynb): the data an inspector brings, in the order of Ofsted's
evaluation areas: context with its band, achievement over three years against national with disadvantaged pupils
against the chosen comparator, attendance and behaviour, the inclusion gaps, early years and the sixth form
(``pipeline.stages.profile``). Data only: it shows no grade and predicts none."""

from __future__ import annotations

import pandas as pd

from toolkit.methods import profile
from toolkit.reports.display import heading, note, show_table
from toolkit.reports.formats import (
    difference_in_units,
    marked,
    one_decimal,
    percent,
    pupils_gap,
    signed,
    two_decimals,
)
from toolkit.reports.views import School, smallest_group

MARKED = {"Compared with national": marked}  # significance in words, coloured
QUINTILES = {1: "lowest 20%", 2: "20-40%", 3: "middle 20%", 4: "60-80%", 5: "highest 20%"}
#: what each area of the report card has in this profile (areas with no data an inspector brings say so)
AREA_CONTENT = {
    "inclusion": "gaps for disadvantaged, SEN support and EHC plan pupils in results and absence",
    "curriculum_and_teaching": "no figures: inspectors judge it on the visit",
    "achievement": "statutory results and progress (where published), three years, against national",
    "attendance_and_behaviour": "attendance, persistent absence, suspensions and permanent exclusions",
    "personal_development_and_wellbeing": "no figures: inspectors judge it on the visit",
    "leadership_and_governance": "no figures: inspectors judge it on the visit",
    "early_years": "good level of development and phonics",
    "sixth_form": "A level value added and points per entry",
}


def comparator_label(comparator: str) -> str:
    """How a comparator reads (``parameters/profile.yaml``); a ValueError naming the ones there are."""
    labels = profile.settings()["achievement"]["comparators"]
    if comparator not in labels:
        raise ValueError(f"Unknown comparator {comparator!r}: use one of {', '.join(labels)}")
    return labels[comparator]


def _value(v: float, unit: str) -> str:
    if unit == "%":
        return percent(v)
    return signed(v) if unit == "score" and not pd.isna(v) and abs(v) < 10 else one_decimal(v)


def _gap(a: float, b: float, unit: str) -> str:
    return difference_in_units(a, b, in_points=unit != "%", digits=0 if unit == "%" else 1)


def _national(value: float, year, unit: str) -> str:
    if pd.isna(value):
        return "not bundled"
    return f"{_value(value, unit)} ({int(year)})" if not pd.isna(year) else _value(value, unit)


def areas(school: School) -> pd.DataFrame:
    """The report card's evaluation areas in Ofsted's order and what this profile holds for each (early years and
    sixth form only where the school has them)."""
    labels = profile.settings()["area_labels"]
    achievement = school.table("profile_achievement")
    present = set(achievement["area"]) if achievement is not None else set()
    rows = []
    for area in profile.settings()["areas"]:
        if area in ("early_years", "sixth_form") and area not in present:
            continue
        rows.append({"Evaluation area": labels[area], "What this profile shows": AREA_CONTENT[area]})
    return pd.DataFrame(rows)


def context_table(context: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in context.itertuples():
        rows.append(
            {
                "Pupils who are": r.label,
                "Pupils": f"{int(r.pupils)} of {int(r.of)}" if r.of else "no data",
                "School": percent(r.percent, 1),
                "National": percent(r.national, 0) if not pd.isna(r.national) else "not bundled",
                "Compared with all schools": r.band or "no distribution bundled",
            }
        )
    return pd.DataFrame(rows)


def _row_for(r, comparator: str, smallest: int) -> dict:
    """One achievement row against ``comparator`` (the 'all' rows against all pupils nationally; a progress or value
    added score against 0, the national average, by its 95% interval)."""
    c = comparator if r.group == "disadvantaged" else "all"
    small = r.group == "disadvantaged" and 0 < r.pupils < smallest
    row = {"Measure": r.label, "Year": int(r.academic_year), "Pupils": str(int(r.pupils)) if r.pupils else ""}
    if pd.isna(r.value):
        return {**row, "School": "no official measure this year (see below the table)"}
    if small:
        return {**row, "School": f"fewer than {smallest} pupils"}
    national, year = getattr(r, f"vs_{c}"), getattr(r, f"year_{c}")
    scored = not pd.isna(getattr(r, "ci_low", float("nan")))
    return {
        **row,
        "School": _value(r.value, r.unit)
        + (f" (95% interval {_value(r.ci_low, r.unit)} to {_value(r.ci_high, r.unit)})" if scored else ""),
        "National (year)": "0 (the national average)" if scored else _national(national, year, r.unit),
        "Gap": "" if scored else _gap(r.value, national, r.unit),
        "Gap in pupils": pupils_gap(getattr(r, f"gap_pupils_{c}")),
        "Compared with national": getattr(r, f"significance_{c}") or "",
        "Among all schools": "" if pd.isna(r.quintile) else QUINTILES[int(r.quintile)],
    }


def achievement_table(rows: pd.DataFrame, group: str, comparator: str, smallest: int) -> pd.DataFrame:
    """The rows of ``group`` (all, disadvantaged) in the order the stage wrote them (measure by measure, years in
    order), columns with nothing in them left out."""
    chosen = rows[rows["group"] == group]
    chosen = chosen.assign(order=pd.factorize(chosen["measure"])[0]).sort_values(["order", "label", "academic_year"])
    table = pd.DataFrame([_row_for(r, comparator, smallest) for r in chosen.itertuples()]).fillna("")
    return table.loc[:, (table != "").any()] if len(table) else table


def reasons(rows: pd.DataFrame) -> list[str]:
    """Why a year has no official measure (the policy calendar's words), each once."""
    notes = rows.loc[rows["value"].isna() & rows["note"].notna(), ["label", "academic_year", "note"]]
    said = (
        r.note if r.note.startswith("The DfE") else f"{r.label} {int(r.academic_year)}: {r.note}"
        for r in notes.itertuples()
    )
    return list(dict.fromkeys(said))


def behaviour_table(behaviour: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in behaviour.itertuples():
        if r.unit == "%":
            school = f"{percent(r.value, 1)} ({int(r.pupils)} pupils)"
            national = "" if pd.isna(r.national) else f"{percent(r.national, 1)} ({r.national_period})"
        else:
            counted = "suspensions" if r.measure == "suspension_rate" else "pupils"
            school = f"{two_decimals(r.value)} {r.unit} ({int(r.pupils)} {counted})"
            national = "" if pd.isna(r.national) else f"{two_decimals(r.national)} {r.unit} ({r.national_period})"
        rows.append({"Measure": r.label, "Period": r.period, "School": school, "National": national or "not bundled"})
    return pd.DataFrame(rows)


def inclusion_table(inclusion: pd.DataFrame, smallest: int) -> pd.DataFrame:
    rows = []
    for r in inclusion.sort_values(["group", "measure"]).itertuples():
        small = r.pupils < smallest
        rows.append(
            {
                "Pupils who are": r.group,
                "Measure": f"{r.measure}, {int(r.academic_year)}",
                "Pupils": str(int(r.pupils)),
                "Group": f"fewer than {smallest} pupils" if small else percent(r.value, 1),
                "The rest": "" if small else percent(r.rest, 1),
                "Gap": "" if small else difference_in_units(r.value, r.rest, digits=1),
            }
        )
    return pd.DataFrame(rows)


def cohort_label(school: School) -> str:
    year = int(school.info["academic_year"])
    return f"the school in {year - 1}/{str(year)[2:]}, with its results of the last three years"


def profile_report(school: School, comparator: str = "national_other") -> None:
    smallest = smallest_group()
    against = comparator_label(comparator)
    note(
        "The data an inspector brings to the school, worked out on the school's own data, in the order of Ofsted's "
        "report-card evaluation areas. It shows data only: it is not an Ofsted grade and predicts none."
    )
    show_table(areas(school))
    context = school.table("profile_context")
    heading("Context", 2)
    show_table(context_table(context))
    basis = context["basis"].iloc[0] if "basis" in context and len(context) else ""
    note(
        "Compared with all schools: where the school's share falls among all schools, in fifths: well below average "
        "(the lowest 20% of schools), below, close to, above, well above average (the highest 20%). "
        f"All schools here: {basis}"
        + (
            "; a secondary school is placed among these primary cohorts too, a rough guide only. "
            if str(school.info.get("phase", "")).lower() == "secondary"
            else ". "
        )
        + "National: parameters/national/characteristics.yaml (unverified approximations). "
        "Stability: pupils who joined at a usual time (the start of the school's first year, or of Year 12) as a % "
        "of the pupils with an entry date in the pupil file."
    )
    inclusion = school.table("profile_inclusion")
    heading("Inclusion", 2, new_page=True)
    if inclusion is not None and len(inclusion):
        show_table(inclusion_table(inclusion, smallest))
        note(
            "Each group against the rest of the school's pupils in the same measure and year. Absence: the % of "
            "possible sessions missed (lower is better). Gap: the group minus the rest, in percentage points (pp)."
        )
    else:
        note("No group has both results or attendance and the rest of the school to compare with.")
    achievement = school.table("profile_achievement")
    main = achievement[achievement["area"] == "achievement"]
    if len(main):
        heading("Achievement", 2)
        show_table(achievement_table(main, "all", comparator, smallest), MARKED)
        why = reasons(main)
        if why:
            note(" ".join(f"{r}." for r in why))
        heading(f"Disadvantaged pupils against {against}", 3)
        show_table(achievement_table(main, "disadvantaged", comparator, smallest), MARKED)
        note(_achievement_note(against, smallest, main["quintile"].notna().any()))
    behaviour = school.table("profile_behaviour")
    heading("Attendance and behaviour", 2)
    if behaviour is not None and len(behaviour):
        show_table(behaviour_table(behaviour))
    if behaviour is None or not behaviour["measure"].str.startswith("suspen").any():
        note(
            "No suspensions in the data folder: give suspensions.csv (upn, school_id, academic_year, suspensions, "
            "permanent_exclusion; docs/data_model.md) to see suspensions and permanent exclusions here."
        )
    note(
        "Attendance: pupils of compulsory school age (Years 1-11), the DfE's measures; national from the DfE's "
        "statistics for the phase. Suspensions: a pupil's suspensions this year so far; the rate is suspensions per "
        "100 pupils on roll (the DfE's definition); pupils with 1, 2 or 10 or more suspensions as a % of the roll."
    )
    for area, title in (("early_years", "Early years"), ("sixth_form", "Sixth form")):
        rows = achievement[achievement["area"] == area]
        if len(rows):
            heading(title, 2)
            show_table(achievement_table(rows, "all", comparator, smallest), MARKED)
            if (rows["group"] == "disadvantaged").any():
                heading(f"Disadvantaged pupils against {against}", 3)
                show_table(achievement_table(rows, "disadvantaged", comparator, smallest), MARKED)


def _achievement_note(against: str, smallest: int, quintiles: bool) -> str:
    fifths = (
        "Among all schools: the fifth of all schools the figure falls in. "
        if quintiles
        else "No school-level distribution of these measures is bundled, so no fifth of all schools is shown. "
    )
    return (
        "National: the DfE's published figure of the year in brackets (the latest published where the year's is not). "
        "Gap: the school minus national, in percentage points (pp) or points. Gap in pupils: how many more (+) or "
        "fewer (-) of the school's pupils reached the measure than the national rate gives. Compared with national: "
        "significantly above or below at 95% (a % against the national one; a progress score by its 95% interval "
        f"against 0); otherwise not significantly different. {fifths}Disadvantaged pupils are compared with "
        f"{against}; groups of fewer than {smallest} pupils are named without figures."
    )


WHAT_IF = "What-if, not the official figure"


def what_if_table(official: pd.DataFrame, what_if: pd.DataFrame, comparator: str, smallest: int) -> pd.DataFrame:
    """Each recomputed row that leaves a pupil out, beside the official one: pupils and figure each way, the
    national comparison of the what-if figure, and how many pupils it leaves out (a disadvantaged group of fewer
    than ``smallest`` pupils is named without figures, as in the profile)."""
    key = ["measure", "label", "academic_year", "group"]
    both = what_if.merge(official[key + ["pupils", "value"]], on=key, how="left", suffixes=("", "_official"))
    both = both[(both["value"].notna() | both["value_official"].notna()) & (both["pupils_official"] > both["pupils"])]
    rows = []
    for r in both.itertuples():
        c = comparator if r.group == "disadvantaged" else "all"
        national, year = getattr(r, f"vs_{c}"), getattr(r, f"year_{c}")

        def shown(value: float, pupils: int, group: str = r.group, unit: str = r.unit) -> str:
            if group == "disadvantaged" and pupils < smallest:
                return f"fewer than {smallest} pupils"
            return f"{_value(value, unit)} ({int(pupils)} pupils)"

        rows.append(
            {
                "Measure": r.label,
                "Year": int(r.academic_year),
                "Pupils of": "disadvantaged" if r.group == "disadvantaged" else "all",
                "Official": shown(r.value_official, r.pupils_official),
                "What-if": shown(r.value, r.pupils),
                "Left out": str(int(r.pupils_official) - int(r.pupils)),
                "National (year)": "0 (the national average)"
                if not pd.isna(r.ci_low)
                else _national(national, year, r.unit),
                "What-if compared with national": getattr(r, f"significance_{c}") or "",
            }
        )
    return pd.DataFrame(rows)


def what_if_report(school: School, comparator: str = "national_other") -> None:
    if not school.info.get("removed_pupils"):
        note(
            "This school has no remove-pupils list, so there is no what-if: make one with `toolkit remove-pupils "
            "--data DIR --school ID --by NAME UPN...` and run the pack again."
        )
        return
    removed = school.table("profile_removed")
    first = removed.iloc[0]
    made = f"{first['made_by']} on {str(first['made_at']).replace('T', ' at ')}"
    heading(f"{WHAT_IF}: {len(removed)} pupil(s) left out", 2)
    note(
        f"Every figure below leaves out the pupils listed, as the list made by {made} asks"
        + (f" ({first['reason']})" if first["reason"] else "")
        + ". The official figures, which include them, are in the school profile. Only the results are recomputed "
        "(KS2 attainment and progress, KS4 measures); context, attendance and the early years are not."
    )
    show_table(
        removed.rename(columns={"upn": "UPN", "name": "Pupil", "in": "In the data as"})[
            ["UPN", "Pupil", "In the data as"]
        ]
    )
    official, what_if = school.table("profile_achievement"), school.table("profile_what_if")
    heading(f"Results without them ({WHAT_IF.lower()})", 2)
    table = what_if_table(official, what_if, comparator, smallest_group())
    if table.empty:
        note("None of the pupils listed is in a cohort the profile's results count: every figure is as in the profile.")
    else:
        show_table(table, {"What-if compared with national": marked})
    note(
        "Only the measures and years the list changes are shown; the rest are as in the school profile. "
        f"Official: the figure with every pupil. What-if: without the pupils listed. Disadvantaged pupils are compared "
        f"with {comparator_label(comparator)}. {WHAT_IF}: no published table or inspection uses it."
    )
