"""The what-if state of a primary school: Years 1-6, their pupils located once by the fitted estimate models, so a new
challenge level only shifts their distributions (no refit), with KS1 and KS2 targets.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.inputs import school_state
from toolkit.methods.targets import aggregate_targets, target_cut
from toolkit.pipeline.store import PreparedRun
from toolkit.reports.display import table_html
from toolkit.reports.formats import percent, signed_pp
from toolkit.vocabulary import (
    COMBINED,
    SUBJECT_LABELS,
    challenge_definition,
    challenge_label,
    year_group_number,
)
from toolkit.whatif.state import (
    TARGET_CHOICES,
    YEARS,
    WhatIfState,
    high_to_low_html,
    pupil_names,
    refuse_real_data_in_presenter_mode,
)


@dataclass
class WhatIf(WhatIfState):
    """One school's what-if state: a level per (year group, subject) and editable targets."""

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
                state._located[y] = (rows.index, models[stage].locate(rows))
        state.load_levels(state._located)
        return state

    # -- settings
    def subject_label(self, subject: str) -> str:
        return SUBJECT_LABELS[subject]

    def measures(self, year: int) -> tuple[str, ...]:
        return (*self.subjects(year), *COMBINED[YEARS[year]])

    def parts(self, year: int, measure: str) -> tuple[str, ...]:
        return tuple(COMBINED[YEARS[year]].get(measure, (measure,)))

    def target_choices(self, year: int, subject: str) -> tuple[str, ...]:
        if subject in COMBINED[YEARS[year]]:
            return ()  # a target is set per subject; a combined measure's follows from them
        return TARGET_CHOICES["writing" if (YEARS[year] == "ks2" and subject == "writing") else YEARS[year]]

    def own_percentile(self, subject: str) -> float:
        own = self.info.get("own_past_progress", {}).get(subject)
        if own is None:
            raise ValueError(f"No own past progress for {subject}: the school has no past value added")
        return float(own)

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
        if subject in COMBINED[YEARS[year]]:  # every pupil's chance of the standard in all its subjects
            return pd.DataFrame(
                {
                    "Pupil": pupil_names(pupils, self.presenter).to_numpy(),
                    "Expected standard": 100 * est[f"{subject}_p_expected"].to_numpy(),
                    "High": 100 * est[f"{subject}_p_high"].to_numpy(),
                }
            )
        _, located = self._located[year]
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
        fmt["Gap to target"] = lambda v: signed_pp(v, 0)
        return {
            "headline": headline,
            "summary": table_html(summary, fmt),
            "chart": high_to_low_html(summary),
            "pupils": table_html(self.pupil_table(year, subject, computed), fmt, long=True),
        }

    # -- saving
    def save(self, folder: Path | None = None) -> list[Path]:
        """Write the levels (``<school>.yaml``) and targets (``<school>_targets.csv``) for the report pack."""
        path = self.save_levels(folder)
        targets = school_state.save_targets(self.school_id, self.pupils, folder)
        return [path, targets]
