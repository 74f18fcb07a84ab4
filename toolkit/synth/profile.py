"""The school profile's inputs for the demo trust (``parameters/synth.yaml``, ``demo``): each pupil's entry date
(most joined at the usual time, ``mobility`` part-way through) and a year of suspensions and permanent exclusions.
Its own random stream: every other table is unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.vocabulary import year_group_number


def entry_dates(rng: np.random.Generator, pupils: pd.DataFrame, year: int) -> pd.Series:
    """Entry dates of the pupils on roll in ``year`` (by its summer): the first school day of the school's first
    year group, or of Year 12 for the sixth form's joiners, or a school day part-way through for the ``mobility``
    share past the first year group."""
    demo = parameters.load_yaml("synth.yaml")["demo"]
    grade = year_group_number(pupils["year_group"]).astype(int).to_numpy()
    first = pupils.assign(g=grade).groupby("school_id")["g"].transform("min").to_numpy()
    first = np.where(first >= 12, 12, first)
    start = np.where((grade >= 12) & (rng.random(len(grade)) < demo["sixth_form_joiners"]), 12, first)
    start = np.minimum(start, grade)
    usual = pd.to_datetime({"year": year - 1 - (grade - start), "month": 9, "day": 4})
    moved = (grade > start) & (rng.random(len(grade)) < demo["mobility"])
    days = (pd.Timestamp(year=year - 1, month=11, day=30) - usual).dt.days.to_numpy()
    later = usual + pd.to_timedelta((rng.random(len(grade)) * np.maximum(days - 60, 1)).astype(int) + 60, unit="D")
    return pd.Series(np.where(moved, later, usual), index=pupils.index).dt.strftime("%Y-%m-%d")


def suspensions(rng: np.random.Generator, pupils: pd.DataFrame, phases: pd.Series, year: int) -> pd.DataFrame:
    """A year of suspensions so far (``upn, school_id, academic_year, suspensions, permanent_exclusion``): one row
    per pupil with a suspension or a permanent exclusion; disadvantaged and SEN pupils about twice as likely."""
    demo = parameters.load_yaml("synth.yaml")["demo"]
    phase = pupils["school_id"].astype(str).map(phases).fillna("Primary")
    weight = (
        1
        + (pupils["fsm6"].astype(str).isin(["True", "Y"])).astype(float)
        + (pupils["sen"].astype(str).isin(["K", "E"])).astype(float)
    )
    base = phase.map(demo["suspended_share"]).astype(float) * weight / weight.mean()
    suspended = rng.random(len(pupils)) < base.to_numpy()
    count = 1 + rng.poisson(demo["suspensions_per_pupil"] - 1, len(pupils))
    excluded = rng.random(len(pupils)) < phase.map(demo["permanent_exclusions"]).astype(float).to_numpy() * weight
    keep = suspended | excluded
    return pd.DataFrame(
        {
            "upn": pupils["upn"].to_numpy()[keep],
            "school_id": pupils["school_id"].astype(str).to_numpy()[keep],
            "academic_year": year,
            "suspensions": np.where(suspended, count, 0)[keep],
            "permanent_exclusion": np.where(excluded, "Y", "N")[keep],
        }
    )


OUTCOME_GRADES = ("Needs attention", "Expected standard", "Expected standard", "Strong standard", "Exceptional")


def ofsted_outcomes(rng: np.random.Generator, schools: pd.DataFrame, year: int) -> pd.DataFrame:
    """A synthetic outcomes file in the layout ``parameters/ofsted/outcomes.yaml`` reads: every school but the first
    inspected under report cards this autumn, each area graded at random (mostly expected standard; made up, not a
    prediction of anything), early years for primaries and the sixth form for a school with one."""
    spec = parameters.load_yaml("ofsted/outcomes.yaml")
    rows = []
    for i, school in enumerate(schools.itertuples()):
        if i == 0:
            continue  # not yet inspected under report cards: not in the file
        row = {
            "URN": str(100000 + int(str(school.school_id)[-4:])),
            "LAESTAB": str(school.school_id),
            "School name": school.school_name,
            "Inspection type": "Graded inspection (synthetic)",
            "Inspection start date": f"{rng.integers(10, 28)}/{rng.choice([10, 11])}/{year - 1}",
        }
        for area, headers in spec["areas"].items():
            if area == "safeguarding":
                row[headers[0]] = "Met"
            elif area == "early_years" and school.phase != "Primary":
                row[headers[0]] = "Not applicable"
            elif area == "sixth_form" and not bool(school.sixth_form):
                row[headers[0]] = "Not applicable"
            else:
                row[headers[0]] = OUTCOME_GRADES[rng.choice(5, p=[0.1, 0.3, 0.3, 0.25, 0.05])]
        rows.append(row)
    return pd.DataFrame(rows)
