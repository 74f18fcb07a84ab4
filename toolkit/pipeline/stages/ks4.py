"""KS4: every past Year 11 scored as the DfE does for its year, and estimates of Years 7-11 with targets beside them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods import challenge, ks4, ks4_estimates
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_pupils, of_schools
from toolkit.pipeline.stages.roll import labels
from toolkit.vocabulary import OWN, named_challenges, year_group_number

CHARACTERISTICS = ("upn", "gender", "fsm6", "fsm", "eal", "sen", "dob", "year_group", "forename", "surname")


def score_years(years: dict[int, tuple[pd.DataFrame, pd.DataFrame]]) -> tuple[pd.DataFrame, ...]:
    """Every past Year 11 scored as the DfE does for its year (the policy calendar: no P8 for 2025 and 2026):
    pupils (with characteristics, and Attainment 8 under the reform proposed for consultation), school measures and
    results, each with ``academic_year``."""
    pupils, schools, results = [], [], []
    for year, (cohort, gcse) in sorted(years.items()):
        scored, school_scores, _ = ks4.score_cohort(cohort, gcse, year)
        keep = [c for c in CHARACTERISTICS if c in cohort]
        proposal = ks4.proposal_what_if(gcse, cohort["upn"]).drop(columns="a8")
        scored = scored.merge(proposal, on="upn", how="left")
        pupils.append(scored.merge(cohort[keep], on="upn", how="left").assign(academic_year=year))
        schools.append(school_scores.assign(academic_year=year))
        results.append(gcse.assign(academic_year=year))
    if not pupils:
        return pd.DataFrame(), pd.DataFrame(columns=["school_id", "p8", "academic_year"]), pd.DataFrame()
    return pd.concat(pupils, ignore_index=True), pd.concat(schools, ignore_index=True), pd.concat(results)


def estimates(given: Given, current: pd.DataFrame, own: pd.DataFrame) -> dict[str, SliceTable]:
    """Estimates of Years 7-11 at FFT50, FFT20, FFT5, own past progress and the chosen challenge (saved settings per
    year group and subject; the key "Attainment 8" for A8 and P8), with targets beside the chosen estimates."""
    targets, settings, chosen = given.loaded.ks4_targets, given.loaded.settings, given.challenge
    # Years 10-11 have chosen their options: their targets name their subjects; the core for everyone else
    chosen_options = set(targets["upn"]) if targets is not None else set()
    options_year = year_group_number(current["year_group"]) >= 10
    core_pupils = current.loc[~(options_year & current["upn"].isin(chosen_options)), "upn"]
    core = pd.DataFrame(
        [(u, s) for u in core_pupils for s in ks4_estimates.core_subjects()], columns=["upn", "subject"]
    )
    subjects = pd.concat([core, targets[["upn", "subject"]]] if targets is not None else [core]).drop_duplicates()
    subjects = subjects[subjects["upn"].isin(set(current["upn"]))]
    own_by_pupil = current["school_id"].map(own.set_index("school_id")["percentile"]).astype(float).to_numpy()
    has_own = not np.isnan(own_by_pupil).all()
    levels: dict[str, object] = dict(named_challenges())
    levels[OWN] = own_by_pupil if not np.isnan(own_by_pupil).any() else None
    default = "FFT50" if chosen.own and not has_own else chosen
    names = tuple(sorted(set(subjects["subject"]))) + ("Attainment 8",)
    own_dict = {s: np.nan_to_num(own_by_pupil, nan=50.0) for s in names} if has_own else None
    per_subject = challenge.per_pupil(settings, current, names, default, own_dict)
    levels["chosen"] = per_subject
    est = ks4_estimates.estimates(current, subjects, levels)
    attainment = ks4_estimates.attainment_estimates(current, {**levels, "chosen": per_subject["Attainment 8"]})
    tables = {
        "ks4_current": of_schools(current, when="ks4_current"),
        "ks4_estimates": of_pupils(est, current, when="ks4_current"),
        "ks4_attainment": of_pupils(attainment, current, when="ks4_current"),
    }
    if targets is not None:
        beside = ks4_estimates.targets_against_estimates(
            targets[["upn", "subject", "target"]], est[est["challenge"] == "chosen"]
        )
        tables["ks4_targets"] = of_pupils(beside, current, when="ks4_current")
    tables["ks4_current_groups"] = labels(current, when="ks4_current")
    return tables


def run(given: Given) -> dict[str, SliceTable]:
    pupils = given.loaded.pupils
    current = pupils[year_group_number(pupils["year_group"]).between(7, 11)].reset_index(drop=True)
    if not given.loaded.ks4 and current.empty:
        return {}
    scored, schools, results = score_years(given.loaded.ks4)
    own = ks4_estimates.own_past_progress(schools)
    tables = {"ks4_own_past_progress": of_schools(own, written=False)}
    if len(schools):
        tables |= {
            "ks4_pupils": of_schools(scored, when="ks4_scores"),
            "ks4_scores": of_schools(schools, when="ks4_scores"),
            "ks4_results": of_pupils(results, scored, when="ks4_scores"),
            "ks4_groups": labels(scored, when="ks4_scores"),
        }
    has_ks2 = [c for c in ("ks2_reading", "ks2_maths") if c in current]
    if current.empty or not has_ks2 or current[has_ks2].isna().all().all():
        return tables
    return tables | estimates(given, current, own)


def facts(mine: Mine) -> dict:
    own = mine("ks4_own_past_progress")
    if own is None:  # no KS4 anywhere in the run
        return {"ks4_years": [], "ks4_estimates": False}
    scores, current = mine("ks4_scores"), mine("ks4_current")
    return {
        "ks4_years": [] if scores is None else sorted(int(y) for y in scores["academic_year"]),
        "ks4_estimates": bool(current is not None and len(current)),
        "ks4_own_past_progress": None
        if own.empty
        else {
            "p8": float(own["p8"].iloc[0]),
            "years": own["years"].iloc[0],
            "percentile": float(own["percentile"].iloc[0]),
        },
    }


MAKES = {
    "ks4_pupils": "past Year 11 pupils scored: Attainment 8, Progress 8 (official years), EBacc, English and maths",
    "ks4_scores": "school KS4 measures per year with Progress 8 intervals",
    "ks4_results": "past Year 11 GCSE results",
    "ks4_groups": "pupil-group labels of past Year 11 pupils",
    "ks4_current": "Years 7-11 on roll with KS2 results",
    "ks4_estimates": "Years 7-11 GCSE grade estimates per subject and challenge (long)",
    "ks4_attainment": "Years 7-11 estimated Attainment 8 and Progress 8 per challenge",
    "ks4_current_groups": "pupil-group labels of Years 7-11",
    "ks4_targets": "Years 7-11 GCSE targets beside the chosen estimates",
}
STAGE = Stage("ks4", needs=("pupils", "ks4", "ks4_targets", "settings"), makes=MAKES, run=run, facts=facts)
