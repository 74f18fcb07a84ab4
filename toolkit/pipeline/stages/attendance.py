"""Attendance: the DfE's measures for each school's pupils of compulsory school age (Years 1-11), this year so far
and last year, by term, by group and by reason, against national and the school's local authority for its phase
(the DfE's published figures, ``toolkit.inputs.dfe_attendance``), and the pupils who crossed 10% or 50%."""

from __future__ import annotations

import pandas as pd

from toolkit.inputs.dfe_attendance import comparison, read_dfe_attendance
from toolkit.methods import attainment, attendance, groups
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_pupils, of_schools
from toolkit.scales.attendance_codes import codes
from toolkit.vocabulary import year_group_number

TERMS = ("autumn", "spring", "summer")
GROUPS = ["Disadvantage", "FSM", "SEN", "EAL", "Gender", "Year group"]


def _phase(schools: pd.DataFrame, pupils: pd.DataFrame) -> pd.Series:
    """Primary or Secondary per school: schools.csv's ``phase`` where it says, else from the year groups."""
    top = pupils.assign(g=year_group_number(pupils["year_group"])).groupby("school_id")["g"].max()
    guessed = top.map(lambda g: "Primary" if g <= 6 else "Secondary")
    given = schools.set_index(schools["school_id"].astype(str))["phase"] if "phase" in schools else pd.Series(dtype=str)
    phase = given.reindex(guessed.index).where(lambda p: p.isin(["Primary", "Secondary", "Special"]), guessed)
    return phase


def _period(rows: pd.DataFrame, year: int) -> str:
    terms = [t for t in TERMS if t in set(rows["term"].dropna())]
    label = f"{year - 1}/{str(year)[2:]}"
    if not terms or len(terms) == 3 or rows["term"].isna().all():
        return label
    return f"{label}, {' and '.join(terms)} term{'s' if len(terms) > 1 else ''}"


def run(given: Given) -> dict[str, SliceTable]:
    loaded = given.loaded
    if loaded.attendance is None or loaded.attendance.empty:
        return {}
    setting = attendance.settings()
    low, high = setting["compulsory_year_groups"]
    pupils = loaded.pupils.drop_duplicates("upn")
    sessions = loaded.attendance.copy()
    sessions["school_id"] = sessions["school_id"].astype("string")
    group_of = year_group_number(pupils.set_index("upn")["year_group"])
    years = sorted(sessions["academic_year"].unique())
    latest = years[-1]
    # Year group in each row's year: this year's, less the years since (a pupil not on roll: unknown, counted)
    sessions["year_group"] = sessions["upn"].map(group_of) - (latest - sessions["academic_year"])
    compulsory = sessions[sessions["year_group"].isna() | sessions["year_group"].between(low, high)]
    dfe = read_dfe_attendance()
    phase = _phase(loaded.schools, pupils)
    la = loaded.schools.set_index(loaded.schools["school_id"].astype(str))
    la = la["la"].astype(str) if "la" in la else pd.Series({s: s[:3] for s in la.index})

    summary, terms, group_tables, reasons, what_ifs = [], [], [], [], []
    for year in years[-2:]:
        rows = compulsory[compulsory["academic_year"] == year]
        for school, mine in rows.groupby("school_id"):
            pupil_rows = attendance.per_pupil(mine)
            headline = attendance.group_rates(pupil_rows, pd.DataFrame(index=pupil_rows.index), []).iloc[0]
            sums = mine[["possible", "present", "aea", "authorised", "unauthorised"]].sum()
            summary.append(
                {
                    "school_id": school,
                    "academic_year": int(year),
                    "period": _period(mine, int(year)),
                    "latest": year == latest,
                    **{
                        k: headline[k]
                        for k in (
                            "pupils",
                            "attendance_rate",
                            "overall_absence_rate",
                            "persistent_rate",
                            "severe_rate",
                            "persistent_pupils",
                        )
                    },
                    "severe_pupils": int(pupil_rows["severe"].sum()),
                    "authorised_rate": 100 * sums["authorised"] / sums["possible"],
                    "unauthorised_rate": 100 * sums["unauthorised"] / sums["possible"],
                    **_comparators(dfe, phase.get(school, "Total"), la.get(school)),
                }
            )
            if mine["term"].notna().any():
                for term, part in mine.groupby("term"):
                    one = attendance.rates(part).iloc[0]
                    terms.append(
                        {
                            "school_id": school,
                            "academic_year": int(year),
                            "term": term,
                            "order": TERMS.index(term),
                            **{
                                k: one[k]
                                for k in ("pupils", "attendance_rate", "overall_absence_rate", "persistent_rate")
                            },
                        }
                    )
            if year == latest:
                on_roll = pupil_rows.merge(pupils, on="upn", how="left", suffixes=("", "_pupil"))
                labels = groups.pupil_groups(on_roll.assign(dob=on_roll["dob"]))
                number = year_group_number(on_roll["year_group"])
                labels["Year group"] = ("Year " + number.astype("Int64").astype("string")).where(number.notna())
                table = attendance.group_rates(pupil_rows.reset_index(drop=True), labels.reset_index(drop=True), GROUPS)
                group_tables.append(table.assign(school_id=school))
                national = summary[-1]["national_absence_rate"]
                what_ifs.append(
                    _what_if(pupil_rows.reset_index(drop=True), labels.reset_index(drop=True), national).assign(
                        school_id=school
                    )
                )
                reasons.append(_reasons(mine, school, dfe, phase.get(school, "Total")))
    tables = {"attendance_summary": of_schools(pd.DataFrame(summary))}
    if terms:
        tables["attendance_terms"] = of_schools(
            pd.DataFrame(terms).sort_values(["school_id", "academic_year", "order"]), when="attendance_summary"
        )
    if group_tables:
        tables["attendance_groups"] = of_schools(pd.concat(group_tables, ignore_index=True), when="attendance_summary")
    if what_ifs:
        tables["attendance_what_if"] = of_schools(pd.concat(what_ifs, ignore_index=True), when="attendance_summary")
    if reasons:
        tables["attendance_reasons"] = of_schools(pd.concat(reasons, ignore_index=True), when="attendance_summary")
    link = _attainment(given, sessions, latest)
    if len(link):
        tables["attendance_attainment"] = of_schools(link, when="attendance_summary")
    crossing = _crossing(compulsory, years)
    if len(crossing):
        tables["attendance_pupils"] = of_pupils(crossing, loaded.pupils, when="attendance_summary")
    return tables


WHAT_IF = (  # (group kind, label) whose pupils are brought to the national rate, and the words for them
    ("Disadvantage", "Disadvantaged (FSM in last 6 years)", "disadvantaged pupils"),
    ("SEN", "SEN support", "pupils with SEN support"),
    ("SEN", "EHC plan", "pupils with an EHC plan"),
    ("EAL", "EAL", "pupils with English as an additional language"),
)


def _what_if(pupils: pd.DataFrame, labels: pd.DataFrame, national: float) -> pd.DataFrame:
    """The school's rates if each group's pupils (and, last, every persistently absent pupil) were absent no more
    than the national rate for the phase: pupils brought down, absence, persistent absence, before and after."""
    before = attendance.group_rates(pupils, labels, []).iloc[0]
    who = [(words, labels[kind] == label) for kind, label, words in WHAT_IF if kind in labels]
    who.append(("persistently absent pupils", pupils["persistent"].fillna(False).astype(bool)))
    who.append(("every pupil", pd.Series(True, index=pupils.index)))
    rows = []
    for words, mask in who:
        mask = mask.fillna(False).astype(bool)
        changed = int((mask & (pupils["absence_rate"] > national)).sum())
        after = attendance.group_rates(attendance.at_most(pupils, mask, national), labels, []).iloc[0]
        rows.append(
            {
                "if": words[0].upper() + words[1:],
                "pupils_brought_down": changed,
                "absence_before": before["overall_absence_rate"],
                "absence_after": after["overall_absence_rate"],
                "persistent_before": before["persistent_rate"],
                "persistent_after": after["persistent_rate"],
                "national_absence_rate": national,
            }
        )
    return pd.DataFrame(rows)


def _attainment(given: Given, sessions: pd.DataFrame, latest: int) -> pd.DataFrame:
    """Last year's leavers' results by their attendance that year, per school: KS2 (Year 6) and GCSE (Year 11)."""
    year = latest - 1
    last = sessions[sessions["academic_year"] == year]
    if last.empty:
        return pd.DataFrame()
    outcomes = []  # (school_id, upn, measure, outcome)
    cohort = given.loaded.past.get(year)
    if cohort is not None and len(cohort):
        rwm = 100 * attainment.reached(cohort)["rwm"].to_numpy(dtype=float)
        measure = f"% expected standard in reading, writing and maths, KS2 {year}"
        outcomes.append(pd.DataFrame({"upn": cohort["upn"].to_numpy(), "measure": measure, "outcome": rwm}))
    scored = given.frame("ks4_pupils")
    if scored is not None and len(scored):
        scored = scored[scored["academic_year"] == year]
        for column, measure, scale in (
            ("a8", f"average Attainment 8, GCSE {year}", 1),
            ("eng_maths_4", f"% grade 4 or above in English and maths, GCSE {year}", 100),
        ):
            values = scale * scored[column].astype(float).to_numpy()
            outcomes.append(pd.DataFrame({"upn": scored["upn"].to_numpy(), "measure": measure, "outcome": values}))
    if not outcomes:
        return pd.DataFrame()
    long = pd.concat(outcomes, ignore_index=True)
    parts = []
    for (school, measure), mine in last.merge(long[["upn", "measure"]].drop_duplicates(), on="upn").groupby(
        ["school_id", "measure"]
    ):
        pupils = attendance.per_pupil(mine.drop(columns="measure"))
        chosen = long[long["measure"] == measure][["upn", "outcome"]]
        parts.append(attendance.attainment_by_band(pupils, chosen).assign(school_id=school, measure=measure))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _comparators(dfe: pd.DataFrame, phase: str, la: str | None) -> dict:
    rows = comparison(dfe, phase, la).set_index("level")
    out = {"comparator_phase": phase, "comparator_period": "2025/26 year to date"}
    for level, prefix in (("National", "national"), ("Local authority", "la")):
        if level in rows.index:
            row = rows.loc[level]
            out[f"{prefix}_attendance_rate"] = float(row["attendance_perc"])
            out[f"{prefix}_absence_rate"] = float(row["overall_absence_perc"])
            out[f"{prefix}_persistent_rate"] = float(row["pa_perc"])
            out[f"{prefix}_authorised_rate"] = 100 * float(row["authorised"]) / float(row["possible"])
            out[f"{prefix}_unauthorised_rate"] = 100 * float(row["unauthorised"]) / float(row["possible"])
            if prefix == "la":
                out["la_name"] = row["la_name"]
    return out


def _reasons(mine: pd.DataFrame, school: str, dfe: pd.DataFrame, phase: str) -> pd.DataFrame:
    """Each reason's rate (its sessions over possible sessions) beside the national rate for the phase."""
    table = codes()
    counted = table[table["category"].isin(["authorised", "unauthorised"])]
    national = comparison(dfe, phase).query("level == 'National'")
    possible = float(mine["possible"].sum())
    rows = []
    for code in counted.itertuples():
        column = f"code_{code.code}"
        if column not in mine.columns:
            continue
        nat = (
            float(national[column].iloc[0]) / float(national["possible"].iloc[0])
            if column in national and len(national)
            else float("nan")
        )
        rows.append(
            {
                "school_id": school,
                "code": code.code,
                "reason": code.meaning,
                "kind": code.category,
                "sessions": int(mine[column].sum()),
                "rate": 100 * float(mine[column].sum()) / possible,
                "national_rate": 100 * nat,
            }
        )
    return pd.DataFrame(rows, columns=["school_id", "code", "reason", "kind", "sessions", "rate", "national_rate"])


def _crossing(sessions: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Pupils whose absence crossed 10% (persistent) or 50% (severe) this period: their year so far against the year
    to the term before (or, in the first term, last year)."""
    latest = years[-1]
    now_rows = sessions[sessions["academic_year"] == latest]
    present_terms = [t for t in TERMS if t in set(now_rows["term"].dropna())]
    if len(present_terms) > 1:
        before_rows = now_rows[now_rows["term"] != present_terms[-1]]
        since = f"since the end of the {present_terms[-2]} term"
    elif len(years) > 1:
        before_rows = sessions[sessions["academic_year"] == years[-2]]
        since = "since last year"
    else:
        return pd.DataFrame()
    now, before = attendance.per_pupil(now_rows), attendance.per_pupil(before_rows)
    joined = now.merge(
        before[["upn", "absence_rate", "persistent", "severe"]], on="upn", how="left", suffixes=("", "_before")
    )
    out = pd.DataFrame(
        {
            "upn": joined["upn"],
            "possible": joined["possible"],
            "absence_rate": joined["absence_rate"],
            "absence_rate_before": joined["absence_rate_before"],
            "persistent": joined["persistent"],
            "severe": joined["severe"],
        }
    )
    was_pa, was_sa = (
        joined["persistent_before"].fillna(False).astype(bool),
        joined["severe_before"].fillna(False).astype(bool),
    )
    is_pa, is_sa = joined["persistent"].fillna(False).astype(bool), joined["severe"].fillna(False).astype(bool)
    change = pd.Series("", index=joined.index, dtype="string")
    change = change.mask(is_pa & ~was_pa, "became persistently absent").mask(
        ~is_pa & was_pa, "no longer persistently absent"
    )
    change = change.mask(is_sa & ~was_sa, "became severely absent").mask(
        ~is_sa & was_sa & is_pa, "no longer severely absent"
    )
    out["change"] = change
    out["since"] = since
    return out


def facts(mine: Mine) -> dict:
    summary = mine("attendance_summary")
    if summary is None or not len(summary):
        return {"attendance_year": None}
    return {"attendance_year": int(summary["academic_year"].max())}


MAKES = {
    "attendance_summary": "the DfE's attendance measures this year so far and last year, with national and LA",
    "attendance_terms": "attendance and absence by term",
    "attendance_groups": "attendance and persistent absence by pupil group, with the gap to the rest",
    "attendance_reasons": "absence by reason (register code) beside national",
    "attendance_pupils": "each pupil's absence this year so far and before, and whether it crossed 10% or 50%",
    "attendance_what_if": "the school's rates if a group's pupils were absent no more than the national rate",
    "attendance_attainment": "last year's leavers' KS2 or GCSE results by their attendance band",
}
STAGE = Stage("attendance", needs=("attendance",), makes=MAKES, run=run, facts=facts)
