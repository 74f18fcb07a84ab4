"""KS2 fine points and the Progress 8 baseline as the report computes them: seed 004's worked example and each of
its exceptions, through toolkit.methods.ks2_baseline.baseline (the code path of notebooks/ks2_baseline.ipynb)."""

import pandas as pd
import pytest

from toolkit.inputs import PupilDataError, load_pupils
from toolkit.methods.ks2_baseline import baseline, mark_range, thresholds


def pupil(english=("4", 52, "4", False), maths=("5", 88, "5", False), year=2011) -> pd.DataFrame:
    row = {"upn": "X", "ks2_year": year}
    for s, (level, mark, ta, l6) in (("english", english), ("maths", maths)):
        row.update({f"ks2_{s}_level": level, f"ks2_{s}_mark": mark, f"ks2_{s}_ta": ta, f"ks2_{s}_level6": l6})
    return pd.DataFrame([row])


def one(**kw) -> pd.Series:
    return baseline(pupil(**kw)).iloc[0]


def test_seed_004_worked_example():
    b = one()
    assert b["english_fine_points"] == 26.28 and b["english_fine_level"] == "4B"
    assert b["maths_fine_points"] == 32.76 and b["maths_fine_level"] == "5B"
    assert b["p8_baseline"] == 4.9
    assert b["english_rule"] == "Level 4, mark 52 in 41-69: standard formula"
    assert mark_range(thresholds(), 2011, "maths", 5) == (77.0, 100.0)


def test_level_n_with_a_teacher_assessment_gets_default_points():
    b = one(english=("N", 5, "3", False))
    assert b["english_fine_points"] == 21 and b["english_rule"].startswith("Level N with TA 3: default points 21")


def test_level_n_without_a_teacher_assessment_is_left_out_of_the_baseline():
    b = one(english=("N", 5, None, False))
    assert pd.isna(b["english_fine_points"]) and "left out of the P8 baseline" in b["english_rule"]
    assert b["p8_baseline"] == round(32.76 / 6, 1)  # maths alone: 5.46 -> 5.5


@pytest.mark.parametrize("ta, points", [("W", 3), ("1", 9), ("2", 15)])
def test_test_level_2_with_ta_w_1_2_gets_fixed_points(ta, points):
    b = one(english=("2", 15, ta, False))
    assert b["english_fine_points"] == points and f"fixed {points} points" in b["english_rule"]


def test_test_level_2_with_ta_above_2_uses_the_level_3_formula_with_the_mark_clamped():
    # English level 2 = 11-20, level 3 = 21-40. Mark 5 is raised to 11: 3 - (21 - 11) / (40 - 21 + 1) = 2.5 -> 15.
    low = one(english=("2", 5, "4", False))
    assert low["english_fine_points"] == 15.0 and "mark 5 raised to the level-2 minimum 11" in low["english_rule"]
    # Mark 30 is lowered to 20: 3 - 1/20 = 2.95 -> 17.7.
    high = one(english=("2", 30, "3", False))
    assert high["english_fine_points"] == 17.7 and "lowered to the level-2 maximum 20" in high["english_rule"]
    inside = one(english=("2", 15, "4", False))  # 3 - 6/20 = 2.7 -> 16.2
    assert inside["english_fine_points"] == 16.2 and "raised" not in inside["english_rule"]


def test_level_6_is_ignored_and_the_standard_test_used():
    with_l6 = one(english=("5", 80, "6", True))
    without = one(english=("5", 80, "6", False))
    assert with_l6["english_fine_points"] == without["english_fine_points"] == 31.92
    assert "level 6 test ignored: standard test used" in with_l6["english_rule"]


def test_a_level_6_in_place_of_the_standard_test_is_refused_by_the_loader(tmp_path):
    f = tmp_path / "ks2_levels_2016.csv"
    f.write_text(
        "upn,school_id,forename,surname,dob,gender,year_group,ks2_year,ks2_english_level,ks2_english_mark\n"
        "A925400011001,9254000,Ann,Mockford,2004-10-01,F,11,2011,6,30\n"
        "A925400011001,9254000,Ann,Mockford,2004-10-01,F,11,2011,4,130\n"
    )
    with pytest.raises(PupilDataError) as err:
        load_pupils(f)
    text = str(err.value)
    assert "KS2 english level must be the standard test's level (N, 2, 3, 4 or 5); a level 6 is ignored" in text
    assert "Column: ks2_english_level. Row: 2" in text
    assert "KS2 english mark must be a number from 0 to 100. Column: ks2_english_mark. Row: 3" in text


def test_a_mark_outside_its_level_is_computed_and_flagged():
    b = one(maths=("4", 30, "4", False))
    assert "outside the level 4 range: check the data" in b["maths_rule"]


def test_year_specific_thresholds_override_the_default(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "parameters"
    (tmp_path / "scales").mkdir()
    shutil.copy(root / "scales" / "ks2_level_thresholds.csv", tmp_path / "scales" / "ks2_level_thresholds.csv")
    with open(tmp_path / "scales" / "ks2_level_thresholds.csv", "a") as f:
        f.write("2011,english,4,45,72,published,test\n")
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(tmp_path))
    b = one()  # 4 + (52 - 45) / 28 = 4.25 -> 25.5
    assert b["english_fine_points"] == 25.5 and "in 45-72" in b["english_rule"]
    assert one(year=2012)["english_fine_points"] == 26.28


def test_from_ks2_2012_the_reading_mark_gives_the_english_fine_points():
    # Seed 004: "When using Y11 2016/17 and beyond, the Reading mark is imported". Year 11 in 2016/17 sat KS2 in
    # 2012. Hand-worked with the default reading thresholds (level 4 = marks 18-27): 4 + (24 - 18) / (27 - 18 + 1)
    # = 4.6, x 6 = 27.6 fine points (4B: 26-27.99); with maths 32.76 the P8 baseline is ((27.6 + 32.76) / 2) / 6 = 5.03 -> 5.0.
    frame = pupil(year=2012).assign(ks2_reading_level="4", ks2_reading_mark=24)
    b = baseline(frame).iloc[0]
    assert b["english_fine_points"] == pytest.approx(27.6) and b["english_fine_level"] == "4B"
    assert b["english_rule"].startswith("Reading test (KS2 2012, Year 11 from 2016/17): Level 4, mark 24 in 18-27")
    assert b["p8_baseline"] == 5.0
    # The same pupil in KS2 2011 (Year 11 in 2015/16) keeps the English test (seed 004's worked example).
    earlier = baseline(pupil(year=2011).assign(ks2_reading_level="4", ks2_reading_mark=24)).iloc[0]
    assert earlier["english_fine_points"] == 26.28
