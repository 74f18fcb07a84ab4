"""What the subject leader report shows (notebooks/subject_leader.ipynb): the collated foundation-subject counts
prepared by ``prepare`` (``toolkit.methods.subject_leader``), per subject: one chart and one table of the year groups,
key stages and whole school, and the peaks and troughs. The spreadsheet
with the same figures as formulas is ``subject_leader.xlsx`` beside the report."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from toolkit.methods import subject_leader
from toolkit.reports.display import PALETTE, bands_html, heading, note, show_side_by_side, table_html
from toolkit.reports.formats import percent, signed, whole
from toolkit.reports.views import School

COLOURS = dict(zip(("emerging", "expected", "exceeding"), (PALETTE[5], PALETTE[0], PALETTE[2])))


# A chart's margins, in inches: the title above, the axis label and legend below, the right edge.
TOP, BOTTOM, RIGHT, LEGEND = 0.3, 0.72, 0.18, 0.5


def percent_charts(charts: list[tuple[pd.DataFrame, str]], label: str, width: float = 3.4) -> list[str]:
    """One chart per ``(rows, title)``: stacked bars of % emerging / expected / exceeding, a bar per row (``label``
    column), the legend below; as embedded images. All are drawn as panels of one figure in one pass and cut
    apart (``display.bands_html``), with the left margin of the longest bar label."""
    if not charts:
        return []
    heights = [0.24 * len(rows) + 1.3 for rows, _ in charts]
    fig = plt.figure(figsize=(width, sum(heights)))
    renderer = fig.canvas.get_renderer()
    probe = fig.text(0, 0, "", fontsize=7)
    longest = 0.0
    for text in {str(t) for rows, _ in charts for t in rows[label]}:
        probe.set_text(text)
        longest = max(longest, probe.get_window_extent(renderer).width / fig.dpi)
    probe.remove()
    left = longest + 0.15
    bands, top = [], 0.0
    for (rows, title), height in zip(charts, heights):
        inner = height - TOP - BOTTOM
        box = [left / width, 1 - (top + TOP + inner) / sum(heights), 1 - (left + RIGHT) / width, inner / sum(heights)]
        ax = fig.add_axes(box)
        start = pd.Series(0.0, index=rows.index)
        for cat in subject_leader.subject_leader_parameters()["categories"]:
            share = rows[f"pct_{cat}"].fillna(0)
            ax.barh(rows[label], share, left=start, color=COLOURS[cat], label=cat.capitalize())
            start = start + share
        ax.invert_yaxis()
        ax.set(xlim=(0, 100), xlabel="% of pupils", title=title)
        ax.title.set_fontsize(8.5)
        ax.tick_params(labelsize=7)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -LEGEND / inner), ncol=3, fontsize=7, frameon=False)
        bands.append((top, top + height))
        top += height
    return bands_html(fig, bands, [title for _, title in charts])


def cohort_rows(summary: pd.DataFrame, phases: pd.DataFrame) -> pd.DataFrame:
    """One subject (and strand): a row per year group, then per key stage and the whole school, with the Overall
    figures and the boys' and girls' average scores."""
    years = summary.assign(cohort="Year " + summary["year_group"].astype(str))
    rows = pd.concat([years.sort_values("year_group"), phases.assign(cohort=phases["phase"])], ignore_index=True)
    overall = rows[rows["group"] == subject_leader.OVERALL].set_index("cohort")
    for group in ("Boys", "Girls"):
        overall[f"{group} average"] = rows[rows["group"] == group].set_index("cohort")["average"]
    overall["high"] = overall["high"].map({True: "High", False: ""})
    return overall.reset_index()


COHORT_COLUMNS = {
    "cohort": "Cohort",
    "pupils": "Pupils",
    "pct_emerging": "% emerging",
    "pct_expected": "% expected",
    "pct_exceeding": "% exceeding",
    "average": "Average score",
    "high": "High",
    "Boys average": "Boys",
    "Girls average": "Girls",
}


def subject_leader_report(school: School) -> None:
    """Per subject (and programme of study): the year groups, key stages and whole school as one chart beside one
    table, and the peaks and troughs; the counts by boys and girls, with a column for the subject leader's
    analysis, are in the spreadsheet beside the report."""
    counts = school.table("subject_counts")
    summary = subject_leader.summarise(counts)
    phases = subject_leader.by_key_stage(counts)
    peaks = subject_leader.peaks_and_troughs(summary, phases)
    scores = subject_leader.category_scores()
    formats = {
        "Pupils": whole,
        "% emerging": percent,
        "% expected": percent,
        "% exceeding": percent,
        "Average score": signed,
        "Boys": signed,
        "Girls": signed,
    }
    note(
        f"Scores: emerging {scores['emerging']:+g}, expected {scores['expected']:+g}, exceeding "
        f"{scores['exceeding']:+g}; average score: the mean of pupils' scores; 'high' = average at least "
        f"{subject_leader.high_threshold():+.2f} with no more than "
        f"{100 * subject_leader.subject_leader_parameters()['high_max_emerging']:.0f}% emerging (the tracking system's rule). "
        "Boys, Girls: their average scores. The spreadsheet subject_leader.xlsx beside this report holds the counts "
        "for boys and girls with Excel formulas (type the counts and everything recalculates) and a column for the "
        "subject leader's analysis."
    )
    order = [s for s in subject_leader.subject_leader_parameters()["subjects"] if s in set(counts["subject"])]
    sections = []
    for subject in order:
        strands = [s for s in dict.fromkeys(counts.loc[counts["subject"] == subject, "strand"]) if s]
        strands = [s for s in strands if s != subject_leader.OVERALL] + ([subject_leader.OVERALL] if strands else [])
        for strand in strands or [""]:
            name = (
                subject
                if not strand
                else f"{subject}: {strand.lower() if strand == subject_leader.OVERALL else strand}"
            )
            mine = summary[(summary["subject"] == subject) & (summary["strand"] == strand)]
            ks = phases[(phases["subject"] == subject) & (phases["strand"] == strand)]
            sections.append((subject, strand, name, cohort_rows(mine, ks)))
    charts = percent_charts(
        [
            (rows, f"{name}: % of {'judgements' if strand == subject_leader.OVERALL else 'pupils'}")
            for _, strand, name, rows in sections
        ],
        "cohort",
    )
    for (subject, strand, name, rows), chart in zip(sections, charts):
        heading(name, 3)
        columns = COHORT_COLUMNS
        if strand == subject_leader.OVERALL:  # the programmes of study collated: each pupil once per programme
            columns = {**COHORT_COLUMNS, "pupils": "Judged"}
        table = table_html(rows[list(columns)].rename(columns=columns), {**formats, "Judged": whole})
        show_side_by_side(chart, table)
        if strand == subject_leader.OVERALL:
            note(
                f"{subject} overall collates its programmes of study: Judged counts judgements, one per pupil per "
                "programme, not pupils."
            )
        mine_peaks = peaks[(peaks["subject"] == subject) & (peaks["strand"] == strand)]
        text = (
            "; ".join(
                f"Year {r.year_group} {r.kind} ({signed(r.average)} against {signed(r.whole_school)})"
                for r in mine_peaks.itertuples()
            )
            or "no year group stands out"
        )
        note(f"Peaks and troughs: {text}.")
