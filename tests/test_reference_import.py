"""`toolkit reference import`: the DfE's own Progress 8 tables, transition matrices and L3VA workbook, as the DfE
publishes them (tests/fixtures/dfe/), become a parameter folder that swaps the year in with no code change."""

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


def run_import(tmp_path: Path, kind: str, year: int, *files: Path) -> Path:
    out = tmp_path / f"{kind}_{year}"
    argv = ["reference", "import", *map(str, files), "--kind", kind, "--year", str(year), "--out", str(out)]
    assert main(argv) == 0
    return out


def numbers(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["ks2_group", "subject"] if "subject" in frame else ["ks2_group"]
    values = frame.drop(columns=["status", "source"]).set_index(keys)
    return values.apply(lambda c: pd.to_numeric(c.replace("", None))).astype(float)


def test_the_dfes_2023_24_transition_matrices_import_as_the_bundled_tables(tmp_path, capsys):
    """The statistics release's layout (grades and combined science pairs in one file, a Total breakdown)."""
    folder = FIXTURES / "transition_2023-24"
    out = run_import(tmp_path, "transition", 2024, folder / "gcse_subjects_2024.csv", folder / "ks4_measures_2024.csv")
    said = capsys.readouterr().err
    assert "4 GCSE subjects in 13 KS2 groups, 629,207 pupils" in said and "The year has" not in said
    got = numbers(pd.read_csv(out / "ks4" / "transition_2024.csv", dtype=str, keep_default_na=False))
    bundled = numbers(parameters.load_csv("ks4/transition_2024.csv")).loc[got.index]
    pd.testing.assert_frame_equal(got, bundled)
    groups = numbers(pd.read_csv(out / "ks4" / "ks2_groups_2024.csv", dtype=str, keep_default_na=False))
    pd.testing.assert_frame_equal(groups, numbers(parameters.load_csv("ks4/ks2_groups_2024.csv")))


def test_the_2022_23_matrices_in_the_dashboards_layout_swap_in_with_no_key_error(tmp_path, monkeypatch, capsys):
    """2022/23 is published as three files (grades, combined science pairs, measures) with no "No scaled score"
    group and no Total row. KS2 group 100 - 102 took combined science 51,517 times (excluding X): 5-4 832 ... ; the
    share of single grades at 4 is (4-3 pairs 9,242 + 2 x 4-4 pairs 7,024 + 5-4 pairs 6,042) / (2 x entries)."""
    from toolkit.methods import ks4_estimates

    folder = FIXTURES / "transition_2022-23"
    out = run_import(tmp_path, "transition", 2023, *sorted(folder.glob("*.csv")))
    said = capsys.readouterr().err
    assert "The year has no 'No scaled score' group" in said and "combined science" not in said.split("The year")[1]
    groups = pd.read_csv(out / "ks4" / "ks2_groups_2023.csv")
    total = groups.set_index("ks2_group").loc["Total"]
    assert total["pupils"] == groups["pupils"].iloc[:-1].sum() and "summed from the groups" in total["source"]
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(out))
    table = ks4_estimates.transition().set_index(["ks2_group", "subject"])
    cs = table.loc[("100 - 102", "Combined Science")]
    entries = cs["entries"]
    assert entries == 51517 - 483  # all_grades less the XX pairs
    shares = ks4_estimates.distributions(["Combined Science"])[("100 - 102", "Combined Science")]
    assert shares[4] == pytest.approx((9242 + 2 * 7024 + 6042) / (2 * entries))
    pupils = pd.DataFrame(
        {"upn": ["a", "b"], "ks2_reading": [None, "101"], "ks2_maths": [None, "101"], "academic_year": [2027] * 2,
         "year_group": ["11", "11"]}
    )  # fmt: skip
    subjects = pd.DataFrame({"upn": ["a", "a", "b"], "subject": ["Mathematics", "Combined Science", "History"]})
    est = ks4_estimates.estimates(pupils, subjects, {"FFT50": 50})
    assert len(est) == 3 and est["estimate"].between(0, 9).all()
    assert ks4_estimates.gaps() == [
        "The transition matrices (ks4/transition_2023.csv) have no 'No scaled score' group: its pupils are estimated "
        "from the national shares of all pupils in each subject"
    ]


def test_the_dfes_l3va_workbook_imports_as_the_bundled_curves(tmp_path, monkeypatch, capsys):
    """The DfE's 2025 step 5 workbook (sheets national_bands and subject_variance; fixture: two A level and two AS
    subjects). The bundled A level table was written rounded to 6 figures; the import keeps the DfE's digits."""
    from toolkit.methods.value_added import Level3ValueAdded

    out = run_import(tmp_path, "l3va", 2025, FIXTURES / "l3va_2025" / "2025A_l3va_step5_outputs.xlsx")
    assert "2 A level subjects, 2 AS subjects" in capsys.readouterr().err
    for qualification in ("a_level", "as_level"):
        got = pd.read_csv(out / "ks5" / f"l3va_{qualification}_2025.csv", dtype={"qual_id": str}).set_index("qual_id")
        bundled = parameters.load_csv(f"ks5/l3va_{qualification}_2025.csv").set_index("qual_id").loc[got.index]
        columns = [c for c in got if c.startswith(("x_", "y_")) or c in ("number_of_cases", "sd")]
        assert list(got["subject"]) == list(bundled["subject"])
        assert got[columns].to_numpy() == pytest.approx(bundled[columns].astype(float).to_numpy(), abs=5e-5)
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(out))
    model = Level3ValueAdded.published()
    assert sorted(model.bands_.groupby(["qualification", "subject"]).groups) == [
        ("A level", "Biology"), ("A level", "Mathematics"), ("AS", "Biology"), ("AS", "Mathematics")
    ]  # fmt: skip
    assert parameters.load_yaml("ks5.yaml")["value_added"]["bands"] == 20  # the bundled keys stay


@pytest.mark.parametrize(
    "kind, files, expected",
    [
        ("transition", ["transition_2023-24/ks4_measures_2024.csv"], "Also give the GCSE subjects file"),
        ("transition", ["p8_2023-24/p8_att8_splits.csv"], "Not one of the DfE's transition-matrix files"),
        ("l3va", ["p8_2023-24/p8_att8_splits.csv"], "Not a readable Excel workbook"),
    ],
    ids=["measures without grades", "another table", "not the workbook"],
)
def test_a_file_that_is_not_the_kind_asked_for_is_a_sentence(kind, files, expected, tmp_path, capsys):
    argv = ["reference", "import", *(str(FIXTURES / f) for f in files), "--kind", kind, "--year", "2024"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 1
    said = capsys.readouterr().err
    assert expected in said and "Traceback" not in said
