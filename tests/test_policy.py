"""The policy calendar (parameters/policy/measures.yaml) and `toolkit va` keeping to it."""

import pandas as pd
import pytest

from toolkit.cli import main
from toolkit.methods import policy


@pytest.mark.parametrize(
    "measure, year, state",
    [
        (policy.KS1_KS2, 2019, policy.PUBLISHED),
        (policy.KS1_KS2, 2021, policy.NONE),
        (policy.KS1_KS2, 2022, policy.CALCULATED),
        (policy.KS1_KS2, 2023, policy.PUBLISHED),
        (policy.KS1_KS2, 2024, policy.NONE),
        (policy.KS1_KS2, 2025, policy.NONE),
        (policy.KS1_KS2, 2026, policy.PUBLISHED),
        (policy.KS1_KS2, 2027, policy.PUBLISHED),
        (policy.KS1_KS2, 2028, policy.NONE),
        (policy.RBA_KS2, 2027, policy.NONE),
        (policy.RBA_KS2, 2028, policy.PUBLISHED),
        (policy.PROGRESS_8, 2024, policy.PUBLISHED),
        (policy.PROGRESS_8, 2025, policy.NONE),
        (policy.PROGRESS_8, 2026, policy.NONE),
        (policy.PROGRESS_8, 2027, policy.PUBLISHED),
        (policy.EBACC, 2024, policy.PUBLISHED),
        (policy.EBACC, 2025, policy.PUBLISHED),
        (policy.EBACC, 2026, policy.NONE),  # withdrawn from the performance tables (November 2025)
        (policy.EBACC, 2030, policy.NONE),
    ],
)
def test_calendar_matches_the_published_policy(measure, year, state):
    entry = policy.status(measure, year)
    assert entry.status == state
    assert entry.source
    assert bool(entry.reason) or state == policy.PUBLISHED


def test_reasons_say_why_and_unknown_years_are_refused():
    assert "2021 KS1 assessments were cancelled" in policy.status(policy.KS1_KS2, 2025).refusal()
    assert (
        policy.status(policy.KS1_KS2, 2025)
        .refusal()
        .startswith("The DfE publishes no KS1-KS2 progress for KS2 2025: the 2021 KS1")
    )
    with pytest.raises(ValueError, match="no entry for KS1-KS2 progress in 2012"):
        policy.status(policy.KS1_KS2, 2012)
    assert policy.baseline_years(policy.KS1_KS2, [2022, 2023, 2024, 2025, 2026]) == [2026, 2023, 2022]


@pytest.fixture()
def cohort_2026(trust):
    return trust.past[2026].copy()


def run_va(tmp_path, frame, *extra):
    pupils = tmp_path / "ks2.csv"
    frame.to_csv(pupils, index=False)
    out = tmp_path / "va.csv"
    code = main(
        ["va", "--reference", str(tmp_path.parent / "ref.parquet"), "--pupils", str(pupils), "--out", str(out), *extra]
    )
    return code, out


@pytest.fixture()
def reference(national_200k, tmp_path):
    national_200k.pupils.head(40_000).to_parquet(tmp_path.parent / "ref.parquet", index=False)


def test_va_refuses_a_year_without_a_measure(reference, cohort_2026, tmp_path, capsys):
    code, out = run_va(tmp_path, cohort_2026.assign(academic_year=2025))
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err
    assert "The DfE publishes no KS1-KS2 progress for KS2 2025: the 2021 KS1 assessments were cancelled" in err
    assert "--unofficial" in err


def test_unofficial_labels_every_row(reference, cohort_2026, tmp_path, capsys):
    code, out = run_va(tmp_path, cohort_2026.assign(academic_year=2025), "--unofficial")
    assert code == 0
    va = pd.read_csv(out)
    assert set(va["status"]) == {"not an official measure"} and set(va["year"]) == {2025}
    official, out2 = run_va(tmp_path, cohort_2026)
    assert official == 0 and set(pd.read_csv(out2)["status"]) == {"official"}


def test_no_baseline_means_no_measure_even_unofficially(reference, cohort_2026, tmp_path, capsys):
    no_ks1 = cohort_2026.drop(columns=[c for c in cohort_2026 if c.startswith("ks1_")]).assign(academic_year=2025)
    code, out = run_va(tmp_path, no_ks1, "--unofficial")
    assert code == 1 and not out.exists()
    assert "no pupil has a KS1 result, so there is no KS1-KS2 progress to calculate, official or not" in (
        capsys.readouterr().err
    )


def test_the_year_comes_from_the_option_or_the_file(reference, cohort_2026, tmp_path, capsys):
    code, _ = run_va(tmp_path, cohort_2026.drop(columns="academic_year"))
    assert code == 2 and "give it with --year" in capsys.readouterr().err
    code, out = run_va(tmp_path, cohort_2026.drop(columns="academic_year"), "--year", "2024")
    assert code == 1 and "KS2 2024: the 2020 KS1 assessments were cancelled" in capsys.readouterr().err
    code, out = run_va(tmp_path, cohort_2026.drop(columns="academic_year"), "--year", "2023")
    assert code == 0 and set(pd.read_csv(out)["year"]) == {2023}


def test_ebacc_achievement_is_not_reported_in_a_year_without_the_measure(monkeypatch):
    """From 2026 the EBacc is no accountability measure: 9-4 / 9-5 achievement left out, entry a curriculum figure."""
    from toolkit.reports import ks4_views

    assert ks4_views.ebacc_withdrawn([2024, 2025, 2026, 2027]) == [2026, 2027]
    assert "withdrew the EBacc measures" in policy.status(policy.EBACC, 2026).reason

    class School:
        pass

    scores = pd.DataFrame({"academic_year": [2025, 2026], **{m: [40.0, 42.0] for m in ks4_views.HEADLINES}})
    monkeypatch.setattr(ks4_views, "_scores", lambda school: scores)  # the one table headline_table reads
    table = ks4_views.headline_table(School()).set_index("Measure")
    assert table.loc["% EBacc 9-4", "2025"] == 40.0 and pd.isna(table.loc["% EBacc 9-4", "2026"])
    assert table.loc["% entering the EBacc (curriculum figure)", "2026"] == 42.0


def test_a_progress8_year_scored_on_another_years_model_is_a_projection(monkeypatch):
    """KS4 2027 was labelled 'official' though scored on the 2023/24 table; every year from 2027 had the baseline
    'KS2 2022'."""
    from toolkit.methods import ks4
    from toolkit.scales import gcse

    assert ks4.p8_label(2024) == "official"
    assert ks4.p8_label(2027) == "projection on the DfE's 2023/24 model"
    assert ks4.p8_label(2023) == "projection on the DfE's 2023/24 model"  # 2023's own table is not the one loaded
    assert ks4.p8_label(2025) == policy.label(policy.NONE)
    assert policy.status(policy.PROGRESS_8, 2027).baseline == "KS2 2022 scaled scores"
    assert policy.status(policy.PROGRESS_8, 2028).baseline == "KS2 2023 scaled scores"
    loaded = gcse.ks4_parameters()
    monkeypatch.setattr(gcse, "ks4_parameters", lambda: {**loaded, "model_year": 2027, "model": "ks4/p8_2027.csv"})
    assert ks4.p8_label(2027) == "official" and ks4.model_file() == "parameters/ks4/p8_2027.csv"
