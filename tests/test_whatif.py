"""The what-if dashboard: state logic, saving for the report pack, and a real browser driving Voila."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from toolkit.pipeline.prepare import find_inputs, prepare
from toolkit.pipeline.store import PreparedRun
from toolkit.whatif import WhatIf, WhatIfApp

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run(pack_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("whatif_run")
    prepare(find_inputs(pack_data), out, say=lambda m: None)
    return out


def pct(text: str) -> int:
    return int(re.search(r"(\d+)%", text).group(1))


def test_challenge_moves_estimates_without_refitting(run):
    state = WhatIf.open(run)
    year = state.year_groups()[0]
    before = pct(state.view(year, "maths")["headline"])
    state.set_level(year, "maths", "FFT5")
    after = pct(state.view(year, "maths")["headline"])
    assert after > before
    state.set_level(year, None, 30)  # the whole year group, any percentile
    assert all(state.percentile(year, s) == 30 for s in state.subjects(year))
    with pytest.raises(ValueError, match="outside 1-99"):
        state.set_level(year, "maths", 120)


def test_reading_writing_and_maths_can_be_the_headline(run):
    """The combined measure a head is judged on can be the headline: its estimate is the summary's, a level set on
    it is set on each of its subjects, and it takes no target of its own (targets are per subject)."""
    from toolkit.whatif import WhatIfApp

    app = WhatIfApp(run, "9252000")
    app.year.value = 6
    assert [v for _, v in app.subject.options][-2:] == ["rm", "rwm"]
    app.subject.value = "rwm"
    app.level.value = "FFT20"
    state = app.state
    assert all(state.levels[(6, s)] == "FFT20" for s in ("reading", "writing", "maths"))
    assert state.levels[(6, "gps")] != "FFT20"  # not part of the measure
    summary = state.summary(6).set_index("Measure").loc["Reading, writing and maths"]
    assert f"{summary['Estimated % expected']:.0f}%" in app.headline.value and "at FFT20" in app.headline.value
    assert app.target.options == (("(none)", ""),) and "How likely" not in app.table.value


def test_editing_a_target_changes_how_likely_and_the_aggregate(run):
    state = WhatIf.open(run)
    year = 6
    pupils, _ = state.estimates(year)
    upn = pupils["upn"].iloc[0]
    state.set_target(upn, "reading", "W")
    low = state.summary(year).set_index("Measure").loc["Reading", "Aggregated target"]
    table = state.pupil_table(year, "reading")
    chance_w = table.loc[0, "How likely"]
    state.set_target(upn, "reading", "A+")
    assert state.pupil_table(year, "reading").loc[0, "How likely"] < chance_w
    assert state.summary(year).set_index("Measure").loc["Reading", "Aggregated target"] > low
    with pytest.raises(ValueError, match="not understood"):
        state.set_target(upn, "reading", "Z")


@pytest.mark.slow
def test_a_secondary_sets_gcse_challenge_and_targets_and_the_next_pack_uses_them(run, pack_data, tmp_path):
    """Years 7-11: the same dashboard with GCSE subjects and Attainment 8; FFT5 in maths raises the estimated %
    at 9-4; a harder target is less likely; saved levels and targets reach the next prepared run."""
    from toolkit.whatif import Ks4WhatIf

    state = Ks4WhatIf.open(run, "9254000")
    assert state.year_groups() == [11, 10, 9, 8, 7] and state.subjects(9)[:2] == ("Attainment 8", "English Language")
    before = pct(state.view(11, "Mathematics")["headline"])
    a8 = state.summary(11).set_index("Measure").loc["Attainment 8", "Estimate"]
    state.set_level(11, "Mathematics", "FFT5")
    state.set_level(11, "Attainment 8", "FFT20")
    assert pct(state.view(11, "Mathematics")["headline"]) > before
    assert state.summary(11).set_index("Measure").loc["Attainment 8", "Estimate"] == pytest.approx(a8 + 4.208, abs=0.01)
    table = state.pupil_table(11, "Mathematics")
    upn = state.estimates(11)[1].query("subject == 'Mathematics'")["upn"].iloc[0]
    row = state.pupils.set_index("upn").loc[upn]
    name = f"{row['forename']} {row['surname']}"

    def how_likely() -> float:
        t = state.pupil_table(11, "Mathematics")
        return t.loc[t["Pupil"] == name, "How likely"].iloc[0]

    state.set_target(upn, "Mathematics", "4")
    easy = how_likely()
    state.set_target(upn, "Mathematics", "9")
    assert how_likely() < easy and len(table) > 100
    with pytest.raises(ValueError, match="9-1 or U"):
        state.set_target(upn, "Mathematics", "A*")
    settings, targets = state.save()
    assert targets.name == "9254000_ks4_targets.csv"
    again = tmp_path / "again" / "prepared"
    prepare(find_inputs(pack_data), again, say=lambda m: None)
    slice_ = again / "slices" / "9254000"
    est = pd.read_parquet(slice_ / "ks4_estimates.parquet")
    current = pd.read_parquet(slice_ / "ks4_current.parquet")
    year11 = set(current.loc[current["year_group"].astype(str) == "11", "upn"])
    maths = est[est["upn"].isin(year11) & (est["subject"] == "Mathematics")]
    assert (maths[maths["challenge"] == "chosen"]["percentile"] == 95).all()
    saved = pd.read_parquet(slice_ / "ks4_targets.parquet").set_index(["upn", "subject"])
    assert saved.loc[(upn, "Mathematics"), "target"] == "9"


def test_every_key_stage_estimates_through_one_located_interface(run):
    """Primary and KS4 what-if states share one ``estimates`` (the located pupils' ``predict``); the KS4 model's
    ``chance_at_least`` is the chance the target review reports (``targets_against_estimates``), hand-checked on
    one pupil: the sum of the grade shares from the target up."""
    from toolkit.methods import ks4_estimates
    from toolkit.whatif import Ks4WhatIf, WhatIf
    from toolkit.whatif.state import WhatIfState

    assert WhatIf.estimates is WhatIfState.estimates and Ks4WhatIf.estimates is WhatIfState.estimates
    state = Ks4WhatIf.open(run, "9254000")
    _, located = state._located[11]
    assert located.subjects[:2] == ("English Language", "English Literature")
    pupils, est = state.estimates(11)
    maths = est[est["subject"] == "Mathematics"].set_index("upn").reindex(pupils["upn"])
    cut = np.where(maths["estimate"].notna(), 6.0, np.nan)
    chance = located.chance_at_least("Mathematics", cut, 50)
    targets = pd.DataFrame({"upn": maths.index[maths["estimate"].notna()], "subject": "Mathematics", "target": "6"})
    review = ks4_estimates.targets_against_estimates(targets, maths.reset_index()).set_index("upn")["chance"]
    got = pd.Series(chance, index=pupils["upn"].to_numpy()).dropna()
    assert len(got) > 50 and np.allclose(got.reindex(review.index), review)
    first = maths.dropna(subset=["estimate"]).iloc[0]
    assert got.iloc[0] == pytest.approx(sum(first[f"chance_{g}"] for g in ("6", "7", "8", "9")))


def _report_keys(run_dir: Path, data: Path) -> dict[tuple[str, str], str]:
    from toolkit.pack.plan import plan_tasks
    from toolkit.pack.versions import code_version

    run = PreparedRun(run_dir)
    tasks = plan_tasks(
        run,
        run_dir.parent / "pack",
        run.school_ids(),
        ["estimates", "targets", "va"],
        ("html",),
        "FFT50",
        "toolkit",
        code_version(),
    )
    return {(t.school_id, t.report): t.key for t in tasks}


@pytest.mark.slow
def test_saved_settings_and_targets_change_the_next_report_pack(run, pack_data, tmp_path):
    again = tmp_path / "again" / "prepared"
    state = WhatIf.open(run)
    other = next(s for s in PreparedRun(run).school_ids() if s != state.school_id)
    two = [state.school_id, other]  # the school whose settings change, and one whose must not
    prepare(find_inputs(pack_data), again, schools=two, say=lambda m: None)
    before = _report_keys(again, pack_data)
    upn = state.estimates(6)[0]["upn"].iloc[0]
    state.set_level(6, "maths", "FFT5")
    state.set_target(upn, "maths", "A+")
    settings, targets = state.save()
    # School state lives in the state folder (TOOLKIT_STATE), never under parameters/.
    assert settings == Path(os.environ["TOOLKIT_STATE"]) / "schools" / f"{state.school_id}.yaml"
    assert targets.parent == settings.parent
    assert not (ROOT / "parameters" / "schools").exists()
    assert yaml.safe_load(settings.read_text())["challenge"]["year_groups"][6]["maths"] == "FFT5"
    prepare(find_inputs(pack_data), again, schools=two, say=lambda m: None)
    est = pd.read_parquet(again / "slices" / state.school_id / "estimates_ks2.parquet")
    chosen, fft5 = (est[est["challenge"] == c].set_index("upn") for c in ("chosen", "FFT5"))
    year6 = state.estimates(6)[0]["upn"]
    assert (chosen.loc[year6, "maths_p_expected"] == fft5.loc[year6, "maths_p_expected"]).all()
    pupils = pd.read_parquet(again / "slices" / state.school_id / "pupils.parquet").set_index("upn")
    assert pupils.loc[upn, "target_maths"] == "A+"
    # Saving one school's settings changes that school's report keys and no other school's.
    after = _report_keys(again, pack_data)
    assert before.keys() == after.keys() and len({s for s, _ in before}) > 1
    for (school, report), key in before.items():
        assert (after[(school, report)] != key) == (school == state.school_id), (school, report)


def test_presenter_mode_hides_identifiers(run):
    state = WhatIf.open(run, presenter=True)
    table = state.pupil_table(6, "reading")
    assert table["Pupil"].str.fullmatch(r"Pupil \d\d").all()
    page = state.view(6, "reading")["pupils"]
    assert not any(name in page for name in state.pupils["surname"])
    app = WhatIfApp(run, presenter=True)
    assert all(label.startswith("School ") for label, _ in app.school.options)


TOKEN = "test-token-for-the-dashboard"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def dashboard(run, request):
    port = free_port()
    extra = ["--presenter"] if getattr(request, "param", "") == "presenter" else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "dashboard", "--run", str(run), "--port", str(port), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TOOLKIT_DASHBOARD_TOKEN": TOKEN},
    )
    url = f"http://127.0.0.1:{port}/?token={TOKEN}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read().decode()) from None
            time.sleep(0.5)
    # the token is in no process's command line, where every local user reads it with ps
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        with contextlib.suppress(OSError):
            assert TOKEN.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes()
    # without the token, nobody else on the machine reads the pupils
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
        assert "/login" in answer.geturl() and b"whatif" not in answer.read()  # sent to the login page
    yield url
    proc.send_signal(signal.SIGTERM)  # to the toolkit command only: it stops the Voila server it started
    proc.wait(timeout=30)
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=5)


def test_a_taken_port_is_a_sentence_not_a_url_to_another_program(run, capsys):
    """With the port taken, Voila moved to another and the printed address led to whatever held the first."""
    from toolkit.cli import main

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        assert main(["dashboard", "--run", str(run), "--port", str(port)]) == 2
    said = capsys.readouterr().err
    assert f"another program is using port {port}" in said and "token=" not in said


@contextlib.contextmanager
def opened(url: str, width: int, height: int):
    """A page of Debian's Chromium (through Playwright) at ``url`` in a ``width`` x ``height`` window."""
    from playwright.sync_api import sync_playwright

    from toolkit.pack.render import chromium_path

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        try:
            yield page
        finally:
            browser.close()


@pytest.mark.slow
def test_dashboard_in_a_real_browser(dashboard, tmp_path):
    with opened(dashboard, 1300, 1000) as page:
        shown = page.locator(".whatif-expected")
        shown.wait_for(timeout=120_000)
        before = pct(shown.inner_text())
        assert "FFT50" in page.locator(".whatif-headline").inner_text()
        page.get_by_role("button", name="FFT5", exact=True).click()
        page.wait_for_function(
            "() => document.querySelector('.whatif-headline').innerText.includes('at FFT5:')", timeout=30_000
        )
        after = pct(page.locator(".whatif-expected").inner_text())
        page.screenshot(path=str(tmp_path / "what_if.png"), full_page=True)
    assert after > before
    assert (tmp_path / "what_if.png").stat().st_size > 20_000


@pytest.mark.slow
@pytest.mark.parametrize("dashboard", ["presenter"], indirect=True)
def test_presenter_mode_suits_a_webinar_at_1280_by_720(dashboard, tmp_path):
    """A large headline, one line defining the level, the selected level visibly marked, Percentile selectable
    (even at 50, which FFT50 also is), the pupil table one click away at 1280x720, and no Save button."""
    with opened(dashboard, 1280, 720) as page:
        big = page.locator(".whatif-big .whatif-expected")
        big.wait_for(timeout=120_000)
        assert float(big.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 30
        assert "average school" in page.locator(".whatif-definition").inner_text()
        assert page.get_by_role("button", name="Save settings and targets").count() == 0
        selected = page.locator(".widget-toggle-button.mod-active")
        assert selected.inner_text().strip() == "FFT50"
        assert selected.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 114, 178)"
        page.get_by_role("button", name="Percentile", exact=True).click()
        page.wait_for_function(
            "() => document.querySelector('.whatif-definition').innerText.startsWith('FFT50') === false"
            " || document.querySelector('.widget-toggle-button.mod-active').innerText.trim() === 'Percentile'",
            timeout=30_000,
        )
        page.wait_for_timeout(1000)
        assert page.locator(".widget-toggle-button.mod-active").inner_text().strip() == "Percentile"
        page.screenshot(path=str(tmp_path / "presenter.png"))
        page.get_by_role("tab", name="Pupils").click()
        first = page.locator("table.tk.long tbody tr").first
        first.wait_for(timeout=30_000)
        box = first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 720, box
        assert first.locator("td").first.inner_text().startswith("Pupil ")
        page.screenshot(path=str(tmp_path / "presenter_pupils.png"))


def test_presenter_mode_on_real_data_is_refused_in_a_sentence(run, capsys, monkeypatch):
    from toolkit.cli import main
    from toolkit.pipeline.store import PreparedRun
    from toolkit.whatif import app

    prepared = PreparedRun(run)
    school = prepared.school_ids()[0]
    info_file = prepared.slice_dir(school) / "school.json"
    original = info_file.read_text()
    info_file.write_text(original.replace('"synthetic": true', '"synthetic": false'))
    try:
        assert main(["dashboard", "--run", str(run), "--school", school, "--presenter"]) == 1
        assert (
            f"Presenter mode shows synthetic pupils only, and {school} is real school data" in capsys.readouterr().err
        )
        shown = app(run, school, presenter=True)  # in the notebook too: a sentence on screen, not a cell error
        assert "synthetic" in shown.value and "Traceback" not in shown.value
    finally:
        info_file.write_text(original)
