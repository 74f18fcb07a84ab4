"""Synthetic teacher assessments for the demo primaries: termly steps-and-points grades in reading, writing and
maths (last year's three terms and this year's autumn), and emerging / expected / exceeding judgements in the
foundation subjects. Model parameters: ``parameters/synth.yaml`` (``assessment``); every value is a modelling
choice (not_published)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.methods import subject_leader, tracking
from toolkit.scales.steps import points_grade
from toolkit.vocabulary import year_group_number


def model() -> dict:
    return parameters.load_yaml("synth.yaml")["assessment"]


def tracking_records(rng: np.random.Generator, pupils: pd.DataFrame, year: int) -> pd.DataFrame:
    """Grades for pupils on roll in Years 1-6 in ``year``: every term of the previous year (when they were in Year 1
    or above) and this year's autumn. A pupil's points follow the age-related path (one step a term) plus a
    lasting offset and their own rate of progress, with noise."""
    m = model()
    terms = tracking.tracking_parameters()["terms"]
    yg = year_group_number(pupils["year_group"])
    roll = pupils[yg.between(1, 6)].reset_index(drop=True)
    g = year_group_number(roll["year_group"]).to_numpy().astype(int)
    general = rng.normal(0, 1, len(roll))
    rows = []
    for subject in tracking.tracking_parameters()["subjects"]:
        offset = m["offset_mean"] + m["offset_sd"] * (0.8 * general + 0.6 * rng.normal(0, 1, len(roll)))
        rate = rng.normal(m["rate_mean"], m["rate_sd"], len(roll))  # points a year beyond the expected 6
        for ay, grade_year, term_list in ((year - 1, g - 1, terms), (year, g, terms[:1])):
            for k, term in enumerate(term_list):
                t = (grade_year - 1) * len(terms) + k  # terms since Year 1 autumn
                points = (
                    7
                    + 2 * t
                    + offset
                    + rate * (t - (g - 1) * len(terms)) / len(terms)
                    + rng.normal(0, m["noise_sd"], len(roll))
                )
                points = np.clip(np.round(points), 7, 41).astype(int)
                keep = grade_year >= 1
                rows.append(
                    pd.DataFrame(
                        {
                            "upn": roll["upn"][keep],
                            "school_id": roll["school_id"][keep],
                            "academic_year": ay,
                            "term": term,
                            "subject": subject,
                            "grade": [points_grade(p) for p in points[keep]],
                        }
                    )
                )
    return pd.concat(rows, ignore_index=True)


def judgements(rng: np.random.Generator, pupils: pd.DataFrame, year: int) -> pd.DataFrame:
    """One judgement per pupil in Years 1-6, subject and programme of study, about 20% emerging, 60% expected,
    20% exceeding, varying by school, subject and year group."""
    m = model()
    yg = year_group_number(pupils["year_group"])
    roll = pupils[yg.between(1, 6)].reset_index(drop=True)
    n = len(roll)
    general = rng.normal(0, 1, n)
    schools = {s: rng.normal(0, m["school_sd"]) for s in roll["school_id"].unique()}
    lo, hi = np.quantile(rng.normal(0, 1, 100_000), [m["emerging"], 1 - m["exceeding"]])
    parts = []
    for subject, strands in subject_leader.subject_leader_parameters()["subjects"].items():
        year_effect = {y: rng.normal(0, m["year_sd"]) for y in range(1, 7)}
        for strand in strands or [""]:
            z = (
                0.7 * general
                + 0.7 * rng.normal(0, 1, n)
                + roll["school_id"].map(schools).to_numpy()
                + year_group_number(roll["year_group"]).map(year_effect).to_numpy()
            )
            z = z / np.sqrt(0.98 + m["school_sd"] ** 2 + m["year_sd"] ** 2)
            judgement = np.where(z < lo, "emerging", np.where(z > hi, "exceeding", "expected"))
            parts.append(
                pd.DataFrame(
                    {
                        "upn": roll["upn"],
                        "school_id": roll["school_id"],
                        "academic_year": year,
                        "subject": subject,
                        "strand": strand,
                        "judgement": judgement,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)
