"""KS2 scaled scores, result codes, writing TA and the 10-band target-setting scale."""

import pandas as pd

from toolkit.scales import band_of_score, four_band, reaches_expected, reaches_high, scaled_score
from toolkit.scales.ks2 import nominal_score, scaled_score_problem, writing_band, writing_reaches


def s(*values):
    return pd.Series(values, dtype="string")


def test_expected_and_high_standards():
    scores = s("99", "100", "109", "110", "B", None)
    assert reaches_expected(scores).tolist() == [False, True, True, True, False, False]
    assert reaches_high(scores).tolist() == [False, False, False, True, False, False]
    assert scaled_score(scores).isna().tolist() == [False] * 4 + [True, True]


def test_ten_bands_nest_in_four():
    bands = band_of_score(s("80", "99", "100", "109", "110", "120", "B", "A"))
    assert bands.tolist()[:7] == ["W-", "W+", "N-", "N+", "A-", "A+", "B"]
    assert pd.isna(bands.iloc[7])  # absent: no band
    assert four_band(bands.dropna()).tolist() == ["W", "W", "N", "N", "A", "A", "B"]


def scaled_score_problems_in_words():
    assert scaled_score_problem("104") is None
    assert scaled_score_problem("B") is None
    assert "whole numbers from 80 to 120" in scaled_score_problem("79")
    assert "whole numbers" in scaled_score_problem("100.5")
    assert "result code" in scaled_score_problem("X")


def test_writing_ta():
    codes = s("GDS", "EXS", "WTS", "PKF", "A")
    assert writing_band(codes).tolist()[:4] == ["A", "N", "W", "B"]
    assert writing_reaches(codes, "EXS").tolist() == [True, True, False, False, False]


def test_nominal_scores_by_year():
    assert nominal_score("N", 2019) == 79
    assert nominal_score("BLW", 2016) == 70
    assert nominal_score("BLW", 2019) == 62
    assert nominal_score("PK3", 2019) == 70
    assert nominal_score("PK3", 2016) is None
