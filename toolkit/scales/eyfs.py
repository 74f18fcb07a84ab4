"""EYFS profile: early learning goals (emerging / expected), area scores and a good level of development.

Pupil-table columns are ``eyfs_<goal>`` (``eyfs_listening``, ``eyfs_word_reading`` ...). Table: ``parameters/scales/eyfs.yaml``.
"""

from __future__ import annotations

import pandas as pd

from toolkit import parameters
from toolkit.scales.codes import points_of


def eyfs_scale() -> dict:
    return parameters.load_yaml("scales/eyfs.yaml")


def goals() -> list[str]:
    """All early learning goals, in area order."""
    return [g for area in eyfs_scale()["areas"].values() for g in area]


def goal_columns() -> list[str]:
    """Pupil-table column of each goal: ``eyfs_<goal>``."""
    return [f"eyfs_{g}" for g in goals()]


def outcome_codes() -> set[str]:
    """Outcomes a goal column may hold (plus ``A`` for absent and blank for not assessed)."""
    return set(eyfs_scale()["outcomes"]) | {"A"}


def _points(col: pd.Series) -> pd.Series:
    return points_of(col, eyfs_scale()["outcomes"], case="lower")


def area_scores(pupils: pd.DataFrame) -> pd.DataFrame:
    """Mean outcome points (emerging 1, expected 2) of each area's goals; columns named after the areas."""
    return pd.DataFrame(
        {
            area: pd.concat([_points(pupils[f"eyfs_{g}"]) for g in gs], axis=1).mean(axis=1)
            for area, gs in eyfs_scale()["areas"].items()
        },
        index=pupils.index,
    )


def good_level_of_development(pupils: pd.DataFrame) -> pd.Series:
    """True where every goal of the GLD areas is expected (or exceeding); False otherwise, absent (A) included;
    <NA> where no goal was recorded at all."""
    s = eyfs_scale()
    cols = [f"eyfs_{g}" for a in s["gld_areas"] for g in s["areas"][a]]
    pts = pd.concat([_points(pupils[c]) for c in cols], axis=1)
    gld = pts.ge(s["outcomes"]["expected"]).all(axis=1)
    return gld.astype("boolean").where(pupils[cols].notna().any(axis=1))
