"""KS1-KS2 value added (DfE and FFT) of every past Year 6 cohort, and each school's own past progress."""

from __future__ import annotations

import pandas as pd

from toolkit.methods.value_added import own_past_progress
from toolkit.pipeline.stage import Given, Mine, SliceTable, Stage, of_schools
from toolkit.pipeline.stages.roll import labels


def past_value_added(past: dict[int, pd.DataFrame], models) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pupil and school value added (DfE and FFT) of every past cohort, and each school's own past progress."""
    progress, scores = [], []
    for year, cohort in past.items():
        for method, va in (("DfE", models.dfe), ("FFT", models.fft)):
            p = va.transform(cohort).assign(method=method, year=year)
            progress.append(p)
            scores.append(va.school_scores(p).assign(method=method, year=year))
    progress = pd.concat(progress, ignore_index=True) if progress else pd.DataFrame()
    scores = pd.concat(scores, ignore_index=True) if scores else pd.DataFrame()
    fft_scores = scores[scores["method"] == "FFT"] if len(scores) else scores
    own = (
        own_past_progress(fft_scores, models.ks2)
        if len(fft_scores)
        else pd.DataFrame(columns=["school_id", "subject", "percentile", "years"])
    )
    return progress, scores, own


def run(given: Given) -> dict[str, SliceTable]:
    past = given.loaded.past
    tables = {}
    for year, cohort in past.items():
        tables[f"ks2_{year}"] = of_schools(cohort, when=f"ks2_{year}")
        tables[f"groups_ks2_{year}"] = labels(cohort, when=f"ks2_{year}")
    progress, scores, own = past_value_added(past, given.models)
    if len(progress):
        tables |= {"va_pupils": of_schools(progress), "va_scores": of_schools(scores)}
    tables["own_past_progress"] = of_schools(own, written=False)
    return tables


def facts(mine: Mine) -> dict:
    own = mine("own_past_progress")
    return {
        "own_past_progress": {r.subject: float(r.percentile) for r in own.itertuples()},
        "own_past_years": {r.subject: r.years for r in own.itertuples()},
        "past_years": mine.years("ks2_"),
    }


MAKES = {
    "ks2_<year>": "a past Year 6 cohort with its KS2 results",
    "groups_ks2_<year>": "its pupil-group labels",
    "va_pupils": "pupil value added of every past cohort (DfE and FFT)",
    "va_scores": "school value added of every past cohort with confidence intervals",
}
STAGE = Stage("value_added", needs=("past",), makes=MAKES, run=run, facts=facts)
