"""The toolkit command: help texts, synth, check."""

import subprocess
import sys

import pandas as pd
import pytest

from toolkit.cli import main


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for word in ("synth national", "synth schools", "check"):
        assert word in out


def test_python_dash_m_works():
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "synth", "national", "--help"], capture_output=True, text=True, check=True
    )
    assert "--pupils" in done.stdout and "--seed" in done.stdout


def test_synth_then_check(tmp_path, capsys):
    out = tmp_path / "nat.parquet"
    assert main(["synth", "national", "--pupils", "1500", "--year", "2026", "--seed", "9", "--out", str(out)]) == 0
    assert out.exists() and (tmp_path / "nat_schools.csv").exists()
    assert main(["check", str(out)]) == 0
    assert "1,500 pupils" in capsys.readouterr().out


def test_check_reports_problems_and_fails(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("upn,school_id,forename,surname,dob,gender,year_group\nX1,8012000,A,B,2015-01-01,F,6\n")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "UPN must be 13 characters long. Column: upn. Row: 2" in err


@pytest.fixture(scope="module")
def reference_file(national_200k, tmp_path_factory):
    path = tmp_path_factory.mktemp("ref") / "reference.parquet"
    national_200k.pupils.head(30_000).to_parquet(path, index=False)
    return path


def test_estimates_command_writes_the_named_columns(reference_file, trust, tmp_path, capsys):
    pupils = tmp_path / "pupils.csv"
    trust.past[2026].to_csv(pupils, index=False)
    out = tmp_path / "est.csv"
    assert (
        main(
            [
                "estimates",
                "--reference",
                str(reference_file),
                "--pupils",
                str(pupils),
                "--challenge",
                "FFT20",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    est = pd.read_csv(out)
    assert len(est) == len(trust.past[2026]) and est["upn"].is_unique
    for subject in ("reading", "writing", "maths", "gps"):
        for col in ("estimate", "estimate_low", "estimate_high", "p_expected", "p_high", "band"):
            assert f"{subject}_{col}" in est
    assert {"reading_p_A+", "writing_p_N", "rwm_p_expected"} <= set(est.columns)
    assert "challenge 80" in capsys.readouterr().err


def test_estimates_command_refuses_a_bad_challenge(capsys):
    with pytest.raises(SystemExit):
        main(["estimates", "--reference", "r", "--pupils", "p", "--challenge", "FFT10", "--out", "o"])
    assert "give FFT50, FFT20, FFT5 or a percentile from 1 to 99" in capsys.readouterr().err


def test_va_command(reference_file, trust, tmp_path):
    pupils = tmp_path / "ks2.csv"
    trust.past[2026].to_csv(pupils, index=False)
    out = tmp_path / "va.csv"
    assert main(["va", "--reference", str(reference_file), "--pupils", str(pupils), "--out", str(out)]) == 0
    va = pd.read_csv(out, dtype={"school_id": str})
    assert (
        set(va["school_id"])
        == set(trust.past[2026]["school_id"])
        == set(trust.schools.loc[trust.schools["phase"] == "Primary", "school_id"])
    )
    assert {"subject", "pupils", "score", "ci_low", "ci_high"} <= set(va.columns)
