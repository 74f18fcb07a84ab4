"""Targets versus estimates: target parsing, 'how likely', the aggregated-target table worked by hand."""

import numpy as np
import pandas as pd
import pytest

from toolkit.methods.targets import (
    chance_of_target,
    review_targets,
    target_cut,
    target_reaches,
    target_summary,
)
from toolkit.vocabulary import named_challenges


@pytest.fixture(scope="module")
def four(national_200k):
    """Four pupils with hand-chosen targets."""
    p = national_200k.pupils.head(4).copy()
    p["target_reading"] = ["N", "A-", "W+", None]
    p["target_writing"] = ["EXS", "GDS", "WTS", "N"]
    p["target_maths"] = ["105", "110", "N-", "A"]
    return p


def test_named_challenges_are_fft_percentiles():
    assert named_challenges() == {"FFT50": 50, "FFT20": 80, "FFT5": 95}


def test_target_cuts_on_the_continuous_scale():
    cuts = target_cut(pd.Series(["N-", "A", "104", "EXS", "GDS", None, ""]), "ks2", "reading")
    assert cuts[:5].tolist() == [99.5, 112.5, 103.5, 99.5, 109.5]
    assert np.isnan(cuts[5:]).all()
    writing = target_cut(pd.Series(["EXS", "GDS", "WTS", "N+", "W"]), "ks2", "writing")
    assert writing.tolist() == [97, 108, 85, 97, 85]  # midpoints between TA points (estimates.yaml)


def test_unknown_target_is_named_with_its_row():
    with pytest.raises(ValueError, match=r"not understood: row 1 \('Q'\), row 2 \('130'\)"):
        target_cut(pd.Series(["N", "Q", "130"]), "ks2", "maths")


def test_how_likely_is_the_chance_of_reaching_at_least_the_target(ks2_model, four):
    chances = chance_of_target(ks2_model, four, 80)
    est = ks2_model.predict(four, 80)
    # A target of N- (or EXS in writing) is the expected standard itself.
    assert chances.loc[2, "maths_p_target"] == pytest.approx(est.loc[2, "maths_p_expected"])
    assert chances.loc[0, "writing_p_target"] == pytest.approx(est.loc[0, "writing_p_expected"])
    assert chances.loc[1, "writing_p_target"] == pytest.approx(est.loc[1, "writing_p_high"])
    # A target of A- is the high score.
    assert chances.loc[1, "reading_p_target"] == pytest.approx(est.loc[1, "reading_p_high"])
    assert np.isnan(chances.loc[3, "reading_p_target"])


def test_review_flags_unlikely_and_unambitious():
    pupils = pd.DataFrame({"upn": ["a", "b", "c"], "target_maths": ["A+", "N", "W"]})
    chances = pd.DataFrame({"maths_p_target": [0.1, 0.5, 0.97]})
    flags = review_targets(pupils, chances, ("maths",))
    assert flags[["upn", "flag"]].values.tolist() == [["a", "unlikely"], ["c", "unambitious"]]


def test_review_ranks_by_distance_caps_and_spares_pupils_below_the_standard():
    from toolkit.methods.targets import cap_review

    pupils = pd.DataFrame({"upn": list("abcdef"), "target_maths": ["A+", "A", "B", "W-", "100", None]})
    # Against an estimate of 100: A+ starts at a score of 117 (+17), A at 113 (+13), W- at 80 (-20); B has no lower
    # edge (below the test), so no distance.
    chances = pd.DataFrame(
        {
            "maths_p_target": [0.02, 0.1, 0.99, 0.98, 0.5, np.nan],  # f: no target
            "maths_estimate": [100.0, 100.0, 85.0, 100.0, 100.0, 100.0],
        }
    )
    flags = review_targets(pupils, chances, ("maths",))
    assert flags["upn"].tolist() == ["d", "a", "b"]  # furthest first; c (target B, below the test) not unambitious
    assert flags["flag"].tolist() == ["unambitious", "unlikely", "unlikely"]
    assert flags["distance"].tolist() == pytest.approx([-20.0, 17.0, 13.0])
    shown, counts = cap_review(flags, 2)
    assert shown["upn"].tolist() == ["d", "a"]
    assert counts.set_index("flag")["targets"].to_dict() == {"unambitious": 1, "unlikely": 2}
    assert counts.set_index("flag")["shown"].to_dict() == {"unambitious": 1, "unlikely": 1}


def test_target_reaches_by_hand(four):
    assert target_reaches(four, "ks2", "reading", "expected").tolist()[:3] == [1, 1, 0]
    assert np.isnan(target_reaches(four, "ks2", "reading", "expected").iloc[3])
    assert target_reaches(four, "ks2", "maths", "high").tolist() == [0, 1, 0, 1]
    # N: middle of 102.5-106.5; A-: 109.5-112.5; W+: 93.5-99.5; a scaled score is itself.
    assert target_reaches(four, "ks2", "reading", "average").tolist()[:3] == [104.5, 111, 96.5]
    assert target_reaches(four, "ks2", "maths", "average").tolist()[:2] == [105, 110]
    # RWM: all three, only where all three have a target.
    rwm = target_reaches(four, "ks2", "rwm", "expected")
    assert rwm.tolist()[:3] == [1, 1, 0] and np.isnan(rwm.iloc[3])


def test_aggregated_target_table_by_hand(ks2_model, four):
    table = target_summary(ks2_model, four, "expected").set_index("subject")
    assert list(table.columns) == [
        "measure",
        "pupils",
        "FFT50",
        "FFT20",
        "FFT5",
        "own_past_progress",
        "pct_with_target",
        "aggregated_target",
        "difference",
    ]
    assert list(table.index) == ["reading", "writing", "maths", "gps", "rm", "rwm"]
    reading = table.loc["reading"]
    assert reading["pct_with_target"] == 75
    assert reading["aggregated_target"] == pytest.approx(200 / 3)
    est50 = ks2_model.predict(four, 50)
    assert reading["FFT50"] == pytest.approx(100 * est50["reading_p_expected"].mean())
    assert reading["difference"] == pytest.approx(200 / 3 - reading["FFT50"])
    assert reading["FFT50"] < reading["FFT20"] < reading["FFT5"]
    assert np.isnan(reading["own_past_progress"])
    assert np.isnan(table.loc["gps", "aggregated_target"]) and table.loc["gps", "pct_with_target"] == 0
    average = target_summary(ks2_model, four, "average").set_index("subject")
    assert list(average.index) == ["reading", "maths", "gps"]
    assert average.loc["reading", "aggregated_target"] == pytest.approx((104.5 + 111 + 96.5) / 3)


def test_own_past_progress_column_uses_the_school_challenge(ks2_model, four):
    table = target_summary(ks2_model, four, "expected", own_challenge={"maths": 95, "reading": 95}).set_index("subject")
    assert table.loc["maths", "own_past_progress"] == pytest.approx(table.loc["maths", "FFT5"])


def test_unknown_indicator_refused(ks2_model, four):
    with pytest.raises(ValueError, match="indicator must be one of"):
        target_summary(ks2_model, four, "median")
