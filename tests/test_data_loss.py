"""Nothing the user gave is ever lost: every command that writes, with its output pointed at each of its inputs and
at a folder of someone else's files, refuses in one sentence and leaves every byte as it was."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from toolkit.cli import main
from toolkit.inputs.outputs import MARKER, OutputRefused, mark, output_folder, refuse_inputs
from toolkit.pack.batch import remove_partials
from toolkit.pack.tasks import Task


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def foreign(tmp_path) -> Path:
    """A folder of somebody's files, partial downloads among them."""
    root = tmp_path / "home"
    for name, text in {
        "Downloads/ubuntu.iso.part": "half an iso",
        "thesis/chapter1.part": "my chapter",
        "notes.txt": "keep me",
        "pupils.csv": "not a pupil file, and not the toolkit's",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def data(pack_data, tmp_path) -> Path:
    """A copy of the trust's data folder with the national references beside it, as a school's real folder is
    (without the README that says a folder holds a synthetic trust)."""
    copy = tmp_path / "data" / "trust"
    shutil.copytree(pack_data, copy)
    (copy / "README.md").unlink()
    for reference in pack_data.parent.glob("national*.parquet"):
        (copy.parent / reference.name).symlink_to(reference)
    return copy


def refused(args: list[str], capsys, *folders: Path) -> str:
    """Run ``toolkit ARGS``; it must exit 1 and leave every file of ``folders`` as it was. Returns what it said."""
    before = [snapshot(f) for f in folders]
    assert main(args) == 1, args
    assert [snapshot(f) for f in folders] == before, args
    return capsys.readouterr().err


def commands(data: Path, out: str) -> dict[str, list[str]]:
    """Every command that writes, with its output ``out``."""
    pupils, ks2 = str(data / "pupils.csv"), str(data / "ks2_2026.csv")
    reference = str(data.parent / "national_2026.parquet")
    return {
        "reports": ["reports", "--data", str(data), "--schools", "9252000", "--reports", "va", "--out", out],
        "ks4": ["ks4", "--pupils", ks2, "--results", ks2, "--year", "2024", "--out", out],
        "estimates": ["estimates", "--reference", reference, "--pupils", pupils, "--out", out],
        "va": ["va", "--reference", reference, "--pupils", ks2, "--out", out],
        "template": ["template", "--data", str(data), "--school", "9252000", "--keystage", "ks2", "--out", out],
        "partition": ["partition", "--data", str(data), "--out", out],
        "synth schools": ["synth", "schools", "--schools", "2", "--out", out],
        "reference import": ["reference", "import", str(DFE_P8), "--kind", "p8", "--year", "2024", "--out", out],
    }


DFE_P8 = Path(__file__).parent / "fixtures" / "dfe" / "p8_2023-24" / "p8_att8_splits.csv"
FOLDER_OUTPUTS = ("reports", "ks4", "partition", "synth schools", "reference import")


@pytest.mark.parametrize("command", FOLDER_OUTPUTS)
def test_an_output_folder_of_someone_elses_files_is_refused(command, data, foreign, capsys):
    said = refused(commands(data, str(foreign))[command], capsys, foreign, data)
    assert "already holds other files" in said and "nothing there is changed" in said


@pytest.mark.parametrize("command", ["reports", "partition", "synth schools", "ks4"])
def test_an_output_folder_that_is_the_data_folder_is_refused(command, data, capsys):
    said = refused(commands(data, str(data))[command], capsys, data)
    assert "would write over the data folder" in said or "already holds other files" in said


@pytest.mark.parametrize(
    "command, output",
    [
        ("estimates", "pupils.csv"),
        ("va", "ks2_2026.csv"),
        ("template", "pupils.csv"),
        ("template", "../national_2026.parquet"),
        ("reports", ".."),
        ("partition", "copy"),
    ],
)
def test_an_output_that_is_or_holds_an_input_is_refused(command, output, data, capsys):
    said = refused(commands(data, str(data / output))[command], capsys, data.parent)
    assert "would write over" in said or "ending .xlsx" in said


def file_commands(data: Path, home: Path) -> dict[str, list[str]]:
    """Every command that writes a file, pointed at a file of somebody's (``home``, the ``foreign`` folder, which
    also holds a workbook, a Parquet table and a CSV file that are not the toolkit's)."""
    pupils, ks2 = str(data / "pupils.csv"), str(data / "ks2_2026.csv")
    reference = str(data.parent / "national_2026.parquet")
    return {
        "estimates": ["estimates", "--reference", reference, "--pupils", pupils, "--out", str(home / "notes.csv")],
        "va": ["va", "--reference", reference, "--pupils", ks2, "--out", str(home / "notes.csv")],
        "template": [
            "template",
            "--data",
            str(data),
            "--school",
            "9252000",
            "--keystage",
            "ks2",
            "--out",
            str(home / "budget.xlsx"),
        ],  # fmt: skip
        "synth national": ["synth", "national", "--pupils", "1000", "--year", "2026", "--out", str(home / "t.parquet")],
        "synth national beside": [
            "synth",
            "national",
            "--pupils",
            "1000",
            "--year",
            "2026",
            "--out",
            str(home / "my.parquet"),
        ],  # fmt: skip  (my_schools.csv beside it is somebody's)
        "synth ks5": ["synth", "ks5", "--students", "500", "--year", "2026", "--out", str(home / "t.parquet")],
        "synth ks4": ["synth", "ks4", "--pupils", "500", "--year", "2027", "--out", str(home)],
    }


@pytest.mark.parametrize("command", list(file_commands(Path("d"), Path("h"))))
def test_a_file_output_never_replaces_somebody_elses_file(command, data, foreign, capsys):
    """Each command that writes a file refuses to replace one the toolkit did not write (it replaced a CSV file,
    a workbook or a Parquet table of the same name without a word)."""
    import pandas as pd
    from openpyxl import Workbook

    pd.DataFrame({"x": [1, 2]}).to_parquet(foreign / "t.parquet")
    pd.DataFrame({"x": [1, 2]}).to_parquet(foreign / "national_ks4_2027_pupils.parquet")
    (foreign / "my_schools.csv").write_text("my own list of schools\n")
    (foreign / "notes.csv").write_text("date,note\n2026-12-01,keep me\n")
    Workbook().save(foreign / "budget.xlsx")
    said = refused(file_commands(data, foreign)[command], capsys, foreign, data)
    assert "did not write" in said or "is not the toolkit's" in said


def test_what_the_toolkit_wrote_it_may_write_again(tmp_path):
    """The marks that let a command replace its own earlier output: Parquet metadata, a workbook's creator, a CSV
    file's header, or what an earlier version wrote beside it."""
    from openpyxl import Workbook

    from toolkit.inputs.outputs import output_file, owned, write_parquet

    frame = pd.DataFrame({"upn": ["A"], "score": [1.0]})
    ours, theirs = tmp_path / "national_2026.parquet", tmp_path / "theirs.parquet"
    write_parquet(frame, ours, "synthetic national cohort")
    frame.to_parquet(theirs)
    assert owned(ours, "synthetic national cohort") and not owned(ours, "synthetic KS5 cohort")
    assert not owned(theirs, "synthetic national cohort")
    (tmp_path / "theirs_calibration.json").write_text("{}")  # an earlier version's output, before the mark
    assert owned(theirs, "synthetic national cohort")
    book = Workbook()
    book.properties.creator = "toolkit: results template"
    book.save(tmp_path / "t.xlsx")
    assert owned(tmp_path / "t.xlsx", "results template") and not owned(tmp_path / "t.xlsx", "error list")
    (tmp_path / "va.csv").write_text("year,measure,status,school_id,subject\n")
    assert owned(tmp_path / "va.csv", "school value added") and not owned(tmp_path / "va.csv", "pupil estimates")
    assert output_file(ours, "synthetic national cohort", ".parquet") == ours
    with pytest.raises(OutputRefused, match="ending .parquet"):
        output_file(tmp_path / "x.csv", "synthetic national cohort", ".parquet")


def test_the_error_list_never_replaces_a_workbook_of_the_users(tmp_path, capsys):
    """`validate` wrote FILE_errors.xlsx beside the template over whatever had that name."""
    from openpyxl import Workbook

    filled = tmp_path / "filled.xlsx"
    Workbook().save(filled)  # not a template: validate lists its problems and writes an error list
    mine = tmp_path / "filled_errors.xlsx"
    Workbook().save(mine)
    before = mine.read_bytes()
    assert main(["validate", str(filled)]) == 1
    assert "did not write (not a toolkit error list)" in capsys.readouterr().err and mine.read_bytes() == before
    mine.unlink()
    assert main(["validate", str(filled)]) == 1 and mine.exists()
    assert main(["validate", str(filled)]) == 1  # its own error list it writes again


def test_the_root_and_the_home_folder_are_never_an_output(tmp_path, monkeypatch):
    with pytest.raises(OutputRefused, match="system or home folder"):
        output_folder(Path("/"), "report pack")
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(OutputRefused, match="system or home folder"):
        output_folder(tmp_path, "report pack")


def test_a_folder_the_toolkit_made_is_reused_only_for_the_same_kind(tmp_path):
    folder = tmp_path / "out"
    assert output_folder(folder, "report pack") == folder.resolve()  # new
    mark(folder, "report pack")
    (folder / "index.html").write_text("a pack")
    assert output_folder(folder, "report pack") == folder.resolve()
    assert (folder / MARKER).exists()
    with pytest.raises(OutputRefused, match="holds a toolkit report pack, not a partitioned copy"):
        output_folder(folder, "partitioned copy")
    with pytest.raises(OutputRefused, match="would write over an input"):
        refuse_inputs([tmp_path / "in.csv"], [tmp_path / "in.csv"])


def test_a_run_removes_only_the_partial_files_of_its_own_outputs(tmp_path):
    """A killed run's half-written report is removed; somebody's download in the same folder is not."""
    out = tmp_path / "pack"
    report = out / "reports" / "9252000" / "9252000_oakfield_va.html"
    report.parent.mkdir(parents=True)
    task = Task(
        "9252000",
        "Oakfield",
        "va",
        "va.ipynb",
        {},
        str(out / "nb.ipynb"),
        str(report),
        str(report),
        ("html",),
        "toolkit",
    )
    ours, theirs = report.with_name(report.name + ".part"), report.parent / "ubuntu.iso.part"
    for f in (ours, theirs, out / "manifest.json.part"):
        f.write_text("half")
    remove_partials([task], out)
    assert not ours.exists() and not (out / "manifest.json.part").exists() and theirs.read_text() == "half"


def test_partition_refuses_a_school_id_that_is_a_path(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "schools.csv").write_text("school_id,name\n8012000,A school\n")
    pd.DataFrame({"upn": ["B801200005001"], "school_id": ["../../../../tmp/x"]}).to_csv(
        data / "pupils.csv", index=False
    )
    said = refused(["partition", "--data", str(data), "--out", str(tmp_path / "out")], capsys, data)
    assert "7-digit DfE number" in said and "Row: 2" in said
    assert not (tmp_path / "tmp").exists() and not list((tmp_path / "out").glob("*.parquet/*"))


def test_a_name_with_a_control_character_is_refused_at_check(tmp_path, capsys):
    """check refused nothing and the workbook writer crashed (IllegalCharacterError): now check names the row."""
    path = tmp_path / "pupils.csv"
    path.write_text(
        "upn,school_id,forename,surname,dob,gender,year_group\nB801200005001,8012000,Ann\x07,Mockford,2015-03-04,F,6\n"
    )
    assert main(["check", str(path)]) == 1
    said = capsys.readouterr().err
    assert "Forename holds a control character" in said and "Column: forename. Row: 2" in said


def test_the_appendix_workbooks_about_sheet_is_inert(tmp_path, monkeypatch):
    """A school name beginning with = is text in the About sheet, never a live formula."""
    from openpyxl import load_workbook

    from toolkit.pack.workbooks import write_appendix_workbook

    class School:
        name = '=HYPERLINK("http://x")'
        info = {"synthetic": True}

    import toolkit.reports.appendix_views as appendix

    monkeypatch.setattr(appendix, "sections", lambda school, years: [])
    path = write_appendix_workbook(School(), [6], tmp_path / "a.xlsx")
    cell = load_workbook(path)["About"]["A2"].value
    assert cell.startswith("'=HYPERLINK") and load_workbook(path)["About"]["A2"].data_type == "s"


def test_a_full_disk_while_preparing_is_a_sentence_and_leaves_no_half_file(data, tmp_path, monkeypatch, capsys):
    """The models were pickled straight into models.pkl (half a file on a full disk) and the disk error was a
    traceback: now every file of the prepared run is written whole and the disk is named in a sentence."""
    import errno

    from toolkit.pipeline import store

    def full(obj, f, *a, **kw):
        f.write(b"half a pickle")
        raise OSError(errno.ENOSPC, "No space left on device", str(f.name))

    monkeypatch.setattr(store.pickle, "dump", full)
    out = tmp_path / "run"
    args = ["reports", "--data", str(data), "--schools", "9252000", "--reports", "va", "--formats", "html"]
    assert main([*args, "--out", str(out)]) == 1
    said = capsys.readouterr().err
    assert "the disk is full writing" in said and "nothing half-written was left" in said
    national = out / "prepared" / "national"
    assert not (national / "models.pkl").exists() and not list(national.glob("*.part"))


def test_a_scheduler_that_is_not_a_dask_scheduler_is_a_sentence_within_seconds(data, tmp_path, capsys):
    """--scheduler at a port where something else answers ended in MemoryError: Unable to allocate 3.07 EiB."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def answer_like_a_web_server():
        conn, _ = server.accept()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n" + b"x" * 4096)
        time.sleep(2)
        conn.close()

    threading.Thread(target=answer_like_a_web_server, daemon=True).start()
    started = time.monotonic()
    args = ["reports", "--data", str(data), "--schools", "9252000", "--reports", "va", "--out", str(tmp_path / "o")]
    assert main([*args, "--scheduler", f"tcp://127.0.0.1:{port}"]) == 1
    assert "no Dask scheduler answers there" in capsys.readouterr().err and time.monotonic() - started < 30
    server.close()


# ------------------------------------------------------------------ accepted, but not what it seems (issue 25)
def _refusal(load, path: Path) -> str:
    from toolkit.inputs import PupilDataError

    with pytest.raises(PupilDataError) as refused:
        load(path)
    return str(refused.value)


def test_combined_science_that_is_not_one_double_award_is_refused(tmp_path):
    """Two rows of combined science with one grade each were read as two double awards (6-6 and 5-5)."""
    from toolkit.inputs.gcse_results import load_gcse_results
    from toolkit.scales import gcse

    path = tmp_path / "results.csv"
    head = "upn,school_id,subject,grade\n"
    path.write_text(head + "B801200005001,9254000,Combined Science,6\nB801200005001,9254000,Combined Science,5\n")
    said = _refusal(load_gcse_results, path)
    assert "Pupil B801200005001 has Combined Science on more than one row" in said and "Rows: 2, 3" in said
    assert "combined science is a double award: give both grades, e.g. 6-6" in gcse_refusal("6")
    path.write_text(head + "B801200005001,9254000,Combined Science,6-5\nB801200005001,9254000,Other Sciences,4\n")
    assert len(load_gcse_results(path)) == 2  # one double award; the "Other ..." buckets may hold several
    assert gcse.double_award("U") == (0.0, 0.0)


def gcse_refusal(grade: str) -> str:
    from toolkit.scales import gcse

    with pytest.raises(ValueError) as refused:
        gcse.double_award(grade)
    return str(refused.value)


def test_ks5_subjects_are_checked_against_the_dfes_list(tmp_path):
    """'Maths' and 'Underwater Basket Weaving' were accepted and split the subject tables."""
    from toolkit.inputs.entries import load_entries

    path = tmp_path / "ks5.csv"
    head = "upn,school_id,qualification,subject,grade\n"
    rows = ["Maths,B", "Underwater Basket Weaving,A", "biology,A", "Art & Design,C", "Extended Project,B"]
    path.write_text(head + "".join(f"B801200005001,9254000,{q},{r}\n" for q, r in zip(["A level"] * 4 + ["AS"], rows)))
    said = _refusal(load_entries, path)
    assert "not one the DfE's level 3 value added model knows" in said and "Rows: 2, 3 " in said
    assert "'Maths' (did you mean Mathematics?)" in said
    path.write_text(head + "".join(f"B801200005001,9254000,A level,{r}\n" for r in rows[2:4]))
    assert list(load_entries(path)["subject"]) == ["Biology", "Art and Design"]  # spelt as the reports spell them


def test_a_ready_reckoner_file_without_its_dfe_number_or_with_two_students_of_one_name(tmp_path):
    """The 16-18 layout without its DfE number column was a traceback; two students of one name and no CYPMD ID
    were merged into one."""
    from toolkit.inputs.entries import load_entries

    head = "Forename,Surname,Sex,Qualification name,Subject name,Prior attainment,Actual points (new points)"
    path = tmp_path / "rr.csv"
    path.write_text(head + "\nAnn,Smith,F,GCE A level,Biology,6.5,50\n")
    assert "needs its DfE number column" in _refusal(load_entries, path)
    path.write_text(
        head + ",DfE number\nAnn,Smith,F,GCE A level,Biology,6.5,50,9254000\n"
        "Ann,Smith,F,GCE A level,History,4.1,40,9254000\n"
    )
    said = _refusal(load_entries, path)
    assert "Student Ann Smith 9254000 has different Prior attainment values" in said and "CYPMD ID" in said


def test_ks4_refuses_a_year_whose_results_cannot_exist(capsys):
    """--year 3000 labelled 2024's results 'Progress 8 (official)'."""
    from toolkit.cli.analyses import current_summer

    assert main(["ks4", "--pupils", "p.csv", "--results", "r.csv", "--year", "3000", "--out", "o"]) == 2
    assert "no GCSE results of summer 3000 exist yet" in capsys.readouterr().err
    assert main(["ks4", "--pupils", "p.csv", "--results", "r.csv", "--year", "2010", "--out", "o"]) == 2
    assert "no entry for Progress 8 in 2010" in capsys.readouterr().err
    from datetime import date

    assert current_summer(date(2026, 12, 5)) == 2027 and current_summer(date(2027, 8, 31)) == 2027


@pytest.fixture
def small_disk(tmp_path):
    """A 200 MB file system of its own (tmpfs), to be filled: needs the right to mount (root, as on CI)."""
    import subprocess

    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("no right to mount a small file system here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_disk_that_fills_while_rendering_is_a_sentence_and_the_next_run_finishes(data, small_disk, capsys):
    """The run ends in one sentence, no partial file is left, and once there is room the next run makes what is
    missing and keeps what was made."""
    import os

    out = small_disk / "pack"
    args = ["reports", "--data", str(data), "--schools", "9252000", "--formats", "html", "--out", str(out)]
    assert main([*args, "--reports", "va"]) == 0
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        f.truncate(0)
        f.write(b"\0" * (free - 48 * 1024))  # 48 KB left: the prepared run fits, new reports do not
    capsys.readouterr()
    assert main([*args, "--reports", "va,estimates,summary,groups"]) == 1
    said = capsys.readouterr().err
    assert f"the disk is full writing into {out}: free some space and run it again" in said
    assert "Traceback" not in said
    assert not list(out.rglob("*.part"))
    filler.unlink()
    assert main([*args, "--reports", "va,estimates,summary,groups"]) == 0
    made = json_reports(out)
    assert made["va"] == "skipped" and {made[r] for r in ("estimates", "summary", "groups")} == {"done"}


def json_reports(out: Path) -> dict[str, str]:
    import json

    return {r["report"]: r["status"] for r in json.loads((out / "manifest.json").read_text())["reports"]}
