"""A school's slice as the reports see it (``School``, ``load``), the title block every report starts with, and the helpers
the report views share. Nothing here computes methodology (that was done once for all schools by the pipeline): it
selects the school's slice, aggregates and formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit.methods.groups import GROUPS
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue, glossary
from toolkit.reports.display import heading, note, theme, title_block
from toolkit.scales import eyfs
from toolkit.vocabulary import KS1_SUBJECTS, KS2_SUBJECTS, STAGE_OF_YEAR, challenge_label, year_group_number

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


def smallest_group() -> int:
    """The fewest pupils (or entries) a report judges a group by (``parameters/summary.yaml`` ``min_group_pupils``):
    smaller ones are shown suppressed."""
    from toolkit import parameters

    return int(parameters.load_yaml("summary.yaml")["min_group_pupils"])


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
    """The title block of ``report`` (a catalogue name: its title, key and provenance line come from there).
    ``challenge`` None for reports that use no challenge level; ``source`` names the
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
    title_block(
        school.info,
        catalogue.title(report),
        cohort,
        level,
        source,
        bool(school.info.get("synthetic")),
        key=glossary.terms(report, reports),
        provenance=glossary.provenance(report, school.national, reports),
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
