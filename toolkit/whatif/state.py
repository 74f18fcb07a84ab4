"""What every key stage's what-if state shares: the challenge levels per (year group, subject), how a level becomes a
percentile (own past progress included), presenter mode, saving, and the high-to-low chart.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit.inputs import school_state
from toolkit.methods import challenge
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue
from toolkit.reports.display import MARKER_EDGE, PALETTE
from toolkit.vocabulary import (
    OWN,
    STAGE_OF_YEAR,
    percentile_of,
)

YEARS = STAGE_OF_YEAR


LEVELS = ("FFT50", "FFT20", "FFT5", "Own past progress")


TARGET_CHOICES = {
    "ks2": ("B", "W-", "W", "W+", "N-", "N", "N+", "A-", "A", "A+"),
    "ks1": ("PKF", "WTS", "EXS", "GDS"),
    "writing": ("PKF", "WTS", "EXS", "GDS"),
}


def refuse_real_data_in_presenter_mode(info: dict, school_id: str, presenter: bool) -> None:
    if presenter and not info.get("synthetic"):
        raise ValueError(f"Presenter mode shows synthetic pupils only; school {school_id} is not synthetic data")


def pupil_names(pupils: pd.DataFrame, presenter: bool) -> pd.Series:
    """Each pupil's name, or in presenter mode "Pupil 01", "Pupil 02" ... (aligned with ``pupils``)."""
    if presenter:
        return pd.Series([f"Pupil {i + 1:02d}" for i in range(len(pupils))], index=pupils.index)
    return pupils["forename"] + " " + pupils["surname"]


def save_levels(school_id: str, levels: dict, default, folder: Path | None = None) -> Path:
    """Write a school's levels ((year group, subject) -> level) as its challenge settings (``school_state``)."""
    years: dict[int, dict] = {}
    for (y, s), level in sorted(levels.items()):
        years.setdefault(int(y), {})[s] = level if isinstance(level, str) else float(level)
    return school_state.save(school_id, {"default": default, "year_groups": years}, folder)


def high_to_low_html(
    summary: pd.DataFrame,
    value: str = "Estimated % expected",
    target: str = "Aggregated target",
    legend: str = "Bar: estimated % expected standard at the chosen level; orange line: aggregated target.",
) -> str:
    """The chart as HTML bars (fast enough to redraw on every change): estimate bar, target marker. The measures stay
    in the table's order, so a bar never jumps when a challenge changes (it once re-sorted on every click)."""
    rows = []
    ordered = summary
    for measure, est, goal in zip(ordered["Measure"], ordered[value], ordered[target]):
        est = 0 if pd.isna(est) else est
        target = (
            ""
            if pd.isna(goal)
            else (
                f'<div style="position:absolute;left:{goal:.0f}%;top:0;width:3px;height:100%;'
                f'background:{PALETTE[1]};outline:1px solid {MARKER_EDGE}" title="aggregated target {goal:.0f}%"></div>'
            )
        )
        rows.append(
            f'<div style="display:flex;align-items:center;margin:2px 0"><div style="width:15em">'
            f'{html.escape(measure)}</div><div style="position:relative;width:320px;height:14px;'
            f'background:#EEE"><div style="width:{est:.0f}%;height:100%;background:{PALETTE[0]}"></div>{target}'
            f'</div><div style="margin-left:6px">{est:.0f}%</div></div>'
        )
    return "<div>" + "".join(rows) + f'<div style="font-size:90%;color:#444">{html.escape(legend)}</div></div>'


# ----------------------------------------------------------------------------------------------- widgets
TABLE_CSS = """<style>
table.tk { border-collapse: collapse; margin: 4px 0 10px 0; font-size: 90%; }
table.tk th { background: #E8F1F8; border-bottom: 1px solid #777; padding: 3px 8px; }
table.tk td { border-bottom: 1px solid #DDD; padding: 2px 8px; text-align: right; }
table.tk td.text { text-align: left; }
.whatif-headline { font-size: 120%; margin-top: 6px; }
.whatif-big .whatif-expected, .whatif-big .whatif-target { font-size: 300%; font-weight: bold; color: #0072B2; }
.whatif-big .whatif-target { color: #B26B00; }
.whatif-definition { color: #333; margin: 2px 0 6px 0; }
.widget-toggle-button.mod-active { background: #0072B2 !important; color: #FFF !important; font-weight: bold;
  box-shadow: inset 0 -3px 0 #003F66; }
</style>"""


@dataclass
class WhatIfState:
    """One school's what-if state, whatever its key stage: a challenge level per (year group, subject) and the
    school's targets. A key stage's state says which year groups and subjects it has, how it estimates and what a
    target may be; how a level becomes a percentile, how levels are set, loaded and saved is the same for all."""

    run_dir: Path
    school_id: str
    presenter: bool = False
    info: dict = field(default_factory=dict)
    pupils: pd.DataFrame = field(default_factory=pd.DataFrame)
    levels: dict = field(default_factory=dict)  # (year, subject) -> level (FFT50 ... or a number)
    # year -> (the year group's rows of ``pupils``, the pupils located by the key stage's estimate model: any
    # ``Located`` with ``subjects``, ``predict(levels)`` and ``chance_at_least(subject, cut, level)``)
    _located: dict = field(default_factory=dict)

    @staticmethod
    def schools(run_dir: str | Path) -> dict[str, str]:
        """School id -> name of the prepared schools that have estimates (pupils in Years 1-6, or Years 7-11)."""
        run = PreparedRun(run_dir)
        out = {}
        for school_id in run.school_ids():
            info = run.school_info(school_id)
            if {"estimates", "ks4_estimates"} & set(catalogue.applicable(info)):
                out[school_id] = info.get("school_name") or school_id
        return out

    def year_groups(self) -> list[int]:
        return sorted(self._located, reverse=True)

    def year_pupils(self, year: int) -> pd.DataFrame:
        return self.pupils.loc[self._located[year][0]]

    def subjects(self, year: int) -> tuple[str, ...]:
        return self._located[year][1].subjects if year in self._located else ()

    def estimates(self, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The year group's pupils and their estimates at the levels set (one per subject), whatever the key
        stage: the located pupils' ``predict``."""
        index, located = self._located[year]
        return self.pupils.loc[index], located.predict({s: self.percentile(year, s) for s in located.subjects})

    def own_percentile(self, subject: str) -> float:
        """The school's own past progress as a percentile for ``subject`` (a ValueError saying why there is none)."""
        raise NotImplementedError

    def measures(self, year: int) -> tuple[str, ...]:
        """What the dashboard may put in its headline: the subjects, and for a key stage with them, its combined
        measures (reading, writing and maths ...)."""
        return self.subjects(year)

    def parts(self, year: int, measure: str) -> tuple[str, ...]:
        """The subjects a measure is made of (a subject: itself)."""
        return (measure,)

    def level(self, year: int, measure: str):
        """The level set for a measure: its own, or the level its subjects share (the first subject's if they
        differ; the headline then says "mixed")."""
        return self.levels.get((year, self.parts(year, measure)[0]), "FFT50")

    def percentile(self, year: int, subject: str) -> float:
        """The percentile of school value added that the level set for (year, subject) stands for."""
        p = percentile_of(self.level(year, subject))
        return self.own_percentile(subject) if p == OWN else float(p)

    def set_level(self, year: int, subject: str | None, level) -> None:
        """Set a year group's level for one subject (a combined measure: each of its subjects), or for all its
        subjects (``subject=None``)."""
        percentile_of(level)
        for s in self.parts(year, subject) if subject else self.subjects(year):
            self.levels[(year, s)] = level

    def load_levels(self, years) -> None:
        """Each (year, subject)'s level from the school's saved settings, else its saved or the run's default."""
        saved = school_state.load(self.school_id) or {}
        default = (saved.get("challenge") or {}).get("default", self.info.get("challenge", "FFT50"))
        for y in years:
            for s in self.subjects(y):
                self.levels[(y, s)] = challenge.level_for(saved, y, s, default)

    def save_levels(self, folder: Path | None = None) -> Path:
        """Write the levels as the school's challenge settings (``save_levels``)."""
        return save_levels(self.school_id, self.levels, self.info.get("challenge", "FFT50"), folder)
