"""The pupils on roll and their pupil-group labels."""

from __future__ import annotations

from toolkit.methods.groups import pupil_groups
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_schools
from toolkit.vocabulary import year_group_number


def labels(frame, when: str | None = None) -> SliceTable:
    """The pupil-group labels (``methods.groups.pupil_groups`` + upn) of a table's pupils, owned as its rows are."""
    return SliceTable(
        pupil_groups(frame).assign(upn=frame["upn"].to_numpy()), frame["school_id"].astype("string"), when
    )


def run(given: Given) -> dict[str, SliceTable]:
    pupils = given.loaded.pupils
    return {"pupils": of_schools(pupils), "groups": labels(pupils)}


def facts(mine: Mine) -> dict:
    years = year_group_number(mine("pupils")["year_group"]).dropna().astype(int)
    return {"year_groups": sorted(set(int(y) for y in years))}


MAKES = {
    "pupils": "the school's pupils on roll (pupil table columns, saved targets applied)",
    "groups": "pupil-group labels of current pupils (toolkit.methods.groups.GROUPS + upn)",
}
STAGE = Stage("roll", needs=("pupils",), makes=MAKES, run=run, facts=facts)
