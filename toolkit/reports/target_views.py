"""The targets report: aggregated targets against FFT50 / FFT20 / FFT5 and the pupils whose targets to review."""

from __future__ import annotations

import pandas as pd

from toolkit.methods.targets import aggregate_targets, review_counts, review_targets, target_parameters
from toolkit.reports import charts
from toolkit.reports.display import heading, note, show_figure, show_table
from toolkit.reports.formats import as_shown, one_decimal, percent, signed, signed_one_decimal, signed_pp, whole
from toolkit.reports.headings import headed
from toolkit.reports.views import CHALLENGE_COLUMNS, School, _year_groups_with_estimates
from toolkit.vocabulary import KS2_SUBJECTS, STAGE_OF_YEAR, SUBJECT_LABELS, challenge_label

# ----------------------------------------------------------------------------------------------- targets
TARGET_FORMATS = {
    **{v: percent for v in CHALLENGE_COLUMNS.values()},
    "Aggregated target": percent,
    "% pupils with target": percent,
    "Difference to FFT50": lambda v: signed_pp(v, 0),
    "Pupils": whole,
}


def _target_table(table: pd.DataFrame, digits: int = 0) -> pd.DataFrame:
    """The aggregated-target table as shown; the difference to FFT50 is that of the two figures as printed (whole
    percentages, or ``digits`` decimals)."""
    table = table.assign(
        difference=table["aggregated_target"].map(lambda v: as_shown(v, digits))
        - table["FFT50"].map(lambda v: as_shown(v, digits))
    )
    own = {
        **CHALLENGE_COLUMNS,
        "aggregated_target": "Aggregated target",
        "pct_with_target": "% pupils with target",
        "difference": "Difference to FFT50",
    }
    return headed(table.drop(columns=[c for c in ("subject",) if c in table]), own)


def targets_report(school: School, year_groups: list[int], challenge: str = "chosen") -> None:
    for yg, pupils, estimates, stage in _year_groups_with_estimates(school, year_groups):
        indicators = [
            ("expected", "% national standard (or higher)"),
            ("high", "% higher standard (writing: greater depth)"),
        ]
        if stage == "ks2":
            indicators.append(("average", "Average scaled score"))
        tables = {}
        for indicator, label in indicators:
            heading(label, 3)
            tables[indicator] = aggregate_targets(estimates, pupils, stage, indicator)
            table = _target_table(tables[indicator], 1 if indicator == "average" else 0)
            if indicator == "average":
                fmt = {c: one_decimal for c in list(CHALLENGE_COLUMNS.values()) + ["Aggregated target"]}
                fmt.update({"Difference to FFT50": signed, "% pupils with target": percent, "Pupils": whole})
            else:
                fmt = TARGET_FORMATS
            show_table(table, fmt, caption=f"Year {yg}: {label}")
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
    heading(f"Year {year_group}: targets to review", 3)
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
        caption=f"Year {year_group}: targets to review",
    )
    note(
        "Targets fewer than "
        f"{review['unlikely_below']:.0%} of similar pupils reach (unlikely) or more than {review['unambitious_above']:.0%} "
        "reach (unambitious). Targets below the standard of the test (B, pre-key-stage) are never called "
        "unambitious. The pupils, furthest from their estimate first, are in the per-pupil appendix."
    )
