"""The summary report's wording: the change in a gap to national, where targets sit among FFT50/20/5, and the
per-pupil 'reached the standard' the attainment figures and group gaps share."""

import numpy as np
import pandas as pd
import pytest

from toolkit.methods import attainment
from toolkit.reports.summary_views import change_words, target_position, target_sentence


@pytest.mark.parametrize(
    ("gap", "before", "words"),
    [
        (-3.0, -8.0, "▲ closer to national"),  # below national, less so
        (4.0, 9.0, "▼ closer to national"),  # above national, less so: a fall, not "wider"
        (9.0, 4.0, "▲ further above national"),
        (-9.0, -4.0, "▼ further below national"),
        (3.0, -2.0, "▲ now above national"),
        (-1.0, 2.0, "▼ now below national"),
        (5.2, 5.0, "► about the same"),
        (5.0, np.nan, ""),
    ],
)
def test_change_in_the_gap_reads_in_words(gap, before, words):
    assert change_words(gap, before) == words


@pytest.mark.parametrize(
    ("target", "place"),
    [
        (60.0, "below FFT50"),
        (72.0, "between FFT50 and FFT20"),
        (80.0, "between FFT20 and FFT5"),
        (90.0, "at or above FFT5"),
    ],
)
def test_where_a_target_sits_among_the_estimates(target, place):
    assert target_position(target, 70.0, 78.0, 85.0) == place
    assert target_position(np.nan, 70.0, 78.0, 85.0) == ""


def test_target_sentence_groups_measures_by_place():
    table = pd.DataFrame(
        {
            "Measure": ["Reading", "Mathematics", "Writing"],
            "Targets are": ["below FFT50", "below FFT50", "at or above FFT5"],
        }
    )
    text = target_sentence(table)
    assert text.startswith(
        "The aggregated targets sit below FFT50 for reading; mathematics. They sit at or above FFT5 for writing."
    )


def test_reached_marks_each_subject_and_rwm_per_pupil():
    pupils = pd.DataFrame(
        {
            "ks2_reading": ["104", "99", "112", None],
            "ks2_maths": ["100", "110", "111", "A"],
            "ks2_gps": ["95", "100", "120", "101"],
            "ks2_writing": ["EXS", "GDS", "GDS", "WTS"],
        }
    )
    expected = attainment.reached(pupils)
    assert expected["rwm"].tolist() == [True, False, True, False]
    assert expected["gps"].tolist() == [False, True, True, True]
    high = attainment.reached(pupils, "high")
    assert high["rwm"].tolist() == [False, False, True, False]
    assert high["writing"].tolist() == [False, True, True, False]
