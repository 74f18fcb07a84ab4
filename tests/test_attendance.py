"""Attendance and absence as the DfE defines them: hand-worked rates for every measure and both thresholds (a pupil
admitted mid-year, a leaver, code N, approved educational activity, a pupil with no possible sessions), the DfE's
own published figures reproduced from its sessions, and the attendance input's checks."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.inputs.attendance import load_attendance
from toolkit.inputs.dfe_attendance import comparison, read_dfe_attendance
from toolkit.inputs.problems import PupilDataError
from toolkit.methods.attendance import absence, pupil_measures, rates
from toolkit.scales.attendance_codes import from_codes

# possible, present, aea, authorised, unauthorised
PUPILS = pd.DataFrame(
    {
        "upn": ["A", "B", "C", "D", "E"],
        "group": ["x", "x", "y", "y", "y"],
        "possible": [380, 190, 100, 0, 200],  # B admitted at Easter: its own 190; C left in November; D none
        "present": [350, 160, 40, 0, 180],
        "aea": [4, 0, 0, 0, 0],  # A: four sessions of approved educational activity (a trip), which count as attending
        "authorised": [20, 10, 10, 0, 10],
        "unauthorised": [6, 20, 50, 0, 10],  # A's 6 are code N (no reason yet): unauthorised
    }
)


def test_each_pupils_rates_and_both_thresholds():
    judged = pupil_measures(PUPILS).set_index("upn")
    assert judged.loc["A", "absence_rate"] == pytest.approx(100 * 26 / 380)  # 6.842%: not persistent
    assert judged.loc["A", "attendance_rate"] == pytest.approx(100 * 354 / 380)  # 93.158%: the trip counts
    assert not judged.loc["A", "persistent"]
    # B missed 30 of its own 190 sessions (15.8%): persistently absent, though 30 of a full year's 380 would be 7.9%
    assert judged.loc["B", "absence_rate"] == pytest.approx(100 * 30 / 190) and judged.loc["B", "persistent"]
    assert judged.loc["C", "absence_rate"] == 60 and judged.loc["C", "severe"]  # 60% of its 100: severe
    assert judged.loc["E", "absence_rate"] == 10 and judged.loc["E", "persistent"] and not judged.loc["E", "severe"]
    assert pd.isna(judged.loc["D", "absence_rate"]) and pd.isna(judged.loc["D", "persistent"])  # no sessions


def test_school_rates_are_ratios_of_sums_and_shares_of_pupils_with_sessions():
    school = rates(PUPILS).iloc[0]
    # 870 possible sessions (D has none and is in no denominator); 136 missed; 734 attended
    assert school["pupils"] == 4 and school["possible"] == 870
    assert school["overall_absence_rate"] == pytest.approx(100 * 136 / 870)  # 15.63%, not the mean of 4 pupils' rates
    assert school["attendance_rate"] == pytest.approx(100 * 734 / 870)
    assert school["authorised_rate"] == pytest.approx(100 * 50 / 870)
    assert school["unauthorised_rate"] == pytest.approx(100 * 86 / 870)
    assert school["attendance_rate"] + school["overall_absence_rate"] == pytest.approx(100)
    assert (school["persistent_pupils"], school["persistent_rate"]) == (3, 75)  # B, C and E of 4
    assert (school["severe_pupils"], school["severe_rate"]) == (1, 25)
    by_group = rates(PUPILS, by=["group"]).set_index("group")
    assert by_group.loc["x", "persistent_rate"] == 50 and by_group.loc["y", "pupils"] == 2  # D counts nowhere


def test_a_pupils_terms_add_up_before_they_are_judged():
    terms = pd.DataFrame(
        {
            "upn": ["A", "A"],
            "possible": [140, 120],
            "present": [120, 118],
            "aea": [0, 0],
            "authorised": [14, 2],
            "unauthorised": [6, 0],
        }
    )  # 14.3% of the autumn missed, 1.7% of the spring: 22 of 260 over both terms, 8.5%, not persistent
    both = rates(terms).iloc[0]
    assert both["overall_absence_rate"] == pytest.approx(100 * 22 / 260) and both["persistent_pupils"] == 0


def test_rates_by_reason_from_register_codes():
    counts = pd.DataFrame(
        {"upn": ["A"], "code_/": [350], "code_V": [4], "code_I": [16], "code_M": [4], "code_N": [6], "code_X": [10]}
    )
    sessions = from_codes(counts).iloc[0]
    assert (sessions["present"], sessions["aea"], sessions["authorised"], sessions["unauthorised"]) == (350, 4, 20, 6)
    assert sessions["possible"] == 380  # X (not of compulsory school age) is not a possible session
    school = rates(from_codes(counts)).iloc[0]
    assert school["I_rate"] == pytest.approx(100 * 16 / 380) and school["N_rate"] == pytest.approx(100 * 6 / 380)


def test_the_dfes_published_rates_come_back_from_its_sessions():
    dfe = read_dfe_attendance()
    national = dfe[dfe["level"] == "National"].set_index("phase")
    ours = rates(national.reset_index(), by=["phase"]).set_index("phase")  # each row one "pupil": sessions only
    for phase, published in (("Primary", 94.72), ("Secondary", 91.51), ("Special", 86.83)):
        assert ours.loc[phase, "attendance_rate"] == pytest.approx(national.loc[phase, "attendance_perc"], abs=1e-9)
        assert round(national.loc[phase, "attendance_perc"], 2) == published
    assert (
        round(national.loc["Primary", "pa_perc"], 2) == 13.77
        and round(national.loc["Secondary", "pa_perc"], 2) == 23.77
    )
    every = 100 * (dfe["present"] + dfe["aea"]) / dfe["possible"]
    assert (every - dfe["attendance_perc"]).abs().max() < 1e-9  # 647 rows: national, 9 regions, 152 LAs by phase
    lincolnshire = comparison(dfe, "Primary", "925")
    assert set(lincolnshire["level"]) == {"National", "Local authority"} and "Lincolnshire" in set(
        lincolnshire["la_name"]
    )


def _write(tmp_path, rows: list[dict]):
    path = tmp_path / "attendance.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


UPN = "A925200514001"


def _upn():
    from stdnum.gb import upn as stdnum_upn

    return stdnum_upn.calc_check_digit(UPN[1:]) + UPN[1:]


def test_the_attendance_file_is_checked_by_row_and_column(tmp_path):
    upn = _upn()
    good = {
        "upn": upn,
        "school_id": "9252005",
        "academic_year": "2027",
        "term": "Autumn",
        "possible": "140",
        "present": "130",
        "authorised": "6",
        "unauthorised": "4",
    }
    loaded = load_attendance(_write(tmp_path, [good]))
    assert loaded.iloc[0][["term", "possible", "aea"]].tolist() == ["autumn", 140, 0]
    bad = [
        {**good, "present": "139"},  # 139 + 6 + 4 > 140
        {**good, "term": "winter"},
        {**good, "term": "spring", "authorised": "-2", "present": "138"},
        {**good, "term": "summer"},
        {**good, "term": "summer"},
    ]
    with pytest.raises(PupilDataError) as err:
        load_attendance(_write(tmp_path, bad))
    said = str(err.value)
    assert "Sessions do not add up" in said and "Row: 2" in said
    assert "Term must be one of autumn, spring, summer" in said and "Row: 3" in said
    assert "authorised must be a whole number of sessions" in said and "Row: 4" in said
    assert f"Pupil {upn} has two rows for 2027 summer" in said


def test_register_code_columns_are_read_and_an_unknown_code_refused(tmp_path):
    upn = _upn()
    row = {"upn": upn, "school_id": "9252005", "academic_year": "2027", "code_/": "350", "code_i": "20", "code_N": "10"}
    loaded = load_attendance(_write(tmp_path, [row])).iloc[0]
    assert (loaded["possible"], loaded["authorised"], loaded["unauthorised"]) == (380, 20, 10)
    with pytest.raises(PupilDataError, match="Column .code_q9. is not a register code"):
        load_attendance(_write(tmp_path, [{**row, "code_Q9": "1"}]))


@pytest.mark.parametrize("phase", ["Primary", "Secondary"])
def test_synthetic_attendance_is_within_a_third_of_a_point_of_the_dfes_national_rates(phase):
    import numpy as np

    from toolkit.synth.attendance import attendance

    rng = np.random.default_rng(7)
    n = 40_000
    pupils = pd.DataFrame(
        {
            "upn": [f"U{i}" for i in range(n)],
            "school_id": "9252000",
            "fsm6": rng.random(n) < 0.25,
            "sen": rng.choice(["N", "K", "E"], n, p=[0.83, 0.13, 0.04]),
        }
    )
    year = attendance(rng, pupils, phase, [(2026, "autumn"), (2026, "spring"), (2026, "summer")])
    ours = rates(year).iloc[0]
    dfe = read_dfe_attendance().query("level == 'National' and phase == @phase").iloc[0]
    assert abs(ours["attendance_rate"] - dfe["attendance_perc"]) < 0.3
    assert abs(ours["persistent_rate"] - dfe["pa_perc"]) < 0.3
    by_fsm = rates(year.merge(pupils[["upn", "fsm6"]], on="upn"), by=["fsm6"]).set_index("fsm6")
    ratio = by_fsm.loc[True, "overall_absence_rate"] / by_fsm.loc[False, "overall_absence_rate"]
    assert ratio == pytest.approx(10.4 / 5.5, rel=0.1)  # the DfE's autumn 2023/24 rates: 10.4% against 5.5%
    assert (year["possible"] == year["present"] + year["aea"] + year["authorised"] + year["unauthorised"]).all()
    codes = [c for c in year.columns if c.startswith("code_")]
    assert (year[codes].sum(axis=1) == year["authorised"] + year["unauthorised"]).all()


def test_a_ctfs_attendance_years_load_as_the_attendance_input(tmp_path):

    from toolkit.inputs.ctf import read_ctf
    from toolkit.inputs.ctf_tables import assemble

    upn = _upn()
    xml = (
        '<?xml version="1.0"?><CTfile><Header><CTFversion>26.0</CTFversion><DateTime>2026-10-01T09:00:00</DateTime>'
        "<SourceSchool><LEA>925</LEA><Estab>2005</Estab><AcademicYear>2026</AcademicYear></SourceSchool></Header>"
        f"<CTFpupilData><Pupil><UPN>{upn}</UPN><Surname>Mockford</Surname><Forename>Ada</Forename><DOB>2019-03-14</DOB>"
        "<Sex>F</Sex><BasicDetails><NCyearActual>2</NCyearActual></BasicDetails><Attendance><YearData><Year>2025</Year>"
        "<SessionsPossible>380</SessionsPossible><SessionsAuthorised>15</SessionsAuthorised>"
        "<SessionsUnauthorised>25</SessionsUnauthorised></YearData></Attendance></Pupil></CTFpupilData></CTfile>"
    )
    (tmp_path / "a.xml").write_text(xml)
    table = assemble([read_ctf(tmp_path / "a.xml")]).tables["attendance"]
    table.to_csv(tmp_path / "attendance.csv", index=False)
    loaded = load_attendance(tmp_path / "attendance.csv")
    school = rates(loaded).iloc[0]
    assert (school["possible"], school["overall_absence_rate"], school["persistent_pupils"]) == (380, 100 * 40 / 380, 1)
    assert loaded.iloc[0]["academic_year"] == 2026  # the CTF's Year 2025 is the academic year 2025/26


def test_what_if_these_pupils_were_absent_at_the_national_rate():
    from toolkit.methods.attendance import at_most, group_rates

    pupils = pupil_measures(PUPILS[PUPILS["possible"] > 0].reset_index(drop=True))
    group_x = pupils["group"] == "x"  # A (6.8% absent) and B (15.8%)
    after = at_most(pupils, group_x, 5.3)
    # A: 26 of 380 missed becomes 5.3% of 380 = 20.14; B: 30 of 190 becomes 10.07: 136 missed becomes 110.21 of 870
    assert absence(after).sum() == pytest.approx(136 - (26 - 20.14) - (30 - 10.07))
    before_school = group_rates(pupils, pd.DataFrame(index=pupils.index), []).iloc[0]
    after_school = group_rates(after, pd.DataFrame(index=after.index), []).iloc[0]
    assert after_school["overall_absence_rate"] == pytest.approx(100 * 110.21 / 870)
    assert (before_school["persistent_pupils"], after_school["persistent_pupils"]) == (3, 2)  # B is no longer PA
    assert after.loc[~group_x, ["authorised", "unauthorised"]].equals(
        pupils.loc[~group_x, ["authorised", "unauthorised"]].astype(float)
    )
    assert (after["present"] + after["aea"] + after["authorised"] + after["unauthorised"] == after["possible"]).all()


def test_daily_marks_add_up_to_sessions_per_term(tmp_path):
    from toolkit.inputs.attendance_marks import load_marks

    upn = _upn()
    rows = []
    # 5 autumn days: present except one illness day (2 sessions I), one late (L, present) and one N
    for day, (am, pm) in enumerate([("/", "\\"), ("I", "I"), ("L", "\\"), ("/", "N"), ("/", "X")], start=1):
        for session, mark in (("AM", am), ("PM", pm)):
            rows.append(
                {"upn": upn, "school_id": "9252005", "date": f"2026-10-{day:02d}", "session": session, "mark": mark}
            )
    rows.append({"upn": upn, "school_id": "9252005", "date": "2027-01-05", "session": "AM", "mark": "V"})
    pd.DataFrame(rows).to_csv(tmp_path / "marks.csv", index=False)
    sessions = load_marks(tmp_path / "marks.csv").set_index("term")
    autumn = sessions.loc["autumn"]
    # 10 marks, X not a possible session: 9 possible, 6 present (including L), 2 authorised (I), 1 unauthorised (N)
    assert (autumn["possible"], autumn["present"], autumn["authorised"], autumn["unauthorised"]) == (9, 6, 2, 1)
    assert autumn["academic_year"] == 2027 and sessions.loc["spring", "aea"] == 1
    bad = pd.DataFrame(
        rows[:2] + [{**rows[0], "mark": "Q9", "date": "2026-10-31"}, {**rows[0], "session": "XX", "date": "2026-11-30"}]
    )
    bad.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(PupilDataError) as err:
        load_marks(tmp_path / "bad.csv")
    assert "Mark is not a register code" in str(err.value) and "Row: 4" in str(err.value)
    assert "Session must be AM or PM" in str(err.value) and "Row: 5" in str(err.value)
    pd.DataFrame(rows[:2] + rows[:1]).to_csv(tmp_path / "twice.csv", index=False)
    with pytest.raises(PupilDataError, match="two marks for one session"):
        load_marks(tmp_path / "twice.csv")


def test_attendance_of_a_pupil_on_no_roll_is_kept_and_named(tmp_path):
    from toolkit.pipeline.data_folder import Inputs
    from toolkit.pipeline.load import _attendance

    upn = _upn()
    other = "B" + upn[1:-1] + "9"
    from stdnum.gb import upn as stdnum_upn

    other = stdnum_upn.calc_check_digit(other[1:]) + other[1:]
    row = {
        "upn": upn,
        "school_id": "9252005",
        "academic_year": "2027",
        "possible": "140",
        "present": "130",
        "authorised": "6",
        "unauthorised": "4",
    }
    path = _write(tmp_path, [row, {**row, "upn": other}])
    said: list[str] = []
    inputs = Inputs(
        tmp_path / "schools.csv", tmp_path / "pupils.csv", {}, tmp_path / "national.parquet", attendance=path
    )
    sessions = _attendance(inputs, ["9252005"], [pd.DataFrame({"upn": [upn]})], said.append)
    assert len(sessions) == 2  # kept: the DfE counts every enrolment's sessions
    assert said and "1 attendance row(s) of pupils on no roll of this folder (rows 3)" in said[0]


def test_a_data_folders_daily_marks_become_its_attendance(tmp_path):
    from toolkit.pipeline.data_folder import Inputs
    from toolkit.pipeline.load import _attendance

    upn = _upn()
    marks = [
        {"upn": upn, "school_id": "9252005", "date": f"2026-10-{d:02d}", "session": s, "mark": m}
        for d, pair in enumerate([("/", "\\"), ("I", "I"), ("/", "N")], start=1)
        for s, m in zip(("AM", "PM"), pair, strict=True)
    ]
    pd.DataFrame(marks).to_csv(tmp_path / "attendance_marks.csv", index=False)
    inputs = Inputs(
        tmp_path / "schools.csv",
        tmp_path / "pupils.csv",
        {},
        tmp_path / "n.parquet",
        attendance_marks=tmp_path / "attendance_marks.csv",
    )
    sessions = _attendance(inputs, ["9252005"], [pd.DataFrame({"upn": [upn]})], print)
    school = rates(sessions).iloc[0]
    assert (school["possible"], school["authorised"], school["unauthorised"]) == (6, 2, 1)


def test_partitioned_marks_are_read_for_the_schools_asked_only(tmp_path):
    from toolkit.inputs.attendance_marks import load_marks
    from toolkit.inputs.partitions import by_school

    upn = _upn()
    table = tmp_path / "attendance_marks.parquet"
    for school in ("9252005", "9252006"):
        folder = table / f"school_id={school}"
        folder.mkdir(parents=True)
        rows = pd.DataFrame(
            {"upn": [upn], "school_id": [school], "date": ["2026-10-01"], "session": ["AM"], "mark": ["/"]}
        )
        rows.to_parquet(folder / "part-0.parquet", index=False)
    sessions = by_school(load_marks, table, ["9252006"])
    assert sessions["school_id"].tolist() == ["9252006"] and sessions["possible"].tolist() == [1]
