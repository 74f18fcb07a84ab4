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
        (-3.0, -8.0, "▲ up 5.0\u00a0pp, still below national"),  # below national, less so: one reading only
        (4.0, 9.0, "▼ down 5.0\u00a0pp, still above national"),  # above national, less so: a fall, said as one
        (9.0, 4.0, "▲ up 5.0\u00a0pp, still above national"),
        (-9.0, -4.0, "▼ down 5.0\u00a0pp, still below national"),
        (3.0, -2.0, "▲ up 5.0\u00a0pp, now above national"),
        (-1.0, 2.0, "▼ down 3.0\u00a0pp, now below national"),
        (0.0, 2.0, "▼ down 2.0\u00a0pp, now level with national"),
        (5.2, 5.0, "► about the same, still above national"),
        (5.0, np.nan, ""),
    ],
)
def test_change_in_the_gap_reads_in_words(gap, before, words):
    assert change_words(gap, before) == words


def test_a_change_and_a_significance_carry_a_marker_beside_their_words():
    """The DfE's inspection data summary marks change and significance with colour and words; never colour alone."""
    from toolkit.reports.display import table_html
    from toolkit.reports.formats import marked

    assert marked("▲ up 5.0\u00a0pp, still below national") == ("▲ up 5.0\u00a0pp, still below national", "good")
    assert marked("significantly below national") == ("significantly below national", "bad")
    assert marked("in line with national") == ("in line with national", "same") and marked("") == ""
    html = table_html(pd.DataFrame({"Change": ["▼ down 2.0\u00a0pp, now below national"]}), {"Change": marked})
    assert '<td class="text tk-bad">▼ down 2.0\u00a0pp, now below national</td>' in html


def test_printed_differences_are_the_differences_of_the_printed_figures():
    """38.54 - 62.06 prints as 38.5, 62.1 and -23.6 (not -23.5 or -23.7); percentages differ in pp, scores in
    points; a gap under one pupil reads 'under 1', never '-0.9'."""
    from toolkit.reports.formats import as_shown, difference_in_units, pupils_gap, signed_pp

    assert signed_pp(as_shown(38.54) - as_shown(62.06)) == "-23.6\u00a0pp"
    assert (
        difference_in_units(75.64, 75.06) == "+0.5\u00a0pp"
        and difference_in_units(105.4, 106.04, True) == "-0.6\u00a0points"
    )
    assert pupils_gap(-0.9) == "under 1" and pupils_gap(-2.6) == "-3" and pupils_gap(0.04) == "under 1"


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
