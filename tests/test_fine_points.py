"""KS2 fine points, fine levels and the P8 baseline: seed 004's worked example and each exception."""

import pytest

from toolkit.scales import fine_level, ks2_fine_points, p8_baseline


def test_seed_004_worked_example():
    english = ks2_fine_points(level=4, mark=52, level_min=41, level_max=69)
    maths = ks2_fine_points(5, 88, 77, 100)
    assert english == 26.28  # 6 x round(4 + 11/29, 2) = 6 x 4.38
    assert maths == 32.76  # 6 x round(5 + 11/24, 2) = 6 x 5.46
    assert fine_level(english) == "4B"
    assert fine_level(maths) == "5B"
    assert p8_baseline(english, maths) == 4.9


def test_rounds_to_two_places_before_multiplying():
    # 4 + 11/29 = 4.3793...: rounding first gives 26.28; multiplying first would give 26.2759 -> 26.28 too, so
    # use a mark where the order matters: 3 + 1/3 = 3.333.. -> 3.33 x 6 = 19.98 (not 20.00).
    assert ks2_fine_points(3, 10, 9, 11) == 19.98


def test_half_up_rounding_of_the_fine_grade():
    # 4 + 1/8 = 4.125 -> 4.13 half up (banker's rounding would give 4.12) -> 24.78
    assert ks2_fine_points(4, 2, 1, 8) == 24.78


@pytest.mark.parametrize("ta,points", [("W", 3), ("1", 9), ("2", 15), (1, 9)])
def test_test_level_2_with_low_teacher_assessment(ta, points):
    assert ks2_fine_points(2, 15, 10, 17, ta=ta) == points


def test_test_level_2_with_teacher_assessment_above_2_uses_level_3_formula():
    # FINEGRADE = 3 - (MINLEV3 - MAINMARK) / (MAXLEV3 - MINLEV3 + 1) = 3 - (18 - 15) / (30 - 18 + 1) = 2.769 -> 2.77
    assert ks2_fine_points(2, 15, ta="4", level2_min=10, level2_max=17, level3_min=18, level3_max=30) == 16.62


def test_test_level_2_mark_is_clamped_to_the_level_2_range():
    low = ks2_fine_points(2, 3, ta="3", level2_min=10, level2_max=17, level3_min=18, level3_max=30)
    at_min = ks2_fine_points(2, 10, ta="3", level2_min=10, level2_max=17, level3_min=18, level3_max=30)
    high = ks2_fine_points(2, 40, ta="3", level2_min=10, level2_max=17, level3_min=18, level3_max=30)
    at_max = ks2_fine_points(2, 17, ta="3", level2_min=10, level2_max=17, level3_min=18, level3_max=30)
    assert low == at_min == 6 * round(3 - 8 / 13, 2)
    assert high == at_max == 6 * round(3 - 1 / 13, 2)


def test_level_n_with_and_without_teacher_assessment():
    assert ks2_fine_points("N", 5, ta="2") == 15
    assert ks2_fine_points("N", 5) is None
    # excluded from the baseline: the other subject alone counts
    assert p8_baseline(None, 32.76) == 5.5
    assert p8_baseline(None, None) is None


def test_level_6_is_refused_with_advice():
    with pytest.raises(ValueError, match="standard KS2 test"):
        ks2_fine_points(6, 20, 1, 30)


def test_missing_mark_range_is_a_clear_error():
    with pytest.raises(ValueError, match="mark range"):
        ks2_fine_points(4, 52)


def test_fine_level_boundaries_from_raiseonline():
    assert fine_level(25.99) == "4C"
    assert fine_level(26.0) == "4B"
    assert fine_level(34.0) == "5A"
    assert fine_level(18.0) == "3C"
