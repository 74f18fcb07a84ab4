"""The what-if state of a secondary school: Years 7-11, a level per GCSE subject ("Attainment 8" for A8 and P8), GCSE
targets 9-1 or U.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit.inputs import school_state
from toolkit.methods import ks4_estimates
from toolkit.pipeline.store import PreparedRun
from toolkit.reports.display import table_html
from toolkit.reports.formats import one_decimal, percent, signed, whole
from toolkit.vocabulary import (
    challenge_definition,
    challenge_label,
    year_group_number,
)
from toolkit.whatif.state import WhatIfState, high_to_low_html, pupil_names, refuse_real_data_in_presenter_mode

A8 = "Attainment 8"


GCSE_TARGETS = tuple(str(g) for g in range(9, 0, -1)) + ("U",)


@dataclass
class Ks4WhatIf(WhatIfState):
    """A secondary school's what-if state: a level per (year group, GCSE subject; "Attainment 8" for A8 and P8)
    and editable GCSE targets, on the same dashboard as a primary's (``WhatIf``'s interface)."""

    targets: pd.DataFrame = field(default_factory=pd.DataFrame)  # upn, subject, target (pupils: Years 7-11)

    @classmethod
    def open(cls, run_dir: str | Path, school_id: str | None = None, presenter: bool = False) -> Ks4WhatIf:
        run = PreparedRun(run_dir)
        school_id = school_id or next(iter(cls.schools(run.root)))
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
        state = cls(run.root, school_id, presenter, info, pupils, targets=targets.reset_index(drop=True))
        est = run.table(school_id, "ks4_estimates")
        pairs = est.loc[est["challenge"] == "FFT50", ["upn", "subject"]]  # what each pupil is estimated in
        year = year_group_number(pupils["year_group"])
        core = ks4_estimates.core_subjects()
        order = sorted(set(pairs["subject"]), key=lambda x: (core.index(x) if x in core else len(core), x))
        pairs = pairs.assign(order=pairs["subject"].map({s: i for i, s in enumerate(order)}))
        pairs = pairs.sort_values("order", kind="stable")  # the core subjects first, then the others by name
        for y in sorted(set(year.dropna().astype(int)), reverse=True):
            rows = pupils[year == y]
            located = ks4_estimates.locate(rows, pairs[pairs["upn"].isin(set(rows["upn"]))])
            if located.base is not None:
                state._located[y] = (rows.index, located)
        state.load_levels(state._located)
        return state

    def subjects(self, year: int) -> tuple[str, ...]:
        return (A8, *super().subjects(year)) if year in self._located else ()

    def subject_label(self, subject: str) -> str:
        return subject

    def target_choices(self, year: int, subject: str) -> tuple[str, ...]:
        return () if subject == A8 else GCSE_TARGETS

    def own_percentile(self, subject: str) -> float:
        own = self.info.get("ks4_own_past_progress")
        if own is None:
            raise ValueError("No own past progress: the school has no past Year 11 with an official Progress 8")
        return float(own["percentile"])

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
        _, located = self._located[year]
        cut = ks4_estimates.grade_points(t).to_numpy(dtype=float)
        reach = located.chance_at_least(subject, cut, self.percentile(year, subject))
        table = pd.DataFrame(
            {
                "Pupil": names.to_numpy(),
                "Estimated grade": e["estimate"].to_numpy(),
                "Chance 9-4": 100 * e["chance_4plus"].to_numpy(),
                "Chance 9-7": 100 * e["chance_7plus"].to_numpy(),
                "Target": t.fillna("").to_numpy(),
                "How likely": 100 * reach,
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
        path = self.save_levels(folder)
        return [path, school_state.save_ks4_targets(self.school_id, self.targets, folder)]
