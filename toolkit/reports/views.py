"""What each report shows, section by section. Notebooks call these after ``load``; nothing here computes
methodology (that was done once for all schools by ``prepare``): it selects the school's slice, aggregates and
formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.methods import attainment, policy
from toolkit.methods.estimates import outcome_scale
from toolkit.methods.groups import GROUPS, target_gaps, va_by_group
from toolkit.methods.targets import aggregate_targets, review_counts, review_targets, target_parameters
from toolkit.methods.value_added import ks1_prior_attainment, pag_table
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue, charts, glossary
from toolkit.reports.display import (
    heading,
    note,
    one_decimal,
    percent,
    show_figure,
    show_table,
    signed,
    signed_one_decimal,
    signed_percent,
    theme,
    title_block,
    whole,
)
from toolkit.scales import eyfs, ks2
from toolkit.vocabulary import (
    COMBINED,
    KS1_SUBJECTS,
    KS2_SUBJECTS,
    STAGE_OF_YEAR,
    SUBJECT_LABELS,
    challenge_label,
    year_group_number,
)

CHALLENGE_COLUMNS = {
    "FFT50": "FFT50 (average)",
    "FFT20": "FFT20 (high)",
    "FFT5": "FFT5 (very high)",
    "own_past_progress": "Own past progress",
}


@dataclass
class School:
    """One school's slice of a prepared run."""

    info: dict
    national: dict
    pupils: pd.DataFrame
    estimates: dict[str, pd.DataFrame] = field(default_factory=dict)  # stage -> long table with `challenge`
    past: dict[int, pd.DataFrame] = field(default_factory=dict)
    va_pupils: pd.DataFrame | None = None
    va_scores: pd.DataFrame | None = None
    headline: pd.DataFrame | None = None
    pag_means: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None  # pupil_groups of current pupils (+ upn)
    past_groups: dict[int, pd.DataFrame] = field(default_factory=dict)
    ks5: dict[str, pd.DataFrame] = field(default_factory=dict)  # entries, attainment, progress, scores
    ks5_national: pd.DataFrame | None = None  # the KS5 reference cohort's attainment
    run: PreparedRun | None = None

    def table(self, name: str) -> pd.DataFrame:
        """A further table of the school's slice (declared by the stage that makes it: ``store.declared``), read when a report asks for it."""
        return self.run.table(self.info["school_id"], name)

    def eyfs_areas(self, year_group: int) -> pd.DataFrame:
        """EYFS area scores of a year group's pupils (computed once per year group)."""

        def make() -> pd.DataFrame:
            pupils = self.year_pupils(year_group)
            has = all(c in pupils for c in eyfs.goal_columns())
            return eyfs.area_scores(pupils) if has else pd.DataFrame(index=pupils.index)

        return self._once(("eyfs", year_group), make)

    def labels_for(self, pupils: pd.DataFrame, year: int | None = None) -> pd.DataFrame:
        """Group labels (``toolkit.methods.groups.GROUPS`` columns) of ``pupils``, from the prepared slice."""
        source = self.groups if year is None else self.past_groups[year]
        return (
            source.set_index("upn").reindex(pupils["upn"]).reset_index(drop=True).set_axis(pupils.index)[list(GROUPS)]
        )

    @property
    def name(self) -> str:
        return f"{self.info.get('school_name')} ({self.info.get('school_id')})"

    def names(self) -> pd.Series:
        """UPN -> "Forename Surname" for current and past pupils of this school."""
        frames = [self.pupils] + list(self.past.values())
        allp = pd.concat([f[["upn", "forename", "surname"]] for f in frames], ignore_index=True).drop_duplicates("upn")
        return pd.Series((allp["forename"] + " " + allp["surname"]).to_numpy(), index=allp["upn"].to_numpy())

    def _once(self, key: tuple, make) -> pd.DataFrame:
        """``make()``, worked out once per school and key; each caller gets its own frame (copy-on-write: a column
        a caller adds is its own)."""
        cache = self.__dict__.setdefault("_frames", {})
        if key not in cache:
            cache[key] = make()
        return cache[key].copy(deep=False)

    def year_pupils(self, year_group: int) -> pd.DataFrame:
        return self._once(
            ("year", year_group),
            lambda: self.pupils[year_group_number(self.pupils["year_group"]) == year_group].reset_index(drop=True),
        )

    def estimates_for(self, year_group: int, challenge: str) -> pd.DataFrame:
        """Estimates of a year group's pupils at ``challenge`` (a label: FFT50, FFT20, FFT5, own_past_progress,
        chosen), in the order of ``year_pupils``."""

        def make() -> pd.DataFrame:
            est = self.estimates.get(STAGE_OF_YEAR[year_group])
            if est is None:
                return pd.DataFrame()
            est = est[est["challenge"] == challenge].set_index("upn")
            return est.reindex(self.year_pupils(year_group)["upn"]).reset_index()

        return self._once(("estimates", year_group, challenge), make)

    def challenge_estimates(self, year_group: int) -> dict[str, pd.DataFrame]:
        out = {}
        for label in ("FFT50", "FFT20", "FFT5", "own_past_progress"):
            e = self.estimates_for(year_group, label)
            if len(e) and e.drop(columns=["upn", "challenge"]).notna().any().any():
                out[label] = e
        return out


def load(run_dir: str | Path, school_id: str) -> School:
    """Read a school's slice and the run's national figures (``pipeline.store``)."""
    run = PreparedRun(run_dir)
    run.check()
    info = run.school_info(school_id)
    info["reports"] = catalogue.applicable(info)  # what the school's data supports (the catalogue decides)
    school = School(info, run.national_info(), run.table(school_id, "pupils"), run=run)
    for stage in ("ks2", "ks1"):
        if run.has_table(school_id, f"estimates_{stage}"):
            school.estimates[stage] = run.table(school_id, f"estimates_{stage}")
    school.groups = run.table(school_id, "groups")
    for year in info.get("past_years", []):
        if run.has_table(school_id, f"ks2_{year}"):
            school.past[year] = run.table(school_id, f"ks2_{year}")
            school.past_groups[year] = run.table(school_id, f"groups_ks2_{year}")
    school.va_pupils = run.table_or_none(school_id, "va_pupils")
    school.va_scores = run.table_or_none(school_id, "va_scores")
    for name in ("entries", "attainment", "progress", "scores"):
        if run.has_table(school_id, f"ks5_{name}"):
            school.ks5[name] = run.table(school_id, f"ks5_{name}")
    school.ks5_national = run.national_table("ks5_attainment")
    school.headline = run.national_table("headline")
    school.pag_means = run.national_table("pag_means")
    theme()
    return school


def parse_year_groups(text: str | list) -> list[int]:
    """ "6,5,4" or [6, 5] -> [6, 5, 4]; "all" -> 6..1."""
    if isinstance(text, str) and text.strip().lower() == "all":
        return [6, 5, 4, 3, 2, 1]
    items = text.split(",") if isinstance(text, str) else text
    years = [int(str(y).strip()) for y in items if str(y).strip()]
    bad = [y for y in years if y not in STAGE_OF_YEAR]
    if bad:
        raise ValueError(f"Year groups must be 1-6; got {bad}")
    return years


def title(school: School, report: str, challenge: str | None, cohort: str, source: str | None = None) -> None:
    """The report's title block. ``challenge`` None for reports that use no challenge level; ``source`` names the
    data behind the report after the school's own (default: the national reference cohort). The key holds the
    terms of the report (``glossary.terms``), for the reports the school has."""
    reports = school.info.get("reports")
    if source is None and glossary.secondary_only(reports):
        source = (
            "the DfE's published Progress 8 model 2023/24 and KS2-KS4 transition matrices 2023/24 (parameters/ks4/)"
        )
    source = source or (
        f"national reference {school.national['reference_file']} ({school.national['reference_pupils']:,} pupils)"
    )
    source = f"{school.info.get('trust') or 'school'} pupil data; {source}"
    if challenge is None:
        level = "not used in this report"
    else:
        level = challenge_label(challenge) + _settings_note(school)
    name = next((r.name for r in catalogue.reports() if r.title == report), None)
    title_block(
        school.info,
        report,
        cohort,
        level,
        source,
        bool(school.info.get("synthetic")),
        key=glossary.terms(name, reports) if name else [],
        provenance=glossary.provenance(name, school.national, reports) if name else "",
    )


def _settings_note(school: School) -> str:
    return " (with the school's saved settings by year group and subject)" if school.info.get("settings") else ""


def ks2_year(school: School, year_group: int) -> int:
    """The summer a year group sits its end-of-key-stage assessment (KS2 for Years 3-6, KS1 for Years 1-2)."""
    end = 6 if year_group >= 3 else 2
    return int(school.info["academic_year"]) + end - year_group


def year_label(school: School, year_group: int) -> str:
    stage = "KS2" if year_group >= 3 else "KS1"
    return f"Year {year_group} ({stage} assessment {ks2_year(school, year_group)})"


# ----------------------------------------------------------------------------------------------- estimates
def _measures(stage: str) -> list[str]:
    return ["rwm"] + [s for s in (KS2_SUBJECTS if stage == "ks2" else KS1_SUBJECTS)]


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
    own_past_note(school)
    note(
        "Expected standard: the average of pupils' chances of reaching it (the estimated % of the year group); high "
        "score / greater depth likewise; estimated scaled score: the average estimate, tests only. Each pupil's "
        "chances, band and estimate, subject by subject, are in the per-pupil appendix (PDF and spreadsheet). "
        "Method: docs/methodology.md."
    )


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


# ----------------------------------------------------------------------------------------------- targets
TARGET_FORMATS = {
    **{v: percent for v in CHALLENGE_COLUMNS.values()},
    "Aggregated target": percent,
    "% pupils with target": percent,
    "Difference to FFT50": signed_percent,
    "Pupils": whole,
}


def _target_table(table: pd.DataFrame, average: bool = False) -> pd.DataFrame:
    t = table.rename(
        columns={
            **CHALLENGE_COLUMNS,
            "aggregated_target": "Aggregated target",
            "pct_with_target": "% pupils with target",
            "difference": "Difference to FFT50",
            "measure": "Measure",
            "pupils": "Pupils",
            "label": "Pupils in",
            "group": "Group",
        }
    )
    return t.drop(columns=[c for c in ("subject",) if c in t])


def _year_groups_with_estimates(school: School, year_groups: list[int], new_page: bool = False):
    """Each year group's heading (with ``new_page``, a new page after the first), then ``(year, pupils, estimates
    at FFT50 / FFT20 / FFT5 / own past progress, stage)``; year groups without estimates get a note instead."""
    for i, yg in enumerate(year_groups):
        pupils = school.year_pupils(yg)
        estimates = school.challenge_estimates(yg)
        heading(year_label(school, yg), new_page=new_page and i > 0)
        if pupils.empty or not estimates:
            note("No pupils with estimates in this year group.")
            continue
        yield yg, pupils, estimates, STAGE_OF_YEAR[yg]


def targets_report(school: School, year_groups: list[int], challenge: str = "chosen") -> None:
    for yg, pupils, estimates, stage in _year_groups_with_estimates(school, year_groups):
        indicators = [
            ("expected", "% national standard (or higher)"),
            ("high", "% above national (high score / greater depth)"),
        ]
        if stage == "ks2":
            indicators.append(("average", "Average scaled score"))
        tables = {}
        for indicator, label in indicators:
            heading(label, 3)
            tables[indicator] = aggregate_targets(estimates, pupils, stage, indicator)
            table = _target_table(tables[indicator])
            if indicator == "average":
                fmt = {c: one_decimal for c in list(CHALLENGE_COLUMNS.values()) + ["Aggregated target"]}
                fmt.update({"Difference to FFT50": signed, "% pupils with target": percent, "Pupils": whole})
            else:
                fmt = TARGET_FORMATS
            show_table(table, fmt)
        summary = tables["expected"]
        chosen = school.estimates_for(yg, challenge)
        summary["estimate"] = [100 * chosen[f"{s}_p_expected"].mean() for s in summary["subject"]]
        show_figure(
            charts.high_to_low(
                summary,
                "measure",
                "estimate",
                "aggregated_target",
                f"Year {yg}: % national standard (or higher), high to low",
                f"% estimated at {challenge_label(school.info.get('challenge', 'FFT50'))} and aggregated target",
            )
        )
        review_summary(school, yg, challenge)


REVIEW_COLUMNS = {
    "subject": "Subject",
    "target": "Target",
    "chance": "How likely, my school",
    "flag": "Looks",
    "distance": "Target minus estimate (points)",
}
REVIEW_FORMATS = {"How likely, my school": percent, "Target minus estimate (points)": signed_one_decimal}


def review_list(school: School, year_group: int, challenge: str = "chosen") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every target of a year group that looks unlikely or unambitious, furthest from the estimate first, with
    the pupil's name (``REVIEW_COLUMNS``), and the counts per subject and flag (``review_counts``)."""
    chosen = school.estimates_for(year_group, challenge)
    pupils = school.year_pupils(year_group)
    subjects = tuple(s for s in KS2_SUBJECTS if f"{s}_p_target" in chosen)
    flagged = review_targets(pupils, chosen, subjects, STAGE_OF_YEAR[year_group])
    counts = review_counts(flagged)
    table = flagged.assign(subject=flagged["subject"].map(SUBJECT_LABELS), chance=100 * flagged["chance"]).rename(
        columns=REVIEW_COLUMNS
    )
    table.insert(0, "Pupil", table.pop("upn").map(school.names()))
    return table.reset_index(drop=True), counts


def review_summary(school: School, year_group: int, challenge: str = "chosen") -> None:
    """How many targets look unlikely or unambitious, per subject; the list itself is in the per-pupil appendix."""
    review = target_parameters()
    heading("Targets to review", 3)
    _table, counts = review_list(school, year_group, challenge)
    if counts.empty:
        note(
            f"No target looks unlikely (below {review['unlikely_below']:.0%}) or unambitious (above "
            f"{review['unambitious_above']:.0%}) at this challenge level."
        )
        return
    wide = counts.pivot_table(index="subject", columns="flag", values="targets", fill_value=0, sort=False)
    wide = wide.reindex(columns=["unlikely", "unambitious"], fill_value=0).reset_index()
    wide["subject"] = wide["subject"].map(SUBJECT_LABELS)
    show_table(
        wide.rename(columns={"subject": "Subject", "unlikely": "Unlikely", "unambitious": "Unambitious"}),
        {"Unlikely": whole, "Unambitious": whole},
    )
    note(
        "Targets fewer than "
        f"{review['unlikely_below']:.0%} of similar pupils reach (unlikely) or more than {review['unambitious_above']:.0%} "
        "reach (unambitious). Targets below the standard of the test (B, pre-key-stage) are never called "
        "unambitious. The pupils, furthest from their estimate first, are in the per-pupil appendix."
    )


# ----------------------------------------------------------------------------------------------- pupil groups
GAP_COLUMNS = {
    "group": "Group",
    "label": "Pupils in",
    "pupils": "Pupils",
    "FFT50": "RWM FFT50",
    "estimated_gap": "RWM gap",
    "target_gap": "RWM target gap",
    "narrows": "Targets narrow the gap?",
}


def target_gap_rows(school: School, year_group: int) -> pd.DataFrame:
    """One row per pupil group of a year group: pupils, the % estimated to reach the standard in the combined
    measure at FFT50, its gap to the rest of the year group, the gap in aggregated targets, whether targets narrow
    it, and the estimated gap in each subject (percentage points; ``groups.target_gaps``)."""
    pupils = school.year_pupils(year_group)
    estimates = school.challenge_estimates(year_group)
    stage = STAGE_OF_YEAR[year_group]
    labels = school.labels_for(pupils)
    measures = _measures(stage)
    table = target_gaps(estimates, pupils, stage, measures[0], labels)[list(GAP_COLUMNS)]
    for subject in measures[1:]:
        gaps = target_gaps(estimates, pupils, stage, subject, labels)
        table[f"{SUBJECT_LABELS[subject]} gap"] = gaps["estimated_gap"].to_numpy()
    return table


def groups_report(school: School, year_groups: list[int]) -> None:
    """Per year group: the gap chart (groups of at least ``min_group_pupils``) and one table of every group's
    gaps, combined measure and subjects; the full benchmark tables per subject are in the appendix spreadsheet."""
    smallest = parameters.load_yaml("summary.yaml")["min_group_pupils"]
    for yg, _pupils, _estimates, _stage in _year_groups_with_estimates(school, year_groups, new_page=True):
        gaps = target_gap_rows(school, yg)
        shown = gaps[(gaps["group"] != "Summary") & (gaps["pupils"] >= smallest) & gaps["estimated_gap"].notna()]
        if len(shown):
            show_figure(charts.gap_chart(shown, f"Year {yg}: RWM gaps by pupil group (groups of {smallest}+ pupils)"))
        table = gaps.rename(columns=GAP_COLUMNS)
        table["Pupils in"] = np.where(table["Pupils"] < smallest, table["Pupils in"] + " *", table["Pupils in"])
        gap_columns = [c for c in table if c.endswith("gap")]
        show_table(
            table,
            {"Pupils": whole, "RWM FFT50": percent, **{c: signed_percent for c in gap_columns}},
            long=True,
        )
    note(
        "RWM FFT50: the % of the group estimated to reach the expected standard in reading, writing and maths "
        "combined (Years 1-2: the KS1 combined measure). Gap: the group's % minus the rest of the year group's, in "
        "percentage points; 'RWM target gap' the same for aggregated targets, and 'Targets narrow the gap?' compares "
        f"the two. * fewer than {smallest} pupils (parameters/summary.yaml): too few to read a gap into; the chart "
        "leaves them out. Every challenge level for every group and subject: the appendix spreadsheet."
    )


# ----------------------------------------------------------------------------------------------- value added
def latest_year(school: School) -> int | None:
    return max(school.past) if school.past else None


def attainment_table(school: School, year: int) -> pd.DataFrame:
    mine = attainment.headline_measures(school.past[year])
    nat = school.headline
    names = {
        "expected_standard": "% expected standard",
        "higher_standard": "% high score / greater depth",
        "average_scaled_score": "Average scaled score",
    }
    ks2_rows = mine[(mine["keystage"] == "KS2") & mine["measure"].isin(list(names))]
    merged = ks2_rows.merge(nat, on=["keystage", "measure", "subject"], how="left", suffixes=("_school", "_national"))
    merged["order"] = merged["measure"].map({m: i for i, m in enumerate(names)})
    merged = merged.sort_values("order", kind="stable")
    return pd.DataFrame(
        {
            "Measure": merged["measure"].map(names),
            "Subject": merged["subject"].map(SUBJECT_LABELS),
            "School": merged["value_school"],
            "National": merged["value_national"],
            "Difference": merged["value_school"] - merged["value_national"],
        }
    )


def measure_years(school: School) -> pd.DataFrame:
    """Each past KS2 cohort of the school, newest first: its pupils, those with a KS1 baseline, and whether the
    DfE's KS1-KS2 progress measure exists that year (the policy calendar), with the reason where it does not."""
    rows = []
    for year in sorted(school.past, reverse=True):
        entry = policy.status(policy.KS1_KS2, year)
        with_ks1 = int(ks1_prior_attainment(school.past[year])["aps"].notna().sum())
        has_va = school.va_scores is not None and bool((school.va_scores["year"] == year).any())
        state = entry.status if entry.has_baseline else (policy.UNOFFICIAL if has_va else policy.NONE)
        rows.append(
            {
                "year": year,
                "pupils": len(school.past[year]),
                "with_ks1": with_ks1,
                "status": policy.label(state),
                "reason": entry.reason or "",
                "has_va": has_va,
            }
        )
    return pd.DataFrame(rows)


def latest_measured(years: pd.DataFrame) -> tuple[int, str] | None:
    """The latest cohort of ``measure_years`` that has value added, and the DfE measure's status that year."""
    with_va = years[years["has_va"]] if len(years) else years
    if with_va.empty:
        return None
    year = int(with_va["year"].max())
    return year, with_va.set_index("year").loc[year, "status"]


def _trend_cell(value: float, years: pd.DataFrame, year: int) -> str:
    if not pd.isna(value):
        return signed(value)
    return years.set_index("year").loc[year, "status"]


def va_report(school: School) -> None:
    year = latest_year(school)
    if year is None:
        note("No past KS2 results: value added needs ks2_<year>.csv files.")
        return
    years = measure_years(school)
    heading("Which years have a progress measure", 3)
    show_table(
        years[["year", "pupils", "with_ks1", "status", "reason"]].rename(
            columns={
                "year": "KS2 year",
                "pupils": "Pupils",
                "with_ks1": "Pupils with KS1 results",
                "status": "DfE KS1-KS2 progress",
                "reason": "Why not",
            }
        ),
        {"KS2 year": whole, "Pupils": whole, "Pupils with KS1 results": whole},
    )
    note(
        "The DfE publishes KS1-KS2 progress only where the cohort has a KS1 baseline (parameters/policy/measures.yaml). "
        "In a year without it this report shows attainment only; value added is shown for the latest cohort that has "
        "one."
    )
    heading(f"Attainment against national: KS2 {year}")
    show_table(attainment_table(school, year), {"School": one_decimal, "National": one_decimal, "Difference": signed})
    measured = latest_measured(years)
    if measured is None:
        note(f"No cohort of this school has KS1 results, so there is no value added to show: {years['reason'].iloc[0]}")
        return
    if measured[0] != year:
        row = years.set_index("year").loc[year]
        note(f"KS2 {year}: no progress measure ({row['reason'] or 'no pupil has a KS1 result'}).")
    year, status = measured
    order = {s: i for i, s in enumerate(SUBJECT_LABELS)}
    scores = school.va_scores[school.va_scores["year"] == year]
    scores = scores.assign(o=scores["subject"].map(order)).sort_values(["o", "method"]).drop(columns="o")
    heading(f"Value added: KS2 {year} (DfE measure: {status})")
    for part, unit in (
        (scores[scores["subject"].isin(KS2_SUBJECTS)], "points: scaled score; writing: TA points"),
        (scores[~scores["subject"].isin(KS2_SUBJECTS)], "percentage points of the combined standard"),
    ):
        if part.empty:
            continue
        table = part[["subject", "method", "pupils", "score", "ci_low", "ci_high"]].copy()
        table["subject"] = table["subject"].map(SUBJECT_LABELS)
        table["significance"] = np.select(
            [table["ci_low"] > 0, table["ci_high"] < 0], ["above national", "below national"], "in line with national"
        )
        show_table(
            table.rename(
                columns={
                    "subject": "Subject",
                    "method": "Method",
                    "pupils": "Pupils",
                    "score": f"VA score ({unit})",
                    "ci_low": "95% CI low",
                    "ci_high": "95% CI high",
                    "significance": "Significance",
                }
            ),
            {f"VA score ({unit})": signed, "95% CI low": signed, "95% CI high": signed, "Pupils": whole},
        )
    test_scores = scores[scores["subject"].isin(KS2_SUBJECTS)]
    show_figure(charts.va_intervals(test_scores, f"KS2 {year}: value added with 95% confidence intervals ({status})"))
    note(
        "DfE: the DfE's progress measure (KS1 prior attainment groups). FFT: FFT-style value added (prior attainment, "
        "gender, month of birth). RWM and R&M (FFT) are in percentage points of the combined standard."
    )
    heading("Value added by year (FFT-style)", 3)
    trend = school.va_scores[school.va_scores["method"] == "FFT"].pivot_table(
        index="subject", columns="year", values="score"
    )
    trend = trend.reindex(columns=sorted(school.past))
    trend = trend.reindex([s for s in (*KS2_SUBJECTS, *COMBINED["ks2"]) if s in trend.index])
    cells = pd.DataFrame(
        {str(y): [_trend_cell(v, years, y) for v in trend[y]] for y in trend.columns}, index=trend.index
    )
    cells.index = cells.index.map(SUBJECT_LABELS)
    show_table(cells.reset_index().rename(columns={"subject": "Subject"}))

    progress = school.va_pupils[school.va_pupils["year"] == year]
    dfe = progress[progress["method"] == "DfE"]
    heading("Prior attainment groups (DfE)", 2, new_page=True)
    pag = pag_table(dfe, school.pag_means)
    pag["difference"] = pag["school_mean"] - pag["national_mean"]
    wide = pag.pivot_table(index="pag", columns="subject", values="difference", sort=True)
    wide = wide.reindex(columns=[s for s in order if s in wide.columns]).rename(columns=SUBJECT_LABELS)
    wide.insert(0, "Pupils", pag.groupby("pag")["pupils"].max())
    show_table(
        wide.reset_index().rename(columns={"pag": "Prior attainment group"}),
        {"Prior attainment group": whole, "Pupils": whole} | {c: signed for c in wide.columns if c != "Pupils"},
    )
    note(
        "School mean minus national mean of the DfE's prior attainment group, in scaled-score points (writing: TA "
        "points); pupils: the most in any subject. A prior attainment group is the pupils with the same KS1 "
        "average point score nationally."
    )

    heading("Actual against estimate (FFT-style)", 2, new_page=True)
    fft = progress[progress["method"] == "FFT"]
    names = school.names()
    units = {s: "writing TA points" if s == "writing" else "scaled score" for s in KS2_SUBJECTS}
    show_figure(charts.actual_vs_estimate(fft, names, units))
    outliers = fft[fft["outlier"] & fft["subject"].isin(KS2_SUBJECTS)].copy()  # pupils, in points (not RWM)
    if len(outliers):
        outliers["Pupil"] = outliers["upn"].map(names)
        outliers["subject"] = outliers["subject"].map(SUBJECT_LABELS)
        show_table(
            outliers[["Pupil", "subject", "actual", "estimate", "progress"]].rename(
                columns={
                    "subject": "Subject",
                    "actual": "Actual (points)",
                    "estimate": "Estimate (points)",
                    "progress": "VA (points)",
                }
            ),
            {"Actual (points)": one_decimal, "Estimate (points)": one_decimal, "VA (points)": signed},
            long=True,
        )

    heading("Value added by pupil group (DfE)", 2, new_page=True)
    cohort = school.past[year]
    groups = va_by_group(dfe, cohort, school.national["dfe_sd"], school.labels_for(cohort, year))
    groups["cell"] = [
        f"{signed(v)} ({signed(lo)} to {signed(hi)})" if not np.isnan(v) else ""
        for v, lo, hi in zip(groups["score"], groups["ci_low"], groups["ci_high"])
    ]
    wide = groups.pivot_table(index=["group", "label"], columns="subject", values="cell", aggfunc="first", sort=False)
    wide = wide.reindex(columns=[s for s in order if s in wide.columns]).rename(columns=SUBJECT_LABELS)
    wide.insert(0, "Pupils", groups.groupby(["group", "label"], sort=False)["pupils"].max())
    wide = wide.reset_index()
    wide["group"] = pd.Categorical(wide["group"], categories=GROUPS, ordered=True)
    show_table(
        wide.sort_values(["group", "label"]).rename(columns={"group": "Group", "label": "Pupils in"}),
        {"Pupils": whole},
    )
    note(
        "Each group's value added (scaled-score points; writing: TA points) with its 95% confidence interval in "
        "brackets; pupils: the most in any subject. A small group's interval is wide: read it before the score."
    )
