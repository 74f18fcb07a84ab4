"""Old-style KS2 levels and marks of a secondary's Years 7-11: fine points and the Progress 8 baseline."""

from __future__ import annotations

import pandas as pd

from toolkit.methods import ks2_baseline
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_schools


def run(given: Given) -> dict[str, SliceTable]:
    return {
        f"ks2_baseline_{year}": of_schools(
            pd.concat([frame, ks2_baseline.baseline(frame).drop(columns="upn")], axis=1), when=f"ks2_baseline_{year}"
        )
        for year, frame in given.loaded.ks2_levels.items()
    }


def facts(mine: Mine) -> dict:
    return {"baseline_years": mine.years("ks2_baseline_")}


STAGE = Stage(
    "baseline",
    needs=("ks2_levels",),
    makes={"ks2_baseline_<year>": "old-style KS2 fine points and P8 baseline of a year's Years 7-11"},
    run=run,
    facts=facts,
)
