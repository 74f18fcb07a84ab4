"""What the subject leader report shows (notebooks/subject_leader.ipynb): the collated foundation-subject counts
prepared by ``prepare`` (``toolkit.methods.subject_leader``), per subject: the year-group percentage charts, the
key-stage and whole-school chart, peaks and troughs, and a table to write the analysis under. The spreadsheet
with the same figures as formulas is ``subject_leader.xlsx`` beside the report."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from toolkit.methods import subject_leader
from toolkit.reports.display import PALETTE, heading, note, percent, show_figure, show_table, signed, whole
from toolkit.reports.views import School

COLOURS = dict(zip(("emerging", "expected", "exceeding"), (PALETTE[5], PALETTE[0], PALETTE[2])))


def percent_chart(summary: pd.DataFrame, label: str, title: str):
    """Stacked bars of % emerging / expected / exceeding, one bar per row (``label`` column)."""
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(summary) + 1.2))
    left = pd.Series(0.0, index=summary.index)
    for cat in subject_leader.spec()["categories"]:
        ax.barh(summary[label], summary[f"pct_{cat}"].fillna(0), left=left, color=COLOURS[cat], label=cat.capitalize())
        left = left + summary[f"pct_{cat}"].fillna(0)
    ax.invert_yaxis()
    ax.set(xlim=(0, 100), xlabel="% of pupils", title=title)
    ax.legend(loc="lower right", fontsize=7, frameon=True)
    return fig


def _table(rows: pd.DataFrame, first: str) -> pd.DataFrame:
    order = {g: i for i, g in enumerate(subject_leader.GROUPS)}
    rows = rows.assign(_o=rows["group"].map(order)).sort_values([first, "_o"])
    out = rows[
        [
            first,
            "group",
            "emerging",
            "expected",
            "exceeding",
            "pupils",
            "pct_emerging",
            "pct_expected",
            "pct_exceeding",
            "average",
            "high",
        ]
    ].copy()
    out["high"] = out["high"].map({True: "High", False: ""})
    return out.rename(
        columns={
            first: first.replace("_", " ").capitalize(),
            "group": "Group",
            "emerging": "Emerging",
            "expected": "Expected",
            "exceeding": "Exceeding",
            "pupils": "Pupils",
            "pct_emerging": "% emerging",
            "pct_expected": "% expected",
            "pct_exceeding": "% exceeding",
            "average": "Average score",
            "high": "High",
        }
    )


def subject_leader_report(school: School) -> None:
    counts = school.table("subject_counts")
    summary = subject_leader.summarise(counts)
    phases = subject_leader.by_key_stage(counts)
    peaks = subject_leader.peaks_and_troughs(summary, phases)
    scores = subject_leader.category_scores()
    formats = {
        "Emerging": whole,
        "Expected": whole,
        "Exceeding": whole,
        "Pupils": whole,
        "% emerging": percent,
        "% expected": percent,
        "% exceeding": percent,
        "Average score": signed,
    }
    note(
        f"Scores: emerging {scores['emerging']:+g}, expected {scores['expected']:+g}, exceeding "
        f"{scores['exceeding']:+g}; 'high' = average at least {subject_leader.high_threshold():+.2f} with no more "
        f"than {100 * subject_leader.spec()['high_max_emerging']:.0f}% emerging (seed 003; parameters/"
        "subject_leader.yaml). The spreadsheet subject_leader.xlsx beside this report holds the same tables with "
        "Excel formulas: type the counts and everything recalculates."
    )
    order = [s for s in subject_leader.spec()["subjects"] if s in set(counts["subject"])]
    for subject in order:
        strands = [s for s in dict.fromkeys(counts.loc[counts["subject"] == subject, "strand"]) if s]
        strands = [s for s in strands if s != subject_leader.OVERALL] + ([subject_leader.OVERALL] if strands else [])
        for strand in strands or [""]:
            name = (
                subject
                if not strand
                else f"{subject}: {strand.lower() if strand == subject_leader.OVERALL else strand}"
            )
            heading(name, 2, new_page=True)
            mine = summary[(summary["subject"] == subject) & (summary["strand"] == strand)].sort_values(
                ["year_group", "group"]
            )
            overall = mine[mine["group"] == subject_leader.OVERALL].assign(
                label=lambda f: "Year " + f["year_group"].astype(str)
            )
            show_figure(percent_chart(overall, "label", f"{name}: % of pupils by year group"))
            show_table(_table(mine, "year_group"), formats | {"Year group": whole}, long=True)
            ks = phases[(phases["subject"] == subject) & (phases["strand"] == strand)]
            ks_overall = ks[ks["group"] == subject_leader.OVERALL]
            show_figure(percent_chart(ks_overall, "phase", f"{name}: key stages and whole school"))
            show_table(_table(ks.sort_values(["phase", "group"]), "phase"), formats)
            mine_peaks = peaks[(peaks["subject"] == subject) & (peaks["strand"] == strand)]
            text = (
                "; ".join(
                    f"Year {r.year_group} {r.kind} ({signed(r.average)} against {signed(r.whole_school)})"
                    for r in mine_peaks.itertuples()
                )
                or "no year group stands out"
            )
            note(f"Peaks and troughs: {text}.")
            show_table(
                pd.DataFrame(
                    {
                        "Section": ["Year groups", "Key stages", "Boys and girls", "Next steps"],
                        "Analysis (subject leader)": ["", "", "", ""],
                    }
                )
            )
