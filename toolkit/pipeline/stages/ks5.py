"""KS5: A level attainment and level 3 value added of every school and year given."""

from __future__ import annotations

import pandas as pd

from toolkit.methods import ks5
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_schools

TABLES = ("entries", "attainment", "progress", "scores")


def results(va, ks5_years: dict[int, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Entries (all years), attainment, entry-level value added and school value added (``Level3ValueAdded``)."""
    entries = pd.concat([e.assign(academic_year=year) for year, e in ks5_years.items()], ignore_index=True)
    progress = pd.concat(
        [va.transform(e).assign(academic_year=year) for year, e in ks5_years.items()], ignore_index=True
    )
    return {
        "entries": entries,
        "attainment": ks5.attainment(entries, ["school_id", "academic_year"]),
        "progress": progress,
        "scores": va.school_scores(progress, ["school_id", "academic_year"]),
    }


def run(given: Given) -> dict[str, SliceTable]:
    if not given.loaded.ks5:
        return {}
    found = results(given.models.ks5.va, given.loaded.ks5)
    return {f"ks5_{name}": of_schools(found[name], when="ks5_entries") for name in TABLES}


def facts(mine: Mine) -> dict:
    entries = mine("ks5_entries")
    return {"ks5_years": [] if entries is None else sorted(int(y) for y in entries["academic_year"].unique())}


MAKES = {
    "ks5_entries": "A level / AS entries",
    "ks5_attainment": "KS5 attainment",
    "ks5_progress": "KS5 entry value added",
    "ks5_scores": "KS5 school value added",
}
STAGE = Stage("ks5", needs=("ks5",), makes=MAKES, run=run, facts=facts)
