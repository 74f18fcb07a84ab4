"""GCSE grades (9-1) and the subjects the KS4 measures count (parameters/ks4.yaml, parameters/ks4/gcse_subjects.csv).

A grade 9-1 scores its number, U scores 0 and is still an entry; the no-result codes (X, A ...) are not an entry.
Combined science (double award) is written with two grades, ``6-5`` (also ``65`` or ``6/5``): two results.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from toolkit import parameters

AREAS = (
    "english_language",
    "english_literature",
    "maths",
    "science",
    "combined_science",
    "humanities",
    "languages",
    "open",
)
EBACC_AREAS = ("science", "combined_science", "humanities", "languages")


def ks4_parameters() -> dict:
    return parameters.load_yaml("ks4.yaml")


def subjects() -> pd.DataFrame:
    """``subject, area, discount_code`` of every counted GCSE subject (names as the DfE spells them)."""
    return parameters.load_csv(ks4_parameters()["subjects"])[["subject", "area", "discount_code"]]


def grade_points(grade: object) -> float:
    """9-1 -> 9.0 ... 1.0, U -> 0.0, a no-result code or blank -> NaN; anything else raises ``ValueError``."""
    if grade is None or (isinstance(grade, float) and np.isnan(grade)):
        return np.nan
    text = str(grade).strip().upper()
    if text in ("",) or text in {c.upper() for c in ks4_parameters()["no_result_codes"]}:
        return np.nan
    if text == "U":
        return 0.0
    if re.fullmatch(r"[1-9]", text):
        return float(text)
    raise ValueError(f"'{grade}' is not a GCSE grade (9-1, U, or a no-result code such as X)")


def double_award(grade: object) -> tuple[float, float]:
    """A combined science grade, ``6-5``, ``65`` or ``6/5`` (``U`` alone: U-U), as its two results. A single grade
    1-9 is refused: a double award has two, and one could be either half."""
    text = str(grade).strip().upper()
    parts = re.fullmatch(r"([1-9U])\s*[-/]?\s*([1-9U])", text)
    if parts:
        first, second = (grade_points(p) for p in parts.groups())
        if first < second:
            raise ValueError(f"'{grade}': a double-award grade is written higher first, e.g. 6-5")
        if first - second > 1:
            raise ValueError(f"'{grade}': the two grades of a double award are at most one grade apart, e.g. 6-5")
        return first, second
    single = grade_points(grade)
    if single > 0:
        raise ValueError(f"'{grade}': combined science is a double award: give both grades, e.g. {text}-{text}")
    return single, single


def valid_grade(grade: object, area: str) -> bool:
    try:
        (double_award if area == "combined_science" else grade_points)(grade)
        return True
    except ValueError:
        return False
