"""Common Transfer Files in: every value of a CTF built from the specification's element structure checked in the
tables `toolkit import ctf` writes; several files merged; each faulty file a sentence; XML attacks refused; the demo
trust written as CTFs and read back value by value."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest

from toolkit.cli import main
from toolkit.inputs.ctf import CtfError, read_ctf
from toolkit.inputs.ctf_tables import assemble
from toolkit.synth.ctf import Party, write_ctf
from toolkit.synth.exports import CTF_CARRIES, write_exports

SCHOOL = "9252005"  # LA 925, establishment 2005
UPN = "A925200514001"  # a valid UPN: check letter A for 925200514001
OTHER_UPN = "H925200514002"


def _valid(upn: str) -> str:
    from stdnum.gb import upn as stdnum_upn

    return stdnum_upn.calc_check_digit(upn[1:]) + upn[1:]


UPN, OTHER_UPN = _valid(UPN), _valid(OTHER_UPN)


def header(written="2026-10-01T09:00:00", year="2026", source=("925", "2005"), dest=("XXX", "XXXX"), qualifier="full"):
    return (
        f"<Header><DocumentName>Common Transfer File</DocumentName><CTFversion>26.0</CTFversion>"
        f"<DateTime>{written}</DateTime><DocumentQualifier>{qualifier}</DocumentQualifier><SupplierID>test</SupplierID>"
        f"<SourceSchool><LEA>{source[0]}</LEA><Estab>{source[1]}</Estab><SchoolName>Test Primary</SchoolName>"
        f"<AcademicYear>{year}</AcademicYear></SourceSchool><DestSchool><LEA>{dest[0]}</LEA><Estab>{dest[1]}</Estab>"
        "</DestSchool></Header>"
    )


def record(stage, year, subject, method, component, qualifier, result, locale="ENG"):
    return (
        f"<StageAssessment><Locale>{locale}</Locale><Year>{year}</Year><Subject>{subject}</Subject>"
        f"<Method>{method}</Method><Component>{component}</Component><ResultStatus>R</ResultStatus>"
        f"<ResultQualifier>{qualifier}</ResultQualifier><Result>{result}</Result></StageAssessment>"
    )


def stage(code, *records):
    return f"<KeyStage><Stage>{code}</Stage>{''.join(records)}</KeyStage>"


def pupil(upn=UPN, nc="6", dob="2015-03-14", extra="", stages="", sex="<Sex>F</Sex>", surname="Testcombe"):
    return (
        f"<Pupil><UPN>{upn}</UPN><Surname>{surname}</Surname><Forename>Ada</Forename><DOB>{dob}</DOB>{sex}"
        f"<BasicDetails><NCyearActual>{nc}</NCyearActual><Languages><Type><LanguageType>F</LanguageType>"
        "<Language>POL</Language></Type></Languages></BasicDetails>"
        f"{extra}{f'<StageAssessments>{stages}</StageAssessments>' if stages else ''}</Pupil>"
    )


def ctf(*pupils, head=None, declaration='<?xml version="1.0" encoding="UTF-8"?>'):
    return f"{declaration}\n<CTfile>{head or header()}<CTFpupilData>{''.join(pupils)}</CTFpupilData></CTfile>\n"


FULL_PUPIL = pupil(
    extra=(
        # FSM: a spell that ended 5 years before the census (FSM6, not FSM now), another 7 years before (neither)
        "<FSMhistory><FSMinstance><FSMstartDate>2019-01-01</FSMstartDate><FSMendDate>2021-10-02</FSMendDate>"
        "<UKcountry>ENG</UKcountry></FSMinstance><FSMinstance><FSMstartDate>2018-01-01</FSMstartDate>"
        "<FSMendDate>2019-06-30</FSMendDate><UKcountry>ENG</UKcountry></FSMinstance></FSMhistory>"
        # SEN: support that ended, then an EHC plan from 2025 (current)
        "<SENhistory><SEN><StartDate>2021-09-01</StartDate><EndDate>2025-03-31</EndDate><SENprovision>K</SENprovision>"
        "</SEN><SEN><StartDate>2025-04-01</StartDate><SENprovision>E</SENprovision></SEN></SENhistory>"
        "<Attendance><YearData><Year>2025</Year><LEA>925</LEA><Estab>2005</Estab><SessionsPossible>380</SessionsPossible>"
        "<SessionsAuthorised>12</SessionsAuthorised><SessionsUnauthorised>4</SessionsUnauthorised></YearData>"
        "</Attendance>"
    ),
    stages=(
        stage("FSP", record("FSP", 2021, "COM", "TA", "E01", "", "2"), record("FSP", 2021, "PSE", "TA", "E05", "", "1"))
        + stage(
            "KS1",
            record("KS1", 2023, "ENG", "TA", "RD", "TL", "EXS"),
            record("KS1", 2023, "ENG", "TA", "WRI", "TL", "WTS"),
            record("KS1", 2023, "MAT", "TA", "MAT", "TL", "GDS"),
        )
        + stage(
            "PHON",
            record("PHON", 2022, "ENG", "TT", "PHO", "MK", "35"),
            record("PHON", 2022, "ENG", "TT", "PHO", "OC", "Wa"),
        )
        + stage(
            "KS2",
            record("KS2", 2025, "MAT", "TT", "MTC", "MT", "23"),
            record("KS2", 2026, "ENG", "TT", "RD", "SS", "104"),
            record("KS2", 2026, "MAT", "TT", "MAT", "SS", "B"),
            record("KS2", 2026, "ENG", "TT", "GPS", "SS", "111"),
            record("KS2", 2026, "ENG", "TA", "WRI", "TL", "EXS"),
        )
    ),
)


def _imported(tmp_path, *texts, census=None, home=None, names=None):
    files = []
    for i, text in enumerate(texts):
        path = tmp_path / (names[i] if names else f"file{i}.xml")
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        files.append(read_ctf(path))
    return assemble(files, census, home=home)


def test_every_value_of_a_specification_shaped_ctf(tmp_path):
    imported = _imported(tmp_path, ctf(FULL_PUPIL, head=header(year="2025")), census=date(2026, 10, 1))
    assert imported.academic_year == 2027
    # The file is 2025/26 (AcademicYear 2025): the pupil was in Year 6 then, so is a past Year 6 of 2026.
    row = imported.tables["ks2_2026"].set_index("upn").loc[UPN]
    assert (row["school_id"], row["surname"], row["forename"], row["dob"], row["gender"]) == (
        SCHOOL,
        "Testcombe",
        "Ada",
        "2015-03-14",
        "F",
    )
    assert (row["year_group"], row["academic_year"]) == ("6", "2026")
    # FSM at the file's date (2026-10-01 is after it, so the file's own date, 1 October 2026 being the census):
    assert (row["fsm"], row["fsm6"]) == ("N", "Y")  # ended 2021-10-02: within 6 years of the date
    assert row["sen"] == "E" and row["eal"] == "Y"
    assert (row["eyfs_listening"], row["eyfs_relationships"]) == ("expected", "emerging")
    assert (row["ks1_reading"], row["ks1_writing"], row["ks1_maths"]) == ("EXS", "WTS", "GDS")
    assert (row["ks2_reading"], row["ks2_maths"], row["ks2_gps"], row["ks2_writing"]) == ("104", "B", "111", "EXS")
    checks = imported.tables["statutory_checks"].set_index("check")
    assert (
        checks.loc["phonics", "mark"],
        checks.loc["phonics", "outcome"],
        checks.loc["phonics", "academic_year"],
    ) == ("35", "WA", "2022")
    assert (checks.loc["mtc", "mark"], checks.loc["mtc", "academic_year"]) == ("23", "2025")
    attendance = imported.tables["attendance"].iloc[0]
    assert (attendance["academic_year"], attendance["possible"], attendance["authorised"]) == ("2026", "380", "12")
    assert (attendance["unauthorised"], attendance["present"], attendance["school_id"]) == ("4", "364", SCHOOL)
    sources = imported.tables["sources"].astype(str)
    where = sources[(sources["table"] == "ks2_2026") & (sources["column"] == "ks2_reading")]
    assert where[["file", "element"]].values.tolist() == [
        ["file0.xml", "Pupil/StageAssessments/KeyStage[KS2]/StageAssessment[2]"]
    ]
    assert sources[sources["column"] == "fsm6"][["file", "element"]].values.tolist() == [
        ["file0.xml", "Pupil/FSMhistory"]
    ]
    assert len(sources) == sum(row.notna()) + 1  # every value written has its source (and the UPN, the index here)


@pytest.mark.parametrize(
    ("ended", "fsm6"),
    [("2020-10-01", "Y"), ("2020-09-30", "N")],  # six years to the day before 2026-10-01
)
def test_fsm6_is_a_spell_in_the_six_years_to_the_census_date(tmp_path, ended, fsm6):
    spell = f"<FSMhistory><FSMinstance><FSMstartDate>2018-01-01</FSMstartDate><FSMendDate>{ended}</FSMendDate></FSMinstance></FSMhistory>"
    imported = _imported(tmp_path, ctf(pupil(extra=spell)), census=date(2026, 10, 1))
    row = imported.tables["pupils"].iloc[0]
    assert (row["fsm"], row["fsm6"]) == ("N", fsm6)


def test_an_open_spell_is_fsm_now_and_no_history_in_a_partial_file_is_unknown(tmp_path):
    spell = "<FSMhistory><FSMinstance><FSMstartDate>2026-01-05</FSMstartDate><FSMendDate/></FSMinstance></FSMhistory>"
    imported = _imported(tmp_path, ctf(pupil(extra=spell), pupil(OTHER_UPN), head=header(qualifier="partial")))
    rows = imported.tables["pupils"].set_index("upn")
    assert (rows.loc[UPN, "fsm"], rows.loc[UPN, "fsm6"]) == ("Y", "Y")
    assert pd.isna(rows.loc[OTHER_UPN, "fsm"]) and pd.isna(rows.loc[OTHER_UPN, "sen"])  # a partial file says nothing
    full = _imported(tmp_path, ctf(pupil(OTHER_UPN)))
    assert (full.tables["pupils"].iloc[0]["fsm"], full.tables["pupils"].iloc[0]["sen"]) == ("N", "N")


def test_several_files_merge_and_a_conflict_is_listed_not_resolved(tmp_path):
    july = ctf(
        pupil(surname="Oldname", stages=stage("KS2", record("KS2", 2026, "ENG", "TT", "RD", "SS", "104"))),
        head=header("2026-07-10T12:00:00", "2025"),
    )
    sta = ctf(
        pupil(
            stages=stage(
                "KS2",
                record("KS2", 2026, "ENG", "TT", "RD", "SS", "106"),
                record("KS2", 2026, "MAT", "TT", "MAT", "SS", "99"),
            )
        ),
        head=header("2026-07-07T08:00:00", "2025", source=("XXX", "XXXX"), dest=("925", "2005"), qualifier="partial"),
    )
    autumn = ctf(pupil(surname="Newname", nc="7"), head=header("2026-10-01T09:00:00", "2026"))
    imported = _imported(tmp_path, july, sta, autumn, census=date(2026, 10, 1))
    now = imported.tables["pupils"].iloc[0]
    assert (now["surname"], now["year_group"]) == ("Newname", "7")  # details from the newest file
    assert now["ks2_maths"] == "99" and pd.isna(now.get("ks2_reading"))  # 104 and 106: a conflict, left blank
    conflicts = imported.tables["ctf_conflicts"]
    assert set(conflicts["value"]) == {"104", "106"} and set(conflicts["file"]) == {"file0.xml", "file1.xml"}
    assert any("differ between files" in n for n in imported.notices)


def test_a_welsh_assessment_is_left_out_with_a_notice(tmp_path):
    welsh = pupil(stages=stage("KS2", record("KS2", 2026, "ENG", "TT", "RD", "SS", "104", locale="WLS")))
    imported = _imported(tmp_path, ctf(welsh))
    assert "ks2_reading" not in imported.tables["pupils"]
    assert imported.tables["ctf_other_assessments"]["locale"].tolist() == ["WLS"]
    assert any("another locale (WLS" in n for n in imported.notices)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("<CTfile><Header>", "not well-formed XML at line 1"),
        ("<html><body>hello</body></html>", "not a Common Transfer File: its root element is <html>"),
        (b"", "the file is empty"),
        (ctf(pupil("A12345678901")), "pupil 1 (UPN A12345678901), element Pupil/UPN: UPN must be 13 characters long"),
        (
            ctf(pupil(), pupil()),
            f"pupil 2 (UPN {UPN}), element Pupil/UPN: the same pupil appears twice in this file (pupils 1 and 2)",
        ),
        (ctf(pupil(upn="")), "pupil 1 (no UPN), element Pupil/UPN: the pupil has no UPN"),
        (
            ctf(pupil(stages=stage("ZZ9", record("ZZ9", 2026, "ENG", "TT", "RD", "SS", "1")))),
            "'ZZ9' is not a key stage",
        ),
        (
            ctf(pupil(stages=stage("KS2", record("KS2", 2026, "ENG", "TT", "RD", "SS", "150")))),
            f"pupil 1 (UPN {UPN}), element Pupil/StageAssessments/KeyStage[KS2]/StageAssessment[1]/Result: '150' is not a result ks2_reading allows",
        ),
        (
            ctf(pupil(stages=stage("FSP", record("FSP", 2021, "COM", "TA", "E01", "", "4")))),
            "'4' is not a result eyfs_listening allows (1, 2, 3, A)",
        ),
        (ctf(pupil(dob="14/03/2015")), "element Pupil/DOB: '14/03/2015' is not a date (yyyy-mm-dd)"),
        (ctf(pupil(nc="Q")), "element Pupil/BasicDetails/NCyearActual: 'Q' is not a national curriculum year"),
        (
            ctf(pupil(extra="<SENhistory><SEN><SENprovision>S</SENprovision></SEN></SENhistory>")),
            "SEN[1]/SENprovision: 'S' is not an SEN provision code",
        ),
        (ctf(pupil(), head=header(source=("XXX", "XXXX"))), "neither SourceSchool nor DestSchool is a school"),
    ],
)
def test_each_faulty_file_gets_its_sentence_and_nothing_is_written(tmp_path, capsys, text, sentence):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "820aaaa_CTF_925bbbb_001.xml").write_bytes(text if isinstance(text, bytes) else text.encode())
    out = tmp_path / "out"
    assert main(["import", "ctf", str(tmp_path / "in"), "--out", str(out)]) == 1
    said = capsys.readouterr().err
    assert "820aaaa_CTF_925bbbb_001.xml" in said and sentence in said and "nothing was written" in said
    assert not out.exists() or not any(out.iterdir())


def test_an_entity_bomb_is_refused_without_expanding(tmp_path):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE CTfile [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + "]><CTfile><Header>&j;</Header></CTfile>"
    )
    path = tmp_path / "bomb.xml"
    path.write_text(bomb)
    start = time.perf_counter()
    read = read_ctf(path)
    assert time.perf_counter() - start < 1
    assert read.problems == [
        "bomb.xml: refused: the file declares a DTD, which a CTF never has; nothing was expanded or fetched"
    ]


def test_an_external_entity_is_refused_without_fetching(tmp_path):
    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"secret")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/x"
        for declaration in (f'<!DOCTYPE CTfile [<!ENTITY x SYSTEM "{url}">]>', f'<!DOCTYPE CTfile SYSTEM "{url}">'):
            path = tmp_path / "xxe.xml"
            path.write_text(f'<?xml version="1.0"?>{declaration}<CTfile><Header>&x;</Header></CTfile>')
            assert "refused" in read_ctf(path).problems[0]
    finally:
        server.shutdown()
    assert asked == []


def test_the_defects_real_files_carry_are_read(tmp_path):
    upper = (
        ctf(
            pupil(
                extra="<FSMHISTORY><FSMINSTANCE><FSMSTARTDATE>2026-01-05</FSMSTARTDATE><FSMENDDATE></FSMENDDATE></FSMINSTANCE></FSMHISTORY>"
            )
        )
        .replace("<UPN>", "<upn>")
        .replace("</UPN>", "</upn>")
    )
    latin = ctf(pupil(OTHER_UPN, surname="Zoë Lefèvre"), declaration='<?xml version="1.0" encoding="ISO-8859-1"?>')
    files = [
        ("upper.xml", upper.encode("utf-8")),
        ("bom.xml", b"\xef\xbb\xbf" + ctf(pupil()).encode()),
        ("latin.xml", latin.encode("latin-1")),
    ]
    for name, data in files:
        (tmp_path / name).write_bytes(data)
        read = read_ctf(tmp_path / name)
        assert read.problems == [], name
        assert len(read.pupils) == 1
    assert read_ctf(tmp_path / "latin.xml").pupils["surname"].item() == "Zoë Lefèvre"
    assert read_ctf(tmp_path / "upper.xml").fsm["end"].isna().all()


def test_demo_trust_written_as_ctfs_reads_back_value_by_value(trust, tmp_path):
    from toolkit.synth.trust import write_trust

    write_trust(trust, tmp_path, 2027, exports=True)
    files = sorted((tmp_path / "exports" / "ctf").glob("*.xml"))
    imported = assemble(
        [read_ctf(f) for f in files], home=set(trust.schools["school_id"].astype(str)), gcse_years=set(trust.ks4)
    )
    expected = {
        "pupils": trust.pupils,
        **{f"ks2_{y}": f for y, f in trust.past.items()},
        **{f"ks4_{y}": p for y, (p, _) in trust.ks4.items()},
    }
    assert set(expected) <= set(imported.tables)
    compared = 0
    for name, frame in expected.items():
        got = imported.tables[name].set_index("upn")
        want = _as_text(frame).set_index("upn")
        assert sorted(got.index) == sorted(want.index), name
        for column in want.columns:
            if column.startswith(CTF_CARRIES):  # the MIS export carries these (targets, entry dates), not a CTF
                continue
            mine = got[column] if column in got else pd.Series(pd.NA, index=got.index, dtype="string")
            theirs = want.loc[got.index, column]
            if column == "ks2_year":  # written only with a KS2 result; otherwise the loader's default (the same year)
                theirs = theirs.where(got[[c for c in got if c in ("ks2_reading", "ks2_maths")]].notna().any(axis=1))
            assert (mine.fillna("~").str.upper() == theirs.fillna("~").str.upper()).all(), (name, column)
            compared += int(theirs.notna().sum())
    assert compared > 50_000


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["dob"] = pd.to_datetime(out["dob"]).dt.strftime("%Y-%m-%d")
    for column in ("fsm", "fsm6", "eal"):
        out[column] = out[column].map({True: "Y", False: "N"})
    if "ks2_year" in out:
        out["ks2_year"] = pd.to_numeric(out["ks2_year"]).astype("Int64")
    return out.astype("string")


def test_import_command_writes_the_folder_and_keeps_what_the_user_made(tmp_path, capsys):
    source = tmp_path / "in"
    write_ctf(
        source / "a.xml",
        _pupils_frame(),
        written=datetime(2026, 10, 1, 9),
        academic_year=2027,
        source=Party.school(SCHOOL, "Test Primary"),
    )
    out = tmp_path / "data"
    assert main(["import", "ctf", str(source), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} >= {"pupils.csv", "schools.csv", "import_sources.parquet", "import.json"}
    assert pd.read_csv(out / "schools.csv", dtype=str).to_dict("records") == [
        {"school_id": SCHOOL, "school_name": "Test Primary", "la": "925", "phase": "Primary"}
    ]
    assert main(["import", "ctf", str(source), "--out", str(out)]) == 0  # its own files: replaced
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "pupils.csv").write_text("upn\n")
    capsys.readouterr()
    assert main(["import", "ctf", str(source), "--out", str(mine)]) == 1
    assert "already holds pupils.csv, which toolkit import did not write" in capsys.readouterr().err
    assert (mine / "pupils.csv").read_text() == "upn\n"


def _pupils_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "upn": [UPN, OTHER_UPN],
            "surname": ["Testcombe", "Mockford"],
            "forename": ["Ada", "Ben"],
            "dob": ["2019-03-14", "2018-11-02"],
            "gender": ["F", "M"],
            "year_group": [2, 3],
            "academic_year": [2027, 2027],
            "fsm": ["N", "Y"],
            "fsm6": ["Y", "Y"],
            "eal": ["N", "Y"],
            "sen": ["N", "K"],
            "ks1_reading": [pd.NA, "EXS"],
        }
    )


def test_the_demo_exports_name_their_files_as_a_school_would(trust, tmp_path):
    written = write_exports(trust, tmp_path, 2027)
    names = {p.name for p in written}
    assert any(n.endswith("_KS2_results_2026.xml") for n in names)
    assert any("_CTF_9254000_2026" in n for n in names)  # a feeder primary's transfer to the secondary
    assert "arbor_export_2027.csv" in names


def test_ctf_errors_list_every_problem():
    err = CtfError([f"p{i}" for i in range(250)])
    assert "250 problems found" in str(err) and "and 50 more" in str(err)


def test_imported_check_results_load_as_the_statutory_checks_input(tmp_path):
    from toolkit.inputs.statutory_checks import load_checks

    imported = _imported(tmp_path, ctf(FULL_PUPIL, head=header(year="2025")), census=date(2026, 10, 1))
    table = imported.tables["statutory_checks"]
    table.to_csv(tmp_path / "statutory_checks.csv", index=False)
    loaded = load_checks(tmp_path / "statutory_checks.csv").set_index("check")
    assert loaded.loc["phonics", ["mark", "outcome"]].tolist() == ["35", "WA"] and loaded.loc["mtc", "mark"] == "23"
