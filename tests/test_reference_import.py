"""`toolkit reference import`: the DfE's own Progress 8 tables, as the DfE publishes them (tests/fixtures/dfe/),
become a parameter folder that swaps the year in with no code change."""

from pathlib import Path

import pandas as pd
import pytest
from test_ks4 import EXAMPLES  # the hand-worked pupils: "full" has A8 56

from toolkit import parameters
from toolkit.cli import main
from toolkit.scales import make_upn

FIXTURES = Path(__file__).parent / "fixtures" / "dfe"


def imported(tmp_path: Path, year: str, summer: int) -> Path:
    out = tmp_path / f"p8_{summer}"
    assert main(["reference", "import", str(FIXTURES / year / "p8_att8_splits.csv"), "--kind", "p8",
                 "--year", str(summer), "--out", str(out)]) == 0  # fmt: skip
    return out


def test_the_dfes_2023_24_table_imports_as_the_bundled_model(tmp_path, capsys):
    out = imported(tmp_path, "p8_2023-24", 2024)
    assert "34 KS2 groups (KS2 59 to 120)" in capsys.readouterr().err
    got = pd.read_csv(out / "ks4" / "progress8_model_2023-24.csv")
    bundled = parameters.load_csv("ks4/progress8_model_2023-24.csv")
    numbers = [c for c in got.columns if c not in ("status", "source")]
    assert (got[numbers].to_numpy() == bundled[numbers].astype(float).to_numpy()).all()


def test_a_year_swapped_in_scores_on_its_own_model_with_no_code_change(tmp_path, monkeypatch, capsys):
    """KS4 2023 on the DfE's 2022/23 model: prior 100.5 is group 15, whose 2022/23 estimate is 38.08 (2023/24:
    37.27), so A8 56 is P8 (56 - 38.08) / 10 = 1.792 (1.873 on 2023/24); labelled official, with the 2022/23 SDs."""
    out = imported(tmp_path, "p8_2022-23", 2023)
    upn = make_upn(925, 4000, 2012, 1)
    pupils = tmp_path / "pupils.csv"
    pupils.write_text(
        "upn,school_id,forename,surname,dob,gender,year_group,ks2_reading,ks2_maths\n"
        f"{upn},9254000,Ann,Lee,2007-03-04,F,11,100,101\n"
    )
    results = tmp_path / "results.csv"
    results.write_text(
        "upn,school_id,subject,grade\n" + "".join(f"{upn},9254000,{s},{g}\n" for s, g in EXAMPLES["full"])
    )
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(out))
    model = pd.read_csv(out / "ks4" / "progress8_model_2022-23.csv").set_index("group")
    assert model.loc[15, "ks2_low"] == 100.5 and model.loc[15, "a8"] == pytest.approx(38.08)
    argv = ["ks4", "--pupils", str(pupils), "--results", str(results), "--year", "2023", "--out", str(tmp_path / "k")]
    assert main(argv) == 0
    scored = pd.read_csv(tmp_path / "k" / "pupils.csv").iloc[0]
    school = pd.read_csv(tmp_path / "k" / "schools.csv").iloc[0]
    assert scored["a8"] == 56 and scored["p8"] == pytest.approx((56 - 38.08) / 10)
    assert school["p8_status"] == "official"
    assert parameters.load_yaml("ks4.yaml")["thresholds"] == {"standard_pass": 4, "strong_pass": 5}  # bundled keys
    assert parameters.load_yaml("ks4.yaml")["sd"]["p8"] == pytest.approx(1.414023)  # the 2022/23 SD


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda t: t.replace("Attainment 8 average", "Score"), "no column for attainment 8 average"),
        (lambda t: t.replace("59 to 82", "59-82"), "written as the DfE writes it, e.g. 59 to 82"),
    ],
    ids=["a column renamed", "a range in another form"],
)
def test_a_table_not_in_the_dfes_layout_is_a_sentence(change, expected, tmp_path, capsys):
    text = (FIXTURES / "p8_2023-24" / "p8_att8_splits.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "t.csv").write_text(change(text))
    argv = ["reference", "import", str(tmp_path / "t.csv"), "--kind", "p8", "--year", "2024", "--out"]
    assert main([*argv, str(tmp_path / "o")]) == 1
    said = capsys.readouterr().err
    assert expected in said and "Traceback" not in said
