"""The statutory checks below Year 6 for each primary, three years: the EYFS good level of development (from the
pupil table's EYFS goals), the phonics check in Year 1 and by the end of Year 2, and the multiplication tables check
(``statutory_checks.csv``), each beside the DfE's national figure of its year (``parameters/statutory/``), with
disadvantaged, SEN, EAL, sex and term of birth for each of the years."""

from __future__ import annotations

import pandas as pd

from toolkit.methods import groups, statutory_checks
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_schools
from toolkit.vocabulary import year_group_number

GROUPS = ["Disadvantage", "SEN", "EAL", "Gender", "Term of birth"]
NATIONAL_GROUP = {  # pupil-group label -> the group's name in parameters/statutory/national.csv
    "Disadvantaged (FSM in last 6 years)": "disadvantaged",
    "Not disadvantaged": "not_disadvantaged",
    "Male": "boys",
    "Female": "girls",
    "SEN support": "sen_support",
    "EHC plan": "ehc_plan",
}


def run(given: Given) -> dict[str, SliceTable]:
    loaded = given.loaded
    year = loaded.academic_year
    pupils = loaded.pupils.assign(g=year_group_number(loaded.pupils["year_group"]))
    pupils = pupils[pupils["g"].between(1, 6)]
    if pupils.empty or year is None:
        return {}
    national = statutory_checks.national()
    labels = groups.pupil_groups(pupils).set_axis(pupils["upn"].to_numpy())
    checks = loaded.checks
    if checks is not None and len(checks):
        at = pupils.set_index("upn")["g"]
        checks = checks.assign(g=checks["upn"].map(at) - (year - checks["academic_year"]))
    rows, by_group, distribution = [], [], []
    for school, mine in pupils.groupby("school_id"):
        cohorts = []  # (check, year, rows, eyfs cohort)
        for k in (1, 2, 3):
            cohort = mine[mine["g"] == k]
            goals = [c for c in cohort.columns if c.startswith("eyfs_")]
            if goals and cohort[goals].notna().any(axis=1).any():
                cohorts.append(("eyfs", year - k, None, cohort))
        if checks is not None and len(checks):
            own = checks[checks["upn"].isin(mine["upn"])]
            for (check, at_year), part in own.groupby(["check", "academic_year"]):
                first = part[part["g"] == (1 if check == "phonics" else 4)]
                if len(first):
                    cohorts.append((check, int(at_year), first, None))
            for k in (3, 4):  # by the end of Year 2: the pupils now in Year 3 (and Year 4), with both chances
                cohort = mine[mine["g"] == k]
                phonics = own[(own["check"] == "phonics") & own["upn"].isin(cohort["upn"])]
                if len(cohort) and len(phonics):
                    end = year - (k - 2)
                    r = statutory_checks.phonics_by_end_of_year2(
                        phonics[phonics["g"] == 1], phonics[phonics["g"] == 2], cohort["upn"]
                    )
                    value, n_year = statutory_checks.national_figure(national, "phonics", "end_of_year2_met", end)
                    rows.append(
                        _row(school, "phonics", "end_of_year2_met", end, r["percent"], r["pupils"], value, n_year)
                    )
        latest_mtc = max((y for c, y, _, _ in cohorts if c == "mtc"), default=None)
        for check, at_year, part, cohort in cohorts:  # every year, then by group: three years of each group
            table = statutory_checks.pupil_measures(check, part, cohort)  # each pupil once, every group from it
            for measure, (value, n) in statutory_checks.group_measures(check, table).items():
                nat, n_year = statutory_checks.national_figure(national, check, measure, at_year)
                rows.append(_row(school, check, measure, at_year, value, n, nat, n_year))
            on_roll = table.index.isin(mine["upn"])
            for kind in GROUPS:
                label = labels[kind].reindex(table.index)
                for value_label in sorted(set(label[on_roll].dropna())):
                    inside = ((label == value_label).fillna(False) & on_roll).to_numpy(dtype=bool)
                    rest = ((label != value_label).fillna(False) & on_roll).to_numpy(dtype=bool)
                    theirs = statutory_checks.group_measures(check, table, inside)
                    others = statutory_checks.group_measures(check, table, rest) if rest.any() else {}
                    for measure, (value, n) in theirs.items():
                        nat, n_year = statutory_checks.national_figure(
                            national, check, measure, at_year, NATIONAL_GROUP.get(value_label, "-")
                        )
                        by_group.append(
                            {
                                **_row(school, check, measure, at_year, value, n, nat, n_year),
                                "group": kind,
                                "label": value_label,
                                "rest": others.get(measure, (float("nan"), 0))[0],
                            }
                        )
            if check == "mtc" and part is not None and at_year == latest_mtc:  # the latest check's spread
                counts = statutory_checks.mtc_measures(part)["distribution"]
                distribution.append(
                    pd.DataFrame(
                        {
                            "school_id": school,
                            "academic_year": at_year,
                            "score": counts.index,
                            "pupils": counts.to_numpy(),
                        }
                    )
                )
    if not rows:
        return {}
    tables = {"checks_summary": of_schools(pd.DataFrame(rows))}
    if by_group:
        tables["checks_groups"] = of_schools(pd.DataFrame(by_group), when="checks_summary")
    if distribution:
        tables["checks_mtc_scores"] = of_schools(pd.concat(distribution, ignore_index=True), when="checks_summary")
    return tables


def _of(part: pd.DataFrame | None, who: pd.DataFrame) -> pd.DataFrame | None:
    return None if part is None else part[part["upn"].isin(who["upn"])]


def _row(school, check, measure, year, value, pupils, national, national_year) -> dict:
    return {
        "school_id": school,
        "check": check,
        "measure": measure,
        "academic_year": int(year),
        "pupils": int(pupils),
        "value": value,
        "national": national,
        "national_year": national_year,
    }


def facts(mine: Mine) -> dict:
    summary = mine("checks_summary")
    return {
        "checks_years": sorted({int(y) for y in summary["academic_year"]})
        if summary is not None and len(summary)
        else []
    }


MAKES = {
    "checks_summary": "EYFS GLD, phonics (Year 1, by the end of Year 2) and the multiplication tables check by year, with national",
    "checks_groups": "each year of each check by pupil group, with the rest and national for the group",
    "checks_mtc_scores": "the latest multiplication tables check's scores: pupils per score 0-25",
}
STAGE = Stage("statutory_checks", needs=("pupils", "checks"), makes=MAKES, run=run, facts=facts)
