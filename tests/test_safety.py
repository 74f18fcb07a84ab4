"""Outputs that are safe to open and paths that stay where they belong: hostile text never becomes a spreadsheet
formula, and a school id can never lead a file outside the folder asked for."""

import pandas as pd
import pytest
from openpyxl import load_workbook

from toolkit.inputs import school_state
from toolkit.inputs.cells import inert
from toolkit.inputs.results import validate
from toolkit.intake.error_list import write_error_list
from toolkit.intake.template import write_template
from toolkit.pack.workbooks import write_subject_leader_workbook as write_workbook
from toolkit.pipeline.store import PreparedRun
from toolkit.scales import make_upn
from toolkit.scales.identifiers import school_id_for_path

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def cells(path):
    wb = load_workbook(path)
    return [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]


def assert_inert(path, written):
    found = cells(path)
    texts = {c.value for c in found}
    for value in written:  # (xlsx stores a carriage return as a line feed)
        assert "'" + value.replace("\r", "\n") in texts, (path.name, value)
    for c in found:
        if c.data_type == "f":  # only the toolkit's own formulas, never one that came from text it was given
            assert not any(h in str(c.value) for h in ("HYPERLINK", "@SUM", "+1+1")), c.value


def test_inert_keeps_numbers_and_plain_text():
    assert [inert(v) for v in HOSTILE] == ["'" + v for v in HOSTILE]
    assert inert(-2) == -2 and inert(3.5) == 3.5 and inert("Zoë") == "Zoë" and inert(None) is None


def test_template_with_hostile_names(tmp_path):
    pupils = pd.DataFrame(
        {
            "upn": [make_upn(925, 2000, 2015, i + 1) for i in range(len(HOSTILE))],
            "forename": HOSTILE,
            "surname": HOSTILE[::-1],
            "dob": pd.Timestamp("2015-01-01"),
        }
    )
    path = write_template(
        {"school_id": "9252000", "school_name": "=cmd|' /C calc'!A0"}, pupils, "ks2", tmp_path / "t.xlsx"
    )
    assert_inert(path, HOSTILE + ["=cmd|' /C calc'!A0"])


def test_error_list_with_hostile_values(tmp_path, trust):
    school = trust.schools.iloc[0].to_dict()
    year6 = trust.pupils[(trust.pupils["school_id"] == school["school_id"]) & (trust.pupils["year_group"] == 6)]
    path = write_template(school, year6, "ks2", tmp_path / "ks2.xlsx")
    wb = load_workbook(path)
    ws = wb["Results"]
    ws.cell(row=1, column=ws.max_column + 1).value = '\'=HYPERLINK("http://x")'  # a column someone added
    ws.cell(row=1, column=ws.max_column).value = '=HYPERLINK("http://x")'
    wb.save(path)
    check = validate(path)
    assert any(p.column == '=HYPERLINK("http://x")' for p in check.problems)
    errors = write_error_list(check)
    assert_inert(errors, ['=HYPERLINK("http://x")'])
    assert all(c.data_type != "f" for c in cells(errors))


def test_subject_leader_workbook_with_a_hostile_school_name(tmp_path):
    from toolkit.methods import subject_leader

    counts = pd.DataFrame(
        [
            {
                "school_id": "9252000",
                "subject": "History",
                "strand": "",
                "year_group": y,
                "group": g,
                "emerging": 2,
                "expected": 10,
                "exceeding": 3,
            }
            for y in range(1, 7)
            for g in ("Boys", "Girls")
        ]
    )
    path = write_workbook(subject_leader.collate(counts), '=HYPERLINK("http://x")', tmp_path / "s.xlsx")
    headings = [c.value for c in cells(path) if "HYPERLINK" in str(c.value)]
    assert headings and all(str(v).startswith("History") or str(v).startswith("'") for v in headings)
    assert all(c.data_type != "f" for c in cells(path) if "HYPERLINK" in str(c.value))


@pytest.mark.parametrize("bad", ["../9252000", "925/2000", "", "92520001", "9252000/../..", "९२५२०००"])
def test_a_school_id_never_leaves_its_folder(bad, tmp_path):
    with pytest.raises(ValueError, match="7-digit DfE number"):
        school_id_for_path(bad)
    with pytest.raises(ValueError, match="7-digit DfE number"):
        PreparedRun(tmp_path).slice_dir(bad)
    with pytest.raises(ValueError, match="7-digit DfE number"):
        school_state.settings_path(bad)


def test_schools_csv_with_a_path_for_an_id_is_refused_before_anything_is_written(pack_data, tmp_path):
    import shutil

    from toolkit.pipeline.prepare import find_inputs, prepare

    data = tmp_path / "trust"
    shutil.copytree(pack_data, data)
    schools = pd.read_csv(data / "schools.csv", dtype=str)
    schools.loc[1, "school_id"] = "../../escaped"
    schools.to_csv(data / "schools.csv", index=False)
    (tmp_path / "national_2026.parquet").symlink_to(pack_data.parent / "national_2026.parquet")
    (tmp_path / "national_ks5_2026.parquet").symlink_to(pack_data.parent / "national_ks5_2026.parquet")
    with pytest.raises(ValueError, match=r"school_id must be a 7-digit DfE number.*Column: school_id\. Row: 3"):
        prepare(find_inputs(data), tmp_path / "run" / "prepared", say=lambda m: None)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "run").exists()


def test_a_mistyped_data_folder_is_named_and_nothing_is_created(tmp_path, capsys):
    from toolkit.cli import main

    typo = tmp_path / "trsut"
    assert main(["uploads", "--data", str(typo)]) == 1
    assert "no such data folder" in capsys.readouterr().err and not typo.exists()
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    assert main(["upload", str(tmp_path / "x.xlsx"), "--by", "me", "--data", str(typo)]) == 1
    assert "no such data folder" in capsys.readouterr().err and not typo.exists()
