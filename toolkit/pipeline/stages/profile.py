"""The school profile: the data an inspector brings, in Ofsted's evaluation areas (``parameters/profile.yaml``).
Context with its band among all schools, achievement over three years against national with disadvantaged pupils
against each comparator (gap in pupils, significance), attendance and behaviour (suspensions where the school gives
them), the inclusion gaps, early years and the sixth form; the school's latest report-card grades where the data
folder has Ofsted's outcomes file; and, for a school with a remove-pupils list, its results without them. Built
from the pupil table and the tables of the stages before it; it predicts no grade."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods import attainment, groups, ks4, ks5, policy, profile, statutory_checks
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_schools
from toolkit.pipeline.stages.ks4 import score_years
from toolkit.pipeline.stages.value_added import past_value_added
from toolkit.scales import gcse
from toolkit.vocabulary import year_group_number

INCLUSION = {  # pupil-group label -> its kind (methods.groups.pupil_groups)
    "Disadvantaged (FSM in last 6 years)": "Disadvantage",
    "SEN support": "SEN",
    "EHC plan": "SEN",
}
PHONICS_GROUPS = {"all": "all", "national_other": "not_disadvantaged", "national_disadvantaged": "disadvantaged"}
NATIONAL_CONTEXT = {"fsm6": "disadvantaged", "sen_support": "sen_support", "ehc_plan": "sen_ehcp", "eal": "eal"}


def _achievement_row(school, area, measure, label, unit, year, group, pupils, value, nationals=None, **extra) -> dict:
    """One achievement row with the figure against each comparator: its value and year, the gap in pupils and the
    significance (``nationals``: comparator -> (value, year))."""
    row = {
        "school_id": school,
        "area": area,
        "measure": measure,
        "label": label,
        "unit": unit,
        "academic_year": int(year),
        "group": group,
        "pupils": int(pupils),
        "value": float(value),
        **extra,
    }
    for c in profile.COMPARATORS:
        national, national_year = (nationals or {}).get(c, (float("nan"), None))
        row[f"vs_{c}"] = national
        row[f"year_{c}"] = national_year
        row[f"gap_pupils_{c}"] = profile.gap_in_pupils(value, national, pupils) if unit == "%" else float("nan")
        row[f"significance_{c}"] = profile.significance(value, national, pupils) if unit == "%" else ""
    return row


def _context(
    school: str, mine: pd.DataFrame, year: int, cuts: dict, chars: dict, setting: dict, basis: str
) -> list[dict]:
    flags = profile.context_flags(mine)
    rows = []
    for measure, column in NATIONAL_CONTEXT.items():
        known = flags[measure].dropna()
        percent = 100 * float(known.mean()) if len(known) else float("nan")
        national = chars.get(column, {})
        rows.append(
            {
                "measure": measure,
                "pupils": int(known.sum()),
                "of": len(known),
                "percent": percent,
                "national": 100 * float(national["value"]) if national else float("nan"),
                "national_status": national.get("status", ""),
                "band": profile.band(percent, cuts[measure]) if len(known) else "",
            }
        )
    grade = year_group_number(mine["year_group"])
    first = int(grade.min())
    later = [y for y in setting["later_entry_years"] if y > first and (grade >= y).any()]
    usual = profile.joined_usually(mine, year, [first, *later]).dropna()
    stability = setting.get("national_stability")
    rows.append(
        {
            "measure": "stability",
            "pupils": int(usual.sum()),
            "of": len(usual),
            "percent": 100 * float(usual.mean()) if len(usual) else float("nan"),
            "national": float("nan") if stability is None else float(stability),
            "national_status": "" if stability is None else "set in parameters/profile.yaml",
            "band": "",
        }
    )
    return [{"school_id": school, "label": profile.CONTEXT[r["measure"]], **r, "basis": basis} for r in rows]


def _ks2(school: str, past: dict[int, pd.DataFrame], va: pd.DataFrame | None, cuts: dict) -> list[dict]:
    rows = []
    years = sorted(y for y, frame in past.items() if (frame["school_id"].astype(str) == school).any())[-3:]
    for year in years:
        cohort = past[year]
        cohort = cohort[cohort["school_id"].astype(str) == school]
        rwm = attainment.reached(cohort, "expected")["rwm"]
        dis = profile.context_flags(cohort)["fsm6"].fillna(False).to_numpy(dtype=bool)
        nationals = profile.published_ks2_rwm(year)
        label = "KS2: expected standard in reading, writing and maths"
        value = 100 * float(rwm.mean())
        rows.append(
            _achievement_row(
                school, "achievement", "ks2_rwm_expected", label, "%", year, "all", len(cohort), value,
                {"all": nationals["all"]}, quintile=profile.quintile(value, cuts["ks2_rwm_expected"]),
            )
        )  # fmt: skip
        if dis.any():
            value = 100 * float(rwm[dis].mean())
            rows.append(
                _achievement_row(
                    school, "achievement", "ks2_rwm_expected", label, "%", year, "disadvantaged", int(dis.sum()),
                    value, nationals, quintile=profile.quintile(value, cuts["ks2_rwm_expected_disadvantaged"]),
                )
            )  # fmt: skip
        rows += _ks2_progress(school, year, va)
    return rows


def _ks2_progress(school: str, year: int, va: pd.DataFrame | None) -> list[dict]:
    """KS1-KS2 progress (the DfE's) where the policy calendar has it; otherwise one row saying why not."""
    state = policy.status(policy.KS1_KS2, year)
    mine = None if va is None else va[(va["school_id"] == school) & (va["year"] == year) & (va["method"] == "DfE")]
    if not state.has_baseline or mine is None or mine.empty:
        note = state.refusal() if not state.has_baseline else "no KS1 results for this cohort"
        row = _achievement_row(school, "achievement", "ks2_progress", "KS2 progress", "score", year, "all", 0, np.nan)
        return [{**row, "note": note}]
    out = []
    for r in mine[mine["subject"].isin(["reading", "writing", "maths"])].itertuples():
        row = _achievement_row(
            school, "achievement", "ks2_progress", f"KS2 progress in {r.subject}", "score", year, "all", r.pupils,
            r.score, ci_low=r.ci_low, ci_high=r.ci_high, note=policy.label(state.status),
        )  # fmt: skip
        row["significance_all"] = profile.interval_significance(r.ci_low, r.ci_high)
        out.append(row)
    return out


def _ks4(school: str, scores: pd.DataFrame | None, pupils: pd.DataFrame | None) -> list[dict]:
    rows = []
    if scores is None:
        return rows
    national = ks4.national_figures().set_index("breakdown")
    published = gcse.ks4_parameters()
    nat_year = int(published["national_year"])
    a8 = {"all": (float(published["national_a8"]), int(published["national_a8_year"]))}
    for r in scores[scores["school_id"] == school].sort_values("academic_year").tail(3).itertuples():
        year = int(r.academic_year)
        cohort = None if pupils is None else pupils[(pupils["school_id"] == school) & (pupils["academic_year"] == year)]
        label = "KS4: grade 4 or above in English and maths"
        nationals = {
            "all": (float(national.loc["Total", "pct_eng_maths_4"]), nat_year),
            "national_other": (float(national.loc["Not disadvantaged", "pct_eng_maths_4"]), nat_year),
            "national_disadvantaged": (float(national.loc["Disadvantaged", "pct_eng_maths_4"]), nat_year),
        }
        rows.append(
            _achievement_row(
                school, "achievement", "eng_maths_4", label, "%", year, "all", r.pupils, r.pct_eng_maths_4,
                {"all": nationals["all"]},
            )
        )  # fmt: skip
        rows.append(
            _achievement_row(school, "achievement", "a8", "KS4: Attainment 8", "score", year, "all", r.pupils, r.a8, a8)
        )
        if cohort is not None and len(cohort):
            dis = cohort["fsm6"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            if dis.any():
                value = 100 * float(cohort.loc[dis, "eng_maths_4"].astype(float).mean())
                rows.append(
                    _achievement_row(
                        school, "achievement", "eng_maths_4", label, "%", year, "disadvantaged", int(dis.sum()), value,
                        nationals,
                    )
                )  # fmt: skip
                rows.append(
                    _achievement_row(
                        school, "achievement", "a8", "KS4: Attainment 8", "score", year, "disadvantaged",
                        int(dis.sum()), float(cohort.loc[dis, "a8"].mean()),
                    )
                )  # fmt: skip
        state = policy.status(policy.PROGRESS_8, year)
        if state.status == policy.PUBLISHED and not pd.isna(r.p8):
            row = _achievement_row(
                school, "achievement", "p8", "KS4: Progress 8", "score", year, "all", r.p8_pupils, r.p8,
                ci_low=r.p8_low, ci_high=r.p8_high, note=policy.label(state.status),
            )  # fmt: skip
            row["significance_all"] = profile.interval_significance(r.p8_low, r.p8_high)
        else:
            row = _achievement_row(school, "achievement", "p8", "KS4: Progress 8", "score", year, "all", 0, np.nan)
            row["note"] = state.refusal() if not state.has_baseline else "no Progress 8 for this cohort"
        rows.append(row)
    return rows


def _early_years(school: str, summary: pd.DataFrame | None, checks_groups: pd.DataFrame | None) -> list[dict]:
    rows = []
    if summary is None:
        return rows
    national = statutory_checks.national()
    labels = {
        ("eyfs", "good_level_of_development"): "EYFS: good level of development",
        ("phonics", "year1_met"): "Phonics: met the standard in Year 1",
    }
    mine = summary[summary["school_id"] == school]
    for (check, measure), label in labels.items():
        for r in (
            mine[(mine["check"] == check) & (mine["measure"] == measure)].sort_values("academic_year").itertuples()
        ):
            nat = {"all": (r.national, None if pd.isna(r.national_year) else int(r.national_year))}
            rows.append(
                _achievement_row(
                    school, "early_years", measure, label, "%", r.academic_year, "all", r.pupils, r.value, nat
                )
            )
    if checks_groups is not None:
        dis = checks_groups[
            (checks_groups["school_id"] == school)
            & (checks_groups["check"] == "phonics")
            & (checks_groups["measure"] == "year1_met")
            & (checks_groups["label"] == "Disadvantaged (FSM in last 6 years)")
        ]
        for r in dis.itertuples():
            year = int(r.academic_year)
            nationals = {
                comparator: statutory_checks.national_figure(national, "phonics", "year1_met", year, group)
                for comparator, group in PHONICS_GROUPS.items()
            }
            label = labels[("phonics", "year1_met")]
            rows.append(
                _achievement_row(school, "early_years", "year1_met", label, "%", year, "disadvantaged", r.pupils,
                                 r.value, nationals)
            )  # fmt: skip
    return rows


def _sixth_form(school: str, scores: pd.DataFrame | None, ks5_attainment: pd.DataFrame | None) -> list[dict]:
    rows = []
    overall = ks5.overall_label()
    if scores is not None:
        mine = scores[(scores["school_id"] == school) & (scores["subject"] == overall)].sort_values("academic_year")
        for r in mine.tail(3).itertuples():
            row = _achievement_row(
                school, "sixth_form", "l3va", "Sixth form: A level value added", "score", r.academic_year, "all",
                r.pupils, r.score, ci_low=r.ci_low, ci_high=r.ci_high,
            )  # fmt: skip
            row["significance_all"] = profile.interval_significance(r.ci_low, r.ci_high)
            rows.append(row)
    if ks5_attainment is not None:
        mine = ks5_attainment[(ks5_attainment["school_id"] == school) & (ks5_attainment["subject"] == overall)]
        for r in mine.sort_values("academic_year").tail(3).itertuples():
            rows.append(
                _achievement_row(
                    school, "sixth_form", "aps_per_entry", "Sixth form: A level points per entry", "points",
                    r.academic_year, "all", r.students, r.aps_per_entry,
                )
            )  # fmt: skip
    return rows


def _behaviour(school: str, summary: pd.DataFrame | None, suspensions, roll: int, year: int) -> list[dict]:
    rows = []
    if summary is not None:
        for r in summary[summary["school_id"] == school].sort_values("academic_year").itertuples():
            for measure, label, national in (
                ("attendance_rate", "Attendance", r.national_attendance_rate),
                ("persistent_rate", "Persistent absence (10% or more missed)", r.national_persistent_rate),
            ):
                rows.append(
                    {
                        "measure": measure,
                        "label": label,
                        "academic_year": int(r.academic_year),
                        "period": r.period,
                        "pupils": int(r.pupils),
                        "value": float(getattr(r, measure)),
                        "unit": "%",
                        "national": float(national),
                        "national_period": r.comparator_period,
                    }
                )
    if suspensions is not None:
        mine = suspensions[(suspensions["school_id"].astype(str) == school) & (suspensions["academic_year"] == year)]
        national = profile.national()
        labels = {
            "suspension_rate": "Suspensions",
            "permanent_exclusions": "Permanent exclusions",
            **{f"suspended_{n}_plus": f"Pupils with {n} or more suspensions" for n in profile.settings()["behaviour"]["suspension_counts"]},
        }  # fmt: skip
        for r in profile.suspension_measures(mine, roll).itertuples():
            value, national_year = profile.national_value(national, r.measure, year)
            rows.append(
                {
                    "measure": r.measure,
                    "label": labels[r.measure],
                    "academic_year": year,
                    "period": f"{year - 1}/{str(year)[2:]} so far",
                    "pupils": int(r.pupils),
                    "value": float(r.value),
                    "unit": r.unit,
                    "national": value,
                    "national_period": "" if national_year is None else f"{national_year - 1}/{str(national_year)[2:]}",
                }
            )
    return [{"school_id": school, **r} for r in rows]


def _inclusion(school: str, given: Given, ks2_latest: pd.DataFrame | None, ks4_latest: pd.DataFrame | None) -> list:
    rows = []

    def add(label, measure, year, pupils, value, rest, unit):
        rows.append(
            {
                "school_id": school,
                "group": label,
                "measure": measure,
                "academic_year": int(year),
                "pupils": int(pupils),
                "value": float(value),
                "rest": float(rest),
                "gap": float(value) - float(rest),
                "unit": unit,
            }
        )

    for cohort, measure, column, unit in (
        (ks2_latest, "KS2: expected standard in reading, writing and maths", "rwm", "%"),
        (ks4_latest, "KS4: grade 4 or above in English and maths", "eng_maths_4", "%"),
    ):
        if cohort is None or cohort.empty:
            continue
        values = attainment.reached(cohort, "expected")["rwm"] if column == "rwm" else cohort[column]
        values = 100 * values.astype(float)
        labels = groups.pupil_groups(cohort)
        for label, kind in INCLUSION.items():
            inside = (labels[kind] == label).fillna(False).to_numpy(dtype=bool)
            if inside.any() and (~inside).any():
                add(label, measure, cohort["academic_year"].max(), inside.sum(), values[inside].mean(),
                    values[~inside].mean(), unit)  # fmt: skip
    attendance = given.frame("attendance_groups")
    summary = given.frame("attendance_summary")
    if attendance is not None and summary is not None:
        latest = summary[(summary["school_id"] == school) & summary["latest"]]
        mine = attendance[attendance["school_id"] == school]
        for r in mine[mine["label"].isin(INCLUSION)].itertuples():
            if r.pupils and not pd.isna(r.gap_absence):
                year = int(latest["academic_year"].iloc[0]) if len(latest) else 0
                add(r.label, "Absence", year, r.pupils, r.overall_absence_rate, r.overall_absence_rate - r.gap_absence,
                    "%")  # fmt: skip
    checks = given.frame("checks_groups")
    if checks is not None:
        mine = checks[
            (checks["school_id"] == school) & (checks["check"] == "phonics") & (checks["measure"] == "year1_met")
        ]
        mine = mine[mine["academic_year"] == mine["academic_year"].max()]  # the latest year, as for the results
        for r in mine[mine["label"].isin(INCLUSION)].itertuples():
            if not pd.isna(r.rest):
                add(r.label, "Phonics: met the standard in Year 1", r.academic_year, r.pupils, r.value, r.rest, "%")
    return rows


def run(given: Given) -> dict[str, SliceTable]:
    loaded = given.loaded
    year = loaded.academic_year
    if loaded.pupils.empty or year is None:
        return {}
    setting = profile.settings()
    distribution = given.models.schools
    measures = ["fsm6", "sen_support", "ehc_plan", "eal", "ks2_rwm_expected", "ks2_rwm_expected_disadvantaged"]
    cuts = {m: profile.quintile_cuts(distribution[m]) for m in measures}
    chars = profile.national_context()
    basis = (
        f"the {len(distribution):,} synthetic national schools of the reference cohort with "
        f"{setting['context']['min_pupils']} or more Year 6 pupils (no published school-level distribution is bundled)"
    )
    ks4_pupils = given.frame("ks4_pupils")
    context, achievement, behaviour, inclusion, what_if, removed = [], [], [], [], [], []
    for school, mine in loaded.pupils.groupby(loaded.pupils["school_id"].astype(str)):
        context += _context(school, mine, year, cuts, chars, setting["context"], basis)
        ks2_rows = _ks2(school, loaded.past, given.frame("va_scores"), cuts)
        ks4_rows = _ks4(school, given.frame("ks4_scores"), ks4_pupils)
        early = _early_years(school, given.frame("checks_summary"), given.frame("checks_groups"))
        sixth = _sixth_form(school, given.frame("ks5_scores"), given.frame("ks5_attainment"))
        achievement += ks2_rows + ks4_rows + early + sixth
        behaviour += _behaviour(school, given.frame("attendance_summary"), loaded.suspensions, len(mine), year)
        past = [y for y, f in loaded.past.items() if (f["school_id"].astype(str) == school).any()]
        ks2_latest = None if not past else loaded.past[max(past)]
        ks2_latest = None if ks2_latest is None else ks2_latest[ks2_latest["school_id"].astype(str) == school]
        ks4_latest = None
        if ks4_pupils is not None:
            own = ks4_pupils[ks4_pupils["school_id"] == school]
            ks4_latest = own[own["academic_year"] == own["academic_year"].max()] if len(own) else None
        inclusion += _inclusion(school, given, ks2_latest, ks4_latest)
        if school in loaded.removed:
            what_if += _what_if(school, loaded, given.models, cuts)
            removed += _removed(school, loaded)
    tables = {
        "profile_context": of_schools(pd.DataFrame(context)),
        "profile_achievement": of_schools(pd.DataFrame(achievement, columns=ACHIEVEMENT_COLUMNS)),
        "profile_behaviour": of_schools(pd.DataFrame(behaviour, columns=BEHAVIOUR_COLUMNS)),
        "profile_inclusion": of_schools(pd.DataFrame(inclusion, columns=INCLUSION_COLUMNS)),
    }
    if loaded.ofsted is not None and len(loaded.ofsted):
        tables["profile_ofsted"] = of_schools(_ofsted(loaded.ofsted), when="profile_ofsted")  # only where named
    if removed:
        tables["profile_what_if"] = of_schools(
            pd.DataFrame(what_if, columns=ACHIEVEMENT_COLUMNS), when="profile_removed"
        )
        tables["profile_removed"] = of_schools(pd.DataFrame(removed), when="profile_removed")
    return tables


def _ofsted(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The outcomes file's latest inspection of each school, one row per area it has a grade in."""
    areas = [c for c in outcomes if c not in ("school_id", "urn", "inspection_date", "inspection_type")]
    long = outcomes.melt(
        id_vars=["school_id", "inspection_date"], value_vars=areas, var_name="area", value_name="grade"
    )
    return long[long["grade"] != ""].reset_index(drop=True)


def _what_if(school: str, loaded, models, cuts: dict) -> list[dict]:
    """The school's achievement rows recomputed without the pupils of its remove-pupils list: KS2 attainment and
    value added (the DfE's model, refitted on nothing: the same national model, fewer pupils), KS4 scored as the
    DfE scores its year. Early years, attendance and context are not recomputed."""
    upns = set(loaded.removed[school]["upns"])

    def kept(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[(frame["school_id"].astype(str) == school) & ~frame["upn"].isin(upns)]

    past = {y: mine for y, f in loaded.past.items() if len(mine := kept(f))}
    va = past_value_added(past, models)[1] if past else None
    years = {
        y: (mine, gcse[gcse["upn"].isin(mine["upn"])]) for y, (p, gcse) in loaded.ks4.items() if len(mine := kept(p))
    }
    pupils4, scores4, _ = score_years(years) if years else (None, None, None)
    return _ks2(school, past, va, cuts) + _ks4(school, scores4, pupils4)


def _removed(school: str, loaded) -> list[dict]:
    """The remove-pupils list as the report shows it: each pupil with the cohort they are in (on roll now, or a
    past Year 6 or Year 11) and who made the list, when and why; a UPN in none of the school's tables is kept and
    said to be so."""
    removal = loaded.removed[school]
    tables = [("on roll", loaded.pupils)]
    tables += [(f"Year 6 in {y}", f) for y, f in sorted(loaded.past.items())]
    tables += [(f"Year 11 in {y}", p) for y, (p, _) in sorted(loaded.ks4.items())]
    rows = []
    for upn in removal["upns"]:
        found = [
            (where, rows_)
            for where, f in tables
            if len(rows_ := f[(f["upn"] == upn) & (f["school_id"].astype(str) == school)])
        ]
        name = found[0][1].iloc[0] if found else None
        rows.append(
            {
                "school_id": school,
                "upn": upn,
                "name": "" if name is None else f"{name['forename']} {name['surname']}",
                "in": ", ".join(where for where, _ in found) or "not in this school's data",
                "made_by": removal.get("made_by", ""),
                "made_at": str(removal.get("made_at", "")),
                "reason": removal.get("reason", ""),
            }
        )
    return rows


ACHIEVEMENT_COLUMNS = [
    "school_id", "area", "measure", "label", "unit", "academic_year", "group", "pupils", "value",
    *(f"{k}_{c}" for c in profile.COMPARATORS for k in ("vs", "year", "gap_pupils", "significance")),
    "quintile", "ci_low", "ci_high", "note",
]  # fmt: skip
BEHAVIOUR_COLUMNS = [
    "school_id", "measure", "label", "academic_year", "period", "pupils", "value", "unit", "national",
    "national_period",
]  # fmt: skip
INCLUSION_COLUMNS = ["school_id", "group", "measure", "academic_year", "pupils", "value", "rest", "gap", "unit"]


def facts(mine: Mine) -> dict:
    context, removed = mine("profile_context"), mine("profile_removed")
    return {
        "profile": context is not None and len(context) > 0,
        "removed_pupils": 0 if removed is None else len(removed),
    }


MAKES = {
    "profile_context": "context shares (disadvantaged, SEN support, EHC plan, EAL, stability) with national and band",
    "profile_achievement": "achievement, early years and sixth form by year, all and disadvantaged pupils, against "
    "each comparator with the gap in pupils and significance",
    "profile_behaviour": "attendance, persistent absence, suspensions and permanent exclusions against national",
    "profile_inclusion": "disadvantaged, SEN support and EHC plan pupils against the rest: results and absence",
    "profile_what_if": "the achievement rows recomputed without the pupils of the school's remove-pupils list",
    "profile_ofsted": "the school's latest report-card grade per evaluation area (Ofsted's outcomes file, when given)",
    "profile_removed": "the remove-pupils list: each pupil, where they are in the data, who made the list, when, why",
}
STAGE = Stage("profile", needs=("pupils",), makes=MAKES, run=run, facts=facts)
