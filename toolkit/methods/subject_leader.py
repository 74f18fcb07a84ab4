"""Foundation subjects judged emerging / expected / exceeding (seed 003): counts per year group and group
(overall, boys, girls), percentages, average score, "high" attainment, key stage and whole-school collation, peaks
and troughs. Parameters: ``parameters/subject_leader.yaml``.

A *counts* table has one row per ``school_id, subject, strand, year_group, group`` (group: Overall, Boys, Girls)
with ``emerging, expected, exceeding`` counts; ``strand`` is a programme of study ("" for a subject without
them). Counts come either from a subject leader (``subject_counts.csv``) or from pupil-level judgements
(``counts_from_judgements``). A subject's ``"Overall"`` strand collates its programmes of study (sum of counts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.vocabulary import year_group_number

GROUPS = ("Overall", "Boys", "Girls")
KEY = ["school_id", "subject", "strand", "year_group", "group"]
OVERALL = "Overall"


def subject_leader_parameters() -> dict:
    return parameters.load_yaml("subject_leader.yaml")


def category_scores(scores: dict[str, float] | None = None) -> dict[str, float]:
    """The score of each category (default -1, 0, +1); ValueError unless the steps are equal and increasing."""
    cats = subject_leader_parameters()["categories"]
    scores = dict(scores or subject_leader_parameters()["scores"])
    values = [float(scores[c]) for c in cats]
    steps = np.diff(values)
    if not (steps > 0).all() or not np.allclose(steps, steps[0]):
        raise ValueError(f"Scores for {', '.join(cats)} must rise in equal steps (seed 003); got {values}")
    return dict(zip(cats, values))


def high_threshold(scores: dict[str, float] | None = None) -> float:
    """Average score from which attainment is "high": expected + 25% of one step (+0.25 on -1..+1)."""
    s = category_scores(scores)
    return s["expected"] + subject_leader_parameters()["high_share_of_step"] * (s["exceeding"] - s["expected"])


def counts_from_judgements(judgements: pd.DataFrame, pupils: pd.DataFrame) -> pd.DataFrame:
    """Counts per ``KEY`` from pupil-level judgements; year group and gender come from ``pupils`` (by UPN).
    Pupils not in ``pupils`` raise (their year group is unknown)."""
    info = pupils.set_index("upn")
    missing = sorted(set(judgements["upn"]) - set(info.index))
    if missing:
        raise ValueError(
            f"{len(missing)} pupil(s) with judgements are not in the pupil table: {', '.join(missing[:10])}"
        )
    j = judgements.assign(
        strand=judgements["strand"].fillna("").astype(str),
        year_group=year_group_number(judgements["upn"].map(info["year_group"])).astype(int),
        sex=judgements["upn"].map(info["gender"]).map({"M": "Boys", "F": "Girls"}),
    )
    cats = subject_leader_parameters()["categories"]
    parts = [j.assign(group=OVERALL), j.assign(group=j["sex"])]
    long = pd.concat(parts, ignore_index=True)
    table = long.groupby(KEY)["judgement"].value_counts().unstack(fill_value=0).reindex(columns=cats, fill_value=0)
    return table.reset_index().rename_axis(columns=None)


def collate(counts: pd.DataFrame) -> pd.DataFrame:
    """Add each subject's ``Overall`` strand (sum over its programmes of study) where it has strands."""
    cats = subject_leader_parameters()["categories"]
    with_strands = counts[counts["strand"].fillna("") != ""]
    overall = with_strands.groupby(["school_id", "subject", "year_group", "group"])[cats].sum().reset_index()
    overall["strand"] = OVERALL
    return pd.concat([counts.assign(strand=counts["strand"].fillna("")), overall[KEY + cats]], ignore_index=True)


def summarise(counts: pd.DataFrame, scores: dict[str, float] | None = None) -> pd.DataFrame:
    """Counts plus ``pupils``, ``pct_<category>`` (0-100), ``average`` score and ``high`` (True / False)."""
    cats = subject_leader_parameters()["categories"]
    s = category_scores(scores)
    out = counts.copy()
    out["pupils"] = out[cats].sum(axis=1)
    n = out["pupils"].where(out["pupils"] > 0)
    for c in cats:
        out[f"pct_{c}"] = 100 * out[c] / n
    out["average"] = sum(out[c] * s[c] for c in cats) / n
    out["high"] = (out["average"] >= high_threshold(scores) - 1e-12) & (
        out["pct_emerging"] <= 100 * subject_leader_parameters()["high_max_emerging"]
    )
    return out


def by_key_stage(counts: pd.DataFrame, scores: dict[str, float] | None = None) -> pd.DataFrame:
    """The same measures for each key stage and the whole school (``phase``: KS1, KS2, Whole school)."""
    cats = subject_leader_parameters()["categories"]
    parts = []
    for phase, years in [
        *subject_leader_parameters()["key_stages"].items(),
        ("Whole school", subject_leader_parameters()["year_groups"]),
    ]:
        rows = counts[counts["year_group"].isin(years)]
        parts.append(
            rows.groupby(["school_id", "subject", "strand", "group"])[cats].sum().reset_index().assign(phase=phase)
        )
    return summarise(pd.concat(parts, ignore_index=True), scores)


def peaks_and_troughs(summary: pd.DataFrame, whole: pd.DataFrame) -> pd.DataFrame:
    """Year groups (overall group) whose average is at least ``peak_margin`` above (peak) or below (trough) the
    whole school's, per subject and strand: ``subject, strand, year_group, average, whole_school, kind``."""
    margin = subject_leader_parameters()["peak_margin"]
    s = summary[summary["group"] == OVERALL]
    w = whole[(whole["group"] == OVERALL) & (whole["phase"] == "Whole school")]
    m = s.merge(
        w[["school_id", "subject", "strand", "average"]].rename(columns={"average": "whole_school"}),
        on=["school_id", "subject", "strand"],
    )
    m["kind"] = np.select(
        [m["average"] >= m["whole_school"] + margin, m["average"] <= m["whole_school"] - margin], ["peak", "trough"], ""
    )
    return m[m["kind"] != ""][["subject", "strand", "year_group", "average", "whole_school", "kind"]]
