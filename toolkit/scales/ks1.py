"""KS1 teacher assessment: codes, point scores, average point score, prior attainment groups, HML.

Two frameworks: ``"2016"`` (PKF, WTS, EXS, GDS and pre-key-stage codes) and ``"2019"`` (the old levels
W, 1, 2C, 2B, 2A, 3, 4, used by the 2019 24-group table). Tables: ``parameters/scales/ks1_ta.csv``,
``ks1_levels.csv``, ``p_scales.csv``, ``prior_attainment_groups.csv``, ``hml.yaml``.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.scales.codes import points_of
from toolkit.vocabulary import KS1_SUBJECTS

SUBJECTS = KS1_SUBJECTS
#: Weights of the KS1 average point score: maths counts twice, for parity with English (reading + writing).
APS_WEIGHTS = {"reading": 1.0, "writing": 1.0, "maths": 2.0}
FRAMEWORKS = ("2016", "2019")


def ta_codes() -> pd.DataFrame:
    """The 2016+ framework code table: ``code, label, kind, points, band, status, source``."""
    return parameters.load_csv("scales/ks1_ta.csv")


def level_codes() -> pd.DataFrame:
    """The old-level table (2019 PAGs): ``code, label, points, band, status, source``."""
    return parameters.load_csv("scales/ks1_levels.csv")


def p_scale_codes() -> pd.DataFrame:
    """P-scale codes recorded for pupils working below the pre-key-stage standards: ``code, points``."""
    return parameters.load_csv("scales/p_scales.csv")


TABLES = ("scales/p_scales.csv", "scales/ks1_levels.csv", "scales/ks1_ta.csv")


def points_table() -> dict[str, float]:
    """Every KS1 code that carries points (2016+ codes, P-scales, old levels) mapped to its points."""
    return dict(_points_table(parameters.stamp(TABLES)))


@functools.cache
def _points_table(stamp: tuple) -> dict[str, float]:  # built once per version of the three tables
    table: dict[str, float] = {}
    for frame in (p_scale_codes(), level_codes(), ta_codes()):
        scored = frame[frame["points"] != ""]
        table.update(zip(scored["code"], scored["points"].astype(float)))
    return table


def allowed_codes() -> set[str]:
    """Every code a KS1 subject column may hold (results, P-scales, old levels, non-result codes)."""
    return set(ta_codes()["code"]) | set(p_scale_codes()["code"]) | set(level_codes()["code"])


def ks1_points(codes: pd.Series) -> pd.Series:
    """Point score of each KS1 code (float); NaN for blanks, non-result codes and BLW without a P-scale.

    BLW pupils are recorded with their P-scale code (``P4`` ... ``P8``, ``NOTSEN``) in the subject column.
    """
    return points_of(codes, points_table())


def ks1_aps(reading: pd.Series, writing: pd.Series, maths: pd.Series, min_subjects: int = 1) -> pd.Series:
    """KS1 average point score with maths double weighted: (R + W + 2M) / 4.

    Subjects without points are left out and the weights renormalised (a pupil with reading and maths only
    scores (R + 2M) / 3); pupils with fewer than ``min_subjects`` subjects with points get NaN.
    """
    pts = pd.DataFrame({s: ks1_points(c) for s, c in zip(SUBJECTS, (reading, writing, maths))})
    w = pd.Series(APS_WEIGHTS)
    have = pts.notna()
    total = (pts.fillna(0) * w).sum(axis=1)
    weight = (have * w).sum(axis=1)
    aps = total / weight.where(weight > 0)
    return aps.where(have.sum(axis=1) >= min_subjects)


def framework_of(reading: pd.Series, writing: pd.Series, maths: pd.Series) -> pd.Series:
    """``"2019"`` for pupils with any old-level code (W, 1, 2C ...), else ``"2016"``."""
    levels = {c.upper() for c in level_codes()["code"]}
    old = np.zeros(len(reading), dtype=bool)
    for codes in (reading, writing, maths):
        old |= codes.astype("string").str.strip().str.upper().isin(levels).to_numpy(dtype=bool)
    return pd.Series(np.where(old, "2019", "2016"), index=reading.index, dtype="string")


def pag_table(framework: str = "2016") -> pd.DataFrame:
    """Prior attainment groups of a framework: ``pag, aps_min, aps_below`` (aps_below NaN for the top group)."""
    if framework not in FRAMEWORKS:
        raise ValueError(f"Unknown KS1 framework {framework!r}; expected one of {FRAMEWORKS}")
    t = parameters.load_csv("scales/prior_attainment_groups.csv")
    t = t[t["framework"] == framework]
    return pd.DataFrame(
        {
            "pag": t["pag"].astype(int).to_numpy(),
            "aps_min": t["aps_min"].astype(float).to_numpy(),
            "aps_below": pd.to_numeric(t["aps_below"].replace("", np.nan)).to_numpy(dtype=float),
        }
    )


def prior_attainment_group(aps: pd.Series, framework: str = "2016") -> pd.Series:
    """DfE prior attainment group (1 = lowest) of each KS1 APS; <NA> where the APS is missing."""
    t = pag_table(framework)
    idx = np.searchsorted(t["aps_min"].to_numpy(), aps.to_numpy(dtype=float), side="right") - 1
    groups = t["pag"].to_numpy()[np.clip(idx, 0, len(t) - 1)]
    return pd.Series(groups, index=aps.index).where(aps.notna()).astype("Int64")


def hml(aps: pd.Series, framework: str = "2016") -> pd.Series:
    """High / middle / low prior attainment (``"H"``, ``"M"``, ``"L"``) from the KS1 APS; <NA> where missing."""
    cuts = parameters.load_yaml("scales/hml.yaml")["frameworks"][framework]
    out = np.select([aps < cuts["low_below"], aps >= cuts["high_from"]], ["L", "H"], "M")
    return pd.Series(out, index=aps.index, dtype="string").where(aps.notna())


def ks1_band(codes: pd.Series) -> pd.Series:
    """The 4-band KS1 scale of seed 000: B (below), W (working towards), N (expected), A (greater depth)."""
    bands: dict[str, str] = {}
    for frame in (level_codes(), ta_codes()):
        bands.update({c: b for c, b in zip(frame["code"], frame["band"]) if b})
    bands.update({c: "B" for c in p_scale_codes()["code"]})
    return codes.astype("string").str.strip().str.upper().map({k.upper(): v for k, v in bands.items()}).astype("string")
