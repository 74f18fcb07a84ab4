"""Pupil groups: labels, gaps to the complement, VA by group, worked by hand."""

import numpy as np
import pandas as pd
import pytest

from toolkit.methods.groups import GROUPS, breakdown, pupil_groups, va_by_group


@pytest.fixture()
def six():
    return pd.DataFrame(
        {
            "upn": list("abcdef"),
            "gender": ["F", "F", "M", "M", "M", "F"],
            "dob": pd.to_datetime(["2015-09-10", "2016-01-05", "2016-05-20", "2015-12-01", "2016-08-31", "2016-03-03"]),
            "ks1_reading": ["GDS", "EXS", "WTS", "EXS", "PK4", "EXS"],
            "ks1_writing": ["GDS", "EXS", "WTS", "EXS", "PK4", "WTS"],
            "ks1_maths": ["GDS", "EXS", "WTS", "EXS", "PK4", "EXS"],
            "fsm6": [True, False, False, True, False, False],
            "fsm": [True, False, False, False, False, False],
            "eal": [False, False, True, False, False, False],
            "sen": ["N", "N", "K", "N", "E", "N"],
        }
    )


def test_labels(six):
    g = pupil_groups(six)
    assert list(g.columns) == list(GROUPS)
    assert g["Term of birth"].tolist() == [
        "Autumn born",
        "Spring born",
        "Summer born",
        "Autumn born",
        "Summer born",
        "Spring born",
    ]
    assert g["Prior attainment"].tolist()[:3] == ["Higher attainers", "Middle attainers", "Lower attainers"]
    assert g["SEN"].tolist()[4] == "EHC plan"


def test_breakdown_gap_to_the_complement(six):
    values = pd.DataFrame({"p": [0.9, 0.6, 0.3, 0.5, 0.1, 0.7]})
    table = breakdown(values, six, ["p"])
    assert table.iloc[0][["label", "pupils"]].tolist() == ["All pupils", 6]
    assert table.iloc[0]["p"] == pytest.approx(3.1 / 6)
    girls = table[(table["group"] == "Gender") & (table["label"] == "Female")].iloc[0]
    assert girls["pupils"] == 3
    assert girls["p"] == pytest.approx(2.2 / 3)
    assert girls["gap_p"] == pytest.approx(2.2 / 3 - 0.9 / 3)
    disadvantaged = table[table["label"] == "Disadvantaged (FSM in last 6 years)"].iloc[0]
    assert disadvantaged["gap_p"] == pytest.approx(0.7 - 1.7 / 4)


def test_va_by_group(six):
    progress = pd.DataFrame({"upn": list("abcdef"), "subject": "maths", "progress": [2.0, 1.0, -1.0, 0.0, -3.0, 4.0]})
    table = va_by_group(progress, six, {"maths": 6.0})
    boys = table[(table["group"] == "Gender") & (table["label"] == "Male")].iloc[0]
    assert boys["pupils"] == 3
    assert boys["score"] == pytest.approx(-4 / 3)
    assert boys["gap"] == pytest.approx(-4 / 3 - 7 / 3)
    assert boys["ci_high"] - boys["score"] == pytest.approx(1.96 * 6 / np.sqrt(3))


def test_attainment_gaps_hand_worked():
    """10 pupils, 4 disadvantaged of whom 1 reaches the standard, 6 others of whom 4 do: 25% - 66.7% = -41.7 points,
    -1.67 pupils of the group; one pupil of the smaller side is 100/4 = 25 points, so the gap reads "behind"."""
    from toolkit.methods.groups import attainment_gaps, gap_reads

    labels = pd.DataFrame({"Disadvantage": ["Disadvantaged"] * 4 + ["Not disadvantaged"] * 6, "EAL": [pd.NA] * 10})
    reached = [1, 0, 0, 0, 1, 1, 1, 1, 0, 0]
    gaps = attainment_gaps(reached, labels, {"Disadvantage": "Disadvantaged", "EAL": "EAL", "SEN": "SEN"}, 3)
    assert list(gaps["group"]) == ["Disadvantage"]  # EAL: nobody in the group; SEN: no such column
    row = gaps.iloc[0]
    assert (row["pupils"], row["rest"]) == (4, 6)
    assert row["gap"] == pytest.approx(25 - 400 / 6) and row["gap_pupils"] == pytest.approx((25 - 400 / 6) * 4 / 100)
    assert row["reads"] == "behind"
    assert gap_reads(-20.0, 4, 6, 3) == "in line" and gap_reads(30.0, 4, 6, 3) == "ahead"
    assert gap_reads(-60.0, 2, 8, 3) == "too few pupils to say"
