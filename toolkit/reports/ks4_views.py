"""What the KS4 reports show (notebooks/ks4_results.ipynb, notebooks/ks4_estimates.ipynb). Everything was computed
once for all schools by ``prepare`` (``toolkit.methods.ks4``, ``toolkit.methods.ks4_estimates``); this module
selects, compares with the DfE's published national figures and formats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods import groups as group_method
from toolkit.methods import ks4, ks4_estimates, policy
from toolkit.reports import charts
from toolkit.reports.display import heading, note, show_figure, show_table
from toolkit.reports.formats import (
    difference_in_units,
    marked,
    one_decimal,
    percent,
    signed,
    signed_one_decimal,
    significance,
    whole,
)
from toolkit.reports.headings import headed
from toolkit.reports.ks4_estimate_views import EM, show_a8_estimates, subject_estimates, year_groups
from toolkit.reports.views import School, smallest_group
from toolkit.scales import gcse
from toolkit.vocabulary import academic_year

HEADLINES = {
    "a8": "Attainment 8 (average)",
    "pct_eng_maths_4": "% English and maths 9-4",
    "pct_eng_maths_5": "% English and maths 9-5",
    "pct_ebacc_entered": "% entering the EBacc",
    "pct_ebacc_4": "% EBacc 9-4",
    "pct_ebacc_5": "% EBacc 9-5",
}


ELEMENT_LABELS = {
    "p8": "Progress 8",
    "p8_english": "English element",
    "p8_maths": "Maths element",
    "p8_ebacc": "EBacc element",
    "p8_open": "Open element",
}


P8_FORMATS = {"Score": signed, "95% CI low": signed, "95% CI high": signed, "Pupils": whole, "Significance": marked}


# ----------------------------------------------------------------------------------------------- results
def _scores(school: School) -> pd.DataFrame:
    return school.table("ks4_scores").sort_values("academic_year")


def _pupils(school: School, year: int | None = None) -> pd.DataFrame:
    p = school.table("ks4_pupils")
    return p if year is None else p[p["academic_year"].astype(int) == year].reset_index(drop=True)


def official_years(school: School) -> list[int]:
    """The past Year 11s with an official Progress 8 (the policy calendar)."""
    return [y for y in school.info.get("ks4_years") or [] if policy.status(policy.PROGRESS_8, y).has_baseline]


def compared_year(school: School) -> int:
    """The year subjects and the transition matrix are shown for: the latest Year 11 whose pupils mostly have KS2
    results (they are compared by KS2 group), else the latest."""
    years = school.info["ks4_years"]
    with_ks2 = [y for y in years if _pupils(school, y)["ks2_prior"].notna().mean() >= 0.5]
    return max(with_ks2) if with_ks2 else max(years)


def measure_years(school: School) -> pd.DataFrame:
    """Which years have Progress 8: per past Year 11, pupils, pupils with a KS2 baseline, status and reason."""
    rows = []
    for year in school.info.get("ks4_years") or []:
        p = _pupils(school, year)
        entry = policy.status(policy.PROGRESS_8, year)
        rows.append(
            {
                "Year 11 of": f"{year - 1}/{str(year)[2:]}",
                "Pupils": len(p),
                "With a KS2 baseline": int(p["ks2_prior"].notna().sum()),
                "Progress 8": ks4.p8_label(year),
                "Why": entry.reason if not entry.has_baseline else f"baseline: {entry.baseline}",
            }
        )
    return pd.DataFrame(rows)


EBACC_ACHIEVED = ("pct_ebacc_4", "pct_ebacc_5")


def ebacc_withdrawn(years) -> list[int]:
    """Those of ``years`` in which the DfE has no EBacc measures (withdrawn from 2026: the policy calendar)."""
    return [int(y) for y in years if not policy.status(policy.EBACC, int(y)).has_baseline]


def headline_table(school: School) -> pd.DataFrame:
    """Each headline measure for every past Year 11 beside the published national figure. In a year without the
    EBacc measures, EBacc achievement is left out and entry is a curriculum figure (its label says so when the
    latest year is such a year)."""
    scores = _scores(school)
    national = ks4.national_figures().set_index("breakdown").loc["Total"]
    a8 = float(gcse.ks4_parameters()["national_a8"])
    withdrawn = ebacc_withdrawn(scores["academic_year"])
    out = pd.DataFrame({"Measure": list(HEADLINES.values())})
    for row in scores.itertuples():
        year = int(row.academic_year)
        out[str(year)] = [
            float("nan") if year in withdrawn and m in EBACC_ACHIEVED else getattr(row, m) for m in HEADLINES
        ]
    out["National"] = [a8 if m == "a8" else national[m] for m in HEADLINES]
    p = gcse.ks4_parameters()
    out["National year"] = [
        academic_year(p["national_a8_year"] if m == "a8" else p["national_year"]) for m in HEADLINES
    ]
    latest = int(scores["academic_year"].max())
    # the difference of the two figures as printed, in its unit (A8 in points, the rest in percentage points)
    out["Difference"] = [
        difference_in_units(mine, nat, in_points=m == "a8")
        for m, mine, nat in zip(HEADLINES, out[str(latest)], out["National"])
    ]
    if latest in withdrawn:
        out.loc[list(HEADLINES).index("pct_ebacc_entered"), "Measure"] += " (curriculum figure)"
    return out


def capped_note(school: School, year: int) -> str:
    """How many pupils' extremely negative P8 counted at the DfE's minimum in ``year`` (the words, or "")."""
    row = _scores(school).set_index("academic_year").loc[year]
    capped = int(row.get("p8_capped", 0) or 0)
    if not capped:
        return "No pupil's score was below the DfE's minimum for extremely negative scores."
    return (
        f"{capped} {'pupil' if capped == 1 else 'pupils'} had a Progress 8 below the DfE's minimum for extremely "
        "negative scores: in the school's Progress 8 they count at the minimum, as the DfE counts them (their own "
        "scores are unchanged)."
    )


def p8_table(school: School, year: int) -> pd.DataFrame:
    """Progress 8 and its elements with 95% confidence intervals for one official year."""
    row = _scores(school).set_index("academic_year").loc[year]
    return pd.DataFrame(
        [
            {
                "Measure": label,
                "Score": row[m],
                "95% CI low": row[f"{m}_low"],
                "95% CI high": row[f"{m}_high"],
                "Pupils": row["p8_pupils"],
                "Significance": significance(row[f"{m}_low"], row[f"{m}_high"], " national"),
            }
            for m, label in ELEMENT_LABELS.items()
        ]
    )


def suppressed(fmt):
    """A format that writes a suppressed (missing) value as "x", the DfE's symbol for a figure not shown."""
    return lambda v: "x" if pd.isna(v) else fmt(v)


def subject_residuals(school: School, year: int) -> pd.DataFrame:
    """Per subject: entries, the school's average grade, the national average grade of pupils in the same KS2
    groups (the DfE's transition matrices) and the difference (the subject residual, in grades)."""
    pupils = _pupils(school, year)
    groups = pd.Series(ks4_estimates.ks2_group(pupils["ks2_prior"]).to_numpy(), index=pupils["upn"])
    results = school.table("ks4_results")
    results = results[results["academic_year"].astype(int) == year]
    scored = ks4_estimates.expected_grades(results, groups)
    scored = scored[scored["subject"] != "Other approved qualifications"]
    g = scored.groupby("subject")
    out = pd.DataFrame({"Entries": g.size(), "School": g["points"].mean(), "National": g["expected"].mean()})
    out["Residual (grades)"] = out["School"] - out["National"]
    # a subject with fewer entries than the smallest group the reports judge is suppressed, as the DfE suppresses
    # small numbers: its entries are shown, its grades are not
    small = out["Entries"] < smallest_group()
    out.loc[small, ["School", "National", "Residual (grades)"]] = np.nan
    out = out.reset_index().rename(columns={"subject": "Subject"})
    return out.sort_values(["Entries", "Subject"], ascending=[False, True]).reset_index(drop=True)


def disadvantaged_table(school: School, year: int) -> pd.DataFrame:
    """``ks4.disadvantaged_comparison`` of a year's pupils, as the report shows it."""
    out = ks4.disadvantaged_comparison(_pupils(school, year), ks4.national_figures())
    return pd.DataFrame(
        {
            "Measure": out["measure"].map({**HEADLINES, "p8": "Progress 8"}),
            "Pupils (disadvantaged)": out["disadvantaged_pupils"],
            "Disadvantaged": out["disadvantaged"],
            "All pupils": out["all"],
            "Other pupils": out["other"],
            "National other pupils": out["national_other"],
            "National disadvantaged": out["national_disadvantaged"],
        }
    )


def transition_table(school: School, year: int, subject: str) -> pd.DataFrame:
    """The school's transition matrix for one subject beside the national one: per KS2 group, pupils, % at 9-4 and
    9-5 in the school and nationally."""
    pupils = _pupils(school, year)
    groups = pd.Series(ks4_estimates.ks2_group(pupils["ks2_prior"]).to_numpy(), index=pupils["upn"])
    results = school.table("ks4_results")
    results = results[(results["academic_year"].astype(int) == year) & (results["subject"] == subject)]
    scored = ks4_estimates.expected_grades(results, groups)
    dist = ks4_estimates.distributions([subject])
    order = list(ks4_estimates.transition_groups()["ks2_group"])
    rows = []
    for group in order:
        mine = scored[scored["ks2_group"] == group]
        if mine.empty:
            continue
        shares = dist[(group, subject)]
        rows.append(
            {
                "KS2 group": group,
                "Pupils": len(mine),
                "School 9-4": 100 * (mine["points"] >= 4).mean(),
                "National 9-4": 100 * shares[4:].sum(),
                "School 9-5": 100 * (mine["points"] >= 5).mean(),
                "National 9-5": 100 * shares[5:].sum(),
            }
        )
    return pd.DataFrame(rows)


def group_table(school: School, year: int) -> pd.DataFrame:
    """A8 (and P8 in an official year) by pupil group, with the gap to the rest of the year group."""
    p = _pupils(school, year)
    labels = school.table("ks4_groups").set_index("upn").reindex(p["upn"]).reset_index(drop=True)
    labels = labels[list(group_method.GROUPS)]
    columns = ["a8", "eng_maths_4"] + (["p8"] if p["p8"].notna().any() else [])
    values = p[columns].astype(float)
    values["eng_maths_4"] *= 100
    table = group_method.breakdown(values, p, columns, labels)
    table = table[table["pupils"] > 0]
    out = table.pipe(
        headed,
        {
            "a8": "A8",
            "gap_a8": "A8 gap",
            "eng_maths_4": "% E&M 9-4",
            "gap_eng_maths_4": "E&M gap",
            "p8": "P8",
            "gap_p8": "P8 gap",
        },
    )
    keep = ["Group", "Pupils in", "Pupils", "A8", "A8 gap", "% E&M 9-4", "E&M gap"] + (
        ["P8", "P8 gap"] if "P8" in out else []
    )
    return out[keep]


def proposal_table(school: School) -> pd.DataFrame:
    """Per past Year 11: Attainment 8 now and under the reform proposed for consultation (``ks4.proposal_what_if``),
    the difference, how many pupils it lowers and raises, and how many have a slot nothing fills."""
    p = _pupils(school)
    if "a8_proposal" not in p or p["a8_proposal"].isna().all():
        return pd.DataFrame()
    rows = []
    for year, g in p.groupby(p["academic_year"].astype(int)):
        change = g["a8_proposal"] - g["a8"]
        rows.append(
            {
                "Year": str(year),
                "Pupils": len(g),
                "A8 now": g["a8"].mean(),
                "A8 as proposed": g["a8_proposal"].mean(),
                "Difference (points)": change.mean(),
                "Pupils lower as proposed": int((change < 0).sum()),
                "Pupils higher as proposed": int((change > 0).sum()),
                "Pupils with an empty slot now": int((g["empty_slots"] > 0).sum()),
                "Pupils with an empty slot as proposed": int((g["empty_slots_proposal"] > 0).sum()),
            }
        )
    return pd.DataFrame(rows)


def show_proposal(school: School) -> None:
    """The what-if of the reformed Attainment 8 proposed for consultation, labelled as such."""
    from toolkit.methods import attainment8

    table = proposal_table(school)
    if table.empty:
        return
    proposal = attainment8.structure(gcse.ks4_parameters()["attainment8_proposal"])
    heading(f"What if: Attainment 8 as proposed ({proposal.status})", 2, new_page=True)
    counts = {c: whole for c in table.columns if c.startswith("Pupils")}
    show_table(
        table,
        {
            "Year": str,
            **counts,
            "A8 now": one_decimal,
            "A8 as proposed": one_decimal,
            "Difference (points)": signed_one_decimal,
        },
    )
    elements = ", ".join(
        f"{e.label} {e.slots} slot{'s' if e.slots > 1 else ''}" + (" counting twice" if e.weight > 1 else "")
        for e in proposal.elements
    )
    breadth = next((e for e in proposal.elements if e.categories), None)
    note(
        f"A what-if, not an accountability measure: the DfE has proposed a reformed Attainment 8 for consultation "
        f"({elements}"
        + (
            f"; the {breadth.label} slots must include a subject from at least {breadth.at_least} of "
            f"{', '.join(breadth.category_labels)}, and a slot reserved for a missing one stays empty"
            if breadth
            else ""
        )
        + "). Each pupil's results are scored both ways, in points (maximum 90 both ways). No Progress 8 model "
        "exists for the proposal, so none is shown. An empty slot: one that none of the pupil's qualifications can "
        f"fill (it scores 0). Source: {proposal.source}"
    )


def ks4_results_report(school: School) -> None:
    years = school.info.get("ks4_years") or []
    if not years:
        note("No KS4 results: the report needs ks4_<year>.csv and gcse_<year>.csv files.")
        return
    latest = max(years)
    heading("Which years have Progress 8", 2)
    show_table(measure_years(school), {"Pupils": whole, "With a KS2 baseline": whole})
    note(
        "Progress 8 needs KS2 test results as the baseline: the pupils who finished Year 11 in 2025 and 2026 took no "
        "KS2 tests (2020 and 2021 were cancelled), so the DfE publishes no Progress 8 for them and nor does this "
        "report. Attainment 8 and English and maths are reported every year."
    )
    withdrawn = ebacc_withdrawn(years)
    heading("Headline measures", 2)
    show_table(
        headline_table(school),
        {
            "Measure": str,
            **{str(y): one_decimal for y in years},
            "National": one_decimal,
        },
    )
    note(
        f"National: all state-funded schools in England, of the year shown beside it (the DfE's 2023/24 revised "
        f"transition matrices; Attainment 8 {gcse.ks4_parameters()['national_a8_source']}). Difference: {latest} minus national, in points (A8) or percentage "
        "points. Attainment 8: the pupil's best eight qualifications in the DfE's slots, English and maths counting "
        "twice (points 9 to 1, U 0; maximum 90)."
        + (
            f" EBacc: {policy.status(policy.EBACC, max(withdrawn)).reason} ({', '.join(map(str, withdrawn))}: EBacc "
            "achievement is not reported; entry is shown as a curriculum figure, not an accountability measure)."
            if withdrawn
            else ""
        )
    )
    official = official_years(school)
    if official:
        year = max(official)
        heading(f"Progress 8 {year} ({ks4.p8_label(year)})", 2)
        table = p8_table(school, year)
        show_table(table, P8_FORMATS)
        chart = table.rename(columns={"Measure": "subject", "Score": "score"}).assign(
            ci_low=table["95% CI low"], ci_high=table["95% CI high"]
        )
        show_figure(charts.va_intervals(chart, f"Progress 8 {year} with 95% confidence intervals", "grades per slot"))
        note(
            f"Progress 8 on the DfE's published {gcse.ks4_parameters()['model_year'] - 1}/{str(gcse.ks4_parameters()['model_year'])[2:]} "
            f"model ({ks4.model_file()}): each pupil's Attainment 8 minus the national "
            "average of pupils with the same KS2 prior attainment, divided by 10; elements likewise (English and "
            "maths / 2, EBacc and open / 3). Intervals from the DfE's published pupil-level standard deviations. "
            + (f"The latest year, {latest}, has no official Progress 8 (see above). " if latest not in official else "")
            + capped_note(school, year)
        )
    compared = compared_year(school)
    heading(f"Subjects {compared}: grades against similar pupils nationally", 2, new_page=True)
    if compared != latest:
        note(
            f"Shown for {compared}, the latest Year 11 with KS2 results: the later years' pupils have no KS2 group to "
            "compare them by."
        )
    show_table(
        subject_residuals(school, compared),
        {
            "Entries": whole,
            "School": suppressed(one_decimal),
            "National": suppressed(one_decimal),
            "Residual (grades)": suppressed(signed),
        },
    )
    note(
        f"x: fewer than {smallest_group()} entries, not shown (too few to compare, as the DfE suppresses small "
        "numbers). National: the average grade in that subject of pupils nationally with the same KS2 scaled-score group (the "
        "DfE's 2023/24 transition matrices), averaged over the school's entries. Residual: the school's average "
        "grade minus that, in grades (+0.5 is half a grade higher than similar pupils nationally). Combined science "
        "counts as the average of its two grades."
    )
    heading(f"Disadvantaged pupils {latest}", 2)
    show_table(
        disadvantaged_table(school, latest),
        {
            "Pupils (disadvantaged)": whole,
            **{c: one_decimal for c in ("Disadvantaged", "All pupils", "Other pupils")},
            "National other pupils": one_decimal,
            "National disadvantaged": one_decimal,
        },
    )
    note(
        "Disadvantaged: free school meals in the last six years, looked after or adopted from care. The DfE compares "
        "them with other pupils nationally (the 'switch comparator'), not with the school's own other pupils. "
        "Percentages in %, Attainment 8 in points, Progress 8 in grades per slot. National columns: the DfE's "
        "2023/24 transition matrices, which publish percentages only (no Attainment 8 or Progress 8 by group)."
    )
    heading(f"Transition matrix {compared}: KS2 group to GCSE", 2, new_page=True)
    for subject in EM:
        table = transition_table(school, compared, subject)
        if len(table):
            show_table(table, {"Pupils": whole, **{c: percent for c in table.columns[2:]}}, caption=subject)
    note(
        "Per KS2 scaled-score group (the average of reading and maths), the % of the school's pupils at grade 4 or "
        "above and 5 or above beside the national % (the DfE's 2023/24 transition matrices)."
    )
    heading(f"Pupil groups {latest}", 2)
    table = group_table(school, latest)
    show_table(
        table,
        {
            "Pupils": whole,
            "A8": one_decimal,
            "A8 gap": signed_one_decimal,
            "% E&M 9-4": percent,
            "E&M gap": signed_one_decimal,
            "P8": signed,
            "P8 gap": signed,
        },
        long=True,
    )
    note(
        "Gap: the group's figure minus the rest of the year group's (A8 in points, E&M in percentage points, P8 in "
        "grades per slot). Prior attainment: KS2 average below 100 (lower), 100-109.5 (middle), 110 or more "
        "(higher). Groups of fewer than 5 pupils vary a great deal by chance."
    )
    show_proposal(school)


# ----------------------------------------------------------------------------------------------- summary
def summary(school: School) -> None:
    """A secondary school's one-page summary: the latest Year 11 against national, the latest official Progress 8,
    disadvantaged pupils against the switch comparator, Year 11's estimates, and areas to look at."""
    years = school.info.get("ks4_years") or []
    areas = []
    if years:
        latest = max(years)
        heading(f"Attainment: Year 11 of {latest} against national", 3)
        table = headline_table(school)
        if ebacc_withdrawn([latest]):  # no EBacc achievement that year: its rows would hold the national figure only
            table = table[~pd.Series(list(HEADLINES)).isin(EBACC_ACHIEVED).to_numpy()]
        show_table(
            table[["Measure", str(latest), "National", "National year", "Difference"]],
            {str(latest): one_decimal, "National": one_decimal},
        )
        if ebacc_withdrawn([latest]):
            note(f"EBacc {latest}: {policy.status(policy.EBACC, latest).reason}.")
        official = official_years(school)
        if official:
            year = max(official)
            p8 = p8_table(school, year)
            heading(f"Progress 8: {year} ({ks4.p8_label(year)})", 3)
            show_table(p8, P8_FORMATS)
            if latest != year:
                note(f"{latest} has no Progress 8: {policy.status(policy.PROGRESS_8, latest).reason}.")
            for row in p8.itertuples():
                if row.Significance != "in line with national":
                    areas.append(f"{row.Measure} {year} was {row.Significance} ({row.Score:+.2f}).")
        dis = disadvantaged_table(school, latest).set_index("Measure")
        em = dis.loc[HEADLINES["pct_eng_maths_4"]]
        gap = em["Disadvantaged"] - em["National other pupils"]
        if int(em["Pupils (disadvantaged)"]) >= 5:
            areas.append(
                f"Disadvantaged pupils {latest}: {em['Disadvantaged']:.0f}% English and maths 9-4 against "
                f"{em['National other pupils']:.0f}% of other pupils nationally ({gap:+.0f} percentage points)."
            )
        compared = compared_year(school)
        if _pupils(school, compared)["ks2_prior"].notna().mean() >= 0.5:
            residuals = subject_residuals(school, compared)
            low = residuals[residuals["Entries"] >= 10].nsmallest(2, "Residual (grades)")
            for _, row in low.iterrows():
                if row["Residual (grades)"] < -0.25:
                    areas.append(
                        f"{row['Subject']} {compared}: {row['Residual (grades)']:+.1f} grades against similar "
                        f"pupils nationally ({row['Entries']} entries)."
                    )
    if school.info.get("ks4_estimates"):
        heading("Years 7-11 this year: estimated Attainment 8", 3)
        show_a8_estimates(school)
        yg = max(year_groups(school))
        subjects = subject_estimates(school, yg)
        if "Unlikely" in subjects:
            unlikely, targets = int(subjects["Unlikely"].sum()), int(subjects["Targets"].sum())
            if targets:
                areas.append(
                    f"Year {yg}: {unlikely} of {targets} GCSE targets ({100 * unlikely / targets:.0f}%) look unlikely "
                    "at the school's challenge level (KS4 estimates and targets; each in the appendix)."
                )
    heading("Areas to look at", 3)
    for sentence in areas or ["Nothing stands out from the national comparisons."]:
        note("• " + sentence)
