"""Steps-and-points grades (seed 003)."""

import pytest

from toolkit.scales import age_related_expectation, grade_points, points_grade, progress_points


def test_default_points_continue_old_sub_levels():
    assert grade_points("1C") == 7
    assert grade_points("1B") == 9
    assert grade_points("3A") == 23
    assert grade_points("5B") == 33
    assert points_grade(23) == "3A"
    assert points_grade(7) == "1C"


def test_two_points_a_step_six_a_year():
    assert progress_points("3C", "3B") == 2
    assert progress_points("3A", "4A") == 6
    assert progress_points("2B", "3A") == 8


def test_between_grades():
    assert grade_points("3B+") == 22
    assert grade_points("3B/3A") == 22
    assert points_grade(22) == "3B+"
    with pytest.raises(ValueError, match="neighbouring"):
        grade_points("3B/4A")


def test_age_related_expectation_is_the_third_step():
    assert age_related_expectation(4) == "4A"


@pytest.mark.parametrize("bad", ["3D", "A3", "", "9A"])
def test_bad_grades_are_explained(bad):
    with pytest.raises(ValueError):
        grade_points(bad)


def test_points_round_trip_over_the_scale():
    for p in range(7, 43):
        assert grade_points(points_grade(p)) == p
