"""The load step: every file a run reads, read once for the schools asked, checked by the input rules, with the
school's accepted uploads and saved settings applied. The stages after it read nothing: each is a function of
``Loaded`` and the national models.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from toolkit.inputs import load_pupils, school_state
from toolkit.inputs.assessments import load_counts, load_judgements, load_tracking
from toolkit.inputs.attendance import load_attendance
from toolkit.inputs.attendance_marks import load_marks
from toolkit.inputs.entries import load_entries, typed
from toolkit.inputs.gcse_results import load_gcse_results, load_ks4_targets
from toolkit.inputs.ofsted import load_ofsted
from toolkit.inputs.partitions import by_school, only
from toolkit.inputs.schools import load_schools
from toolkit.inputs.statutory_checks import load_checks
from toolkit.inputs.suspensions import load_suspensions
from toolkit.intake.uploads import accepted_results
from toolkit.pipeline.data_folder import Inputs
from toolkit.vocabulary import year_group_number


@dataclass
class Loaded:
    """What a run reads, limited to the schools asked (``ids``). Tables keep the columns their input rules give
    (docs/data_model.md)."""

    schools: pd.DataFrame  # schools.csv as given
    ids: list[str]  # the schools asked, in schools.csv's order (or as asked)
    pupils: pd.DataFrame  # pupils on roll; saved targets and accepted KS1 uploads applied
    academic_year: int | None  # the year the pupil table describes (its latest academic_year)
    settings: dict[str, dict]  # school_id -> saved challenge settings
    past: dict[int, pd.DataFrame]  # KS2 year -> a past Year 6 cohort (accepted KS2 uploads added)
    ks5: dict[int, pd.DataFrame]  # KS5 year -> A level and AS entries (accepted KS5 uploads added)
    ks2_levels: dict[int, pd.DataFrame]  # academic year -> Years 7-11 with old-style KS2 levels and marks
    ks4: dict[int, tuple[pd.DataFrame, pd.DataFrame]]  # KS4 year -> (past Year 11 pupils, their GCSE results)
    ks4_targets: pd.DataFrame | None  # GCSE targets of Years 7-11, saved ones applied
    tracking: pd.DataFrame | None  # termly steps-and-points grades
    judgements: pd.DataFrame | None  # foundation-subject judgements (pupil level)
    subject_counts: pd.DataFrame | None  # foundation-subject counts typed by subject leaders
    attendance: pd.DataFrame | None = None  # sessions per pupil and period (toolkit.inputs.attendance)
    checks: pd.DataFrame | None = None  # phonics and multiplication tables check results (long)
    suspensions: pd.DataFrame | None = None  # suspensions and permanent exclusions per pupil and year
    removed: dict[str, dict] = field(default_factory=dict)  # school_id -> its remove-pupils what-if list
    ofsted: pd.DataFrame | None = None  # each school's latest report-card grades (inputs.ofsted)


def academic_year_of(pupils: pd.DataFrame) -> int | None:
    """The academic year the pupil table describes (its latest ``academic_year``)."""
    return int(pupils["academic_year"].dropna().max()) if "academic_year" in pupils else None


def read_schools(inputs: Inputs, schools: list[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """The schools table and the ids asked for (default all; unknown ids refused)."""
    school_table = load_schools(inputs.schools)
    known = set(school_table["school_id"])
    ids = list(school_table["school_id"]) if not schools else [str(s) for s in schools]
    unknown = [s for s in ids if s not in known]
    if unknown:
        raise ValueError(f"{inputs.schools}: no school {', '.join(unknown)} (schools are {', '.join(sorted(known))})")
    return school_table, ids


def apply_ks1_uploads(pupils: pd.DataFrame, ks1_results: pd.DataFrame) -> pd.DataFrame:
    """Accepted KS1 uploads fill the pupils' ``ks1_*`` columns."""
    pupils = pupils.copy()
    if len(ks1_results):
        by_upn = ks1_results.set_index("upn")
        rows = pupils["upn"].isin(by_upn.index)
        for col in (c for c in by_upn.columns if c.startswith("ks1_")):
            pupils.loc[rows, col] = pupils.loc[rows, "upn"].map(by_upn[col]).to_numpy()
    return pupils


def apply_ks2_uploads(
    pupils: pd.DataFrame, past: dict[int, pd.DataFrame], ks2_results: pd.DataFrame, year: int | None, say=print
) -> dict[int, pd.DataFrame]:
    """Accepted KS2 uploads make this summer's Year 6 a KS2 cohort (value added for the year just finished)."""
    if not len(ks2_results):
        return past
    by_upn = ks2_results.set_index("upn")
    unknown = sorted(set(by_upn.index) - set(pupils["upn"]))
    if unknown:
        say(
            f"{len(unknown)} pupil(s) in accepted KS2 uploads are not in pupils.csv, so have no prior attainment "
            f"or characteristics; they are left out of this run's value added: {', '.join(unknown[:10])}"
        )
    cohort = pupils[pupils["upn"].isin(by_upn.index)].copy()
    cohort = cohort.drop(columns=[c for c in cohort.columns if c.startswith("target_") or c == "target_reviewed"])
    for col in (c for c in by_upn.columns if c.startswith("ks2_")):
        cohort[col] = cohort["upn"].map(by_upn[col]).astype("string").to_numpy()
    return {**past, year: pd.concat([past.get(year, cohort.iloc[:0]), cohort], ignore_index=True)}


def apply_ks5_uploads(
    pupils: pd.DataFrame, ks5_years: dict[int, pd.DataFrame], results: pd.DataFrame, year: int | None, say=print
) -> dict[int, pd.DataFrame]:
    """Accepted KS5 uploads become this summer's Year 13 entries; each student's KS4 APS, gender, FSM6 and name come
    from pupils.csv. Students missing there keep their entries (attainment) but have no prior (no value added)."""
    if not len(results):
        return ks5_years
    student_cols = [c for c in ("upn", "forename", "surname", "gender", "fsm6", "ks4_aps") if c in pupils]
    entries = typed(results).merge(pupils[student_cols], on="upn", how="left")
    unknown = sorted(set(results["upn"]) - set(pupils["upn"]))
    if unknown:
        say(
            f"{len(unknown)} student(s) in accepted KS5 uploads are not in pupils.csv, so have no KS4 prior "
            f"attainment; their grades count in attainment but not in value added: {', '.join(unknown[:10])}"
        )
    entries["academic_year"] = year
    keep = ks5_years.get(year)
    if keep is not None:  # an upload replaces that year's file for the schools it covers
        keep = keep[~keep["school_id"].isin(set(entries["school_id"]))]
    return {**ks5_years, year: pd.concat([f for f in (keep, entries) if f is not None], ignore_index=True)}


def _ks4_years(inputs: Inputs, ids: list[str]) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """Each past Year 11 of the schools asked with its GCSE results; every pupil with results needs a row."""
    out = {}
    for year, (pupil_file, result_file) in sorted(inputs.ks4.items()):
        cohort, gcse = by_school(load_pupils, pupil_file, ids), by_school(load_gcse_results, result_file, ids)
        if cohort.empty:
            continue
        no_ks2 = [c for c in ("ks2_reading", "ks2_maths") if c not in cohort]
        if no_ks2:
            raise ValueError(
                f"{pupil_file}: no {' or '.join(no_ks2)} column: Progress 8 needs each pupil's KS2 reading and maths "
                "results (leave a cell blank where a pupil has none)"
            )
        missing = sorted(set(gcse["upn"]) - set(cohort["upn"]))
        if missing:
            raise ValueError(
                f"{result_file}: {len(missing)} pupil(s) with results are not in {pupil_file.name} (first: "
                f"{missing[0]}); every pupil needs a row there for their KS2 prior attainment"
            )
        out[year] = (cohort, gcse)
    return out


def _optional(load, path, ids: list[str]) -> pd.DataFrame | None:
    return by_school(load, path, ids) if path else None


def load(inputs: Inputs, schools: list[str] | None = None, say=print) -> Loaded:
    """Read everything a run needs for ``schools`` (default all): a run of some schools reads theirs only (a
    partitioned table, only their folders)."""
    school_table, ids = read_schools(inputs, schools)
    pupils = by_school(load_pupils, inputs.pupils, ids)
    pupils["school_id"] = pupils["school_id"].astype("string")
    pupils = school_state.apply_saved_targets(pupils)
    data = inputs.schools.parent
    pupils = apply_ks1_uploads(pupils, accepted_results(data, "ks1"))
    year = academic_year_of(pupils)
    past = {y: frame for y, path in inputs.past.items() if len(frame := by_school(load_pupils, path, ids))}
    past = apply_ks2_uploads(pupils, past, accepted_results(data, "ks2"), year, say)
    ks5 = {y: e for y, path in inputs.ks5.items() if len(e := by_school(load_entries, path, ids))}
    ks5 = apply_ks5_uploads(pupils, ks5, accepted_results(data, "ks5"), year, say)
    ks5 = {y: only(e, ids) for y, e in ks5.items()}
    levels = {y: frame for y, path in inputs.ks2_levels.items() if len(frame := by_school(load_pupils, path, ids))}
    secondary = pupils.loc[year_group_number(pupils["year_group"]).between(7, 11), "school_id"]
    targets = _optional(load_ks4_targets, inputs.ks4_targets, ids)
    targets = school_state.apply_saved_ks4_targets(targets, sorted(set(secondary.astype(str))))
    ks4 = _ks4_years(inputs, ids)
    return Loaded(
        schools=school_table,
        ids=ids,
        pupils=pupils,
        academic_year=year,
        settings=school_state.load_all(ids),
        past=past,
        ks5=ks5,
        ks2_levels=levels,
        ks4=ks4,
        ks4_targets=targets,
        tracking=_optional(load_tracking, inputs.tracking, ids),
        judgements=_optional(load_judgements, inputs.judgements, ids),
        subject_counts=_optional(load_counts, inputs.subject_counts, ids),
        attendance=_attendance(inputs, ids, [pupils, *past.values(), *(p for p, _ in ks4.values())], say),
        checks=_optional(load_checks, inputs.statutory_checks, ids),
        suspensions=_optional(load_suspensions, inputs.suspensions, ids),
        removed=school_state.load_all_removed(ids),
        ofsted=None if inputs.ofsted is None else only(load_ofsted(inputs.ofsted, school_table), ids),
    )


def _attendance(inputs: Inputs, ids: list[str], tables: list[pd.DataFrame], say) -> pd.DataFrame | None:
    """The attendance rows of the schools asked; rows of pupils in no pupil table of the folder (a pupil who left
    part-way through a year) are kept, since the DfE counts every enrolment's sessions, and named in a notice: they
    count in the school's rates and in no group."""
    sessions = _optional(load_attendance, inputs.attendance, ids)
    if inputs.attendance_marks is not None:  # daily marks counted into sessions per pupil and term
        marks = by_school(load_marks, inputs.attendance_marks, ids)
        sessions = marks if sessions is None else pd.concat([sessions, marks], ignore_index=True)
    if sessions is None:
        return None
    known = set().union(*(set(t["upn"]) for t in tables if len(t)))
    unknown = sessions.index[~sessions["upn"].isin(known)]
    if len(unknown):
        rows = ", ".join(str(i + 2) for i in unknown[:10]) + (
            f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        say(
            f"{inputs.attendance}: {len(unknown)} attendance row(s) of pupils on no roll of this folder (rows {rows}): "
            "they count in their school's rates and in no pupil group"
        )
    return sessions
