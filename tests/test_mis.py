"""MIS report exports: the SIMS, Arbor and Bromcom profiles read exports with their headers into the pupil table with
no hand edit; an unknown layout names the columns it could not place; `toolkit check` and `toolkit import mis` say
which column was read as what."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.cli import main
from toolkit.inputs import load
from toolkit.inputs.mis import read_mis
from toolkit.inputs.problems import PupilDataError


def _upn(body: str) -> str:
    from stdnum.gb import upn as stdnum_upn

    return stdnum_upn.calc_check_digit(body) + body


UPNS = [_upn("925200514001"), _upn("925200514002"), _upn("925200514003")]

EXPORTS = {
    "SIMS": {
        "UPN": UPNS,
        "Legal Surname": ["Mockford", "Sampleton", "Testwell"],
        "Preferred Forename": ["Ada", "Ben", "Cy"],
        "DOB": ["14/03/2015", "02/11/2014", "30/06/2022"],
        "Gender": ["Female", "Male", "Male"],
        "Year Group": ["Year 6", "Y6", "Reception"],
        "FSM Eligible": ["Yes", "No", "No"],
        "Ever 6 FSM": ["True", "False", "Yes"],
        "SEN Status": ["SEN Support", "EHC Plan", "No Special Educational Need"],
        "First Language": ["English", "Polish", "Not obtained"],
        "Tutor Group": ["6A", "6B", "RA"],
    },
    "Arbor": {
        "UPN": UPNS,
        "Legal last name": ["Mockford", "Sampleton", "Testwell"],
        "Legal first name": ["Ada", "Ben", "Cy"],
        "Date of birth": ["2015-03-14", "2014-11-02", "2022-06-30"],
        "Gender": ["Female", "Male", "Male"],
        "Year group": ["Year 6", "Year 6", "Reception"],
        "FSM": ["Yes", "No", "No"],
        "Pupil premium": ["Yes", "No", "Yes"],
        "SEN status": ["K", "E", "N"],
        "EAL": ["No", "Yes", ""],
        "DfE number": ["9252005"] * 3,
    },
    "Bromcom": {
        "Student UPN": UPNS,
        "Surname": ["Mockford", "Sampleton", "Testwell"],
        "Forename": ["Ada", "Ben", "Cy"],
        "Date Of Birth": ["14/03/2015", "02/11/2014", "30/06/2022"],
        "Gender": ["F", "M", "M"],
        "NC Year": ["6", "6", "R"],
        "FSM": ["Y", "N", "N"],
        "PP": ["Y", "N", "Y"],
        "SEN Provision": ["SEN Support", "EHC Plan", "None"],
        "Home Language": ["ENG", "POL", "REF"],
    },
}


@pytest.mark.parametrize("mis", list(EXPORTS))
def test_each_profile_reads_its_export_into_the_pupil_table(tmp_path, mis):
    path = tmp_path / f"{mis}.csv"
    pd.DataFrame(EXPORTS[mis]).to_csv(path, index=False)
    read = read_mis(path, school="9252005", academic_year=2027)
    assert read.profile == mis
    assert load.check_pupils(read.frame) == []
    pupils = load.to_types(read.frame).set_index("upn")
    assert pupils["gender"].tolist() == ["F", "M", "M"]
    assert pupils["year_group"].tolist() == [6, 6, 0]
    assert pupils["sen"].tolist() == ["K", "E", "N"]
    assert pupils["fsm"].tolist() == [True, False, False]
    assert pupils["fsm6"].tolist() == [True, False, True]
    assert pupils["eal"].tolist()[:2] == [False, True] and pd.isna(pupils["eal"].iloc[2])
    assert str(pupils["dob"].iloc[0].date()) == "2015-03-14"
    assert set(pupils["school_id"]) == {"9252005"}


def test_an_unknown_layout_names_the_columns_it_could_not_place(tmp_path):
    path = tmp_path / "odd.csv"
    pd.DataFrame({"Pupil ID": ["1"], "Name": ["Ada"], "Birthday": ["2015-03-14"]}).to_csv(path, index=False)
    with pytest.raises(PupilDataError) as err:
        read_mis(path)
    message = str(err.value)
    assert "odd.csv" in message and "no column for upn, forename, surname, dob, gender, year_group" in message
    assert "'Pupil ID', 'Name', 'Birthday'" in message and "--profile FILE.yaml" in message


def test_a_schools_own_mapping_file(tmp_path):
    profile = tmp_path / "ours.yaml"
    profile.write_text(
        "name: Our MIS\ncolumns:\n  upn: [Pupil Number]\n  surname: [Family]\n  forename: [Given]\n  dob: [Born]\n"
        "  gender: [Sex]\n  year_group: [Class Year]\n"
    )
    path = tmp_path / "ours.csv"
    pd.DataFrame(
        {
            "Pupil Number": UPNS[:1],
            "Family": ["Mockford"],
            "Given": ["Ada"],
            "Born": ["2015-03-14"],
            "Sex": ["Female"],
            "Class Year": ["Year 6"],
        }
    ).to_csv(path, index=False)
    read = read_mis(path, str(profile), school="9252005")
    assert read.profile == "Our MIS" and load.check_pupils(read.frame) == []


def test_check_says_which_column_was_read_as_what(tmp_path, capsys):
    path = tmp_path / "sims.csv"
    pd.DataFrame(EXPORTS["SIMS"]).to_csv(path, index=False)
    assert main(["check", str(path), "--school", "9252005"]) == 0
    said = capsys.readouterr().out
    assert "read with the SIMS profile" in said and "'Legal Surname' -> surname" in said
    assert "ignored (no pupil-table column): 'Tutor Group'" in said and "3 pupils in 1 school" in said


def test_import_mis_adds_columns_to_an_imported_pupil_table(tmp_path, capsys):
    out = tmp_path / "data"
    first = tmp_path / "sims.csv"
    pd.DataFrame(EXPORTS["SIMS"]).to_csv(first, index=False)
    assert (
        main(["import", "mis", str(first), "--out", str(out), "--school", "9252005", "--census-date", "2026-10-01"])
        == 0
    )
    targets = tmp_path / "targets.csv"
    pd.DataFrame(
        {
            "UPN": UPNS[:2],
            "Legal Surname": ["Mockford", "Sampleton"],
            "Preferred Forename": ["Ada", "Benjamin"],
            "DOB": ["2015-03-14", "2014-11-02"],
            "Gender": ["F", "M"],
            "Year Group": ["6", "6"],
            "Reading Target": ["A", "W+"],
        }
    ).to_csv(targets, index=False)
    assert main(["import", "mis", str(targets), "--out", str(out), "--school", "9252005"]) == 0
    pupils = pd.read_csv(out / "pupils.csv", dtype=str).set_index("upn")
    assert pupils.loc[UPNS[0], "target_reading"] == "A" and pupils.loc[UPNS[1], "forename"] == "Ben"
    conflicts = pd.read_csv(out / "mis_conflicts.csv", dtype=str)
    assert conflicts.to_dict("records") == [
        {"upn": UPNS[1], "column": "forename", "pupils_csv": "Ben", "export": "Benjamin"}
    ]
    assert "1 values differ from pupils.csv" in capsys.readouterr().err


def test_import_mis_without_a_school_says_how_to_give_one(tmp_path, capsys):
    path = tmp_path / "sims.csv"
    pd.DataFrame(EXPORTS["SIMS"]).to_csv(path, index=False)
    assert main(["import", "mis", str(path), "--out", str(tmp_path / "d")]) == 1
    assert "no DfE number column: give the school with --school LAESTAB" in capsys.readouterr().err


def test_an_attendance_export_becomes_the_attendance_input(tmp_path, capsys):
    path = tmp_path / "attendance_export.csv"
    pd.DataFrame(
        {
            "UPN": UPNS[:2],
            "Possible Sessions": ["140", "140"],
            "Present": ["130", "100"],
            "Authorised Absences": ["6", "25"],
            "Unauthorised Absences": ["4", "15"],
            "I": ["5", "20"],
            "N": ["1", "3"],
            "Attendance %": ["92.9", "71.4"],
        }
    ).to_csv(path, index=False)
    out = tmp_path / "data"
    args = ["import", "mis", str(path), "--out", str(out), "--table", "attendance", "--school", "9252005"]
    assert main([*args, "--term", "autumn", "--census-date", "2026-12-01"]) == 0
    said = capsys.readouterr().err
    assert (
        "'Possible Sessions' -> possible" in said
        and "'I' -> code_I" in said
        and "ignored (no pupil-table column): 'Attendance %'" in said
    )
    written = pd.read_csv(out / "attendance.csv", dtype=str)
    assert written[["academic_year", "term", "possible"]].values.tolist() == [["2027", "autumn", "140"]] * 2
    bad = pd.read_csv(path, dtype=str).assign(Present=["139", "100"])  # 139 + 6 + 4 > 140
    bad.to_csv(path, index=False)
    assert main([*args, "--term", "spring"]) == 1
    assert "Sessions do not add up" in capsys.readouterr().err
