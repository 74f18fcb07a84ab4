"""KS2 outcomes: test scaled scores (80-120) or result codes, writing teacher assessment, target-setting bands.

Test columns (``ks2_reading``, ``ks2_maths``, ``ks2_gps``) hold a scaled score or a result code such as ``B``
(working below the test) or ``A`` (absent). Tables: ``parameters/scales/ks2.yaml``, ``ks2_writing_ta.csv``,
``ks2_nominal_scores.csv``, ``bands.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.vocabulary import KS2_SUBJECTS, KS2_TEST_SUBJECTS

TEST_SUBJECTS = KS2_TEST_SUBJECTS
SUBJECTS = KS2_SUBJECTS


def scale() -> dict:
    """Scaled-score range and standards: ``min, max, expected_standard, high_score``."""
    return parameters.load_yaml("scales/ks2.yaml")["scaled_score"]


def test_codes() -> dict[str, str]:
    """Result codes a test column may hold instead of a scaled score, with their meaning."""
    return parameters.load_yaml("scales/ks2.yaml")["test_codes"]


def writing_codes() -> pd.DataFrame:
    """Writing TA table: ``code, label, kind, band, progress_points, status, source``."""
    return parameters.load_csv("scales/ks2_writing_ta.csv")


def scaled_score(values: pd.Series) -> pd.Series:
    """The scaled score of each test result as float; NaN for result codes and blanks."""
    return pd.to_numeric(values.astype("string").str.strip(), errors="coerce").astype(float)


def scaled_score_problem(value: str) -> str | None:
    """Why a test result is not allowed (a sentence), or None when it is a valid score or code."""
    v = str(value).strip()
    if v == "":
        return None
    s = scale()
    try:
        number = float(v)
    except ValueError:
        codes = test_codes()
        if v.upper() in codes:
            return None
        return f"'{v}' is neither a scaled score ({s['min']}-{s['max']}) nor a KS2 result code ({', '.join(codes)})"
    if number != int(number) or not s["min"] <= number <= s["max"]:
        return f"{v} is not a scaled score: scores are whole numbers from {s['min']} to {s['max']}"
    return None


def reaches_expected(scores: pd.Series) -> pd.Series:
    """True where a scaled score is at least the expected standard (100); False for codes and lower scores."""
    return scaled_score(scores).ge(scale()["expected_standard"]).fillna(False)


def reaches_high(scores: pd.Series) -> pd.Series:
    """True where a scaled score is at least the high score (110)."""
    return scaled_score(scores).ge(scale()["high_score"]).fillna(False)


def writing_band(codes: pd.Series) -> pd.Series:
    """4-band scale of a writing TA code: B, W (WTS), N (EXS), A (GDS); <NA> for non-result codes."""
    t = writing_codes()
    bands = {c: b for c, b in zip(t["code"], t["band"]) if b}
    return codes.astype("string").str.strip().str.upper().map(bands).astype("string")


def writing_reaches(codes: pd.Series, level: str) -> pd.Series:
    """True where writing TA is at least ``level`` (``"EXS"`` for the expected standard, ``"GDS"`` for greater depth)."""
    order = {"EXS": {"EXS", "GDS"}, "GDS": {"GDS"}}[level]
    return codes.astype("string").str.strip().str.upper().isin(order).fillna(False)


def band_table() -> pd.DataFrame:
    """The 10-band target-setting scale: ``band, four_band, min_score, max_score`` (B has no minimum)."""
    t = parameters.load_csv("scales/bands.csv")
    return pd.DataFrame(
        {
            "band": t["band"],
            "four_band": t["four_band"],
            "min_score": pd.to_numeric(t["min_score"].replace("", np.nan)),
            "max_score": pd.to_numeric(t["max_score"].replace("", np.nan)),
        }
    )


BANDS_10 = ("B", "W-", "W", "W+", "N-", "N", "N+", "A-", "A", "A+")
BANDS_4 = ("B", "W", "N", "A")


def band_of_score(scores: pd.Series) -> pd.Series:
    """10-band of each scaled score (B below 80, W- ... A+); B for 'working below' codes B and N; <NA> otherwise."""
    t = band_table()
    x = scaled_score(scores)
    mins = t["min_score"].fillna(-np.inf).to_numpy()
    idx = np.searchsorted(mins, x.to_numpy(), side="right") - 1
    out = pd.Series(t["band"].to_numpy()[np.clip(idx, 0, len(t) - 1)], index=scores.index, dtype="string")
    out = out.where(x.notna())
    below = scores.astype("string").str.strip().str.upper().isin(["B", "N"]).fillna(False)
    return out.mask(below, "B")


def four_band(bands: pd.Series) -> pd.Series:
    """The 4-band parent (B, W, N, A) of each 10-band label."""
    t = band_table()
    return bands.map(dict(zip(t["band"], t["four_band"]))).astype("string")


TA_SUBJECTS = ("reading", "maths")  # subjects whose teacher assessment can stand in for a test code (B)


def ta_codes() -> set[str]:
    """KS2 reading and maths teacher-assessment codes a pupil table may hold: the standards (GDS, EXS, HNM, WTS),
    the pre-key-stage standards and P-scales, and A/D (absent, disapplied)."""
    nominal = set(parameters.load_csv("scales/ks2_nominal_scores.csv")["code"].str.upper())
    return nominal | {"GDS", "EXS", "HNM", "WTS", "A", "D"}


def nominal_score(code: str, year: int) -> float | None:
    """Nominal KS2 score the DfE gives a pupil without a test score (code such as N, BLW, PKF, P4) in ``year``."""
    t = parameters.load_csv("scales/ks2_nominal_scores.csv")
    hit = t[
        (t["code"].str.upper() == code.upper())
        & (t["first_year"].astype(int) <= year)
        & (t["last_year"].astype(int) >= year)
    ]
    return float(hit["score"].iloc[0]) if len(hit) else None
