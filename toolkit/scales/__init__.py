"""Assessment scales: KS1 TA, KS2 scaled scores and bands, EYFS, fine points, steps and points, A level, identifiers.

Every cut point and point value is read from ``parameters/scales/`` (see its README for sources).
"""

from toolkit.scales.a_level import a_level_points
from toolkit.scales.eyfs import good_level_of_development
from toolkit.scales.fine_points import fine_level, ks2_fine_points, p8_baseline
from toolkit.scales.identifiers import (
    is_temporary_upn,
    make_upn,
    upn_problems,
    upn_reason,
    validate_dfe_number,
    validate_upn,
)
from toolkit.scales.ks1 import hml, ks1_aps, ks1_band, ks1_points, prior_attainment_group
from toolkit.scales.ks2 import band_of_score, four_band, reaches_expected, reaches_high, scaled_score
from toolkit.scales.steps import age_related_expectation, grade_points, points_grade, progress_points

__all__ = [
    "a_level_points",
    "age_related_expectation",
    "band_of_score",
    "fine_level",
    "four_band",
    "good_level_of_development",
    "grade_points",
    "hml",
    "is_temporary_upn",
    "ks1_aps",
    "ks1_band",
    "ks1_points",
    "ks2_fine_points",
    "make_upn",
    "p8_baseline",
    "points_grade",
    "prior_attainment_group",
    "progress_points",
    "reaches_expected",
    "reaches_high",
    "scaled_score",
    "upn_problems",
    "upn_reason",
    "validate_dfe_number",
    "validate_upn",
]
