"""Steps-and-points progress of the latest term, and collated foundation-subject counts for subject leaders."""

from __future__ import annotations

import pandas as pd

from toolkit.methods import subject_leader, tracking
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_pupils, of_schools


def run(given: Given) -> dict[str, SliceTable]:
    loaded = given.loaded
    tables = {}
    if loaded.tracking is not None:
        term = tracking.latest_term(loaded.tracking, loaded.academic_year)
        if term:
            progress = tracking.pupil_progress(loaded.tracking, loaded.pupils, loaded.academic_year, term)
            tables["tracking"] = of_pupils(progress.assign(term=term), loaded.pupils, when="tracking")
    parts = []
    if loaded.judgements is not None:
        parts.append(subject_leader.counts_from_judgements(loaded.judgements, loaded.pupils))
    if loaded.subject_counts is not None:
        parts.append(
            loaded.subject_counts[subject_leader.KEY + subject_leader.subject_leader_parameters()["categories"]]
        )
    if parts:
        counts = subject_leader.collate(pd.concat(parts, ignore_index=True))
        tables["subject_counts"] = of_schools(counts, when="subject_counts")
    return tables


def facts(mine: Mine) -> dict:
    progress, counts = mine("tracking"), mine("subject_counts")
    return {
        "tracking_term": progress["term"].iloc[0] if progress is not None and len(progress) else None,
        "subject_leader": bool(counts is not None and len(counts)),
    }


MAKES = {
    "tracking": "steps-and-points progress of the latest term",
    "subject_counts": "collated foundation-subject counts",
}
STAGE = Stage("assessments", needs=("tracking", "judgements", "subject_counts"), makes=MAKES, run=run, facts=facts)
