"""The summary a head teacher and governors read first (1-2 pages): attainment against national and last year,
value added with what "significantly" means, the largest group gaps in pupils as well as percentages, Year 6
estimates against targets, and three to five "areas to look at" chosen by the rules in
``parameters/summary.yaml``, each pointing to the detailed report it comes from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.methods import attainment, policy
from toolkit.methods.groups import attainment_gaps
from toolkit.methods.targets import aggregate_targets
from toolkit.reports import attendance_views, charts, ks4_views, va_views
from toolkit.reports.display import heading, note, show_figure, show_table
from toolkit.reports.formats import as_shown, marked, one_decimal, pupils_gap, signed, signed_pp, significance, whole
from toolkit.reports.target_views import TARGET_FORMATS, _target_table
from toolkit.reports.va_views import latest_measured, measure_years
from toolkit.reports.views import CHALLENGE_COLUMNS, School
from toolkit.vocabulary import SHORT_LABELS, SUBJECT_LABELS, academic_year

HEADLINE = [
    ("expected_standard", "rwm"),
    ("expected_standard", "reading"),
    ("expected_standard", "writing"),
    ("expected_standard", "maths"),
    ("higher_standard", "rwm"),
]


def summary_parameters() -> dict:
    return parameters.load_yaml("summary.yaml")


def _rates(frame: pd.DataFrame) -> pd.Series:
    """KS2 headline measures of a cohort, by (measure, subject)."""
    h = attainment.headline_measures(frame)
    return h[h["keystage"] == "KS2"].set_index(["measure", "subject"])["value"]


def change_words(gap: float, before: float, same: float = 0.5) -> str:
    """How the gap to national moved since the year before, in words that cannot be misread: "▲ up 3.1 pp, still
    below national", "▼ down 2.0 pp, now below national", "► about the same, still above national" (within ``same``
    percentage points). ▲ / ▼: the school moved up / down against national. Empty without last year's gap."""
    if np.isnan(gap) or np.isnan(before):
        return ""
    change = gap - before
    side = "above" if gap > 0 else "below" if gap < 0 else "level with"
    crossed = gap != 0 and before != 0 and (gap > 0) != (before > 0)
    where = f"{'now' if crossed or gap == 0 else 'still'} {side} national"
    if abs(change) <= same:
        return f"► about the same, {where}"
    return f"{'▲ up' if change > 0 else '▼ down'} {abs(change):.1f}\u00a0pp, {where}"


def attainment_measures(school: School) -> pd.DataFrame:
    """The latest KS2 cohort's headline measures against national (``HEADLINE``, by ``measure`` and ``subject``):
    ``school``, ``national``, ``gap`` (percentage points), ``gap_before`` (the previous cohort's) and ``change``
    (``change_words``); ``previous`` is the previous cohort's year (or None)."""
    years = sorted(school.past)
    latest, previous = years[-1], (years[-2] if len(years) > 1 else None)
    nat = school.headline.set_index(["keystage", "measure", "subject"])["value"]
    now, then = _rates(school.past[latest]), (_rates(school.past[previous]) if previous else None)
    rows = []
    for measure, subject in HEADLINE:
        # each figure as the summary prints it (one decimal), so the gap printed is the difference of the two printed
        mine = as_shown(float(now.get((measure, subject), np.nan)))
        national = as_shown(float(nat.get(("KS2", measure, subject), np.nan)))
        gap = mine - national
        before = as_shown(float(then.get((measure, subject), np.nan))) - national if then is not None else np.nan
        rows.append(
            {
                "measure": measure,
                "subject": subject,
                "school": mine,
                "national": national,
                "gap": gap,
                "gap_before": before,
                "change": change_words(gap, before),
                "previous": previous,
            }
        )
    return pd.DataFrame(rows)


def attainment_rows(school: School) -> pd.DataFrame:
    """``attainment_measures`` as the summary shows them."""
    a = attainment_measures(school)
    previous = a["previous"].iloc[0]
    return pd.DataFrame(
        {
            "Measure": [
                f"% {'expected' if m == 'expected_standard' else 'higher'} standard, {SUBJECT_LABELS[s]}"
                for m, s in zip(a["measure"], a["subject"])
            ],
            "School (%)": a["school"],
            "National (%)": a["national"],
            "Gap (pp)": a["gap"],
            f"Gap in {previous} (pp)": a["gap_before"],
            "Change": a["change"],
        }
    )


def latest_va(school: School) -> tuple[pd.DataFrame, int | None, str]:
    """The DfE value added scores (``subject, pupils, score, ci_low, ci_high``) of the latest cohort that has a
    measure, its year and status; empty and None without one."""
    measured = latest_measured(measure_years(school))
    if measured is None or school.va_scores is None:
        return pd.DataFrame(columns=["subject", "pupils", "score", "ci_low", "ci_high"]), None, ""
    year, status = measured
    return school.va_scores[(school.va_scores["year"] == year) & (school.va_scores["method"] == "DfE")], year, status


def va_rows(school: School) -> tuple[pd.DataFrame, int | None, str]:
    """DfE value added of the latest cohort that has a measure, with significance in words."""
    s, year, status = latest_va(school)
    if year is None:
        return pd.DataFrame(), None, ""
    table = pd.DataFrame(
        {
            "Subject": s["subject"].map(SUBJECT_LABELS),
            "Pupils": s["pupils"],
            "VA score (points)": s["score"],
            "95% interval": [f"{signed(a)} to {signed(b)}" for a, b in zip(s["ci_low"], s["ci_high"])],
            "Compared with national": significance(s["ci_low"], s["ci_high"]),
        }
    )
    return table, year, status


def rwm_gaps(school: School) -> pd.DataFrame:
    """The RWM expected standard's group gaps in the latest KS2 cohort (``groups.attainment_gaps``; the groups of
    ``parameters/summary.yaml``)."""
    year = max(school.past)
    cohort = school.past[year]
    labels = school.labels_for(cohort, year)  # as prepared for the school's reports
    rwm = attainment.reached(cohort)["rwm"].to_numpy(dtype=bool)
    return attainment_gaps(rwm, labels, summary_parameters()["gap_groups"], summary_parameters()["min_group_pupils"])


def gap_rows(gaps: pd.DataFrame) -> pd.DataFrame:
    """``rwm_gaps`` as the summary shows them."""
    return pd.DataFrame(
        {
            "Group": [f"{label} ({group})" for group, label in zip(gaps["group"], gaps["label"])],
            "Pupils": gaps["pupils"],
            "Rest": gaps["rest"],
            "Gap (pp)": gaps["gap"],
            "Gap (pupils of the group)": gaps["gap_pupils"],
            "Reads": gaps["reads"],
        }
    )


def target_position(target: float, fft50: float, fft20: float, fft5: float) -> str:
    """Where an aggregated target sits among the FFT50 / FFT20 / FFT5 estimates, in words."""
    if np.isnan(target) or np.isnan(fft50):
        return ""
    if target < fft50:
        return "below FFT50"
    if np.isnan(fft20) or target < fft20:
        return "between FFT50 and FFT20"
    if np.isnan(fft5) or target < fft5:
        return "between FFT20 and FFT5"
    return "at or above FFT5"


def target_measures(school: School) -> pd.DataFrame:
    """Year 6's estimated % expected standard at FFT50 / FFT20 / FFT5 (and own past progress) against the aggregated
    target, by ``subject`` (``targets.aggregate_targets``), and where the target sits among them (``position``)."""
    pupils, estimates = school.year_pupils(6), school.challenge_estimates(6)
    if pupils.empty or not estimates:
        return pd.DataFrame()
    table = aggregate_targets(estimates, pupils, "ks2", "expected")
    fft = [table.get(c, pd.Series(np.nan, index=table.index)) for c in ("FFT50", "FFT20", "FFT5")]
    table["position"] = [target_position(t, *f) for t, *f in zip(table["aggregated_target"], *fft)]
    return table


def target_rows(school: School) -> pd.DataFrame:
    """``target_measures`` as the summary shows them (the targets report's first table)."""
    table = target_measures(school)
    return _target_table(table).rename(columns={"position": "Targets are"}) if len(table) else table


def target_sentence(targets: pd.DataFrame) -> str:
    """One sentence: where Year 6's aggregated targets sit against FFT50, FFT20 and FFT5, measure by measure."""
    by_place: dict[str, list[str]] = {}
    for measure, place in zip(targets["Measure"], targets["Targets are"]):
        if place:
            by_place.setdefault(place, []).append(measure.lower())
    parts = [f"{place} for {'; '.join(measures)}" for place, measures in by_place.items()]
    return (
        "The aggregated targets sit " + ". They sit ".join(parts) + ". FFT50 is average progress, FFT20 that of "
        "the top 20% of schools, FFT5 the top 5%: targets below FFT50 expect less than similar pupils usually achieve."
        if parts
        else "No Year 6 pupil has a target yet."
    )


def areas_to_look_at(
    school: School, attain: pd.DataFrame, va: pd.DataFrame, gaps: pd.DataFrame, targets: pd.DataFrame | None = None
) -> list[str]:
    """Three to five sentences chosen by the rules of parameters/summary.yaml, each naming where to look, ranked by
    what they add beyond the tables above them: value added significantly below national first, then group gaps
    counted in pupils, then Year 6 targets below the FFT50 estimate (an action the school can take now; reading,
    writing and maths first), at most one attainment gap (the table already shows them all), and value added
    significantly above national last."""
    rules = summary_parameters()["areas"]
    found: list[tuple[float, str]] = []
    for _, row in va.iterrows():
        score, subject = row["VA score (points)"], row["Subject"].lower()
        if row["Compared with national"] == "significantly below":
            found.append(
                (
                    10 + abs(score),
                    f"Value added in {subject} was significantly below national "
                    f"({signed(score)} points): see Value added (prior attainment groups, pupil groups).",
                )
            )
        elif row["Compared with national"] == "significantly above":
            found.append(
                (
                    0.5 + abs(score) / 100,
                    f"Value added in {subject} was significantly above national "
                    f"({signed(score)} points): worth sharing what worked (Value added).",
                )
            )
    below = attain[attain["Gap (pp)"] <= -rules["attainment_gap_points"]]  # a missing gap is never below
    for _, row in below.sort_values("Gap (pp)").head(1).iterrows():  # the table shows the rest
        gap = row["Gap (pp)"]
        found.append(
            (
                1 + abs(gap) / 100,
                f"{row['Measure']}: {one_decimal(row['School (%)'])}%, "
                f"{one_decimal(abs(gap))} pp below national (Value added, attainment table).",
            )
        )
    for _, row in gaps.iterrows():
        if row["Reads"] == "behind" and abs(row["Gap (pp)"]) >= rules["group_gap_points"]:
            found.append(
                (
                    6 + abs(row["Gap (pp)"]) / 100,
                    f"{row['Group']}: {one_decimal(abs(row['Gap (pp)']))} "
                    f"pp behind the rest at RWM, about {abs(row['Gap (pupils of the group)']):.0f} of "
                    f"{row['Pupils']} pupils (Pupil groups; Value added by pupil group).",
                )
            )
    for _, row in (targets if targets is not None else pd.DataFrame()).iterrows():
        short = row["Aggregated target"] - row[CHALLENGE_COLUMNS["FFT50"]]
        if not np.isnan(short) and short <= -rules["target_below_fft50_points"]:
            found.append(
                (
                    5 + abs(short) / 100 + (0.01 if row["Measure"].lower() == "reading, writing and maths" else 0),
                    f"Year 6 targets, {row['Measure'].lower()}: {one_decimal(row['Aggregated target'])}% would reach "
                    f"the expected standard, {one_decimal(abs(short))} pp below the FFT50 estimate "
                    f"({one_decimal(row[CHALLENGE_COLUMNS['FFT50']])}%) (Targets versus estimates).",
                )
            )
    found.sort(key=lambda x: -x[0])
    sentences = [s for _, s in found[: rules["most"]]]
    if len(sentences) < rules["fewest"]:
        sentences.append("Nothing else stood out; the detailed reports show every figure.")
    return sentences


def headline_chart(school: School):
    """Page 1's chart: the headline measures against national and the latest value added, significance marked."""
    a = attainment_measures(school)
    attain = pd.DataFrame(
        {
            "label": [
                f"{SHORT_LABELS[s]} {'expected' if m == 'expected_standard' else 'higher'}"
                for m, s in zip(a["measure"], a["subject"])
            ],
            "school": a["school"],
            "national": a["national"],
        }
    )
    va = latest_va(school)[0]
    scores = va.assign(label=va["subject"].map(SUBJECT_LABELS))[["label", "score", "ci_low", "ci_high"]]
    return charts.headline(attain, scores, f"KS2 {max(school.past)} at a glance")


def cohort_label(school: School) -> str:
    """The summary's cohort line: the latest KS2 cohort and this Year 6, or the latest Year 11 and Years 7-11."""
    year = int(school.info["academic_year"])
    if not school.past and (school.info.get("ks4_years") or school.info.get("ks4_estimates")):
        ks4_years = school.info.get("ks4_years") or []
        latest = f"Year 11 of {max(ks4_years)} and " if ks4_years else ""
        return f"{latest}Years 7-11 in {academic_year(year)}"
    return f"KS2 {va_views.latest_year(school)} and Year 6 in {academic_year(year)}"


def summary_report(school: School) -> None:
    if not school.past and (school.info.get("ks4_years") or school.info.get("ks4_estimates")):
        ks4_views.summary(school)  # a secondary school
        attendance_views.summary_section(school)
        return
    if not school.past:
        note("This school has no past KS2 results, so the summary covers its estimates only: see Estimates.")
        attendance_views.summary_section(school)
        return
    attain = attainment_rows(school)
    va, year, status = va_rows(school)
    show_figure(headline_chart(school))
    heading(f"Attainment: KS2 {max(school.past)} against national", 3)
    show_table(
        attain,
        {
            "School (%)": one_decimal,
            "National (%)": one_decimal,
            "Gap (pp)": signed_pp,
            attain.columns[4]: signed_pp,
            "Change": marked,
        },
    )
    if year is None:
        note("No cohort of this school has a KS1 baseline, so there is no value added (see Value added).")
    else:
        heading(f"Value added: KS2 {year} (DfE progress, {status})", 3)
        show_table(va, {"VA score (points)": signed, "Pupils": whole, "Compared with national": marked})
        note(
            "Significantly above (below): the whole 95% interval is above (below) zero, the national average. "
            "A school of 30 pupils needs a score of about 2 points either side of 0 to be significant."
        )
        latest = max(school.past)
        if year != latest:
            entry = policy.status(policy.KS1_KS2, latest)
            note(f"KS2 {latest} has no progress measure: {entry.reason or 'no pupil has a KS1 result'}.")
    gaps = gap_rows(rwm_gaps(school))
    if len(gaps):
        heading(f"Largest group gaps: RWM expected standard, KS2 {max(school.past)}", 3)
        show_table(
            gaps,
            {
                "Gap (pp)": signed_pp,
                "Gap (pupils of the group)": pupils_gap,
                "Pupils": whole,
                "Rest": whole,
            },
        )
        note(
            f"A gap smaller than one pupil of the smaller group (100 / its size, in pp) reads 'in line'; groups "
            f"of fewer than {summary_parameters()['min_group_pupils']} pupils are not judged."
        )
    targets = target_rows(school)
    if len(targets):
        heading("Year 6 this year: estimated % expected standard and the aggregated target", 3)
        show_table(targets, TARGET_FORMATS)
        note(target_sentence(targets))
    attendance_views.summary_section(school)
    heading("Areas to look at", 3)
    for sentence in areas_to_look_at(school, attain, va, gaps, targets):
        note("• " + sentence)
