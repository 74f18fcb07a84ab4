"""The report charts (seaborn, one theme: ``display.theme``). Each returns a matplotlib figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from toolkit.reports.display import MARKER_EDGE, PALETTE
from toolkit.reports.formats import significance
from toolkit.vocabulary import SHORT_LABELS


def _legend_below(fig, ax, height: float, ncol: int = 2) -> None:
    """The legend in its own strip under the chart (0.35 in), never over the bars or the axis label."""
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend():
        ax.get_legend().remove()
    fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False)
    fig.set_layout_engine("tight", rect=(0, 0.35 / height, 1, 1))


def _target_markers(ax, x, y, size: float, label: str) -> None:
    """Targets as orange diamonds with a dark edge: visible on any bar, in any colour vision."""
    ax.scatter(x, y, marker="D", s=size, color=PALETTE[1], edgecolor=MARKER_EDGE, linewidth=0.8, zorder=3, label=label)


def _number_runs(tags: pd.Series) -> str:
    """Outlier numbers as runs: 4, 5, 6, 7 and 9 -> "4-7, 9"."""
    numbers = sorted(int(t) for t in tags)
    runs, start = [], numbers[0]
    for a, b in zip(numbers, [*numbers[1:], None]):
        if b != a + 1:
            runs.append(f"{start}-{a}" if a > start else f"{a}")
            start = b
    return ", ".join(runs)


def _signed(value: float) -> str:
    return f"{value:+.0f}"


def high_to_low(table: pd.DataFrame, label: str, value: str, target: str, title: str, xlabel: str):
    """Seed 000's high-to-low chart: bars of the estimate sorted high to low, the aggregated target as a marker."""
    t = table.dropna(subset=[value]).sort_values(value, ascending=False)
    height = 0.3 * len(t) + 1.4
    fig, ax = plt.subplots(figsize=(6, height))
    sns.barplot(data=t, y=label, x=value, color=PALETTE[0], ax=ax, label="Estimate")
    has = t[target].notna()
    _target_markers(ax, t.loc[has, target], np.flatnonzero(has.to_numpy()), 45, "Aggregated target")
    ax.set_xlim(0, 100)
    ax.set(xlabel=xlabel, ylabel="", title=title)
    _legend_below(fig, ax, height)
    if len(t):
        top, bottom = t.iloc[0], t.iloc[-1]
        fig.set_label(
            f"{title}: bars of the estimate per measure, the aggregated target as a diamond. Highest "
            f"{top[label]} {top[value]:.0f}%, lowest {bottom[label]} {bottom[value]:.0f}%; targets "
            f"{int((t[target] < t[value]).sum())} of {int(has.sum())} below the estimate."
        )
    return fig


def estimates_by_year(table: pd.DataFrame, title: str):
    """The estimated % reaching the expected standard, one bar per measure, grouped by year group (columns
    ``year``, ``Measure``, ``Expected standard``); the legend sits below the chart."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    measures = list(dict.fromkeys(table["Measure"]))
    sns.barplot(
        data=table,
        x="year",
        y="Expected standard",
        hue="Measure",
        ax=ax,
        palette=PALETTE[: len(measures)],
        hue_order=measures,
    )
    ax.set_ylim(0, 100)
    ax.set(xlabel="", ylabel="% of the year group (estimated)", title=title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=5, frameon=False, fontsize=7)
    return fig


def gap_chart(table: pd.DataFrame, title: str):
    """Each pupil group's gap to the rest of the year group (estimated at FFT50: bars; in aggregated targets:
    diamonds), in percentage points; the legend sits below the chart, never on a bar."""
    t = table.reset_index(drop=True)
    labels = [f"{g}: {lab} ({n})" for g, lab, n in zip(t["group"], t["label"], t["pupils"])]
    height = 0.21 * len(t) + 1.5
    fig, ax = plt.subplots(figsize=(6.5, height))
    y = np.arange(len(t))
    # one colour for every bar (the side of the zero line says ahead or behind): the legend's swatch is every bar's
    ax.barh(y, t["estimated_gap"].fillna(0), color=PALETTE[0], label="Estimated gap (FFT50)")
    has = t["target_gap"].notna()
    _target_markers(ax, t.loc[has, "target_gap"], y[has.to_numpy()], 30, "Gap in aggregated targets")
    ax.axvline(0, color="#444", linewidth=1)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("Gap to the rest of the year group, percentage points", loc="right")
    # title, axis label and legend end at the axes' right edge and reach left over the group labels: never cut off
    ax.set_title(title, loc="right")
    _legend_below(fig, ax, height)
    if len(t):
        widest = t.loc[t["estimated_gap"].abs().idxmax()]
        fig.set_label(
            f"{title}: each group's estimated gap to the rest of the year group (bars, percentage points) and the "
            f"gap in its aggregated targets (diamonds). Largest: {widest['label']} at "
            f"{_signed(widest['estimated_gap'])} pp."
        )
    return fig  # laid out when shown (display.figure_html)


SIGNIFICANCE = {  # shape as well as colour: never colour alone
    "significantly above": (PALETTE[2], "^"),
    "in line": (PALETTE[0], "o"),
    "significantly below": (PALETTE[5], "v"),
}


def headline(attain: pd.DataFrame, va: pd.DataFrame, title: str):
    """The summary's page-1 chart: the school's % against national for each headline measure (bars and a national
    tick, the gap written at the bar's end) and, beside it, value added with its 95% interval, significance by shape
    and colour. ``attain``: ``label, school, national``; ``va``: ``label, score, ci_low, ci_high`` (may be empty)."""
    panels = 2 if len(va) else 1
    height = max(1.9, 0.34 * len(attain) + 1.0)
    fig, axes = plt.subplots(1, panels, figsize=(7.2, height), width_ratios=[1.5, 1][:panels], squeeze=False)
    ax = axes[0][0]
    y = np.arange(len(attain))
    ax.barh(y, attain["school"], color=PALETTE[0], height=0.6, label="School")
    ax.scatter(attain["national"], y, marker="|", s=260, linewidth=2.5, color=PALETTE[1], zorder=3, label="National")
    for yi, (s, n) in enumerate(zip(attain["school"], attain["national"])):
        if not (np.isnan(s) or np.isnan(n)):
            ax.annotate(f"{s - n:+.1f} pp", (max(s, n) + 2, yi), va="center", fontsize=7)
    ax.set_yticks(y, attain["label"])
    ax.invert_yaxis()
    ax.set(xlim=(0, 115), xlabel="% of pupils")
    ax.set_title("Attainment against national", loc="left")
    ax.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2, frameon=False)
    words = [
        f"{lab} {s:.0f}% against {n:.0f}%" for lab, s, n in zip(attain["label"], attain["school"], attain["national"])
    ]
    if panels == 2:
        bx = axes[0][1]
        v = va.reset_index(drop=True)
        yv = np.arange(len(v))
        for i, r in v.iterrows():
            colour, marker = SIGNIFICANCE[significance(r["ci_low"], r["ci_high"])]
            bx.hlines(yv[i], r["ci_low"], r["ci_high"], color=colour, linewidth=2.2)
            bx.scatter(
                r["score"], yv[i], color=colour, marker=marker, s=40, zorder=3, edgecolor=MARKER_EDGE, linewidth=0.5
            )
        bx.axvline(0, color="#444", linewidth=1)
        bx.set_yticks(yv, v["label"])
        bx.invert_yaxis()
        bx.set(xlabel="points, with 95% interval")
        bx.set_title("Value added", loc="left")
        handles = [
            plt.Line2D([], [], color=c, marker=m, linestyle="", markeredgecolor=MARKER_EDGE)
            for c, m in SIGNIFICANCE.values()
        ]
        bx.legend(
            handles,
            ["above", "in line", "below"],
            fontsize=6.5,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.32),
            ncol=3,
            frameon=False,
            handletextpad=0.2,
            columnspacing=0.8,
        )
        words += [
            f"value added in {lab} {sc:+.1f}, {significance(lo, hi)}"
            for lab, sc, lo, hi in zip(v["label"], v["score"], v["ci_low"], v["ci_high"])
        ]
    fig.suptitle(title, fontsize=9, fontweight="bold", x=0.01, ha="left")
    fig.set_label(f"{title}: " + "; ".join(words) + ".")
    return fig


def va_intervals(scores: pd.DataFrame, title: str, unit: str = "score points"):
    """School value added per subject (and method, when there is a ``method`` column) with its 95% confidence
    interval."""
    s = scores.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7, 0.4 * len(s) + 1.0))
    methods = s["method"] if "method" in s else pd.Series("", index=s.index)
    labels = [f"{SHORT_LABELS.get(sub, sub)}{f' ({m})' if m else ''}" for sub, m in zip(s["subject"], methods)]
    y = np.arange(len(s))
    colours = [PALETTE[2] if m == "FFT" else PALETTE[0] for m in methods]
    ax.hlines(y, s["ci_low"], s["ci_high"], colors=colours, linewidth=2.5)
    ax.scatter(s["score"], y, color=colours, zorder=3, s=30)
    ax.axvline(0, color="#444", linewidth=1)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set(xlabel=f"Value added ({unit}) with 95% confidence interval", title=title)
    verdicts = [
        f"{lab} {sc:+.1f} ({significance(lo, hi)})"
        for lab, sc, lo, hi in zip(labels, s["score"], s["ci_low"], s["ci_high"])
    ]
    fig.set_label(f"{title}: value added per subject with its 95% interval. " + "; ".join(verdicts) + ".")
    return fig


LOWEST_SCALED_SCORE = 80  # an actual below it is a nominal score: the pupil worked below the test


def actual_vs_estimate(progress: pd.DataFrame, tags: pd.Series, units: dict[str, str]):
    """Actual against estimated outcome, one panel per subject (``units``: subject -> unit, in order), one dot per
    pupil; outliers (beyond 2 national SDs) numbered by ``tags`` (index ``upn, subject`` -> the number the outlier
    table gives them: numbers, not names, so that close outliers never print over each other); pupils at a nominal
    score (below the test) drawn hollow. One legend below the panels."""
    fig, axes = plt.subplots(2, 2, figsize=(7.2, 6.6))
    for ax, (subject, unit) in zip(axes.flat, units.items()):
        p = progress[progress["subject"] == subject].dropna(subset=["actual", "estimate"])
        nominal = (p["actual"] < LOWEST_SCALED_SCORE) & (unit == "scaled score")
        kind = np.where(nominal, "Below the test (nominal score)", np.where(p["outlier"], "Outlier", "Pupil"))
        for label, colour in (("Pupil", PALETTE[0]), ("Outlier", PALETTE[5])):
            mine = p[kind == label]
            ax.scatter(mine["estimate"], mine["actual"], s=12, color=colour, edgecolor="none", label=label)
        below = p[kind == "Below the test (nominal score)"]
        ax.scatter(
            below["estimate"],
            below["actual"],
            s=14,
            facecolor="none",
            edgecolor=PALETTE[4],
            linewidth=0.8,
            label="Below the test (nominal score)",
        )
        if len(p):
            lo, hi = np.nanmin(p[["actual", "estimate"]].to_numpy()), np.nanmax(p[["actual", "estimate"]].to_numpy())
            ax.plot([lo, hi], [lo, hi], color="#444", linewidth=1)
        # outliers within a couple of points of each other share one label ("4-7, 9"), so labels never pile up
        out = p[p["outlier"]].assign(tag=[tags.get((u, subject), "") for u in p.loc[p["outlier"], "upn"]])
        out = out[out["tag"] != ""]
        spot = (
            (out["estimate"] / 3).round().astype(int).astype(str)
            + ":"
            + (out["actual"] / 3).round().astype(int).astype(str)
        )
        for _, near in out.groupby(spot.to_numpy(), sort=False):
            ax.annotate(
                _number_runs(near["tag"]),
                (near["estimate"].mean(), near["actual"].max()),
                fontsize=6.5,
                xytext=(3, 2),
                textcoords="offset points",
            )
        ax.set(
            xlabel=f"Estimate ({unit})",
            ylabel=f"Actual ({unit})",
            title=subject.upper() if subject == "gps" else subject.capitalize(),
        )
    for ax in list(axes.flat)[len(units) :]:
        ax.set_visible(False)
    shown = {}
    for ax in axes.flat:  # every kind any panel drew, once
        for handle, label in zip(*ax.get_legend_handles_labels()):
            shown.setdefault(label, handle)
    fig.legend(list(shown.values()), list(shown), loc="lower center", ncol=3, frameon=False)
    fig.set_layout_engine("tight", rect=(0, 0.04, 1, 1))  # room below the panels for the legend; laid out when shown
    return fig


def baseline_distribution(baseline: pd.DataFrame, title: str):
    """Progress 8 baselines per year group (box plot)."""
    b = baseline.dropna(subset=["p8_baseline"]).assign(year=lambda f: "Year " + f["year_group"].astype(int).astype(str))
    b["p8_baseline"] = b["p8_baseline"].astype(float)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    sns.boxplot(data=b.sort_values("year_group"), x="year", y="p8_baseline", color=PALETTE[0], ax=ax, fliersize=2)
    ax.set(xlabel="", ylabel="P8 baseline (KS2 fine level)", title=title)
    return fig
