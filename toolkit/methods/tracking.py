"""In-year tracking with steps and points (seed 003): where each pupil is against the age-related expectation and
how many points of progress they have made since the start of the year and since the same term last year.

Records (``toolkit.inputs.assessments.load_tracking``): ``upn, school_id, academic_year, term, subject, grade,
points``. Parameters: ``parameters/tracking.yaml``; points: ``parameters/scales/steps_points.yaml``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.scales.steps import grade_points
from toolkit.vocabulary import year_group_number

STATUS = ("Below ARE", "At ARE", "Above ARE")


def tracking_parameters() -> dict:
    return parameters.load_yaml("tracking.yaml")


def expectations() -> tuple[int, int]:
    """Points a year: (expected, good) from the steps-and-points scale (6 and 7 in seed 003)."""
    s = parameters.load_yaml("scales/steps_points.yaml")
    return int(s["expected_points_per_year"]), int(s["good_points_per_year"])


def latest_term(records: pd.DataFrame, year: int) -> str | None:
    """The last term of ``year`` with any grade."""
    terms = tracking_parameters()["terms"]
    present = set(records.loc[records["academic_year"] == year, "term"])
    return next((t for t in reversed(terms) if t in present), None)


def are_points(year_group: pd.Series, term: str) -> pd.Series:
    """Points of the step a pupil in ``year_group`` is expected to have reached at ``term``'s assessment."""
    step = tracking_parameters()["are_step_by_term"][term]
    points = {g: grade_points(f"{int(g)}{step}") for g in year_group.dropna().unique() if 1 <= g <= 6}
    return year_group.map(points).astype(float)  # each year group's points worked out once


def pupil_progress(records: pd.DataFrame, pupils: pd.DataFrame, year: int, term: str | None = None) -> pd.DataFrame:
    """One row per pupil on roll in Years 1-6 and subject with a grade at ``term`` of ``year`` (default: the latest).

    Columns: ``upn, year_group, subject, grade, points, are_points, status`` (``STATUS``), ``start_points``,
    ``since_start`` (points since this year's first assessment), ``last_year_grade``, ``since_last_year`` (points
    since the same term last year), ``band`` (below expected / expected / good against 6 and 7 a year, NA without a
    grade last year) and ``flag`` (True below 6 points).
    """
    term = term or latest_term(records, year)
    terms = tracking_parameters()["terms"]
    yg = pd.Series(year_group_number(pupils["year_group"]).to_numpy(), index=pupils["upn"].to_numpy())
    yg = yg[yg.between(1, 6)]
    now = records[(records["academic_year"] == year) & (records["term"] == term) & records["upn"].isin(yg.index)]
    out = now[["upn", "subject", "grade", "points"]].reset_index(drop=True)
    out.insert(1, "year_group", out["upn"].map(yg).astype(int))
    out["are_points"] = are_points(out["year_group"], term).astype(float)
    out["status"] = np.select(
        [out["points"] < out["are_points"], out["points"] < out["are_points"] + 2], [STATUS[0], STATUS[1]], STATUS[2]
    )
    this_year = records[records["academic_year"] == year]
    first = this_year.assign(order=this_year["term"].map(terms.index)).sort_values("order")
    first = first.drop_duplicates(["upn", "subject"]).set_index(["upn", "subject"])["points"]
    key = pd.MultiIndex.from_frame(out[["upn", "subject"]])
    out["start_points"] = first.reindex(key).to_numpy()
    out["since_start"] = out["points"] - out["start_points"]
    last = records[(records["academic_year"] == year - 1) & (records["term"] == term)].set_index(["upn", "subject"])
    out["last_year_grade"] = last["grade"].reindex(key).to_numpy()
    out["since_last_year"] = out["points"] - last["points"].reindex(key).to_numpy()
    expected, good = expectations()
    bands = tracking_parameters()["progress_bands"]
    known = out["since_last_year"].notna()
    out["band"] = (
        pd.Series(
            np.select([out["since_last_year"] < expected, out["since_last_year"] < good], bands[:2], bands[2]),
            index=out.index,
        )
        .where(known)
        .astype("string")
    )
    out["flag"] = known & (out["since_last_year"] < expected)
    return out


def are_distribution(progress: pd.DataFrame) -> pd.DataFrame:
    """Per year group and subject: pupils and % below / at / above the age-related expectation."""
    counts = progress.groupby(["year_group", "subject", "status"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(STATUS), fill_value=0)
    total = counts.sum(axis=1)
    out = (100 * counts.div(total, axis=0)).add_prefix("% ").reset_index()
    out.insert(2, "pupils", total.to_numpy())
    return out


def progress_by_year(progress: pd.DataFrame) -> pd.DataFrame:
    """Per year group and subject: pupils with last year's grade, mean points since last year and since the start
    of the year, and % below / at / above the expected 6 points a year."""
    have = progress.dropna(subset=["since_last_year"])
    g = have.groupby(["year_group", "subject"])
    out = g.agg(pupils=("upn", "size"), since_last_year=("since_last_year", "mean")).reset_index()
    out = out.merge(
        progress.groupby(["year_group", "subject"])["since_start"].mean().rename("since_start").reset_index(),
        on=["year_group", "subject"],
        how="right",
    )
    bands = have.groupby(["year_group", "subject"])["band"].value_counts(normalize=True).unstack(fill_value=0) * 100
    bands = bands.reindex(columns=tracking_parameters()["progress_bands"], fill_value=0).add_prefix("% ").reset_index()
    return out.merge(bands, on=["year_group", "subject"], how="left")
