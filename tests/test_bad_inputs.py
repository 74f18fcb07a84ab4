"""The catalogue of bad inputs and faults (docs/reliability.md): every loader and command given what hostile and
clumsy users really have. Each case asserts the sentence or the behaviour; none may end in a traceback or in the
CLI's "unexpected" line (a defect). A loader added later joins by adding itself to ``LOADERS``; a command case joins
``COMMANDS``."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from toolkit.cli import main
from toolkit.inputs import PupilDataError, load_pupils
from toolkit.inputs.assessments import load_counts, load_judgements, load_tracking
from toolkit.inputs.entries import load_entries
from toolkit.inputs.gcse_results import load_gcse_results
from toolkit.scales import make_upn

UPN = [make_upn(925, 2000, 2019, i) for i in range(1, 6)]


@dataclass(frozen=True)
class Loader:
    name: str
    load: Callable[[Path], pd.DataFrame]
    header: list[str]
    rows: list[list[str]]  # two good rows; a text column holds "Zoë" where the table has names


LOADERS = [
    Loader(
        "pupils",
        load_pupils,
        ["upn", "school_id", "forename", "surname", "dob", "gender", "year_group", "academic_year"],
        [
            [UPN[0], "9252000", "Zoë", "Jones", "2020-10-01", "F", "2", "2027"],
            [UPN[1], "9252000", "Siân", "Evans", "2021-03-05", "F", "2", "2027"],
        ],
    ),
    Loader(
        "ks5 entries",
        load_entries,
        ["upn", "school_id", "forename", "surname", "qualification", "subject", "grade", "academic_year"],
        [
            [UPN[0], "9254000", "Zoë", "Jones", "A level", "Biology", "B", "2026"],
            [UPN[1], "9254000", "Siân", "Evans", "A level", "History", "A*", "2026"],
        ],
    ),
    Loader(
        "GCSE results",
        load_gcse_results,
        ["upn", "school_id", "forename", "surname", "subject", "grade"],
        [
            [UPN[0], "9254000", "Zoë", "Jones", "Mathematics", "7"],
            [UPN[1], "9254000", "Siân", "Evans", "Combined Science", "6-5"],
        ],
    ),
    Loader(
        "tracking grades",
        load_tracking,
        ["upn", "school_id", "academic_year", "term", "subject", "grade"],
        [[UPN[0], "9252000", "2026", "autumn", "reading", "2B"], [UPN[1], "9252000", "2026", "autumn", "maths", "2C"]],
    ),
    Loader(
        "subject judgements",
        load_judgements,
        ["upn", "school_id", "academic_year", "subject", "strand", "judgement"],
        [
            [UPN[0], "9252000", "2027", "Computing", "", "expected"],
            [UPN[1], "9252000", "2027", "History", "", "exceeding"],
        ],
    ),
    Loader(
        "subject counts",
        load_counts,
        ["school_id", "subject", "strand", "year_group", "group", "emerging", "expected", "exceeding"],
        [
            ["9252000", "Computing", "", "3", "Overall", "5", "20", "4"],
            ["9252000", "History", "", "3", "Overall", "6", "19", "4"],
        ],
    ),
]


BY_NAME = {loader.name: loader for loader in LOADERS}


def text(loader: Loader, sep: str = ",") -> str:
    return "\n".join(sep.join(r) for r in [loader.header, *loader.rows]) + "\n"


def workbook(path: Path, rows: list[list[str]], sheet: str | None = None, above: list[list[str]] = ()) -> Path:
    book = Workbook()
    if sheet:
        book.active.title = "Notes"
        book.active["A1"] = "Exported from the MIS"
        ws = book.create_sheet(sheet)
    else:
        ws = book.active
    for r in [*above, *rows]:
        ws.append(r)
    book.save(path)
    return path


# Each fault: (name, make(tmp, loader) -> path, expected) where expected is a sentence fragment of the refusal, or
# a callable checking the loaded table.
def _write(path: Path, content: bytes | str, encoding: str = "utf-8") -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def has_rows(n: int) -> Callable[[pd.DataFrame], bool]:
    return lambda frame: len(frame) == n


def keeps_names(frame: pd.DataFrame) -> bool:
    names = " ".join(frame[c].astype(str).str.cat(sep=" ") for c in ("forename", "surname") if c in frame)
    return len(frame) == 2 and ("forename" not in frame or ("Zoë" in names and "Siân" in names))


def rows_as_seen(expected: list[int]) -> Callable[[pd.DataFrame], bool]:
    return lambda frame: sorted(int(i) + 2 for i in frame.index) == expected


FAULTS = [
    ("empty file", lambda t, lo: _write(t / "f.csv", b""), "The file is empty"),
    ("only spaces and newlines", lambda t, lo: _write(t / "f.csv", "  \n\n \n"), "The file is empty"),
    ("header row only", lambda t, lo: _write(t / "f.csv", ",".join(lo.header) + "\n"), "header row but no"),
    ("PNG image renamed .csv", lambda t, lo: _write(t / "f.csv", b"\x89PNG\r\n\x1a\n" + bytes(64)), "a PNG image"),
    ("JPEG renamed .csv", lambda t, lo: _write(t / "f.csv", b"\xff\xd8\xff\xe0" + bytes(64)), "a JPEG image"),
    ("PDF renamed .csv", lambda t, lo: _write(t / "f.csv", b"%PDF-1.7\n" + bytes(64)), "a PDF document"),
    (
        "workbook renamed .csv",
        lambda t, lo: _write(t / "f.csv", workbook(t / "w.xlsx", [lo.header, *lo.rows]).read_bytes()),
        "a zip file or an Excel workbook",
    ),
    ("random binary", lambda t, lo: _write(t / "f.csv", bytes(range(256)) * 8), "The file is not text"),
    ("Windows-1252 export", lambda t, lo: _write(t / "f.csv", text(lo), "cp1252"), keeps_names),
    ("UTF-16 export", lambda t, lo: _write(t / "f.csv", text(lo), "utf-16"), keeps_names),
    ("UTF-8 with byte-order mark", lambda t, lo: _write(t / "f.csv", text(lo), "utf-8-sig"), keeps_names),
    ("semicolon-separated", lambda t, lo: _write(t / "f.csv", text(lo, ";")), keeps_names),
    ("tab-separated", lambda t, lo: _write(t / "f.csv", text(lo, "\t")), keeps_names),
    (
        "title rows above the header",
        lambda t, lo: _write(t / "f.csv", "Pupil list, autumn\nprinted 1/9/2026\n\n" + text(lo)),
        has_rows(2),
    ),
    (
        "blank lines between pupils",
        lambda t, lo: _write(
            t / "f.csv", ",".join(lo.header) + "\n\n" + ",".join(lo.rows[0]) + "\n\n\n" + ",".join(lo.rows[1]) + "\n"
        ),
        rows_as_seen([3, 6]),
    ),
    (
        "more cells than the header",
        lambda t, lo: _write(t / "f.csv", text(lo) + ",".join(lo.rows[1] + ["stray"]) + "\n"),
        "column with no header",
    ),
    (
        "truncated workbook",
        lambda t, lo: _write(t / "f.xlsx", workbook(t / "w.xlsx", [lo.header, *lo.rows]).read_bytes()[:700]),
        "cannot be opened",
    ),
    (
        "password-protected or old .xls workbook",
        lambda t, lo: _write(t / "f.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
        "password-protected",
    ),
    ("zip that is not a workbook", lambda t, lo: _zip(t / "f.xlsx"), "cannot be opened"),
    (
        "formulas without saved values",
        lambda t, lo: workbook(t / "f.xlsx", [lo.header, lo.rows[0], [*lo.rows[1][:-1], "=1+1"]]),
        "formulas without saved values",
    ),
    (
        "data on the second sheet below a title",
        lambda t, lo: workbook(t / "f.xlsx", [lo.header, *lo.rows], sheet="Data", above=[["Report"], []]),
        keeps_names,
    ),
    ("a folder instead of a file", lambda t, lo: _folder(t / "f.csv"), "a folder, not a file"),
    ("a file that does not exist", lambda t, lo: t / "missing.csv", "no such file"),
    ("unsupported file type", lambda t, lo: _write(t / "f.txt", text(lo)), "Unsupported file type"),
    ("damaged Parquet", lambda t, lo: _write(t / "f.parquet", b"PAR1" + bytes(40)), "not a readable Parquet"),
    (
        "no header row anywhere",
        lambda t, lo: _write(t / "f.csv", "\n".join(",".join(r) for r in lo.rows) + "\n"),
        "missing",
    ),
]


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


@pytest.mark.parametrize("loader", LOADERS, ids=lambda lo: lo.name)
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f[0])
def test_every_loader_meets_every_file_fault(loader, fault, tmp_path):
    _name, make, expected = fault
    path = make(tmp_path, loader)
    if callable(expected):
        frame = loader.load(path)
        assert expected(frame), frame
        return
    with pytest.raises((PupilDataError, FileNotFoundError)) as refused:
        loader.load(path)
    message = str(refused.value)
    assert expected in message, message
    assert str(path.name) in message or "no such file" in message


# --------------------------------------------------------------------------------------- the values in a file
def pupils_csv(tmp: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    header = header or LOADERS[0].header
    return _write(tmp / "pupils.csv", "\n".join(",".join(r) for r in [header, *rows]) + "\n")


def row(**change) -> list[str]:
    base = dict(zip(LOADERS[0].header, LOADERS[0].rows[0]))
    base.update(change)
    return [base[h] for h in LOADERS[0].header]


VALUES = [
    ("UPN with spaces is one pupil", [row(upn=UPN[0][:4] + " " + UPN[0][4:])], 0, "note: UPNs with spaces"),
    ("lower-case UPN", [row(upn=UPN[0].lower())], 0, "rows 2"),
    (
        "same pupil with and without a space",
        [row(), row(upn=UPN[0][:6] + " " + UPN[0][6:], forename="Zoe")],
        1,
        "appears more than once",
    ),
    ("duplicate pupil", [row(), row()], 1, "appears more than once"),
    ("pupil in two schools", [row(), row(school_id="9252001")], 1, "is in two schools"),
    ("malformed UPN", [row(upn="X12345")], 1, "UPN must be 13 characters"),
    ("UPN check letter wrong", [row(upn="Z" + UPN[0][1:])], 1, "check letter"),
    ("date of birth in the future", [row(dob="2099-01-01")], 1, "Date of birth is in the future"),
    ("age impossible for the year group", [row(dob="2009-01-01")], 1, "does not fit the year group"),
    ("date of birth not a date", [row(dob="31/02/2020")], 1, "Column: dob"),
    ("unknown gender code", [row(gender="X")], 1, "Column: gender"),
    ("unknown year group", [row(year_group="Y15")], 1, "Column: year_group"),
    ("unknown KS1 code", [row()], 1, "Column: ks1_reading"),
    ("invalid DfE number", [row(school_id="92520")], 1, "Column: school_id"),
    ("blank surname", [row(surname="")], 1, "must have a value"),
]


@pytest.mark.parametrize(("case", "rows", "code", "expected"), VALUES, ids=[v[0] for v in VALUES])
def test_bad_values_are_named_by_row_and_column(case, rows, code, expected, tmp_path, capsys):
    header = LOADERS[0].header
    if case == "unknown KS1 code":
        header = [*header, "ks1_reading"]
        rows = [[*r, "EXT"] for r in rows]
    path = pupils_csv(tmp_path, rows, header)
    assert main(["check", str(path)]) == code
    out = capsys.readouterr()
    said = out.out + out.err
    assert expected in said, said
    assert "Traceback" not in said and "unexpected" not in said


def test_header_problems_are_named(tmp_path, capsys):
    header = ["UPM", *LOADERS[0].header[1:], "gender"]
    path = pupils_csv(tmp_path, [[*LOADERS[0].rows[0], "F"]], header)
    assert main(["check", str(path)]) == 1
    said = capsys.readouterr().err
    assert "Column 'gender' appears 2 times" in said


def test_a_misspelt_required_column_gets_a_hint(tmp_path, capsys):
    header = ["UPM", *LOADERS[0].header[1:]]
    assert main(["check", str(pupils_csv(tmp_path, LOADERS[0].rows, header))]) == 1
    assert "is 'upm' meant to be 'upn'?" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("loader", "change", "expected"),
    [
        (BY_NAME["subject judgements"], {"subject": "Astrology"}, "Subject must be a foundation subject"),
        (
            BY_NAME["subject judgements"],
            {"subject": "Science", "strand": "Alchemy"},
            "Strand is not a programme of study",
        ),
        (BY_NAME["subject counts"], {"subject": "Cookery"}, "Subject must be a foundation subject"),
        (BY_NAME["subject counts"], {"subject": "PE", "strand": "Chess"}, "Strand is not a programme of study"),
    ],
    ids=[
        "judgement of an unknown subject",
        "judgement of an unknown strand",
        "counts of an unknown subject",
        "counts of an unknown strand",
    ],
)
def test_unknown_foundation_subjects_and_strands_are_refused_not_dropped(loader, change, expected, tmp_path):
    first = dict(zip(loader.header, loader.rows[0])) | change
    rows = [[first[h] for h in loader.header], loader.rows[1]]
    path = _write(tmp_path / "f.csv", "\n".join(",".join(r) for r in [loader.header, *rows]) + "\n")
    with pytest.raises(PupilDataError) as refused:
        loader.load(path)
    assert expected in str(refused.value) and "Row: 2" in str(refused.value)


def test_foundation_subjects_in_any_case_are_spelt_as_the_report_spells_them(tmp_path):
    loader = BY_NAME["subject judgements"]
    rows = [[UPN[0], "9252000", "2027", "science", "biology", "expected"]]
    frame = loader.load(_write(tmp_path / "f.csv", "\n".join(",".join(r) for r in [loader.header, *rows]) + "\n"))
    assert frame[["subject", "strand"]].iloc[0].tolist() == ["Science", "Biology"]


# --------------------------------------------------------------------------------------- commands
@pytest.fixture(scope="module")
def small_reference(national_200k, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ref") / "national_2026.parquet"
    national_200k.pupils.head(30_000).to_parquet(path, index=False)
    return path


def _command_cases():
    """(name, argv(tmp, reference) -> list, exit code, sentence fragment)."""
    return [
        (
            "reports --out is a file",
            lambda t, r: ["reports", "--data", str(t), "--out", str(_write(t / "afile", "x"))],
            1,
            "is a file, not a folder",
        ),
        (
            "reports --out under a file",
            lambda t, r: ["reports", "--data", str(t), "--out", str(_write(t / "afile", "x") / "sub")],
            1,
            "which is a file, not a folder",
        ),
        (
            "reports --data does not exist",
            lambda t, r: ["reports", "--data", str(t / "nope"), "--out", str(t / "out")],
            1,
            "no schools.csv or pupils.csv",
        ),
        (
            "estimates --out is a folder",
            lambda t, r: [
                "estimates",
                "--reference",
                str(r),
                "--pupils",
                str(pupils_csv(t, LOADERS[0].rows)),
                "--out",
                str(t),
            ],
            1,
            "is a folder: give a file name",
        ),
        (
            "estimates with a pupil file as the reference",
            lambda t, r: [
                "estimates",
                "--reference",
                str(pupils_csv(t, LOADERS[0].rows)),
                "--pupils",
                str(pupils_csv(t, LOADERS[0].rows)),
                "--out",
                str(t / "e.csv"),
            ],
            1,
            "needed to fit estimates",
        ),
        (
            "va on pupils without KS1",
            lambda t, r: [
                "va",
                "--reference",
                str(r),
                "--pupils",
                str(pupils_csv(t, LOADERS[0].rows)),
                "--year",
                "2026",
                "--out",
                str(t / "v.csv"),
            ],
            1,
            "no pupil has a KS1 result",
        ),
        (
            "ks4 results of pupils missing from the pupil file",
            lambda t, r: [
                "ks4",
                "--pupils",
                str(pupils_csv(t, LOADERS[0].rows[:1])),
                "--results",
                str(_write(t / "results.csv", f"upn,school_id,subject,grade\n{UPN[1]},9254000,Mathematics,5\n")),
                "--year",
                "2027",
                "--out",
                str(t / "k"),
            ],
            1,
            "are not in",
        ),
        (
            "ks4 in a year the policy calendar does not cover",
            lambda t, r: [
                "ks4",
                "--pupils",
                str(pupils_csv(t, LOADERS[0].rows[:1])),
                "--results",
                str(_write(t / "results.csv", f"upn,school_id,subject,grade\n{UPN[0]},9254000,Mathematics,5\n")),
                "--year",
                "2012",
                "--out",
                str(t / "k"),
            ],
            2,  # a setting outside the calendar, as va's --year
            "has no entry for Progress 8 in 2012",
        ),
        (
            "check a folder",
            lambda t, r: ["check", str(t)],
            1,
            "a folder, not a file",
        ),
        (
            "uploads of a folder that does not exist",
            lambda t, r: ["uploads", "--data", str(t / "typo")],
            1,
            "no such data folder",
        ),
        (
            "validate a PNG",
            lambda t, r: ["validate", str(_write(t / "results.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64)))],
            1,
            "PNG image",
        ),
        (
            "dashboard without a prepared run",
            lambda t, r: ["dashboard", "--run", str(t / "nothing")],
            1,
            "no prepared run here",
        ),
    ]


COMMANDS = _command_cases()


@pytest.mark.parametrize(("case", "argv", "code", "expected"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_commands_answer_in_sentences(case, argv, code, expected, small_reference, tmp_path, capsys):
    result = main(argv(tmp_path, small_reference))
    out = capsys.readouterr()
    said = out.out + out.err
    assert result == code, said
    assert expected in said, said
    assert "Traceback" not in said and "unexpected" not in said
    if case.startswith(("estimates", "va")):
        assert not list(tmp_path.glob("*.csv")) or all(p.name == "pupils.csv" for p in tmp_path.glob("*.csv"))


def test_catalogue_holds_at_least_100_cases():
    assert len(LOADERS) * len(FAULTS) + len(VALUES) + len(COMMANDS) + 2 + 4 + 1 >= 100  # 195 with six loaders


# --------------------------------------------------------------------------------------- property-based
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ANY_CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "=1+1", "Zoë", "9252000", UPN[0], UPN[0].lower(), "2015-09-01", "31/02/2020", "N", "Y"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_any_bytes_get_a_sentence_never_a_traceback(data, suffix, tmp_path):
    path = tmp_path / f"any{suffix}"
    path.write_bytes(data)
    for loader in LOADERS:
        try:
            loader.load(path)
        except PupilDataError as refused:
            assert path.name in str(refused)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(ANY_CELL, min_size=0, max_size=10), max_size=6), sep=st.sampled_from([",", ";", "\t"]))
def test_any_cells_under_a_real_header_get_a_sentence_never_a_traceback(rows, sep, tmp_path):
    import csv
    import io

    for loader in LOADERS:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=sep).writerows([loader.header, *rows])
        path = tmp_path / "cells.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8")
        try:
            frame = loader.load(path)
        except PupilDataError as refused:
            assert str(refused).startswith(str(path))
            continue
        assert len(frame) <= len(rows)


def test_a_read_only_output_folder_is_one_sentence(tmp_path, capsys, monkeypatch):
    """(Run as root, a real read-only folder is still writable: the check is what is tested, through os.access.)"""
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked)
    assert main(["reports", "--data", str(tmp_path), "--out", str(locked / "run")]) == 1
    said = capsys.readouterr().err
    assert f"{locked} is read-only, so nothing can be written there" in said and "Traceback" not in said
