"""Results intake: templates, every validation message on a deliberately broken file, upload history."""

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from toolkit.cli import main
from toolkit.inputs import layout
from toolkit.inputs.results import validate
from toolkit.intake.error_list import write_error_list
from toolkit.intake.template import write_template
from toolkit.intake.uploads import AVAILABLE, DELETED, ERROR, OVERWRITTEN, UploadStore
from toolkit.scales import make_upn

SCHOOL = {"school_id": "9252000", "school_name": "Oakfield Primary School (synthetic)"}


@pytest.fixture()
def ks2_template(trust, tmp_path):
    school = trust.schools.iloc[0].to_dict()
    year6 = trust.pupils[(trust.pupils["school_id"] == school["school_id"]) & (trust.pupils["year_group"] == 6)]
    return write_template(school, year6, "ks2", tmp_path / "ks2.xlsx"), year6


def fill(path: Path, values: dict[tuple[int, str], object], out: Path | None = None, every: str | None = "105") -> Path:
    """Fill a template as a teacher would: every result cell (``every``), then specific cells (row, column)."""
    wb = load_workbook(path)
    ws = wb["Results"]
    header = [c.value for c in ws[1]]
    if every is not None:
        for row in range(2, ws.max_row + 1):
            for col, name in enumerate(header, start=1):
                if name in ("KS2 Reading", "KS2 Maths", "KS2 GPS"):
                    ws.cell(row=row, column=col, value=every)
                elif name == "KS2 Writing TA":
                    ws.cell(row=row, column=col, value="EXS")
    for (row, name), value in values.items():
        ws.cell(row=row, column=header.index(name) + 1).value = value  # (value=None in .cell() would not clear)
    out = out or path.with_name("filled.xlsx")
    wb.save(out)
    return out


def test_template_layout_and_dropdowns(ks2_template):
    path, year6 = ks2_template
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["Results", "Lists", "Guidance"]
    ws = wb["Results"]
    assert [c.value for c in ws[1]] == layout.columns("ks2")
    assert ws.max_row == len(year6) + 1
    assert {ws.cell(row=r, column=5).value for r in range(2, ws.max_row + 1)} == set(year6["upn"])
    validations = ws.data_validations.dataValidation
    assert len(validations) == 4 and all(v.type == "list" for v in validations)
    assert str(validations[0].sqref).startswith("I2:I")  # the first result column, pupils and spare rows
    lists = wb["Lists"]
    assert lists.sheet_state == "hidden"
    assert "120" in [c.value for c in lists["A"]] and "B" in [c.value for c in lists["A"]]
    assert "Use U for ungraded" in " ".join(str(c.value) for c in wb["Guidance"]["A"])


def test_ks5_template_allows_u_per_qualification(tmp_path):
    path = write_template(SCHOOL, layout_pupils(0), "ks5", tmp_path / "ks5.xlsx")
    wb = load_workbook(path)
    header = [c.value for c in wb["Results"][1]]
    assert "A level Mathematics" in header and "AS Mathematics" in header
    lists = wb["Lists"]
    a_level = [c.value for c in lists["A"] if c.value]
    assert a_level == ["A*", "A", "B", "C", "D", "E", "U"]


def layout_pupils(n: int):
    import pandas as pd

    return pd.DataFrame(
        {
            "upn": [make_upn(925, 2000, 2008, i + 1) for i in range(n)],
            "forename": "Ann",
            "surname": [f"Mockford{i}" for i in range(n)],
            "dob": pd.Timestamp("2008-01-01"),
        }
    )


def test_filled_template_validates(ks2_template):
    path, year6 = ks2_template
    filled = fill(path, {(3, "KS2 Reading"): None})  # a blank result means "not entered"
    check = validate(filled)
    assert check.ok, check.report()
    assert check.pupils == len(year6) and check.keystage == "ks2" and check.school_id == SCHOOL["school_id"]


def test_blank_template_unchanged_is_refused(ks2_template):
    path, _ = ks2_template
    check = validate(path)
    assert [str(p) for p in check.problems] == ["This is the blank template, unchanged: no results have been entered."]


def test_every_message_on_a_broken_file(ks2_template):
    path, year6 = ks2_template
    upn3 = load_workbook(path)["Results"].cell(row=3, column=5).value
    wrong_letter = ("B" if upn3[0] != "B" else "C") + upn3[1:]
    broken = fill(
        path,
        {
            (7, "School DFE"): "12345",
            (6, "UPN"): "X1234",
            (14, "UPN"): "A12345678901?",
            (10, "Surname"): None,
            (9, "UPN"): wrong_letter,
            (11, "UPN"): upn3,
            (12, "KS2 Reading"): "130",
            (13, "KS2 Writing TA"): "F",
            (15, "Date of birth"): "31/02/2015",
        },
    )
    messages = [str(p) for p in validate(broken).problems]
    assert "Invalid DfE number. Column: School DFE. Row: 7 (12345)" in messages
    assert (
        "UPN must start with a letter, followed by 11 digits, and end with a letter or digit. Column: UPN. Rows: 6, 14"
    ) in messages
    assert "Surname must have a value. Column: Surname. Row: 10" in messages
    assert any(m.startswith("Wrong check letter") and m.endswith("Row: 9") for m in messages)
    assert "Pupil appears more than once (same UPN). Column: UPN. Rows: 3, 11" in messages
    assert any(
        m.startswith("Result not allowed for ks2 test") and "Column: KS2 Reading. Row: 12" in m for m in messages
    )
    assert any(m.startswith("Result not allowed for ks2 writing") and "Row: 13" in m for m in messages)
    assert "Date of birth must be a date (DD/MM/YYYY). Column: Date of birth. Row: 15" in messages


def test_f_or_x_where_u_is_meant(tmp_path):
    path = write_template(SCHOOL, layout_pupils(3), "ks5", tmp_path / "ks5.xlsx")
    filled = fill(
        path,
        {
            (2, "A level Mathematics"): "F",
            (3, "A level Physics"): "x",
            (4, "AS Mathematics"): "U",
            (2, "A level Biology"): "A*",
        },
        every=None,
    )
    messages = [str(p) for p in validate(filled).problems]
    assert messages == [
        "Use U for ungraded, not F or X. Column: A level Mathematics. Row: 2",
        "Use U for ungraded, not F or X. Column: A level Physics. Row: 3",
    ]


@pytest.mark.parametrize(
    "change, message",
    [
        ("add", "Column added: 'Science' is not in the template; do not add columns"),
        ("remove", "Column removed: 'KS2 GPS' is missing; do not delete columns"),
        ("rename", "Column renamed: 'Maths' should be 'KS2 Maths'; do not rename columns"),
        ("reorder", "Columns re-ordered: keep the template's order"),
    ],
)
def test_subject_columns_changed(ks2_template, change, message):
    path, _ = ks2_template
    filled = fill(path, {})
    wb = load_workbook(filled)
    ws = wb["Results"]
    if change == "add":
        ws.cell(row=1, column=ws.max_column + 1, value="Science")
    elif change == "remove":
        ws.delete_cols(ws.max_column)
    elif change == "rename":
        ws.cell(row=1, column=11, value="Maths")
    else:
        a, b = ws.cell(row=1, column=9).value, ws.cell(row=1, column=11).value
        ws.cell(row=1, column=9, value=b)
        ws.cell(row=1, column=11, value=a)
    wb.save(filled)
    problems = [str(p) for p in validate(filled).problems]
    assert any(p.startswith(message) for p in problems), problems


def test_error_list_cannot_run_formulas(tmp_path, ks2_template):
    path, _ = ks2_template
    filled = fill(path, {})
    wb = load_workbook(filled)
    wb["Results"].cell(row=1, column=11).value = "=1+1"  # a column renamed to a formula
    wb.save(filled)
    out = write_error_list(validate(filled))
    ws = load_workbook(out)["Errors"]
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if c.value]
    assert all(c.data_type == "s" for c in cells)
    assert "'=1+1" in [c.value for c in cells]  # shown as text, never calculated
    assert not any(str(c.value).startswith(("=", "+", "-", "@")) for c in cells)


def test_validate_command(ks2_template, capsys):
    path, _ = ks2_template
    assert main(["validate", str(fill(path, {(10, "Surname"): None}))]) == 1
    assert "Surname must have a value. Column: Surname. Row: 10" in capsys.readouterr().err
    assert (path.parent / "filled_errors.xlsx").exists()


def test_upload_history_latest_wins(ks2_template, tmp_path):
    path, _ = ks2_template
    (tmp_path / "data").mkdir()
    store = UploadStore(tmp_path / "data")
    first = fill(path, {}, tmp_path / "first.xlsx")
    second = fill(path, {}, tmp_path / "second.xlsx", every="110")
    bad = fill(path, {(10, "Surname"): None}, tmp_path / "bad.xlsx")
    id1, _ = store.upload(first, "Ms Mock")
    id2, _ = store.upload(second, "Mr Sample")
    id3, check = store.upload(bad, "Mr Sample")
    assert not check.ok
    status = store.history("9252000").set_index("id")["status"]
    assert status.to_dict() == {id1: OVERWRITTEN, id2: AVAILABLE, id3: ERROR}
    latest = store.latest("9252000", "ks2")
    assert latest.read_bytes() == second.read_bytes()  # stored byte for byte
    assert latest.name == hashlib.sha256(second.read_bytes()).hexdigest() + ".xlsx"
    assert list(store.history("9252000", hide_inactive=True)["id"]) == [id2]
    store.delete(id2)
    status = store.history("9252000").set_index("id")["status"]
    assert status[id2] == DELETED and status[id1] == AVAILABLE  # the history row stays; the earlier one is back
    assert not (store.files / f"{hashlib.sha256(second.read_bytes()).hexdigest()}.xlsx").exists()
    assert store.latest("9252000", "ks2").read_bytes() == first.read_bytes()


def test_concurrent_uploads_lose_nothing(ks2_template, tmp_path):
    path, _ = ks2_template
    files = [fill(path, {}, tmp_path / f"f{i}.xlsx", every=str(100 + i)) for i in range(4)]
    data = tmp_path / "data"
    data.mkdir()
    UploadStore(data)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "toolkit", "upload", str(f), "--by", f"teacher{i}", "--data", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for i, f in enumerate(files)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    store = UploadStore(data)
    history = store.history()
    assert len(history) == 4 and set(history["uploaded_by"]) == {f"teacher{i}" for i in range(4)}
    assert (history["status"] == AVAILABLE).sum() == 1 and (history["status"] == OVERWRITTEN).sum() == 3
    for f in files:
        stored = store.path_of(hashlib.sha256(f.read_bytes()).hexdigest())
        assert stored.read_bytes() == f.read_bytes()
    with sqlite3.connect(store.db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not list(store.files.glob("*.part"))


@pytest.mark.slow
def test_accepted_uploads_feed_the_report_pack(pack_data, tmp_path):
    """template -> fill -> validate -> upload -> prepare: this summer's KS2 results become the school's latest
    value-added cohort, and a KS1 upload fills the pupils' KS1 results."""
    import shutil

    import pandas as pd

    from toolkit.pipeline.prepare import find_inputs, prepare

    data = tmp_path / "trust"
    shutil.copytree(pack_data, data)
    for name in ("national_2026.parquet", "national_ks5_2026.parquet"):
        shutil.copy(pack_data.parent / name, tmp_path / name)
    schools = pd.read_csv(data / "schools.csv", dtype=str)
    school = schools["school_id"].iloc[0]
    assert (
        main(
            [
                "template",
                "--school",
                school,
                "--keystage",
                "ks2",
                "--data",
                str(data),
                "--out",
                str(tmp_path / "ks2.xlsx"),
            ]
        )
        == 0
    )
    filled = fill(tmp_path / "ks2.xlsx", {}, every="111")
    assert main(["upload", str(filled), "--by", "Ms Mock", "--data", str(data)]) == 0
    assert (
        main(
            [
                "template",
                "--school",
                school,
                "--keystage",
                "ks1",
                "--data",
                str(data),
                "--out",
                str(tmp_path / "ks1.xlsx"),
            ]
        )
        == 0
    )
    wb = load_workbook(tmp_path / "ks1.xlsx")
    ws = wb["Results"]
    for row in range(2, ws.max_row + 1):
        for col in (9, 10, 11):
            ws.cell(row=row, column=col).value = "GDS"
    wb.save(tmp_path / "ks1_filled.xlsx")
    assert main(["upload", str(tmp_path / "ks1_filled.xlsx"), "--by", "Ms Mock", "--data", str(data)]) == 0

    out = tmp_path / "run"
    prepare(find_inputs(data), out, say=lambda m: None)
    info = pd.read_json(out / "slices" / school / "school.json", typ="series")
    assert max(info["past_years"]) == 2027  # this summer's uploaded KS2 cohort
    cohort = pd.read_parquet(out / "slices" / school / "ks2_2027.parquet")
    roll = pd.read_csv(data / "pupils.csv", dtype=str)
    assert len(cohort) == ((roll["school_id"] == school) & (roll["year_group"] == "6")).sum()
    assert set(cohort["ks2_reading"]) == {"111"} and set(cohort["ks2_writing"]) == {"EXS"}
    va = pd.read_parquet(out / "slices" / school / "va_scores.parquet")
    assert {2027} <= set(va["year"])
    pupils = pd.read_parquet(out / "slices" / school / "pupils.parquet")
    year2 = pupils[pupils["year_group"].astype(str) == "2"]
    assert set(year2["ks1_reading"]) == {"GDS"}
    other = schools["school_id"].iloc[1]
    assert 2027 not in pd.read_json(out / "slices" / other / "school.json", typ="series")["past_years"]


def test_a_row_of_another_school_is_refused(ks2_template, tmp_path):
    path, _ = ks2_template
    filled = fill(path, {(3, "School DFE"): "9252001"}, tmp_path / "other.xlsx")
    check = validate(filled)
    assert not check.ok
    problem = next(p for p in check.problems if "another school" in p.message)
    assert problem.rows == [3] and "this template is for school 9252000" in problem.message


def test_an_upload_holding_another_schools_pupil_is_refused(ks2_template, trust, tmp_path):
    """A pupil of 9252001 in 9252000's template (its School DFE column left as the template's) gave 9252001 an
    'official' value added from 9252000's upload: the trust's pupil table says whose roll the pupil is on."""
    path, _ = ks2_template
    from toolkit.synth.trust import write_trust

    data = tmp_path / "data"
    write_trust(trust, data, 2027)
    pupils = trust.pupils
    other = pupils[(pupils["school_id"] != "9252000") & (pupils["year_group"].astype(str) == "6")].iloc[0]
    mixed = fill(path, {(3, "UPN"): other["upn"]}, tmp_path / "mixed.xlsx")
    upload_id, check = UploadStore(data).upload(mixed, "Ms Mock")
    problem = next(p for p in check.problems if "another school's roll" in p.message)
    assert problem.rows == [3] and f"{other['upn']} is on the roll of {other['school_id']}" in problem.details[0]
    assert UploadStore(data).history().set_index("id").loc[upload_id, "status"] == ERROR
    assert UploadStore(data).upload(fill(path, {}, tmp_path / "own.xlsx"), "Ms Mock")[1].ok  # its own pupils pass


def test_a_locked_history_is_a_sentence_and_keeps_no_file_without_its_row(ks2_template, tmp_path, monkeypatch):
    """A history locked by another program was a traceback after the file had been stored without its row."""
    from toolkit.intake.uploads import UploadHistoryError

    path, _ = ks2_template
    data = tmp_path / "data"
    data.mkdir()
    store = UploadStore(data)
    monkeypatch.setattr(UploadStore, "LOCK_WAIT", 0.2)
    other = sqlite3.connect(data / "uploads.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # a database browser in the middle of a change
    with pytest.raises(UploadHistoryError, match="locked by another program"):
        store.upload(fill(path, {}), "Ms Mock")
    assert list(store.files.glob("*.xlsx")) == []
    other.execute("ROLLBACK")
    other.close()
    assert store.upload(fill(path, {}), "Ms Mock")[1].ok and len(list(store.files.glob("*.xlsx"))) == 1


def test_a_history_damaged_after_opening_is_a_sentence_wherever_it_is_met(ks2_template, tmp_path, capsys):
    path, _ = ks2_template
    data = tmp_path / "data"
    data.mkdir()
    store = UploadStore(data)
    store.upload(fill(path, {}), "Ms Mock")
    with sqlite3.connect(data / "uploads.sqlite") as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = bytearray((data / "uploads.sqlite").read_bytes())
    raw[4096:8192] = b"\xff" * 4096  # a damaged page: the table's, not the header
    (data / "uploads.sqlite").write_bytes(bytes(raw))
    from toolkit.intake.uploads import UploadHistoryError

    with pytest.raises(UploadHistoryError, match="the upload history is damaged"):
        store.history()
    assert main(["uploads", "--data", str(data)]) == 1
    said = capsys.readouterr().err
    assert "damaged" in said and "--rebuild" in said and "Traceback" not in said


def test_a_upn_typed_with_a_space_is_the_same_pupil(ks2_template, tmp_path):
    path, year6 = ks2_template
    wb = load_workbook(path)
    header = [c.value for c in wb["Results"][1]]
    col = header.index("UPN")
    upn = wb["Results"].cell(row=2, column=col + 1).value
    filled = fill(path, {(3, "UPN"): upn[:5] + " " + upn[5:].lower()}, tmp_path / "space.xlsx")
    check = validate(filled)
    assert any("appears more than once" in p.message and p.rows == [2, 3] for p in check.problems), check.problems


def test_a_damaged_upload_history_says_how_to_rebuild_it_and_rebuild_keeps_every_file(ks2_template, tmp_path, capsys):
    path, _ = ks2_template
    data = tmp_path / "data"
    data.mkdir()
    store = UploadStore(data)
    first = fill(path, {}, tmp_path / "first.xlsx")
    second = fill(path, {}, tmp_path / "second.xlsx", every="110")
    store.upload(first, "Ms Mock")
    store.upload(second, "Mr Sample")
    import os
    import time

    os.utime(store.path_of(hashlib.sha256(first.read_bytes()).hexdigest()), (time.time() - 60, time.time() - 60))
    (data / "uploads.sqlite").write_bytes(b"this is not a database" * 100)
    for extra in ("-wal", "-shm"):
        (data / f"uploads.sqlite{extra}").unlink(missing_ok=True)
    assert main(["uploads", "--data", str(data)]) == 1
    said = capsys.readouterr().err
    assert "the upload history is damaged" in said and "--rebuild" in said and "Traceback" not in said
    assert main(["uploads", "--data", str(data), "--rebuild"]) == 0
    said = capsys.readouterr()
    out = said.out + said.err
    assert "rebuilt from 2 kept file(s)" in out and "damaged-" in out
    assert list(data.glob("uploads.sqlite.damaged-*"))  # the damaged history is kept, never deleted
    rebuilt = UploadStore(data)
    assert rebuilt.latest("9252000", "ks2").read_bytes() == second.read_bytes()  # the newest valid file wins
    assert set(rebuilt.history()["uploaded_by"]) == {"rebuilt"}
