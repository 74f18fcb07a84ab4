"""Every benchmark in bench/ runs at a tiny size, so none can rot; its full-size numbers are in
docs/performance.md. Nothing here times anything: it checks each script still runs and prints its lines."""

import importlib.util
import re
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def bench(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seconds(text: str, label: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(label))
    return float(re.search(r"([\d.]+) (s|ms)\b", line).group(1))


def test_every_bench_script_is_covered_here():
    covered = {
        "bench_synth",
        "bench_ks5",
        "bench_ks4",
        "bench_estimates",
        "bench_whatif",
        "bench_reports",
        "bench_scale",
        "bench_ctf",
        "bench_attendance",
    }
    assert {p.stem for p in BENCH.glob("bench_*.py")} == covered


def test_bench_synth_tiny(capsys):
    bench("bench_synth").main(3_000)
    out = capsys.readouterr().out
    assert seconds(out, "generate total") >= 0 and "pupils/s" in out


def test_bench_ks5_tiny(capsys):
    bench("bench_ks5").main(2_000)
    out = capsys.readouterr().out
    assert seconds(out, "fit level 3 VA bands") >= 0 and "schools)" in out


def test_bench_ks4_tiny(capsys):
    result = bench("bench_ks4").main(3_000)
    out = capsys.readouterr().out
    assert seconds(out, "A8, P8") >= 0 and "pupils/s" in out and abs(result["national_p8"]) < 0.1


def test_bench_estimates_tiny(capsys):
    bench("bench_estimates").main(21_000)
    out = capsys.readouterr().out
    assert seconds(out, "fit + estimate") > 0 and "(no refit)" in out


@pytest.mark.slow
def test_bench_whatif_tiny(capsys):
    worst = bench("bench_whatif").main(reference=21_000, schools=2)
    out = capsys.readouterr().out
    assert worst > 0 and "update after a change" in out and "secondary, Year 11" in out


@pytest.mark.slow
def test_bench_reports_tiny(capsys):
    result = bench("bench_reports").main(n_schools=1, reference=21_000, reports=["va"])
    assert result["reports"] == 1 and result["ratio"] > 0 and result["floor_s"] > 0
    out = capsys.readouterr().out
    assert "speed-up on the naive loop" in out and "--jobs 1 against the floor" in out


@pytest.mark.slow
def test_bench_scale_tiny(capsys):
    result = bench("bench_scale").main(sizes=(1,), reference=21_000, pack=True, partitioned=True, pack_reports=["va"])
    out = capsys.readouterr().out
    assert set(result["seconds"]) == {1} and "projected 16,800 primaries" in out and result["per_school"] > 0
    alone = result["one_school"][1]
    assert alone["csv"]["peak_mb"] > 0 and alone["partitioned"]["seconds"] > 0 and "from partitioned" in out
    assert result["reports"][1] == 1 and "pack (prepare and start-up included)" in out


def test_bench_ctf_tiny(capsys):
    result = bench("bench_ctf").main(schools=2, per_school=30)
    out = capsys.readouterr().out
    assert result["pupils"] == 60 and result["pupils_per_s"] > 0 and "parse (streaming)" in out


def test_bench_attendance_tiny(capsys):
    result = bench("bench_attendance").main(schools=2, pupils=10, sessions=20)
    out = capsys.readouterr().out
    assert result["marks"] == 400 and result["marks_per_s"] > 0 and "aggregate to pupil x term" in out
