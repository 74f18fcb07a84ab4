"""Steps-and-points tracking (seed 003): points, progress since the start of the year and since last year, the
6 / 7 point expectations, the age-related expectation, and the loader's messages."""

import pandas as pd
import pytest

from toolkit.inputs import PupilDataError
from toolkit.inputs.assessments import load_tracking
from toolkit.methods import tracking

PUPILS = pd.DataFrame({"upn": ["A", "B", "C", "D"], "year_group": ["3", "3", "4", "1"], "gender": ["F", "M", "F", "M"]})


def records(rows):
    frame = pd.DataFrame(rows, columns=["upn", "academic_year", "term", "subject", "grade"])
    from toolkit.scales.steps import grade_points

    return frame.assign(school_id="9252000", points=frame["grade"].map(grade_points))


def test_progress_against_six_and_seven_points_and_are_hand_worked():
    r = records(
        [
            ("A", 2026, "spring", "maths", "2B"),
            ("A", 2027, "autumn", "maths", "3C"),
            ("A", 2027, "spring", "maths", "3A"),
            ("B", 2026, "spring", "maths", "2B"),
            ("B", 2027, "autumn", "maths", "2A"),
            ("B", 2027, "spring", "maths", "3B"),
            ("C", 2026, "spring", "maths", "3B"),
            ("C", 2027, "autumn", "maths", "4C"),
            ("C", 2027, "spring", "maths", "4B+"),
            ("D", 2027, "autumn", "maths", "1C"),
            ("D", 2027, "spring", "maths", "1B"),
        ]
    )
    p = tracking.pupil_progress(r, PUPILS, 2027).set_index("upn")
    assert tracking.latest_term(r, 2027) == "spring"
    # A: 2B (15) -> 3A (23): 8 points since last spring (good); 3C (19) -> 3A: 4 since the start of the year.
    assert p.loc["A", "since_last_year"] == 8 and p.loc["A", "since_start"] == 4 and p.loc["A", "band"] == "Good (7+)"
    # B: 2B (15) -> 3B (21): 6 points, expected, not flagged. C: 3B (21) -> 4B+ (28): 7, good.
    assert p.loc["B", "since_last_year"] == 6 and p.loc["B", "band"] == "Expected (6)" and not p.loc["B", "flag"]
    assert p.loc["C", "since_last_year"] == 7 and p.loc["C", "band"] == "Good (7+)"
    # Spring ARE is the year's second step: 3B (21) for Year 3, 4B (27) for Year 4, 1B (9) for Year 1.
    assert p.loc["A", "status"] == "Above ARE" and p.loc["B", "status"] == "At ARE" and p.loc["C", "status"] == "At ARE"
    assert p.loc["D", "status"] == "At ARE" and pd.isna(p.loc["D", "since_last_year"]) and not p.loc["D", "flag"]


def test_pupils_below_six_points_are_flagged_and_below_are():
    r = records([("A", 2026, "autumn", "reading", "2C"), ("A", 2027, "autumn", "reading", "2A")])
    p = tracking.pupil_progress(r, PUPILS, 2027).iloc[0]
    assert p["since_last_year"] == 4 and p["flag"] and p["band"] == "Below expected (< 6)"
    assert p["status"] == "Below ARE"  # 2A (17) below the Year 3 autumn step 3C (19)


def test_distribution_and_progress_tables():
    r = records(
        [
            ("A", 2026, "autumn", "reading", "2C"),
            ("A", 2027, "autumn", "reading", "3C"),
            ("B", 2026, "autumn", "reading", "2C"),
            ("B", 2027, "autumn", "reading", "2A"),
        ]
    )
    p = tracking.pupil_progress(r, PUPILS, 2027)
    dist = tracking.are_distribution(p).iloc[0]
    assert dist["pupils"] == 2 and dist["% Below ARE"] == 50 and dist["% At ARE"] == 50
    prog = tracking.progress_by_year(p).iloc[0]
    assert prog["since_last_year"] == 5 and prog["% Below expected (< 6)"] == 50 and prog["% Expected (6)"] == 50


def test_loader_names_every_problem(tmp_path):
    f = tmp_path / "tracking.csv"
    f.write_text(
        "upn,school_id,academic_year,term,subject,grade\n"
        "L925200024001,9252000,2027,autumn,maths,3C\n"
        "L925200024001,9252000,2027,autumn,maths,3B\n"
        "L925200024001,9252000,2027,winter,maths,3B\n"
        "L925200024001,9252000,2027,spring,science,3B\n"
        "L925200024001,9252000,2027,summer,reading,3D\n"
        "L925200024001,9252000,27,summer,writing,7A\n"
    )
    with pytest.raises(PupilDataError) as err:
        load_tracking(f)
    text = str(err.value)
    for message in (
        "Term must be one of autumn, spring, summer. Column: term. Row: 4",
        "Subject must be one of reading, writing, maths. Column: subject. Row: 5",
        "Grade must be a year then a step, such as 3C, 3B or 3A (3B+ between steps). Column: grade. Rows: 6, 7",
        "Academic year must be a four-digit year such as 2026. Column: academic_year. Row: 7",
        "has two maths grades for autumn 2027: one per pupil, subject and term. Column: grade. Rows: 2, 3",
    ):
        assert message in text, message
