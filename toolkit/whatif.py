"""What-if challenge settings (seed 000: "decide on the level of challenge for each year group and/or subject",
"enter end of key stage targets"), as ipywidgets for JupyterLab and the Voila dashboard.

``WhatIf`` holds one school's pupils, located once by the fitted models of a prepared run (``toolkit reports``), so a
new challenge level only shifts their distributions: no refit, no feature recomputation. ``WhatIf.view`` renders
the pupil table, the aggregated estimates against the aggregated targets and the high-to-low chart as HTML;
``WhatIfApp`` wires that to widgets. ``save`` writes the settings and targets to the school state folder (``toolkit.inputs.school_state``) where
the report pack reads them.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit import locations
from toolkit.inputs import school_state
from toolkit.methods import challenge, ks4_estimates
from toolkit.methods.targets import aggregate_targets, target_cut
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue
from toolkit.reports.display import table_html
from toolkit.reports.formats import one_decimal, percent, signed, signed_percent, whole
from toolkit.vocabulary import (
    COMBINED,
    OWN,
    STAGE_OF_YEAR,
    SUBJECT_LABELS,
    challenge_definition,
    challenge_label,
    percentile_of,
    year_group_number,
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


@dataclass
class WhatIf:
    """One school's what-if state: a level per (year group, subject) and editable targets."""

    run_dir: Path
    school_id: str
    presenter: bool = False
    info: dict = field(default_factory=dict)
    pupils: pd.DataFrame = field(default_factory=pd.DataFrame)
    levels: dict = field(default_factory=dict)  # (year, subject) -> level (FFT50 ... or a number)
    _located: dict = field(default_factory=dict)

    @classmethod
    def open(cls, run_dir: str | Path, school_id: str | None = None, presenter: bool = False) -> WhatIf:
        run = PreparedRun(run_dir)
        slices = list(cls.schools(run.root)) if run.school_ids() else []
        if not slices:
            raise FileNotFoundError(
                f"{run.root}: no prepared schools with estimates (run `toolkit reports` or `make demo` first)"
            )
        school_id = school_id or slices[0]
        info = run.school_info(school_id)
        refuse_real_data_in_presenter_mode(info, school_id, presenter)
        pupils = school_state.apply_saved_targets(run.table(school_id, "pupils"))
        state = cls(run.root, school_id, presenter, info, pupils)
        models = run.read_models()
        year = year_group_number(pupils["year_group"])
        for y, stage in YEARS.items():
            rows = pupils[year == y]
            if len(rows):
                state._located[y] = (rows.index, models[stage].locate(rows), models[stage])
        saved = school_state.load(school_id) or {}
        default = (saved.get("challenge") or {}).get("default", info.get("challenge", "FFT50"))
        for y in state._located:
            for s in state.subjects(y):
                state.levels[(y, s)] = challenge.level_for(saved, y, s, default)
        return state

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

    # -- settings
    def year_groups(self) -> list[int]:
        return sorted(self._located, reverse=True)

    def year_pupils(self, year: int) -> pd.DataFrame:
        return self.pupils.loc[self._located[year][0]]

    def subject_label(self, subject: str) -> str:
        return SUBJECT_LABELS[subject]

    def target_choices(self, year: int, subject: str) -> tuple[str, ...]:
        return TARGET_CHOICES["writing" if (YEARS[year] == "ks2" and subject == "writing") else YEARS[year]]

    def subjects(self, year: int) -> tuple[str, ...]:
        return self._located[year][2].subjects if year in self._located else ()

    def percentile(self, year: int, subject: str) -> float:
        p = percentile_of(self.levels.get((year, subject), "FFT50"))
        if p == OWN:
            own = self.info.get("own_past_progress", {}).get(subject)
            if own is None:
                raise ValueError(f"No own past progress for {subject}: the school has no past value added")
            return float(own)
        return float(p)

    def set_level(self, year: int, subject: str | None, level) -> None:
        """Set a year group's level for one subject, or for all its subjects (``subject=None``)."""
        percentile_of(level)
        for s in [subject] if subject else self.subjects(year):
            self.levels[(year, s)] = level

    def set_target(self, upn: str, subject: str, target: str | None) -> None:
        col = f"target_{subject}"
        if col not in self.pupils:
            self.pupils[col] = pd.Series(pd.NA, index=self.pupils.index, dtype="string")
        rows = self.pupils["upn"] == upn
        if not rows.any():
            raise ValueError(f"No pupil {upn} in school {self.school_id}")
        if target:
            stage = YEARS[int(self.pupils.loc[rows, "year_group"].iloc[0])]
            target_cut(pd.Series([target]), stage, subject)  # refuses an unknown target
        self.pupils.loc[rows, col] = target or pd.NA

    # -- computing
    def estimates(self, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The year group's pupils and their estimates at the levels set (one per subject)."""
        index, located, _ = self._located[year]
        levels = {s: self.percentile(year, s) for s in self.subjects(year)}
        return self.pupils.loc[index], located.predict(levels)

    def summary(self, year: int, computed: tuple | None = None) -> pd.DataFrame:
        """Aggregated estimates at the chosen levels against the aggregated targets (% expected standard)."""
        pupils, est = computed or self.estimates(year)
        table = aggregate_targets({"FFT50": est}, pupils, YEARS[year], "expected")
        return pd.DataFrame(
            {
                "Measure": table["measure"],
                "Level": [self._level_label(year, s) for s in table["subject"]],
                "Estimated % expected": table["FFT50"],
                "Aggregated target": table["aggregated_target"],
                "% with target": table["pct_with_target"],
                "Gap to target": table["aggregated_target"] - table["FFT50"],
            }
        )

    def _level_definition(self, year: int, subject: str) -> str:
        parts = COMBINED[YEARS[year]].get(subject, (subject,))
        levels = {challenge_label(self.levels[(year, s)]): self.levels[(year, s)] for s in parts}
        if len(levels) > 1:
            return "Mixed: the subjects of this measure are set at different challenge levels"
        return challenge_definition(next(iter(levels.values())))

    def _level_label(self, year: int, subject: str) -> str:
        parts = COMBINED[YEARS[year]].get(subject, (subject,))
        labels = {challenge_label(self.levels[(year, s)]) for s in parts}
        return labels.pop() if len(labels) == 1 else "mixed"

    def pupil_table(self, year: int, subject: str, computed: tuple | None = None) -> pd.DataFrame:
        pupils, est = computed or self.estimates(year)
        _, located, _ = self._located[year]
        stage = YEARS[year]
        target = pupils.get(f"target_{subject}", pd.Series(pd.NA, index=pupils.index, dtype="string"))
        cut = target_cut(target, stage, subject)
        chance = located.chance_at_least(subject, cut, self.percentile(year, subject))
        names = pupil_names(pupils, self.presenter)
        return pd.DataFrame(
            {
                "Pupil": names.to_numpy(),
                "Band": est[f"{subject}_band"].to_numpy(),
                "Expected standard": 100 * est[f"{subject}_p_expected"].to_numpy(),
                "High": 100 * est[f"{subject}_p_high"].to_numpy(),
                "Target": target.fillna("").to_numpy(),
                "How likely": 100 * chance,
            }
        )

    def view(self, year: int, subject: str) -> dict[str, str]:
        """HTML for the dashboard: ``headline``, ``summary``, ``chart``, ``pupils``."""
        computed = self.estimates(year)
        summary = self.summary(year, computed)
        row = summary[summary["Measure"] == SUBJECT_LABELS[subject]].iloc[0]
        pct = percent
        size = " whatif-big" if self.presenter else ""
        headline = (
            f'<div class="whatif-headline{size}"><b>{html.escape(SUBJECT_LABELS[subject])}</b>, Year {year} at '
            f'{html.escape(row["Level"])}: <span class="whatif-expected">{pct(row["Estimated % expected"])}'
            f"</span> estimated at the expected standard; aggregated target "
            f'<span class="whatif-target">{pct(row["Aggregated target"])}</span>.</div>'
            f'<div class="whatif-definition">{html.escape(self._level_definition(year, subject))}.</div>'
        )
        fmt = {
            c: pct
            for c in (
                "Estimated % expected",
                "Aggregated target",
                "% with target",
                "Expected standard",
                "High",
                "How likely",
            )
        }
        fmt["Gap to target"] = signed_percent
        return {
            "headline": headline,
            "summary": table_html(summary, fmt),
            "chart": high_to_low_html(summary),
            "pupils": table_html(self.pupil_table(year, subject, computed), fmt, long=True),
        }

    # -- saving
    def save(self, folder: Path | None = None) -> list[Path]:
        """Write the levels (``<school>.yaml``) and targets (``<school>_targets.csv``) for the report pack."""
        path = save_levels(self.school_id, self.levels, self.info.get("challenge", "FFT50"), folder)
        targets = school_state.save_targets(self.school_id, self.pupils, folder)
        return [path, targets]


A8 = "Attainment 8"
GCSE_TARGETS = tuple(str(g) for g in range(9, 0, -1)) + ("U",)


@dataclass
class Ks4WhatIf:
    """A secondary school's what-if state: a level per (year group, GCSE subject; "Attainment 8" for A8 and P8)
    and editable GCSE targets, on the same dashboard as a primary's (``WhatIf``'s interface)."""

    run_dir: Path
    school_id: str
    presenter: bool = False
    info: dict = field(default_factory=dict)
    pupils: pd.DataFrame = field(default_factory=pd.DataFrame)  # Years 7-11
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)  # upn, subject, target
    levels: dict = field(default_factory=dict)
    _subjects: dict = field(default_factory=dict)  # year -> subjects estimated
    _pairs: pd.DataFrame = field(default_factory=pd.DataFrame)  # upn, subject: what each pupil is estimated in

    @classmethod
    def open(cls, run_dir: str | Path, school_id: str | None = None, presenter: bool = False) -> Ks4WhatIf:
        run = PreparedRun(run_dir)
        school_id = school_id or next(iter(WhatIf.schools(run.root)))
        info = run.school_info(school_id)
        refuse_real_data_in_presenter_mode(info, school_id, presenter)
        if not info.get("ks4_estimates"):
            raise ValueError(f"School {school_id} has no Years 7-11 with KS2 results: no KS4 estimates")
        pupils = run.table(school_id, "ks4_current")
        reviewed = run.table_or_none(school_id, "ks4_targets")
        targets = (
            reviewed[["upn", "subject", "target"]]
            if reviewed is not None
            else pd.DataFrame(columns=["upn", "subject", "target"])
        )
        state = cls(run.root, school_id, presenter, info, pupils, targets.reset_index(drop=True))
        est = run.table(school_id, "ks4_estimates")
        est = est[est["challenge"] == "FFT50"].merge(pupils[["upn", "year_group"]], on="upn")
        state._pairs = est[["upn", "subject"]].reset_index(drop=True)
        year = year_group_number(est["year_group"])
        core = ks4_estimates.core_subjects()
        for y in sorted(set(year.dropna().astype(int)), reverse=True):
            subjects = sorted(
                set(est.loc[year == y, "subject"]), key=lambda x: (core.index(x) if x in core else len(core), x)
            )
            state._subjects[y] = (A8, *subjects)
        saved = school_state.load(school_id) or {}
        default = (saved.get("challenge") or {}).get("default", info.get("challenge", "FFT50"))
        for y, subjects in state._subjects.items():
            for s in subjects:
                state.levels[(y, s)] = challenge.level_for(saved, y, s, default)
        return state

    def year_groups(self) -> list[int]:
        return sorted(self._subjects, reverse=True)

    def year_pupils(self, year: int) -> pd.DataFrame:
        return self.pupils[year_group_number(self.pupils["year_group"]) == year]

    def subjects(self, year: int) -> tuple[str, ...]:
        return self._subjects.get(year, ())

    def subject_label(self, subject: str) -> str:
        return subject

    def target_choices(self, year: int, subject: str) -> tuple[str, ...]:
        return () if subject == A8 else GCSE_TARGETS

    def percentile(self, year: int, subject: str) -> float:
        p = percentile_of(self.levels.get((year, subject), "FFT50"))
        if p == OWN:
            own = self.info.get("ks4_own_past_progress")
            if own is None:
                raise ValueError("No own past progress: the school has no past Year 11 with an official Progress 8")
            return float(own["percentile"])
        return float(p)

    set_level = WhatIf.set_level

    def set_target(self, upn: str, subject: str, target: str | None) -> None:
        if subject == A8:
            raise ValueError("Targets are set per GCSE subject")
        if upn not in set(self.pupils["upn"]):
            raise ValueError(f"No pupil {upn} in school {self.school_id}")
        if target and target not in GCSE_TARGETS:
            raise ValueError(f"A GCSE target is 9-1 or U, not {target!r}")
        keep = ~((self.targets["upn"] == upn) & (self.targets["subject"] == subject))
        self.targets = self.targets[keep]
        if target:
            row = pd.DataFrame({"upn": [upn], "subject": [subject], "target": [target]})
            self.targets = pd.concat([self.targets, row], ignore_index=True)

    # -- computing
    def estimates(self, year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The year group's pupils and their subject estimates at the levels set (label "chosen")."""
        pupils = self.year_pupils(year).reset_index(drop=True)
        subjects = [s for s in self.subjects(year) if s != A8]
        rows = self._pairs[self._pairs["upn"].isin(set(pupils["upn"]))]  # each pupil's own subjects
        levels = {s: self.percentile(year, s) for s in subjects}
        return pupils, ks4_estimates.estimates(pupils, rows, {"chosen": levels})

    def summary(self, year: int, computed: tuple | None = None) -> pd.DataFrame:
        """Per subject at the chosen levels (the pupils estimated in it): the estimated % at 9-4 and the average
        estimated grade (Attainment 8: the average estimated A8), against the % of targets at 4 or above and the
        average target (pupils with a target in the subject)."""
        pupils, est = computed or self.estimates(year)
        att = ks4_estimates.attainment_estimates(pupils, {"chosen": self.percentile(year, A8)})
        rows = [
            {
                "Measure": A8,
                "Level": challenge_label(self.levels[(year, A8)]),
                "Estimated % 9-4": float("nan"),
                "Estimate": att["est_a8"].mean(),
                "Targets": float("nan"),
                "% targets 9-4": float("nan"),
                "Average target": float("nan"),
            }
        ]
        mine = self.targets[self.targets["upn"].isin(set(pupils["upn"]))]
        for subject, e in est.groupby("subject", sort=False):
            t = ks4_estimates.grade_points(mine.loc[mine["subject"] == subject, "target"])
            rows.append(
                {
                    "Measure": subject,
                    "Level": challenge_label(self.levels[(year, subject)]),
                    "Estimated % 9-4": 100 * e["chance_4plus"].mean(),
                    "Estimate": e["estimate"].mean(),
                    "Targets": len(t),
                    "% targets 9-4": 100 * (t >= 4).mean() if len(t) else float("nan"),
                    "Average target": t.mean() if len(t) else float("nan"),
                }
            )
        return pd.DataFrame(rows)

    def pupil_table(self, year: int, subject: str, computed: tuple | None = None) -> pd.DataFrame:
        pupils, est = computed or self.estimates(year)
        names = pupil_names(pupils, self.presenter).reset_index(drop=True)
        if subject == A8:
            att = ks4_estimates.attainment_estimates(pupils, {"chosen": self.percentile(year, A8)})
            return pd.DataFrame(
                {
                    "Pupil": names,
                    "KS2 average": att["ks2_prior"],
                    "Estimated A8": att["est_a8"],
                    "Estimated P8": att["est_p8"],
                }
            )
        e = est[est["subject"] == subject].set_index("upn").reindex(pupils["upn"])
        t = self.targets[self.targets["subject"] == subject].set_index("upn")["target"].reindex(pupils["upn"])
        reach = (
            ks4_estimates.targets_against_estimates(
                pd.DataFrame({"upn": pupils["upn"], "subject": subject, "target": t.to_numpy()}).dropna(
                    subset=["target"]
                ),
                e.reset_index(),
            )
            .set_index("upn")["chance"]
            .reindex(pupils["upn"])
        )
        table = pd.DataFrame(
            {
                "Pupil": names.to_numpy(),
                "Estimated grade": e["estimate"].to_numpy(),
                "Chance 9-4": 100 * e["chance_4plus"].to_numpy(),
                "Chance 9-7": 100 * e["chance_7plus"].to_numpy(),
                "Target": t.fillna("").to_numpy(),
                "How likely": 100 * reach.to_numpy(),
            }
        )
        return table[e["estimate"].notna().to_numpy()].reset_index(drop=True)  # the pupils taking the subject

    def view(self, year: int, subject: str) -> dict[str, str]:
        computed = self.estimates(year)
        summary = self.summary(year, computed)
        row = summary[summary["Measure"] == subject].iloc[0]
        size = " whatif-big" if self.presenter else ""
        if subject == A8:
            figures = (
                f'<span class="whatif-expected">{row["Estimate"]:.1f}</span> estimated Attainment 8 '
                f"(Progress 8 {ks4_estimates.p8_at(self.percentile(year, A8)):+.2f})."
            )
        else:
            target = "" if pd.isna(row["Average target"]) else f"{row['Average target']:.1f}"
            figures = (
                f'<span class="whatif-expected">{percent(row["Estimated % 9-4"])}</span> estimated at grade 4 or '
                f"above (average grade {row['Estimate']:.1f}); average target "
                f'<span class="whatif-target">{target or "none set"}</span>.'
            )
        headline = (
            f'<div class="whatif-headline{size}"><b>{html.escape(subject)}</b>, Year {year} at '
            f"{html.escape(row['Level'])}: {figures}</div>"
            f'<div class="whatif-definition">{html.escape(challenge_definition(self.levels[(year, subject)]))}.</div>'
        )
        fmt = {c: percent for c in ("Estimated % 9-4", "% targets 9-4", "Chance 9-4", "Chance 9-7", "How likely")}
        fmt |= {
            c: one_decimal for c in ("Estimate", "Estimated grade", "Average target", "KS2 average", "Estimated A8")
        }
        fmt |= {"Estimated P8": signed, "Targets": whole}
        bars = summary[summary["Measure"] != A8]
        return {
            "headline": headline,
            "summary": table_html(summary, fmt),
            "chart": high_to_low_html(
                bars,
                "Estimated % 9-4",
                "% targets 9-4",
                "Blue: estimated % at grade 4 or above at the chosen level; orange: % of targets at 4 or above.",
            ),
            "pupils": table_html(self.pupil_table(year, subject, computed), fmt, long=True),
        }

    def save(self, folder: Path | None = None) -> list[Path]:
        """Write the levels (``<school>.yaml``) and GCSE targets (``<school>_ks4_targets.csv``)."""
        path = save_levels(self.school_id, self.levels, self.info.get("challenge", "FFT50"), folder)
        return [path, school_state.save_ks4_targets(self.school_id, self.targets, folder)]


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
    legend: str = "Blue: estimated % expected standard at the chosen level; orange: aggregated target.",
) -> str:
    """The high-to-low chart as HTML bars (fast enough to redraw on every change): estimate bar, target marker."""
    rows = []
    ordered = summary.sort_values(value, ascending=False)
    for measure, est, goal in zip(ordered["Measure"], ordered[value], ordered[target]):
        est = 0 if pd.isna(est) else est
        target = (
            ""
            if pd.isna(goal)
            else (
                f'<div style="position:absolute;left:{goal:.0f}%;top:0;width:3px;height:100%;'
                f'background:#E69F00" title="aggregated target {goal:.0f}%"></div>'
            )
        )
        rows.append(
            f'<div style="display:flex;align-items:center;margin:2px 0"><div style="width:15em">'
            f'{html.escape(measure)}</div><div style="position:relative;width:320px;height:14px;'
            f'background:#EEE"><div style="width:{est:.0f}%;height:100%;background:#0072B2"></div>{target}'
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


class WhatIfApp:
    """The what-if dashboard: choose school, year group, subject; set the challenge; edit targets; save. In
    presenter mode (a webinar on synthetic pupils): a large headline, pupils and schools by letter and number, and
    no Save button (nothing a demonstration does is written)."""

    def __init__(self, run_dir: str | Path, school_id: str | None = None, presenter: bool = False):
        import ipywidgets as w

        self.run_dir, self.presenter = Path(run_dir), presenter
        schools = WhatIf.schools(run_dir)
        options = [
            (f"School {chr(65 + i)}" if presenter else f"{n} ({k})", k) for i, (k, n) in enumerate(schools.items())
        ]
        self.school = w.Dropdown(options=options, value=school_id or options[0][1], description="School")
        self.year = w.Dropdown(description="Year group")
        self.subject = w.Dropdown(description="Subject")
        self.level = w.ToggleButtons(options=list(LEVELS) + ["Percentile"], description="Challenge")
        self.slider = w.IntSlider(value=50, min=1, max=99, description="Percentile", continuous_update=False)
        self.all_subjects = w.Checkbox(
            value=False,
            description="Apply to every subject of the year group",
            style={"description_width": "initial"},
            layout=w.Layout(width="auto"),
        )
        self.pupil = w.Dropdown(description="Pupil")
        self.target = w.Dropdown(description="Target")
        self.set_target = w.Button(description="Set target")
        self.save_button = w.Button(description="Save settings and targets", button_style="primary")
        self.message = w.HTML()
        self.headline, self.summary, self.chart, self.table = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        # the year group's figures and the pupils on two tabs: at 1280x720 both sit one click below the headline
        self.tabs = w.Tab(
            children=[
                w.VBox([self.summary, self.chart]),
                w.VBox([w.HBox([self.pupil, self.target, self.set_target]), self.message, self.table]),
            ],
            titles=("Year group", "Pupils"),
        )
        self._busy = False
        self.school.observe(lambda _: self._load(), "value")
        self.year.observe(lambda _: self._year_changed(), "value")
        self.subject.observe(lambda _: self._sync_controls(), "value")
        self.level.observe(self._level_changed, "value")
        self.slider.observe(self._slider_changed, "value")
        self.set_target.on_click(lambda _: self._apply_target())
        self.save_button.on_click(lambda _: self._save())
        self.widget = w.VBox(
            [
                w.HTML(
                    TABLE_CSS
                    + "<h2>What if? Challenge levels and targets</h2>"
                    + (
                        '<div style="background:#FFF3CD;padding:4px">Presenter mode: synthetic pupils, identifiers hidden.</div>'
                        if presenter
                        else ""
                    )
                ),
                w.HBox([self.school, self.year, self.subject]),
                w.HBox([self.level]),
                w.HBox([self.slider, self.all_subjects]),
                self.headline,
                self.tabs,
                *([] if presenter else [w.HBox([self.save_button, self.message])]),
            ]
        )
        self._load()

    # state changes
    def _load(self) -> None:
        info = PreparedRun(self.run_dir).school_info(self.school.value)
        kind = Ks4WhatIf if "estimates" not in catalogue.applicable(info) else WhatIf
        self.state = kind.open(self.run_dir, self.school.value, self.presenter)
        self._busy = True
        self.year.options = [(f"Year {y}", y) for y in self.state.year_groups()]
        self.year.value = self.state.year_groups()[0]
        self._busy = False
        self._year_changed()

    def _year_changed(self) -> None:
        if self._busy or self.year.value is None:
            return
        y = self.year.value
        self._busy = True
        keep = self.subject.value
        self.subject.options = [(self.state.subject_label(s), s) for s in self.state.subjects(y)]
        self.subject.value = keep if keep in self.state.subjects(y) else self.state.subjects(y)[0]
        pupils = self.state.year_pupils(y)
        labels = list(pupil_names(pupils, self.presenter))
        self.pupil.options = list(zip(labels, pupils["upn"]))
        self.pupil.value = pupils["upn"].iloc[0] if len(pupils) else None
        self._busy = False
        self._sync_controls()

    def _sync_controls(self) -> None:
        if self._busy or self.subject.value is None:
            return
        y, s = self.year.value, self.subject.value
        level = self.state.levels[(y, s)]
        self._busy = True
        named = {"FFT50": "FFT50", "FFT20": "FFT20", "FFT5": "FFT5", "own_past_progress": "Own past progress"}
        # a number is a percentile the user chose (even 50, which FFT50 also is); a name is a named level
        self.level.value = "Percentile" if not isinstance(level, str) else named.get(level, "Percentile")
        self.slider.value = int(round(self.state.percentile(y, s)))
        self.slider.disabled = self.level.value != "Percentile"
        self.target.options = [("(none)", "")] + [(t, t) for t in self.state.target_choices(y, s)]
        self.target.value = ""
        self._busy = False
        self.refresh()

    def _set(self, level) -> None:
        y, s = self.year.value, self.subject.value
        self.state.set_level(y, None if self.all_subjects.value else s, level)
        self._sync_controls()

    def _level_changed(self, change) -> None:
        if self._busy:
            return
        value = change["new"]
        if value == "Percentile":
            self._set(int(self.slider.value))
        else:
            self._set("own_past_progress" if value == "Own past progress" else value)

    def _slider_changed(self, change) -> None:
        if not self._busy:
            self._set(int(change["new"]))

    def _apply_target(self) -> None:
        try:
            self.state.set_target(self.pupil.value, self.subject.value, self.target.value or None)
            self.message.value = ""
        except ValueError as err:
            self.message.value = f'<span style="color:#B00">{html.escape(str(err))}</span>'
        self.refresh()

    def _save(self) -> None:
        paths = self.state.save()
        self.message.value = "Saved: " + ", ".join(html.escape(str(p)) for p in paths)

    def refresh(self) -> None:
        view = self.state.view(self.year.value, self.subject.value)
        self.headline.value, self.summary.value = view["headline"], view["summary"]
        self.chart.value, self.table.value = view["chart"], view["pupils"]


def app(run_dir: str | Path | None = None, school_id: str | None = None, presenter: bool | None = None):
    """The dashboard widget. Unset arguments come from TOOLKIT_WHATIF_RUN / _SCHOOL / _PRESENTER (what
    ``toolkit dashboard`` sets), else the demo run."""
    run = run_dir or os.environ.get("TOOLKIT_WHATIF_RUN") or locations.demo_run()
    school = school_id or os.environ.get("TOOLKIT_WHATIF_SCHOOL") or None
    shown = presenter if presenter is not None else os.environ.get("TOOLKIT_WHATIF_PRESENTER", "") == "1"
    try:
        return WhatIfApp(run, school, shown).widget
    except (ValueError, FileNotFoundError) as err:  # real data in presenter mode, no prepared run: say so on screen
        import ipywidgets as w

        return w.HTML(f'<div class="whatif-refused" style="color:#B00;font-size:120%">{html.escape(str(err))}</div>')
