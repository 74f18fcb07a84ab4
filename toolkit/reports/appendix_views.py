"""The per-pupil appendix (notebooks/appendix.ipynb and ``<stem>.xlsx`` beside it): every table with a row per
pupil, moved out of the main reports so that they stay short — each year group's subject dashboards (seed 000),
the targets to review, the pupils below expected progress in tracking and the KS2 fine points per pupil — and,
in the spreadsheet only, the benchmark tables of every pupil group at every challenge level.

One list of sections feeds both: the PDF shows them (the review list capped per subject, with counts), the
spreadsheet holds them whole, one sheet per ``Section.sheet``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from toolkit.methods import tracking
from toolkit.methods.groups import target_gaps
from toolkit.methods.targets import cap_review, target_parameters
from toolkit.reports import (
    attendance_views,
    baseline_views,
    estimate_views,
    ks4_estimate_views,
    ks5_views,
    target_views,
    tracking_views,
    views,
)
from toolkit.reports.display import heading, note, show_table
from toolkit.reports.formats import one_decimal, percent, signed, two_decimals, whole
from toolkit.reports.views import School
from toolkit.vocabulary import STAGE_OF_YEAR, SUBJECT_LABELS, academic_year

DASHBOARD_PERCENTS = ("Chance B", "Chance W", "Chance N", "Chance A", "Risk of lower band", "Chance of higher band")


@dataclass
class Section:
    """One table of the appendix: its heading, the spreadsheet sheet it goes to, the table and its formats."""

    title: str
    sheet: str
    table: pd.DataFrame
    formats: dict = field(default_factory=dict)
    pdf: bool = True  # False: spreadsheet only


def _reports(school: School) -> set[str]:
    return set(school.info.get("reports") or [])


def estimate_sections(school: School, year_groups: list[int]) -> Iterator[Section]:
    formats = {c: percent for c in DASHBOARD_PERCENTS} | {c: one_decimal for c in ("LANG", "LIT", "MAT", "PSE")}
    for yg in year_groups:
        if school.year_pupils(yg).empty or school.estimates_for(yg, "chosen").empty:
            continue
        for subject in views._measures(STAGE_OF_YEAR[yg])[1:]:
            yield Section(
                f"{views.year_label(school, yg)}: {SUBJECT_LABELS[subject]}",
                f"Estimates Y{yg}",
                estimate_views.subject_dashboard(school, yg, subject).assign(Subject=SUBJECT_LABELS[subject]),
                formats,
            )


def review_sections(school: School, year_groups: list[int]) -> Iterator[Section]:
    for yg in year_groups:
        if school.year_pupils(yg).empty or not school.challenge_estimates(yg):
            continue
        table, _counts = target_views.review_list(school, yg)
        if len(table):
            yield Section(
                f"{views.year_label(school, yg)}: targets to review",
                "Targets to review",
                table.assign(**{"Year group": yg}),
                target_views.REVIEW_FORMATS,
            )


def group_sections(school: School, year_groups: list[int]) -> Iterator[Section]:
    """Seed 000's benchmark table of every group, subject and challenge level (spreadsheet only)."""
    for yg in year_groups:
        pupils = school.year_pupils(yg)
        estimates = school.challenge_estimates(yg)
        if pupils.empty or not estimates:
            continue
        stage = STAGE_OF_YEAR[yg]
        for subject in views._measures(stage):
            table = target_gaps(estimates, pupils, stage, subject, school.labels_for(pupils))
            yield Section(
                f"Year {yg}: {SUBJECT_LABELS[subject]} by pupil group",
                "Pupil groups",
                target_views._target_table(table)
                .rename(
                    columns={
                        "estimated_gap": "Estimated gap",
                        "target_gap": "Target gap",
                        "narrows": "The targets would",
                    }
                )
                .assign(**{"Year group": yg, "Subject": SUBJECT_LABELS[subject]}),
                pdf=False,
            )


def tracking_section(school: School) -> Iterator[Section]:
    if "tracking" not in _reports(school):
        return
    expected, _good = tracking.expectations()
    yield Section(
        f"Tracking: pupils below {expected} points of progress",
        "Tracking below expected",
        tracking_views.below_expected(school),
        {"Year group": whole, "Points": whole},
    )


def attendance_section(school: School) -> Iterator[Section]:
    """The pupils whose absence crossed 10% or 50% this period, by name (the attendance report gives counts only)."""
    if "attendance" not in _reports(school):
        return
    table = attendance_views.crossed(school)
    if table is not None and len(table):
        yield Section(
            f"Attendance: pupils who crossed 10% or 50% {table.attrs.get('since', '')}".strip(),
            "Attendance crossings",
            table,
            {"Year group": whole, "Absence now": lambda v: percent(v, 1), "Absence before": lambda v: percent(v, 1)},
        )


def baseline_sections(school: School) -> Iterator[Section]:
    year = baseline_views.baseline_year(school) if "ks2_baseline" in _reports(school) else None
    if year is None:
        return
    b = school.table(f"ks2_baseline_{year}")
    for g in sorted(b["year_group"].dropna().unique(), reverse=True):
        rows = b[b["year_group"] == g].sort_values(["surname", "forename"])
        yield Section(
            f"Year {int(g)}: KS2 fine points (KS2 {int(rows['ks2_year'].max())})",
            f"KS2 baseline Y{int(g)}",
            baseline_views.pupil_table(rows),
            {"Eng FP": two_decimals, "Maths FP": two_decimals, "P8 baseline": one_decimal},
        )


def ks4_sections(school: School) -> Iterator[Section]:
    """Years 11-7: each pupil's estimated A8, P8, English and maths; the GCSE targets to review; every subject
    estimate (spreadsheet only)."""
    years = ks4_estimate_views.year_groups(school) if "ks4_estimates" in _reports(school) else []
    for yg in years:
        yield Section(
            f"Year {yg}: estimated Attainment 8, English and maths per pupil",
            f"KS4 estimates Y{yg}",
            ks4_estimate_views.pupil_estimates(school, yg),
            ks4_estimate_views.PUPIL_FORMATS,
        )
    for yg in years:
        review = ks4_estimate_views.targets_to_review(school, yg)
        if len(review):
            yield Section(
                f"Year {yg}: GCSE targets to review",
                "Targets to review",
                review,
                {"Estimated grade": one_decimal, "Chance of target": percent, "Year group": whole},
            )
    if years:
        yield Section(
            "Every GCSE estimate", "KS4 subject estimates", ks4_estimate_views.all_subject_estimates(school), pdf=False
        )


_LAST: dict[tuple, list[Section]] = {}  # the last school's sections: the report's, reused by its workbook


STUDENT_FORMATS = {"KS4 APS": two_decimals, "Points": whole, "Expected points": one_decimal, "VA (grades)": signed}
STUDENT_NOTE = (
    "Students without a KS4 average point score have no expected points and no value added; their grades count in "
    "attainment. National bands 'outside': the student's KS4 average point score is outside the range of the "
    "national curve, so their expected points are the curve's end value, as the DfE's ready reckoner flags them."
)


def ks5_sections(school: School) -> Iterator[Section]:
    """The latest A level year's students, named, entry by entry (value added against the national curve)."""
    year = ks5_views.latest_year(school) if "ks5_results" in _reports(school) else None
    if year is not None:
        yield Section(
            f"A level students {year}: every entry",
            "A level students",
            ks5_views.student_table(school, year),
            STUDENT_FORMATS,
        )


def _slice_version(school: School, year_groups: list[int]) -> tuple | None:
    """Which slice (folder, and when prepare last wrote it) and year groups; None for a school not read from a run."""
    if school.run is None:
        return None
    facts = school.run.slice_dir(school.info["school_id"]) / "school.json"
    return (str(facts.resolve()), facts.stat().st_mtime_ns, tuple(year_groups)) if facts.exists() else None


def sections(school: School, year_groups: list[int]) -> list[Section]:
    """Every section of the school's appendix, in the order of the reports they come from. Worked out once per
    slice: the report and its spreadsheet, written in the same process, share them."""
    key = _slice_version(school, year_groups)
    if key is None or key not in _LAST:
        _LAST.clear()
        _LAST[key] = _sections(school, year_groups)
    return _LAST[key]


def _sections(school: School, year_groups: list[int]) -> list[Section]:
    primary = bool({"estimates", "targets"} & _reports(school))
    out: list[Section] = []
    if primary:
        out += estimate_sections(school, year_groups)
        out += review_sections(school, year_groups)
        out += group_sections(school, year_groups)
    out += ks4_sections(school)
    out += ks5_sections(school)
    out += tracking_section(school)
    out += attendance_section(school)
    out += baseline_sections(school)
    return out


def title(school: School, challenge: str, year_groups: list[int]) -> None:
    """The appendix's title block: the year groups of a primary's estimates, the cohort of a KS2 baseline."""
    year = int(school.info["academic_year"])
    cohorts = []
    if {"estimates", "targets"} & _reports(school):
        cohorts.append(f"Years {', '.join(map(str, year_groups))} in {academic_year(year)}")
    if "ks4_estimates" in _reports(school):
        cohorts.append(f"Years 7-11 in {academic_year(year)}")
    if "ks2_baseline" in _reports(school):
        cohorts.append(baseline_views.cohort_label(school))
    uses_challenge = bool({"estimates", "targets", "ks4_estimates"} & _reports(school))
    views.title(
        school,
        "appendix",
        challenge if uses_challenge else None,
        "; ".join(cohorts)
        or (
            tracking_views.cohort_label(school)
            if "tracking" in _reports(school)
            else attendance_views.cohort_label(school)
        ),
    )


def appendix_report(school: School, year_groups: list[int]) -> None:
    """The PDF/HTML appendix: each per-pupil section under its heading; the review list capped per subject."""
    per_subject = target_parameters()["review_per_subject"]
    shown = [s for s in sections(school, year_groups) if s.pdf]
    if not shown:
        note("This school's reports have no per-pupil tables.")
    for i, section in enumerate(shown):
        heading(section.title, 2, new_page=i > 0)
        table = section.table
        if section.sheet == "Targets to review":
            table, counts = cap_review(table.rename(columns={"Subject": "subject", "Looks": "flag"}), per_subject)
            table = table.rename(columns={"subject": "Subject", "flag": "Looks"})
            per = counts.groupby("subject", sort=False).agg(targets=("targets", "sum"), shown=("shown", "sum"))
            flags = counts.pivot_table(index="subject", columns="flag", values="targets", fill_value=0, sort=False)
            note(
                f"Furthest from the estimate first, at most {per_subject} per subject "
                + "; ".join(
                    f"{subject}: {r.targets} flagged ("
                    + ", ".join(f"{int(flags.loc[subject, f])} {f}" for f in flags.columns if flags.loc[subject, f])
                    + f"), {r.shown} shown"
                    for subject, r in per.iterrows()
                )
                + ". The spreadsheet holds them all."
            )
        same = [c for c in ("Subject", "Year group") if c in table and table[c].nunique() <= 1]  # in the heading
        show_table(table.drop(columns=same), section.formats, long=True, caption=section.title)
        if section.sheet == "A level students":
            note(STUDENT_NOTE)
