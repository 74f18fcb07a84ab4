"""The trust overview (notebooks/trust_overview.ipynb): every primary of a prepared run side by side — headline
attainment and its change, DfE value added with intervals on one chart, the disadvantaged gap, the trend, and
Year 6 targets against the FFT estimates. The figures are the schools' summary figures (``summary_views``), so the
overview and each school's summary never disagree; groups under ``min_group_pupils`` are suppressed."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from toolkit.methods import attainment as attainment_method
from toolkit.methods import profile
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import attendance_views, charts, glossary, ks4_views, summary_views, va_views, views
from toolkit.reports.display import MARKER_EDGE, heading, note, show_figure, show_table, title_block
from toolkit.reports.formats import (
    difference_in_units,
    marked,
    one_decimal,
    percent,
    pupils_gap,
    signed_pp,
    significance,
    whole,
)
from toolkit.reports.views import CHALLENGE_COLUMNS, School

VA_SUBJECTS = ("reading", "writing", "maths")


def schools(run_dir: str | Path) -> tuple[list[School], list[dict]]:
    """The run's schools with past KS2 results (loaded as the school reports load them), and the others' info."""
    run = PreparedRun(run_dir)
    run.check()
    loaded, others = [], []
    for school_id in run.school_ids():
        info = run.school_info(school_id)
        if info.get("past_years"):
            loaded.append(views.load(run_dir, school_id))
        else:
            others.append(info)
    return loaded, others


def short_name(school: School | dict) -> str:
    """A school's name as the overview's rows print it (a School, or its info from ``school.json``)."""
    info = school if isinstance(school, dict) else school.info
    return str(info.get("school_name") or info["school_id"]).replace(" (synthetic)", "")


def title(run_dir: str | Path) -> None:
    run = PreparedRun(run_dir)
    infos = [run.school_info(s) for s in run.school_ids()]
    trust = next((i.get("trust") for i in infos if i.get("trust")), None) or "All schools in this run"
    national = run.national_info()
    title_block(
        {"school_name": trust, "school_id": f"{len(infos)} schools"},
        "Trust overview",
        f"KS2 results to {max((max(i.get('past_years') or [0]) for i in infos), default=0)} and Year 6 now",
        "FFT50 for the estimates; each school's saved settings for its targets",
        f"each school's pupil data; national reference {national['reference_file']}",
        any(i.get("synthetic") for i in infos),
        key=glossary.terms("trust_overview"),
        provenance=glossary.provenance("trust_overview", national),
    )


def attainment(loaded: list[School]) -> pd.DataFrame:
    """Per school: the latest KS2 cohort's % RWM expected standard, national, the gap and its change, and the % RWM
    higher standard (each picked by its measure, as the school's summary has it)."""
    rows = []
    for school in loaded:
        a = summary_views.attainment_measures(school).set_index(["measure", "subject"])
        rwm, higher = a.loc[("expected_standard", "rwm")], a.loc[("higher_standard", "rwm")]
        rows.append(
            {
                "School": short_name(school),
                "KS2": max(school.past),
                "Pupils": len(school.past[max(school.past)]),
                "RWM expected (%)": rwm["school"],
                "National (%)": rwm["national"],
                "Gap (pp)": rwm["gap"],
                "Change since last year": rwm["change"],
                "RWM higher (%)": higher["school"],
            }
        )
    return pd.DataFrame(rows)


def value_added(loaded: list[School]) -> pd.DataFrame:
    """Per school and subject: DfE value added of the latest cohort with a measure, interval and significance."""
    frames = []
    for school in loaded:
        measured = va_views.latest_measured(va_views.measure_years(school))
        if measured is None or school.va_scores is None:
            continue
        year, status = measured
        scores = school.va_scores
        mine = scores[(scores["year"] == year) & (scores["method"] == "DfE") & scores["subject"].isin(VA_SUBJECTS)]
        frames.append(mine.assign(school=short_name(school), status=status))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def va_chart(va: pd.DataFrame, title: str):
    """Every school's value added per subject with its 95% interval, one panel per subject, schools on one axis."""
    names = list(dict.fromkeys(va["school"]))
    height = 0.32 * len(names) + 1.8
    fig, axes = plt.subplots(1, len(VA_SUBJECTS), figsize=(7.2, height), sharey=True)
    y = np.arange(len(names))
    kinds = charts.SIGNIFICANCE  # by shape as well as colour (never colour alone): ▲ above, ● in line, ▼ below
    counts = dict.fromkeys(kinds, 0)
    for ax, subject in zip(axes, VA_SUBJECTS):
        s = va[va["subject"] == subject].set_index("school").reindex(names)
        kind = significance(s["ci_low"], s["ci_high"])
        for name, (colour, marker) in kinds.items():
            mine = (kind == name) & s["score"].notna().to_numpy()
            counts[name] += int(mine.sum())
            ax.hlines(y[mine], s["ci_low"][mine], s["ci_high"][mine], colors=colour, linewidth=2.2)
            ax.scatter(
                s["score"][mine],
                y[mine],
                color=colour,
                marker=marker,
                s=30,
                zorder=3,
                edgecolor=MARKER_EDGE,
                linewidth=0.5,
                label=name,
            )
        ax.axvline(0, color="#444", linewidth=1)
        ax.set(title=subject.capitalize(), xlabel="VA (points)")
        ax.tick_params(labelsize=7)
    axes[0].set_yticks(y, names)
    axes[0].invert_yaxis()
    fig.suptitle(title, fontsize=9, fontweight="bold")
    handles = [
        plt.Line2D([], [], color=c, marker=m, linestyle="", markeredgecolor=MARKER_EDGE) for c, m in kinds.values()
    ]
    fig.legend(handles, list(kinds), loc="lower center", ncol=3, frameon=False, fontsize=7)
    fig.set_layout_engine("tight", rect=(0, 0.35 / height, 1, 1))
    fig.set_label(
        f"{title}: each school's value added in reading, writing and maths with its 95% interval; "
        + ", ".join(f"{n} {k}" for k, n in counts.items())
        + " (school and subject results)."
    )
    return fig


def disadvantaged_gaps(loaded: list[School], smallest: int) -> pd.DataFrame:
    """Per school: the disadvantaged pupils' RWM gap to the rest (points and pupils), suppressed under
    ``smallest`` pupils."""
    rows = []
    for school in loaded:
        gaps = summary_views.rwm_gaps(school)
        row = gaps[gaps["group"] == "Disadvantage"]
        if row.empty:
            rows.append({"School": short_name(school), "Disadvantaged pupils": 0, "Reads": "no disadvantaged pupils"})
            continue
        r = row.iloc[0]
        small = r["pupils"] < smallest
        rows.append(
            {
                "School": short_name(school),
                "Disadvantaged pupils": r["pupils"],
                "Gap (pp)": np.nan if small else r["gap"],
                "Gap (pupils)": np.nan if small else r["gap_pupils"],
                "Reads": f"fewer than {smallest} pupils: not shown" if small else r["reads"],
            }
        )
    return pd.DataFrame(rows)


def trend(loaded: list[School]) -> pd.DataFrame:
    """Per school: % RWM expected standard in each past KS2 year."""
    rows = []
    for school in loaded:
        row = {"School": short_name(school)}
        for year, cohort in sorted(school.past.items()):
            row[str(year)] = 100 * attainment_method.reached(cohort)["rwm"].mean()
        rows.append(row)
    table = pd.DataFrame(rows)
    years = sorted(c for c in table.columns if c != "School")
    return table[["School", *years]]


def targets(loaded: list[School]) -> pd.DataFrame:
    """Per school: Year 6's RWM expected standard estimated at FFT50 / FFT20 / FFT5 and the aggregated target (the
    RWM row of the school's summary, picked by its subject)."""
    rows = []
    for school in loaded:
        t = summary_views.target_measures(school)
        rwm = t[t["subject"] == "rwm"] if len(t) else t
        if rwm.empty:
            continue
        r = rwm.iloc[0]
        rows.append(
            {
                "School": short_name(school),
                "Year 6 pupils": r["pupils"],
                **{CHALLENGE_COLUMNS[c]: r.get(c, np.nan) for c in ("FFT50", "FFT20", "FFT5")},
                "Aggregated target": r["aggregated_target"],
                "Targets are": r["position"],
            }
        )
    return pd.DataFrame(rows)


def secondaries(run_dir: str | Path) -> pd.DataFrame:
    """Per secondary school (past Year 11 results): its latest Year 11's headline measures as its own KS4 report
    prints them, with the national figure and its year, and its latest official Progress 8 with significance."""
    run = PreparedRun(run_dir)
    rows = []
    for school_id in run.school_ids():
        if not run.school_info(school_id).get("ks4_years"):
            continue
        school = views.load(run_dir, school_id)
        table = ks4_views.headline_table(school).set_index("Measure")
        latest = max(school.info["ks4_years"])
        row = {"School": short_name(school), "Year 11 of": latest}
        for measure in ("a8", "pct_eng_maths_4", "pct_eng_maths_5"):
            line = table.loc[ks4_views.HEADLINES[measure]]
            row[ks4_views.HEADLINES[measure]] = line[str(latest)]
            row[f"{ks4_views.HEADLINES[measure]}: national"] = f"{line['National']:.1f} ({line['National year']})"
        official = ks4_views.official_years(school)
        if official:
            p8 = ks4_views.p8_table(school, max(official)).set_index("Measure").loc["Progress 8"]
            row["Progress 8"] = f"{p8['Score']:+.2f} ({max(official)}, {p8['Significance']})"
        rows.append(row)
    return pd.DataFrame(rows)


def show_secondaries(secondary: pd.DataFrame) -> None:
    """The secondary schools' Year 11 table (``secondaries``), with what its columns mean."""
    if not len(secondary):
        return
    heading("Secondary schools: Year 11 results", 2)
    show_table(
        secondary,
        {"Year 11 of": whole}
        | {c: one_decimal for c in secondary.columns if c.startswith(("Att", "%")) and ":" not in c},
    )
    note(
        "Each school's latest Year 11, as its KS4 results report prints it; national: all state-funded schools in "
        "England, of the year in brackets. Progress 8: the latest year with an official measure (none for 2025 "
        "and 2026: those pupils took no KS2 tests)."
    )


def _latest(rows: pd.DataFrame, measure: str, group: str = "all"):
    mine = rows[(rows["measure"] == measure) & (rows["group"] == group) & rows["value"].notna()]
    return None if mine.empty else mine.sort_values("academic_year").iloc[-1]


def profiles(run_dir: str | Path, smallest: int) -> pd.DataFrame:
    """Every school's profile headline (each phase): roll, disadvantaged share and band, the latest headline result
    against national, disadvantaged pupils against national other pupils, attendance, persistent absence and the
    Year 1 phonics result; the figures are those of each school's profile."""
    run = PreparedRun(run_dir)
    rows = []
    for school_id in run.school_ids():
        if not run.has_table(school_id, "profile_context"):
            continue
        info = run.school_info(school_id)
        context = run.table(school_id, "profile_context").set_index("measure")
        achievement = run.table(school_id, "profile_achievement")
        behaviour = run.table(school_id, "profile_behaviour")
        dis = context.loc["fsm6"]
        row = {
            "School": short_name(info),
            "Pupils": str(int(dis["of"])),
            "Disadvantaged": f"{percent(dis['percent'], 1)} ({dis['band']})"
            if dis["band"]
            else percent(dis["percent"], 1),
        }
        measure = "ks2_rwm_expected" if (achievement["measure"] == "ks2_rwm_expected").any() else "eng_maths_4"
        short = "KS2 RWM" if measure == "ks2_rwm_expected" else "KS4 English and maths 4+"
        every, poorer = _latest(achievement, measure), _latest(achievement, measure, "disadvantaged")
        if every is not None:
            row["Headline result"] = (
                f"{short} {int(every['academic_year'])}: {percent(every['value'])} (national {percent(every['vs_all'])})"
            )
        if poorer is not None:
            row["Disadvantaged against national other"] = (
                f"fewer than {smallest} pupils"
                if poorer["pupils"] < smallest
                else f"{percent(poorer['value'])} against {percent(poorer['vs_national_other'])}: "
                + difference_in_units(poorer["value"], poorer["vs_national_other"], digits=0)
            )
        for measure, label in (("attendance_rate", "Attendance"), ("persistent_rate", "Persistent absence")):
            mine = behaviour[behaviour["measure"] == measure].sort_values("academic_year")
            if len(mine):
                row[label] = f"{percent(mine['value'].iloc[-1], 1)} (national {percent(mine['national'].iloc[-1], 1)})"
        phonics = _latest(achievement, "year1_met")
        if phonics is not None:
            row["Phonics, Year 1"] = f"{percent(phonics['value'])} (national {percent(phonics['vs_all'])})"
        rows.append(row)
    return pd.DataFrame(rows).fillna("")


NOT_IN_FILE = "not in the outcomes file"


def ofsted_grades(run_dir: str | Path) -> pd.DataFrame:
    """Each school's latest report-card grades as Ofsted's outcomes file gives them (one column per area, in
    Ofsted's order); a school the file does not name says so."""
    run = PreparedRun(run_dir)
    labels = profile.settings()["area_labels"] | {"safeguarding": "Safeguarding"}
    rows = []
    for school_id in run.school_ids():
        info = run.school_info(school_id)
        row = {"School": short_name(info)}
        grades = run.table_or_none(school_id, "profile_ofsted")
        if grades is None or grades.empty:
            row["Inspected"] = NOT_IN_FILE
        else:
            row["Inspected"] = pd.Timestamp(grades["inspection_date"].iloc[0]).strftime("%d %b %Y")
            row |= dict(zip(grades["area"].map(labels), grades["grade"], strict=True))
        rows.append(row)
    order = ["School", "Inspected", *(labels[a] for a in [*profile.settings()["areas"], "safeguarding"])]
    table = pd.DataFrame(rows)
    return table[[c for c in order if c in table]].fillna("")


def show_profiles(run_dir: str | Path) -> None:
    """The profile headline of every school and, where the trust gave Ofsted's outcomes file, the latest grades."""
    smallest = summary_views.summary_parameters()["min_group_pupils"]
    table = profiles(run_dir, smallest)
    if table.empty:
        return
    heading("Every school at a glance (school profiles)", 2)
    show_table(table)
    note(
        "Each school's profile (its own report): the disadvantaged share with its band among all schools, the latest "
        "headline result against the DfE's national figure, disadvantaged pupils against national other pupils (the "
        "DfE's comparator; pp: percentage points), attendance and persistent absence this year so far, and the Year 1 "
        "phonics check. Data only: no grade is predicted."
    )
    grades = ofsted_grades(run_dir)
    heading("Ofsted report cards: latest grades", 3)
    if "Inspected" in grades and (grades["Inspected"] != NOT_IN_FILE).any():
        show_table(grades)
        note(
            "As Ofsted's outcomes file in the data folder gives them (ofsted_outcomes.csv: parameters/ofsted/outcomes.yaml "
            "reads it); the toolkit never grades a school. In the demo the file is synthetic and every grade in it is "
            "invented."
        )
    else:
        note(
            "No Ofsted outcomes file in the data folder: put Ofsted's published file there as ofsted_outcomes.csv (or "
            ".xlsx) to see each school's latest report-card grades here."
        )


def trust_report(run_dir: str | Path) -> None:
    show_profiles(run_dir)
    loaded, others = schools(run_dir)
    secondary = secondaries(run_dir)
    if not loaded:
        show_secondaries(secondary)
        attendance_views.trust_section([views.load(run_dir, s) for s in PreparedRun(run_dir).school_ids()], short_name)
        if not len(secondary):
            note("No school in this run has past KS2 or KS4 results to compare.")
        return
    smallest = summary_views.summary_parameters()["min_group_pupils"]
    heading("Attainment: reading, writing and maths (RWM) at the expected standard", 3)
    show_table(
        attainment(loaded),
        {
            "KS2": whole,
            "Pupils": whole,
            "RWM expected (%)": one_decimal,
            "National (%)": one_decimal,
            "Gap (pp)": signed_pp,
            "Change since last year": marked,
            "RWM higher (%)": one_decimal,
        },
    )
    va = value_added(loaded)
    if len(va):
        years = sorted(set(va["year"]))
        heading(f"Value added (DfE progress), KS2 {', '.join(map(str, years))}", 3)
        show_figure(va_chart(va, "Value added with 95% confidence intervals, by school"))
        note(
            "Scaled-score points (writing: TA points). ▲ (turquoise): the whole interval above 0, significantly "
            "above national; ▼ (dark pink): significantly below; ● (blue): in line. Each school's latest cohort with "
            "a KS1 baseline (KS2 2024 and 2025 have none)."
        )
    heading("Disadvantaged pupils: RWM gap to the rest of the cohort", 3)
    show_table(
        disadvantaged_gaps(loaded, smallest),
        {"Disadvantaged pupils": whole, "Gap (pp)": signed_pp, "Gap (pupils)": pupils_gap},
    )
    note(f"Groups of fewer than {smallest} pupils are not shown.")
    heading("Trend: % RWM expected standard by year", 3)
    t = trend(loaded)
    show_table(t, {c: one_decimal for c in t.columns if c != "School"})
    heading("Year 6 this year: RWM estimates and aggregated targets", 3)
    show_table(
        targets(loaded),
        {"Year 6 pupils": whole, "Aggregated target": percent} | {v: percent for v in CHALLENGE_COLUMNS.values()},
    )
    show_secondaries(secondary)
    attendance_views.trust_section([views.load(run_dir, s) for s in PreparedRun(run_dir).school_ids()], short_name)
    left_out = [i for i in others if not i.get("ks4_years")]  # secondaries are in their own table
    if left_out:
        note(
            "Not in the primary tables (no past KS2 results): "
            + ", ".join(f"{i.get('school_name')} ({i['school_id']})" for i in left_out)
            + "."
        )
