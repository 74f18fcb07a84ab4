"""The estimates report: per year group, each pupil's estimates at the chosen challenge with their chances of each band."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods.estimates import outcome_scale
from toolkit.reports import charts
from toolkit.reports.display import heading, note, show_figure, show_table
from toolkit.reports.formats import one_decimal, percent, whole
from toolkit.reports.views import School, _measures, year_label
from toolkit.scales import ks2
from toolkit.vocabulary import COMBINED, KS1_SUBJECTS, STAGE_OF_YEAR, SUBJECT_LABELS, challenge_label


def _flags(pupils: pd.DataFrame) -> pd.Series:
    parts = [
        pupils["fsm6"].fillna(False).map({True: "PP", False: ""}),
        pupils["eal"].fillna(False).map({True: "EAL", False: ""}),
        pupils["sen"].fillna("N").map({"K": "SEN", "E": "EHCP", "N": ""}),
    ]
    return pd.concat(parts, axis=1).apply(lambda r: " ".join(x for x in r if x), axis=1)


def estimates_summary(school: School, year_group: int, challenge: str = "chosen") -> pd.DataFrame:
    """Summary dashboard: per measure, pupils, % expected, % high, average estimated score (tests)."""
    stage = STAGE_OF_YEAR[year_group]
    est = school.estimates_for(year_group, challenge)
    rows = []
    for m in _measures(stage):
        if f"{m}_p_expected" not in est:
            continue
        test = stage == "ks2" and m not in COMBINED[stage] and m != "writing"
        rows.append(
            {
                "Measure": SUBJECT_LABELS[m],
                "Pupils": len(est),
                "Expected standard": 100 * est[f"{m}_p_expected"].mean(),
                "High score / greater depth": 100 * est[f"{m}_p_high"].mean(),
                "Estimated scaled score": est[f"{m}_estimate"].mean() if test else np.nan,
            }
        )
    return pd.DataFrame(rows)


def subject_dashboard(school: School, year_group: int, subject: str, challenge: str = "chosen") -> pd.DataFrame:
    """Pupil rows as in seed 000: prior attainment, chance of each main band, risk of a lower band, the band containing the estimate,
    chance of a higher band, estimated score with its interval, HML and flags."""
    stage = STAGE_OF_YEAR[year_group]
    pupils = school.year_pupils(year_group)
    est = school.estimates_for(year_group, challenge)
    sc = outcome_scale(stage, subject)
    out = pd.DataFrame({"Pupil": pupils["forename"] + " " + pupils["surname"], "Flags": _flags(pupils)})
    if stage == "ks2":
        out.insert(1, "HML", school.labels_for(pupils)["Prior attainment"].str[0].fillna(""))
        for s in KS1_SUBJECTS:
            out[f"KS1 {s[0].upper()}"] = pupils[f"ks1_{s}"].fillna("")
    else:
        areas = school.eyfs_areas(year_group)
        for area, short in (
            ("communication_language", "LANG"),
            ("literacy", "LIT"),
            ("maths", "MAT"),
            ("personal_social_emotional", "PSE"),
        ):
            if area in areas:
                out[short] = areas[area].to_numpy()
    four = ks2.four_band(pd.Series(sc.bands)).tolist() if len(sc.bands) > 4 else list(sc.bands)
    for band in ("B", "W", "N", "A"):
        cols = [f"{subject}_p_{b}" for b, f4 in zip(sc.bands, four) if f4 == band]
        out[f"Chance {band}"] = 100 * est[cols].sum(axis=1).to_numpy()
    out["Risk of lower band"] = 100 * est[f"{subject}_p_lower"].to_numpy()
    out["FFT band (contains the estimate)"] = est[f"{subject}_band"].to_numpy()
    out["Chance of higher band"] = 100 * est[f"{subject}_p_higher"].to_numpy()
    if stage == "ks2" and subject != "writing":
        e, lo, hi = (est[f"{subject}_{c}"].to_numpy() for c in ("estimate", "estimate_low", "estimate_high"))
        out["Estimated score"] = [
            f"{a:.0f} (±{(h - l) / 2:.0f})" if not np.isnan(a) else "" for a, l, h in zip(e, lo, hi)
        ]
    return out


ESTIMATE_FORMATS = {
    "Pupils": whole,
    "Expected standard": percent,
    "High score / greater depth": percent,
    "Estimated scaled score": one_decimal,
}


def estimates_report(school: School, year_groups: list[int], challenge: str = "chosen") -> None:
    """Each year group's summary dashboard (seed 000) and one chart of them all; the pupil rows (subject
    dashboards) are in the per-pupil appendix."""
    # what the columns mean first: left to the end, the notes spilled onto a page of their own
    note(
        "Expected standard: the average of pupils' chances of reaching it (the estimated % of the year group); "
        "higher standard (writing: greater depth) likewise; estimated scaled score: the average estimate, tests only. "
        "Each pupil's chances, band and estimate, subject by subject, are in the per-pupil appendix (PDF and "
        "spreadsheet). Method: docs/methodology.md."
    )
    own_past_note(school)
    shown = []
    for yg in year_groups:
        heading(year_label(school, yg), 3)
        if school.year_pupils(yg).empty or school.estimates_for(yg, challenge).empty:
            note("No pupils with estimates in this year group.")
            continue
        table = estimates_summary(school, yg, challenge)
        show_table(table.dropna(axis=1, how="all"), ESTIMATE_FORMATS)
        prior_note(school, yg, challenge)
        shown.append(table.assign(year=f"Year {yg}"))
    if shown:
        both = pd.concat(shown, ignore_index=True)
        level = challenge_label(school.info.get("challenge", "FFT50"))
        show_figure(charts.estimates_by_year(both, f"% estimated to reach the expected standard ({level})"))


def prior_note(school: School, year_group: int, challenge: str = "chosen") -> None:
    """Say which prior attainment the year group's estimates come from, where that is not KS1."""
    est = school.estimates_for(year_group, challenge)
    if "prior" in est and STAGE_OF_YEAR.get(year_group) == "ks2":
        eyfs, none = int((est["prior"] == "eyfs").sum()), int((est["prior"] == "none").sum())
        if eyfs:
            note(
                f"{eyfs} pupil(s) in this year group have no KS1 result (KS1 has been optional since 2023/24): their "
                "estimates come from their EYFS profile, with a model fitted on the synthetic national cohort (no "
                "real national cohort has both the EYFS profile and KS2 results before 2028)."
            )
        if none:
            note(
                f"{none} pupil(s) have neither KS1 nor EYFS results: their estimates use gender and month of birth only."
            )


def own_past_note(school: School) -> None:
    """Which years the school's own past progress (a challenge level) comes from."""
    years = sorted(set((school.info.get("own_past_years") or {}).values()))
    if years:
        note(
            "Own past progress: the school's value added in KS2 "
            + "; ".join(years)
            + " (the three most recent cohorts with a KS1 baseline, weighted 3:2:1)."
        )
