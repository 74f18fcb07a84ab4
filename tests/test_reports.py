"""The report pack: two demo schools rendered to HTML and PDF, checked as a reader would check them."""

import html
import json
import re
import subprocess
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from toolkit.inputs import load_pupils
from toolkit.methods.estimates import EstimateModel
from toolkit.methods.value_added import DfeProgress
from toolkit.pack import engine
from toolkit.pack.batch import PackRequest, run_batch
from toolkit.pipeline.prepare import find_inputs
from toolkit.reports import catalogue

YEAR = 2027
REPORTS = {r.name: r.title for r in catalogue.reports()}


PRIMARY_REPORTS = [
    "summary",
    "profile",
    "estimates",
    "targets",
    "groups",
    "va",
    "statutory_checks",
    "tracking",
    "attendance",
    "subject_leader",
    "appendix",
]


SECONDARY_REPORTS = [
    "summary",
    "profile",
    "ks4_results",
    "ks4_estimates",
    "ks5_results",
    "ks2_baseline",
    "attendance",
    "appendix",
]


def reports_of(school: str, secondary: str) -> list[str]:
    return SECONDARY_REPORTS if school == secondary else PRIMARY_REPORTS


@pytest.fixture(scope="module")
def data(pack_data):
    return pack_data


def report_file(out: Path, school: str, report: str, fmt: str) -> Path:
    """A report's file: ``<school_id>_<distinctive name words>_<report>.<fmt>`` in the school's folder."""
    found = sorted((out / "reports" / school).glob(f"{school}_*{report}.{fmt}"))
    assert len(found) == 1, (school, report, fmt, found)
    return found[0]


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_every_report_rendered_in_both_formats(pack, two, secondary):
    out, manifest = pack
    # the what-if profile only for a school with a remove-pupils list (tests/test_profile.py)
    assert sorted(REPORTS) == sorted(set(PRIMARY_REPORTS + SECONDARY_REPORTS + ["trust_overview", "profile_what_if"]))
    # Each school gets the reports its data supports: primaries the four primary reports, the secondary school
    # KS5 results (sixth form) and the KS2 baseline (old-style KS2 results).
    assert [(r["school_id"], r["report"]) for r in manifest["reports"]] == [
        (s, r) for s in two + [secondary] for r in reports_of(s, secondary)
    ] + [("trust", "trust_overview")]
    assert {r["status"] for r in manifest["reports"]} == {"done"}
    for school in two + [secondary]:
        for report in reports_of(school, secondary):
            for fmt in ("html", "pdf"):
                f = report_file(out, school, report, fmt)
                assert f.exists() and f.stat().st_size > 8_000, f
            assert (
                subprocess.run(
                    ["pdfinfo", str(report_file(out, school, report, "pdf"))], capture_output=True, text=True
                ).stdout.count("Page size:")
                == 1
            )
    for school in two:
        assert (out / "reports" / school / "subject_leader.xlsx").stat().st_size > 5_000
    index = (out / "index.html").read_text()
    assert index.count(', PDF">PDF</a>') == len(two) * len(PRIMARY_REPORTS) + len(SECONDARY_REPORTS) + 1
    assert "SYNTHETIC DATA" in index
    assert report_file(out, two[0], "va", "pdf").name == f"{two[0]}_oakfield_va.pdf"  # the school in the name


@pytest.mark.slow
def test_index_cells_sit_under_their_own_headings(pack, two, secondary):
    """Every link is in the column of its report; a school without that report has an empty cell there."""
    out, _ = pack
    index = (out / "index.html").read_text()
    headings = re.findall(r'<th scope="col">(.*?)</th>', index)[2:]
    # every school report appears in this pack (but the what-if, which no school here has), in the pack's order; the
    # trust overview sits above the table
    assert headings == [t for r, t in REPORTS.items() if r not in ("trust_overview", "profile_what_if")]
    assert re.search(
        r'Trust overview</b>[^<]*<a href="trust_overview.html"[^>]*>HTML</a> <a href="trust_overview.pdf"', index
    )
    by_title = {title: key for key, title in REPORTS.items()}
    for row in re.findall(r'<tr><th scope="row">.*?</tr>', index):
        school = re.search(r"</th><td>(\d{7})</td>", row).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)[1:]
        assert len(cells) == len(headings)
        for title, cell in zip(headings, cells):
            report = by_title[title]
            if report in reports_of(school, secondary):
                assert f"{school}_" in cell and f"_{report}.pdf" in cell, (school, report, cell)
            else:
                assert "href" not in cell, (school, report, cell)
    assert re.search(r"Created \d{1,2} [A-Z][a-z]+ 20\d\d, \d\d:\d\d UTC", index)


@pytest.mark.slow
def test_pdf_holds_the_schools_own_figures(pack, two, data, national_200k):
    out, _ = pack
    reference = national_200k.pupils.head(60_000)
    school = two[0]
    # Value added: the DfE reading score of the school's latest KS2 cohort, as the toolkit computes it.
    ks2 = load_pupils(data / "ks2_2026.csv")
    dfe = DfeProgress().fit(reference)
    scores = dfe.school_scores(dfe.transform(ks2[ks2["school_id"] == school])).set_index("subject")
    va_text = pdf_text(report_file(out, school, "va", "pdf"))
    for subject in ("reading", "maths"):
        line = next(
            l
            for l in va_text.splitlines()
            if l.strip().startswith(subject.capitalize() if subject != "maths" else "Mathematics") and " DfE " in l
        )
        assert f"{scores.loc[subject, 'score']:+.2f}" in line, line
    # Estimates: Year 6 % expected standard in reading at FFT50.
    pupils = load_pupils(data / "pupils.csv")
    year6 = pupils[(pupils["school_id"] == school) & (pupils["year_group"] == 6)]
    est = EstimateModel("ks2").fit(reference).predict(year6, 50)
    expected = f"{100 * est['reading_p_expected'].mean():.0f}%"
    est_text = pdf_text(report_file(out, school, "estimates", "pdf"))
    summary = est_text[est_text.index("Year 6 (KS2 assessment 2027)") :]
    line = next(l for l in summary.splitlines() if l.strip().startswith("Reading "))
    assert re.search(rf"\b{len(year6)}\b\s+{expected}", line), line
    name = json.loads((out / "prepared" / "slices" / school / "school.json").read_text())["school_name"]
    assert name.split(" (")[0] in est_text


@pytest.mark.slow
def test_ks2_baseline_report_shows_seed_004_worked_example(pack, secondary):
    """The demo's Year 11 pupil with seed 004's results (English level 4 mark 52, maths level 5 mark 88) reads
    26.28 / 4B, 32.76 / 5B and a P8 baseline of 4.9 in the rendered report."""
    out, _ = pack
    html = report_file(out, secondary, "appendix", "html").read_text()  # the pupil rows: in the appendix
    pdf = pdf_text(report_file(out, secondary, "appendix", "pdf"))
    assert re.search(r"26\.28\s+4B\s+32\.76\s+5B\s+4\.9", pdf), "worked example not in the PDF"
    text = re.sub(r"<[^>]+>", " ", html)
    row = next(r for r in html.split("<tr>") if "4 / 52 / TA 4" in r and "5 / 88 / TA 5" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[2:8] == ["26.28", "4B", "5 / 88 / TA 5", "32.76", "5B", "4.9"], cells
    assert "Level 4, mark 52 in 41-69: standard formula" in cells[8]
    text = re.sub(r"<[^>]+>", " ", report_file(out, secondary, "ks2_baseline", "html").read_text())
    for rule in (
        "Level N with TA",
        "Level N without a teacher assessment",
        "Test level 2 with TA W: fixed 3 points",
        "Test level 2 with TA 1",
        "Test level 2 with TA 2",
        "level-3 formula",
        "level 6 test ignored",
    ):
        assert rule in text, rule


MAIN_PAGES = 49  # issue 14: a primary's main reports, without the appendix (40; +3 attendance, +2 statutory checks,
# +3 the school profile, +1 the groups report's disadvantaged comparison)


@pytest.mark.slow
def test_main_reports_stay_short_and_the_pupil_rows_are_in_the_appendix(pack, two, data):
    """Each primary's main reports come to at most 40 pages; every pupil of each year group has a row per subject
    in the appendix spreadsheet, and its review sheet holds every flagged target, more than the PDF shows."""
    from openpyxl import load_workbook

    from toolkit.reports import target_views, views

    out, _ = pack
    for school in two:
        pages = {
            r: int(
                re.search(
                    r"Pages:\s+(\d+)",
                    subprocess.run(
                        ["pdfinfo", str(report_file(out, school, r, "pdf"))], capture_output=True, text=True
                    ).stdout,
                ).group(1)
            )
            for r in PRIMARY_REPORTS
        }
        main = sum(n for r, n in pages.items() if r != "appendix")
        assert main <= MAIN_PAGES, pages
        assert pages["appendix"] > pages["estimates"]
        book = load_workbook(report_file(out, school, "appendix", "xlsx"), read_only=True)
        assert book.sheetnames[0] == "About" and "SYNTHETIC" in str(list(book["About"].values))
        school_view = views.load(out / "prepared", school)
        for yg in (6, 2):
            rows = list(book[f"Estimates Y{yg}"].iter_rows(values_only=True))
            header, body = rows[0], rows[1:]
            subjects = 4 if yg == 6 else 3
            assert len(body) == subjects * len(school_view.year_pupils(yg)), (school, yg)
            assert header[0] == "Subject" and "FFT band (contains the estimate)" in header
        groups = list(book["Pupil groups"].iter_rows(values_only=True))
        assert groups[0][:2] == ("Year group", "Subject") and {r[0] for r in groups[1:]} >= {6, 5}
        review = list(book["Targets to review"].iter_rows(values_only=True))
        table, counts = target_views.review_list(school_view, 6)
        assert sum(1 for r in review[1:] if r[0] == 6) == len(table) == counts["targets"].sum() > 0
        appendix = pdf_text(report_file(out, school, "appendix", "pdf"))
        shown = appendix.count("unlikely") + appendix.count("unambitious")
        assert "The spreadsheet holds them all." in appendix and shown < len(review)
        assert ', XLSX">XLSX</a>' in (out / "index.html").read_text()


@pytest.mark.slow
def test_trust_overview_sets_the_schools_side_by_side_without_a_pupil(pack, two, secondary, data):
    """One overview for the run: each primary's RWM figure as its own summary has it, the secondary in its own
    table with its Year 11 results (Attainment 8 as its KS4 report prints it, national with its year), small groups
    suppressed, and no pupil's name anywhere."""
    from toolkit.reports import summary_views, trust_views, views

    out, _ = pack
    text = pdf_text(out / "trust_overview.pdf")
    assert "Trust overview" in text and "SYNTHETIC DATA" in text and "Key" in text.split("\f")[0]
    for school in two:
        mine = views.load(out / "prepared", school)
        rwm = summary_views.attainment_rows(mine).iloc[0]["School (%)"]
        trend = text[text.index("Trend: % RWM") :]  # one line per school there, its latest year last
        line = next(l for l in trend.splitlines() if l.strip().startswith(trust_views.short_name(mine)))
        assert line.split()[-1] == f"{rwm:.1f}" and f"{rwm:.1f}" in text[: text.index("Trend")], line
    from toolkit.reports import ks4_views

    secondary_school = views.load(out / "prepared", secondary)
    headline = ks4_views.headline_table(secondary_school).set_index("Measure").loc["Attainment 8 (average)"]
    block = text[text.index("Secondary schools: Year 11 results") :]
    latest = str(max(secondary_school.info["ks4_years"]))
    assert trust_views.short_name(secondary_school).split()[0] in block and f"{headline[latest]:.1f}" in block
    assert f"({headline['National year']})" in block and "Not in the primary tables" not in text
    pupils = load_pupils(data / "pupils.csv")
    names = set(pupils["forename"] + " " + pupils["surname"])
    assert not [n for n in names if n in text]
    loaded, _ = trust_views.schools(out / "prepared")
    suppressed = trust_views.disadvantaged_gaps(loaded, smallest=10_000)
    assert (
        suppressed["Gap (pp)"].isna().all()
        and suppressed["Reads"].str.startswith(("fewer than", "no disadvantaged")).all()
    )


@pytest.mark.slow
def test_first_page_is_not_blank_and_has_title_and_banner(pack, two, secondary, tmp_path):
    out, _ = pack
    for report in (r for r in REPORTS if r not in ("trust_overview", "profile_what_if")):  # what-if: test_profile
        school = secondary if report in SECONDARY_REPORTS else two[1]
        pdf = report_file(out, school, report, "pdf")
        subprocess.run(
            ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / report)], check=True
        )
        png = next(tmp_path.glob(f"{report}*.png"))
        pixels = np.asarray(Image.open(png).convert("L"))
        assert (pixels < 200).mean() > 0.01, f"{report}: page 1 looks blank"
        first = pdf_text(pdf).split("\f")[0]
        assert "SYNTHETIC DATA" in first and school in first and "Challenge level" in first
        assert "Page 1 of" in first


@pytest.mark.slow
def test_no_code_warnings_or_tracebacks(pack, two, secondary):
    out, manifest = pack
    for school in two + [secondary]:
        for report in reports_of(school, secondary):
            page = report_file(out, school, report, "html").read_text()
            text = pdf_text(report_file(out, school, report, "pdf"))
            for bad in ("Traceback", "views.load", "import ", "Warning", "run_dir ="):
                assert bad not in page and bad not in text, (school, report, bad)
            assert "jp-InputArea" not in page and "highlight" not in page
    assert all(r["warnings"] == [] for r in manifest["reports"])


def word_runs(text: str, longest: int = 4) -> set[str]:
    """Every run of 2 to ``longest`` consecutive words of ``text``, joined by one space (a pupil's "forename
    surname", however many words each has), to match names against at once."""
    words = re.findall(r"[^\W\d_][\w'\u2019-]*", text)
    return {" ".join(words[i : i + n]) for n in range(2, longest + 1) for i in range(len(words) - n + 1)}


@pytest.mark.slow
def test_each_school_sees_only_its_own_pupils(pack, two, secondary, trust):
    out, _ = pack
    everyone = pd.concat(
        [trust.pupils]
        + list(trust.past.values())
        + list(trust.ks5.values())
        + list(trust.ks2_levels.values())
        + [pupils for pupils, _ in trust.ks4.values()]
    )
    for school in two + [secondary]:
        others = everyone[everyone["school_id"] != school]
        upns = set(others["upn"])
        names = set(others["forename"] + " " + others["surname"])
        mine = everyone[everyone["school_id"] == school]
        assert set(mine["forename"] + " " + mine["surname"]) - names, "test needs names unique to the school"
        files = list((out / "reports" / school).iterdir()) + list((out / "notebooks" / school).iterdir())
        for f in files:
            if f.suffix == ".xlsx":
                from openpyxl import load_workbook

                wb = load_workbook(f)
                text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
            else:
                text = pdf_text(f) if f.suffix == ".pdf" else f.read_text()
            found_upn = set(re.findall(r"[A-Z][0-9]{11}[0-9A-Z]", text)) & upns
            found_name = (word_runs(text) & names) - set(mine["forename"] + " " + mine["surname"])
            assert not found_upn and not found_name, (f, sorted(found_upn)[:3], sorted(found_name)[:3])
        for f in (out / "prepared" / "slices" / school).glob("*.parquet"):
            frame = pd.read_parquet(f)
            if "upn" in frame:
                assert not set(frame["upn"]) & upns, f
            if "school_id" in frame:
                assert set(frame["school_id"].astype(str)) <= {school}, f


@pytest.mark.slow
def test_manifest_records_provenance(pack, two):
    out, manifest = pack
    assert manifest["code"]["code_hash"] and "git_commit" in manifest["code"]
    assert {"pandas", "papermill", "nbconvert", "seaborn"} <= set(manifest["packages"])
    assert any(k.endswith("pupils.csv") for k in manifest["inputs"])
    row = manifest["reports"][0]
    assert row["parameters"]["school_id"] == two[0] and row["parameters"]["challenge"] == "FFT50"
    executed = nbformat.read(out / row["executed_notebook"], as_version=4)
    assert executed.metadata["papermill"]["parameters"]["school_id"] == two[0]
    # which fit cache entry the run's national models came from (the content key, deterministic)
    assert [e["what"] for e in manifest["fit_cache"]] == ["national", "ks5"]
    assert all(len(e["key"]) == 64 for e in manifest["fit_cache"])


@pytest.mark.slow
def test_rerun_skips_unchanged_and_one_failure_does_not_stop_the_others(pack, two, secondary, data):
    out, _ = pack
    first = json.loads((out / "manifest.json").read_text())
    again = run_batch(
        PackRequest(find_inputs(data), out, schools=two + [secondary], jobs=2, progress=False, say=lambda m: None)
    )
    assert {r["status"] for r in again["reports"]} == {"skipped"}, (
        first["code"],
        again["code"],
        first["inputs"],
        again["inputs"],
    )
    # Break one school's prepared data: its estimates reports fail, keep their notebook, the rest carry on.
    table = out / "prepared" / "slices" / two[0] / "estimates_ks2.parquet"
    good = table.read_bytes()
    table.write_bytes(b"not parquet")
    try:
        broken = run_batch(
            PackRequest(find_inputs(data), out, schools=two + [secondary], jobs=2, progress=False, say=lambda m: None)
        )
    finally:
        table.write_bytes(good)  # the other tests of this module read the same pack
    status = {(r["school_id"], r["report"]): r["status"] for r in broken["reports"]}
    assert status[(two[0], "estimates")] == "failed"
    assert status[(two[1], "estimates")] == "skipped"
    failed = next(r for r in broken["reports"] if r["status"] == "failed")
    assert (out / failed["executed_notebook"]).exists() and failed["error"]
    assert "failed" in (out / "index.html").read_text()
    mended = run_batch(  # the failed report redone: the pack is whole again for the other tests of this module
        PackRequest(find_inputs(data), out, schools=two + [secondary], jobs=2, progress=False, say=lambda m: None)
    )
    assert {r["status"] for r in mended["reports"]} == {"skipped", "done"}


@pytest.mark.slow
def test_the_same_data_by_a_relative_path_reuses_the_prepared_run(pack, two, secondary, data, monkeypatch):
    """`--data trust` from its parent folder and `--data /abs/trust` are the same data: nothing is prepared again."""
    out, _ = pack
    monkeypatch.chdir(data.parent)
    said = []
    again = run_batch(
        PackRequest(
            find_inputs(Path(data.name)), out, schools=two + [secondary], jobs=2, progress=False, say=said.append
        )
    )
    assert any(m.startswith("Methodology unchanged since the last run") for m in said), said
    assert "failed" not in {r["status"] for r in again["reports"]}


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_journal_and_redoes_damaged_files(pack, two, secondary, data):
    """A run killed before its manifest left a journal of finished reports: the next run skips those whose files
    are whole, and redoes the unfinished ones and any file truncated since."""
    from toolkit.pack.manifest import JOURNAL

    out, _ = pack
    schools = two + [secondary]
    whole = run_batch(PackRequest(find_inputs(data), out, schools=schools, jobs=2, progress=False, say=lambda m: None))
    rows = whole["reports"]
    assert all(r["files"] and all(f["bytes"] > 0 for f in r["files"].values()) for r in rows)
    finished, unfinished = rows[:-3], rows[-3:]
    (out / JOURNAL).write_text(
        "".join(json.dumps(r) + "\n" for r in finished) + '{"school_id": "torn', encoding="utf-8"
    )
    (out / "manifest.json").unlink()
    damaged = next(r for r in finished if r["report"] == "va")
    pdf = out / damaged["outputs"]["pdf"]
    pdf.write_bytes(pdf.read_bytes()[: pdf.stat().st_size // 2])
    again = run_batch(PackRequest(find_inputs(data), out, schools=schools, jobs=2, progress=False, say=lambda m: None))
    status = {(r["school_id"], r["report"]): r["status"] for r in again["reports"]}
    assert all(status[(r["school_id"], r["report"])] == "done" for r in unfinished)
    assert status[(damaged["school_id"], "va")] == "done"
    redone = {(r["school_id"], r["report"]) for r in unfinished} | {(damaged["school_id"], "va")}
    assert all(s == "skipped" for k, s in status.items() if k not in redone), status
    assert not (out / JOURNAL).exists() and subprocess.run(["pdfinfo", str(pdf)], capture_output=True).returncode == 0
    assert not list(out.rglob("*.part"))


@pytest.mark.slow
def test_kill_9_mid_run_then_the_next_run_redoes_only_what_did_not_finish(data, two, tmp_path):
    """A real kill -9 of `toolkit reports` once some reports are journaled: the next run skips exactly those."""
    import os
    import signal
    import sys

    from toolkit.pack.manifest import JOURNAL, read_journal

    out = tmp_path / "killed"
    argv = [sys.executable, "-m", "toolkit", "reports", "--data", str(data), "--out", str(out), "--schools", *two]
    argv += ["--reports", "summary,estimates,targets,groups,va", "--jobs", "1"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(read_journal(out)) < 2 and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    finished = {(r["school_id"], r["report"]) for r in read_journal(out)}
    assert 2 <= len(finished) < 10 and not (out / "manifest.json").exists()
    again = run_batch(
        PackRequest(
            find_inputs(data),
            out,
            schools=two,
            reports=["summary", "estimates", "targets", "groups", "va"],
            jobs=2,
            progress=False,
            say=lambda m: None,
        )
    )
    status = {(r["school_id"], r["report"]): r["status"] for r in again["reports"]}
    assert {k for k, s in status.items() if s == "skipped"} == finished
    assert all(s == "done" for k, s in status.items() if k not in finished)
    assert not (out / JOURNAL).exists() and not list(out.rglob("*.part"))


@pytest.mark.slow
def test_a_school_without_pupils_is_named_and_the_others_build(pack, two, data, tmp_path, capsys):
    """A school listed in schools.csv with no pupils: the others build, the run names it with the reason, the index
    has its row, and the exit code says something is wrong."""
    import shutil

    from toolkit.cli import main

    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    for ref in data.parent.glob("national*.parquet"):
        shutil.copy(ref, tmp_path / ref.name)
    with (copy / "schools.csv").open("a") as f:
        f.write(
            "9252099,Emptyfield Primary School (synthetic),925,Primary,Synthetic Demo Trust,True,False" + "," * 6 + "\n"
        )
    out = tmp_path / "out"
    code = main(
        ["reports", "--data", str(copy), "--out", str(out), "--schools", "9252099", two[0], "--reports", "summary"]
    )
    said = capsys.readouterr()
    assert code == 1
    assert (
        "No reports for Emptyfield Primary School (synthetic) (9252099): no pupils in the pupil file"
        in said.err + said.out
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["status"] for r in manifest["reports"]] == ["done"]
    assert manifest["schools_without_reports"][0]["school_id"] == "9252099"
    assert re.search(r'<td>9252099</td><td class="failed"[^>]*>no reports: no pupils', (out / "index.html").read_text())


def test_engine_reports_errors_like_papermill(tmp_path):
    import papermill

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(x * 2)\nx + 40"),
        nbformat.v4.new_code_cell("1 / 0"),
        nbformat.v4.new_code_cell("print('never')"),
    ]
    nbformat.write(nb, tmp_path / "in.ipynb")
    with pytest.raises(papermill.PapermillExecutionError, match="ZeroDivisionError"):
        papermill.execute_notebook(
            str(tmp_path / "in.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"x": 5},
            engine_name=engine.NAME,
            kernel_name="python3",
            progress_bar=False,
        )
    done = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    code = [c for c in done.cells if c.cell_type == "code"]
    assert code[2].outputs[0]["text"] == "10\n"  # injected parameters won
    assert code[2].outputs[1]["data"]["text/plain"] == "45"
    assert code[3].outputs[-1]["output_type"] == "error" and code[3].outputs[-1]["ename"] == "ZeroDivisionError"
    assert code[4].outputs == []


def test_engine_is_found_through_its_entry_point_and_honours_execution_timeout(tmp_path):
    import papermill
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine(engine.NAME).__name__ == "InProcessEngine"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell("import time"),
        nbformat.v4.new_code_cell("time.sleep(5)"),
        nbformat.v4.new_code_cell("print('never')"),
    ]
    nbformat.write(nb, tmp_path / "slow.ipynb")
    start = time.perf_counter()
    with pytest.raises(papermill.PapermillExecutionError, match="timed out after 0.5 s"):
        papermill.execute_notebook(
            str(tmp_path / "slow.ipynb"),
            str(tmp_path / "out.ipynb"),
            engine_name=engine.NAME,
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=0.5,
        )
    assert time.perf_counter() - start < 4
    done = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert done.cells[-1].outputs == []


def test_a_cell_on_a_worker_thread_is_stopped_at_its_time_limit_and_no_later_cell_is_touched():
    """Dask workers run reports in threads, where no timer signal can go: the limit is raised in the thread."""
    import threading

    shell, seen = engine._shell(), {}

    def worker():
        start = time.perf_counter()
        seen["endless"] = engine.run_cell(shell, "n = 0\nwhile True:\n    n += 1", timeout=0.5)
        seen["seconds"] = time.perf_counter() - start
        seen["quick"] = engine.run_cell(shell, "sum(range(10))", timeout=0.2)
        time.sleep(0.5)  # past the quick cell's limit: its timer must not fire into what follows
        seen["after"] = engine.run_cell(shell, "n > 0", timeout=None)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=20)
    outputs, failed = seen["endless"]
    assert failed and outputs[-1]["ename"] == "CellTimeoutError"
    assert "timed out after 0.5 s" in outputs[-1]["evalue"]
    assert 0.5 <= seen["seconds"] < 3
    assert seen["quick"][1] is False and seen["quick"][0][-1]["data"]["text/plain"] == "45"
    assert seen["after"][1] is False and seen["after"][0][-1]["data"]["text/plain"] == "True"


@pytest.mark.parametrize("name", list(REPORTS))
def test_notebooks_are_thin_parameterised_and_stored_without_outputs(name):
    nb = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    declared = re.findall(r"^(\w+)\s*=", code[0].source, re.M)
    assert declared == list(catalogue.get(name).parameters())  # what the batch fills, from the catalogue
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert sum(len(c.source.splitlines()) for c in code[1:]) <= 10  # load, call the toolkit, show
    # markdown cells say what the reader sees, for whoever opens the notebook; the report leaves them out
    words = [c for c in nb.cells if c.cell_type == "markdown"]
    assert words and words[0].source.startswith(f"# {catalogue.title(name)}\n")  # the catalogue's title
    assert "What the reader sees" in words[0].source
    assert all("notebook-only" in c.metadata.get("tags", []) for c in words)
    from toolkit.pack import render

    page, _ = render.html_of(nb)
    assert "What the reader sees" not in page


def test_reports_command_names_what_is_missing(tmp_path, capsys):
    from toolkit.cli import main

    assert main(["reports", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    assert "no schools.csv or pupils.csv" in capsys.readouterr().err
    assert main(["reports", "--data", str(tmp_path), "--challenge", "FFT10", "--out", str(tmp_path / "o")]) == 1
    assert "'FFT10' is not a challenge level" in capsys.readouterr().err


FORBIDDEN = re.compile(r"(?<![\w.])(inf|nan|NaN|None)(?![\w.])|(?<![\w.])[-\u2212]0(?:\.0+)?%?(?![\d.])")


def visible_text(path: Path) -> str:
    if path.suffix == ".pdf":
        return pdf_text(path)
    raw = path.read_text()
    raw = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", raw, flags=re.S)
    raw = re.sub(r'(src|href)="[^"]*"', "", raw)
    return html.unescape(re.sub(r"<[^>]+>", " ", raw))


@pytest.mark.slow
def test_no_inf_nan_none_or_negative_zero_anywhere(pack):
    out, _ = pack
    files = sorted((out / "reports").rglob("*.pdf")) + sorted((out / "reports").rglob("*.html")) + [out / "index.html"]
    assert len(files) > 20
    found = {}
    for f in files:
        hits = [m.group(0) for m in FORBIDDEN.finditer(visible_text(f))]
        if hits:
            found[f.name] = hits[:5]
    assert not found, found
    # the pattern itself: whole tokens only, either minus sign
    assert FORBIDDEN.search("gap -0%") and FORBIDDEN.search("\u22120.00") and FORBIDDEN.search("score nan")
    assert not FORBIDDEN.search("-0.05 and +0.5 and 10% and infant and Nancy")


@pytest.mark.slow
@pytest.mark.parametrize("report", list(REPORTS))
def test_each_notebook_runs_with_its_own_defaults(report, pack, tmp_path):
    """As after `make demo`: from a folder whose outputs/demo/run/prepared is a prepared run, papermill with the
    notebook's own defaults (no parameters at all) produces the report."""
    import papermill

    out, _ = pack
    (tmp_path / "outputs" / "demo" / "run").mkdir(parents=True)
    (tmp_path / "outputs" / "demo" / "run" / "prepared").symlink_to(out / "prepared")
    done = papermill.execute_notebook(
        str(Path(__file__).resolve().parent.parent / "notebooks" / f"{report}.ipynb"),
        str(tmp_path / "executed.ipynb"),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    outputs = [o for c in done.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert outputs and not any(o.get("output_type") == "error" for o in outputs)


@pytest.mark.slow
def test_page_one_of_every_report_holds_its_key_and_provenance(pack, two, secondary):
    from toolkit.reports import glossary

    out, _ = pack
    for school in two + [secondary]:
        for report in reports_of(school, secondary):
            pdf = report_file(out, school, report, "pdf")
            page1 = subprocess.run(
                ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
            first_term = glossary.terms(report, reports_of(school, secondary))[0][0]
            assert "Key" in page1 and first_term.split()[0] in page1, (report, first_term)
            assert "Comparisons" in page1 and "toolkit 0." in page1, report
    outline = subprocess.run(["pdfinfo", str(report_file(out, two[0], "va", "pdf"))], capture_output=True, text=True)
    assert "Tagged:          yes" in outline.stdout


@pytest.mark.slow
def test_method_walkthrough_runs_from_raw_scores_to_a_confidence_interval(pack_data, trust, tmp_path):
    import papermill

    school = trust.schools["school_id"].iloc[0]
    done = papermill.execute_notebook(
        str(Path(__file__).resolve().parent.parent / "notebooks" / "method_walkthrough.ipynb"),
        str(tmp_path / "walkthrough.ipynb"),
        parameters={
            "reference": str(pack_data.parent / "national_2026.parquet"),
            "past_cohort": str(pack_data / "ks2_2026.csv"),
            "school_id": school,
        },
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    text = json.dumps([c.get("outputs", []) for c in done.cells if c.cell_type == "code"])
    assert "maths_p_expected" in text and "significance" in text and "ci_low" in text
    assert sum(c.cell_type == "markdown" for c in done.cells) >= 5


@pytest.mark.slow
def test_two_schools_on_a_dask_local_cluster_match_the_local_engine(pack, two, data, tmp_path):
    """`--scheduler local`: two schools prepared (one part per worker) and their reports run through a real
    LocalCluster of two worker processes (a shared folder stands for shared storage); each slice table and each
    report's text is the local engine's, and the manifest and index are assembled from the task results."""
    out, _ = pack
    shared = tmp_path / "shared"
    said = []
    manifest = run_batch(
        PackRequest(
            find_inputs(data),
            shared,
            schools=two,
            reports=["summary", "va"],
            jobs=2,
            progress=False,
            say=said.append,
            scheduler="local",
        )
    )
    assert any(m.startswith("Prepared 2 schools") for m in said), said
    for school in two:
        mine, local = shared / "prepared" / "slices" / school, out / "prepared" / "slices" / school
        assert sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in local.iterdir())
        for table in mine.glob("*.parquet"):
            pd.testing.assert_frame_equal(
                pd.read_parquet(table).reset_index(drop=True),
                pd.read_parquet(local / table.name).reset_index(drop=True),
            )
    assert [(r["school_id"], r["report"], r["status"]) for r in manifest["reports"]] == [
        (s, r, "done") for s in two for r in ("summary", "va")
    ]
    for school in two:
        for report in ("summary", "va"):
            assert pdf_text(report_file(shared, school, report, "pdf")) == pdf_text(
                report_file(out, school, report, "pdf")
            ), (school, report)
    assert (shared / "index.html").read_text().count(', PDF">PDF</a>') == 4


@pytest.mark.slow
def test_a_run_of_one_school_computes_that_schools_data_only_with_the_same_slice(pack, two, data, tmp_path):
    """`--schools X` prepares X alone (the other schools' pupils are never estimated or scored), and X's slice is
    the one a run of several schools writes for it."""
    out, _ = pack
    one = tmp_path / "one"
    run_batch(PackRequest(find_inputs(data), one, schools=[two[1]], reports=["va"], progress=False, say=lambda m: None))
    mine, theirs = one / "prepared" / "slices" / two[1], out / "prepared" / "slices" / two[1]
    assert sorted(p.name for p in mine.iterdir()) == sorted(p.name for p in theirs.iterdir())
    for table in sorted(mine.glob("*.parquet")):
        pd.testing.assert_frame_equal(
            pd.read_parquet(table).reset_index(drop=True), pd.read_parquet(theirs / table.name).reset_index(drop=True)
        )
    assert [p.name for p in (one / "prepared" / "slices").iterdir()] == [two[1]]


@pytest.mark.slow
def test_only_the_school_whose_data_changed_is_prepared_again(data, two, tmp_path):
    """Each slice is keyed by its school's own rows: after `--schools X` a run of X and Y prepares Y only; an
    edit to Y's pupils prepares Y only (X's slice is not touched); nothing changed, nothing is prepared."""
    import shutil

    trust = tmp_path / "trust"
    shutil.copytree(data, trust)
    for ref in data.parent.glob("national*.parquet"):
        (tmp_path / ref.name).symlink_to(ref)
    out = tmp_path / "run"

    def run(schools):
        said = []
        run_batch(PackRequest(find_inputs(trust), out, schools=schools, reports=["va"], formats=("html",), progress=False,
                  say=said.append))  # fmt: skip
        return next(m for m in said if m.startswith(("Prepared", "Methodology unchanged")))

    x, y = two
    assert run([x]).startswith("Prepared 1 school in")
    slices = out / "prepared" / "slices"
    written = (slices / x / "school.json").stat().st_mtime_ns
    assert run([x, y]).endswith("; 1 unchanged school reused")
    pupils = pd.read_csv(trust / "pupils.csv", dtype=str)
    row = pupils.index[pupils["school_id"] == y][0]
    pupils.loc[row, "forename"] = "Renamed"
    pupils.to_csv(trust / "pupils.csv", index=False)
    assert run([x, y]).endswith("; 1 unchanged school reused")
    assert (slices / x / "school.json").stat().st_mtime_ns == written
    assert "Renamed" in set(pd.read_parquet(slices / y / "pupils.parquet")["forename"])
    assert run([x, y]).startswith("Methodology unchanged")
    assert run(None).endswith(f"; {len(two)} unchanged schools reused")  # the rest of the trust, not these two


@pytest.mark.slow
def test_a_run_of_one_schools_report_keeps_the_rest_of_the_pack(pack, two, secondary, data):
    """`--schools X --reports va` on an existing pack redoes nothing else and forgets nothing: the manifest and
    index still list every report, and the next full run skips them all."""
    out, _ = pack
    everything = {(r["school_id"], r["report"]) for r in json.loads((out / "manifest.json").read_text())["reports"]}
    one = run_batch(
        PackRequest(find_inputs(data), out, schools=[two[0]], reports=["va"], progress=False, say=lambda m: None)
    )
    assert {(r["school_id"], r["report"]) for r in one["reports"]} == everything
    kept = [r for r in one["reports"] if (r["school_id"], r["report"]) != (two[0], "va")]
    assert kept and all(r["status"] == "skipped" and r["made"] for r in kept)
    assert (out / "index.html").read_text().count(', PDF">PDF</a>') == len(everything)
    again = run_batch(
        PackRequest(find_inputs(data), out, schools=two + [secondary], progress=False, say=lambda m: None)
    )
    assert {r["status"] for r in again["reports"]} == {"skipped"}
