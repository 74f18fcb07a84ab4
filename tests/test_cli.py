"""The toolkit command: help texts, synth, check."""
import subprocess
import sys

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
    done = subprocess.run([sys.executable, "-m", "toolkit", "synth", "national", "--help"],
                          capture_output=True, text=True, check=True)
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
