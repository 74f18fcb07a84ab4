"""The dashboard: ipywidgets over a school's what-if state (``state.WhatIfState``; primary or KS4), for JupyterLab and
the Voila dashboard.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from toolkit import locations
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue
from toolkit.whatif.ks4 import Ks4WhatIf
from toolkit.whatif.primary import WhatIf
from toolkit.whatif.state import LEVELS, TABLE_CSS, pupil_names


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
        # a control as wide as its words: no name or label cut off ("Save settings an...")
        wide = w.Layout(width="auto")
        self.school = w.Dropdown(
            options=options, value=school_id or options[0][1], description="School", layout=w.Layout(min_width="24em")
        )
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
        self.set_target = w.Button(description="Set target", layout=wide)
        self.save_button = w.Button(description="Save settings and targets", button_style="primary", layout=wide)
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
        self.subject.options = [(self.state.subject_label(s), s) for s in self.state.measures(y)]
        self.subject.value = keep if keep in self.state.measures(y) else self.state.measures(y)[0]
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
        level = self.state.level(y, s)
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
