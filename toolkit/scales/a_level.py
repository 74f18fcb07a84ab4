"""A level and AS grade points for DfE 16-18 measures (A* 60 ... E 10). Table: ``parameters/scales/a_level_points.csv``."""

from __future__ import annotations

import pandas as pd

from toolkit import parameters

QUALIFICATIONS = ("A level", "AS")


def grade_table() -> pd.DataFrame:
    """``qualification, grade, points, status, source``."""
    return parameters.load_csv("scales/a_level_points.csv")


def a_level_points(grades: pd.Series, qualification: str = "A level") -> pd.Series:
    """DfE 16-18 points of each grade (``A*`` ... ``E``, ``U``) of one qualification; NaN for unknown grades."""
    if qualification not in QUALIFICATIONS:
        raise ValueError(f"Unknown qualification {qualification!r}; expected one of {QUALIFICATIONS}")
    t = grade_table()
    t = t[t["qualification"] == qualification]
    return (
        grades.astype("string")
        .str.strip()
        .str.upper()
        .map(dict(zip(t["grade"], t["points"].astype(float))))
        .astype(float)
    )


def subject_names() -> dict[str, str]:
    """Every A level / AS subject name the DfE's level 3 value added model knows, lower case -> our spelling: the
    DfE's names (``ks5.yaml`` ``value_added.published_model``) and our spellings of those we write differently
    (``value_added.published_names``); a DfE spelling maps to ours."""
    p = parameters.load_yaml("ks5.yaml")["value_added"]
    ours = dict(zip(*(parameters.load_csv(p["published_names"])[c] for c in ("dfe_subject", "subject"))))
    dfe = parameters.load_csv(p["published_model"])["subject"]
    return {name.lower(): name for name in ours.values()} | {d.lower(): ours.get(d, d) for d in dfe}
