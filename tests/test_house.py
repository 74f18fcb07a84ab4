"""The house rules: the layer contract, lint and format, and a wheel that runs outside the checkout."""

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from toolkit import locations, parameters

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*command: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, **kw)


def test_the_layer_contract_holds():
    result = run(str(BIN / "lint-imports"), "--no-cache", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert any(c["type"] == "layers" for c in contracts) and any(c["type"] == "forbidden" for c in contracts)


def test_ruff_lint_and_format_pass():
    lint = run(str(BIN / "ruff"), "check", "toolkit", "tests", "bench", cwd=ROOT)
    assert lint.returncode == 0, lint.stdout
    fmt = run(str(BIN / "ruff"), "format", "--check", "toolkit", "tests", "bench", cwd=ROOT)
    assert fmt.returncode == 0, fmt.stdout


def test_locations_follow_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLKIT_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("TOOLKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(tmp_path / "params"))
    assert locations.school_state_dir() == tmp_path / "state" / "schools"
    assert locations.cache_dir() == tmp_path / "cache"
    assert locations.parameters_dir() == tmp_path / "params"
    assert parameters.path("scales/ks2.yaml").parent == locations.bundled_parameters() / "scales"  # falls back
    monkeypatch.delenv("TOOLKIT_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert locations.state_dir() == tmp_path / "xdg" / "toolkit"  # the platform's place (platformdirs)
    assert locations.notebooks_dir() == ROOT / "notebooks" and locations.checkout() == ROOT


@pytest.mark.slow
def test_the_wheel_runs_outside_the_checkout(tmp_path):
    """Build the wheel, unpack it on PYTHONPATH (the dependencies are .venv's, nothing is downloaded) and run the
    demo's commands from a folder outside the checkout."""
    built = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        str(ROOT),
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-q",
        "-w",
        str(tmp_path / "dist"),
    )
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next((tmp_path / "dist").glob("toolkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "toolkit/_bundled/parameters/scales/ks2.yaml" in names
    assert "toolkit/_bundled/notebooks/va.ipynb" in names and "hatch_build.py" not in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}

    def toolkit(*args: str) -> str:
        result = run(sys.executable, "-m", "toolkit", *args, cwd=work, env=env)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result.stdout + result.stderr

    where = run(
        sys.executable,
        "-c",
        "import toolkit, toolkit.locations as l; print(toolkit.__file__); "
        "print(l.parameters_dir()); print(l.notebooks_dir()); print(l.checkout())",
        cwd=work,
        env=env,
    )
    lines = where.stdout.split()
    assert all(line.startswith(str(site)) for line in lines[:3]), where.stdout + where.stderr
    assert lines[3] == "None"
    toolkit(
        "synth", "national", "--pupils", "21000", "--year", "2026", "--seed", "3", "--out", "data/national_2026.parquet"
    )
    toolkit(
        "synth", "schools", "--schools", "2", "--year", "2027", "--seed", "7", "--no-secondary", "--out", "data/trust"
    )
    assert "no problems" in toolkit("check", "data/trust/pupils.csv")
    said = toolkit("reports", "--data", "data/trust", "--reports", "estimates,va", "--formats", "html", "--out", "run")
    assert "0 failed" in said
    manifest = (work / "run" / "manifest.json").read_text()
    assert '"git_commit": null' in manifest and '"version": "' in manifest
    assert list((work / "run" / "reports").rglob("*_va.html"))


def test_a_relative_run_folder_is_found_from_notebooks_too(tmp_path, monkeypatch):
    """JupyterLab starts a notebook's kernel in notebooks/: its default run_dir outputs/demo/run/prepared is then
    found under the checkout (it raised 'not a prepared run' there)."""
    from toolkit.pipeline.store import PreparedRun

    (tmp_path / "outputs" / "demo" / "run" / "prepared").mkdir(parents=True)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.setattr(locations, "checkout", lambda: tmp_path)
    monkeypatch.chdir(tmp_path / "notebooks")
    assert PreparedRun("outputs/demo/run/prepared").root == tmp_path / "outputs" / "demo" / "run" / "prepared"
    assert locations.existing("elsewhere/new") == Path("elsewhere/new")  # a new folder stays where it was asked
    monkeypatch.chdir(tmp_path)
    assert PreparedRun("outputs/demo/run/prepared").root == Path("outputs/demo/run/prepared")  # the cwd's first
