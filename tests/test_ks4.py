"""Attainment 8 slot rules and Progress 8 on the DfE's published 2023/24 model, against hand-worked examples."""

import numpy as np
import pandas as pd
import pytest

from toolkit.methods import ks4
from toolkit.scales import gcse


def results(rows: dict[str, list[tuple[str, str]]]) -> pd.DataFrame:
    return pd.DataFrame([{"upn": upn, "subject": s, "grade": g} for upn, entries in rows.items() for s, g in entries])


EXAMPLES = {
    # both Englishes (6 doubled, the 5 to open), maths 7, combined science 6-5 (two EBacc slots), history 4;
    # French 3 is left for the open slots with English literature 5, art 7 and music 2.
    "full": [
        ("English Language", "6"),
        ("English Literature", "5"),
        ("Mathematics", "7"),
        ("Combined Science", "6-5"),
        ("History", "4"),
        ("French", "3"),
        ("Art and Design", "7"),
        ("Music", "2"),
    ],
    # one English only: counted once; three separate sciences and geography compete for the EBacc slots.
    "one English": [
        ("English Language", "5"),
        ("Mathematics", "4"),
        ("Biology", "6"),
        ("Chemistry", "5"),
        ("Physics", "4"),
        ("Geography", "7"),
        ("Drama", "6"),
    ],
    # history entered twice (two boards): counted once, its better grade.
    "discounted pair": [
        ("English Language", "4"),
        ("English Literature", "4"),
        ("Mathematics", "5"),
        ("History", "6"),
        ("History", "4"),
        ("Spanish", "5"),
    ],
    # combined science 5-4 with two better EBacc subjects: one half (4.5, the mean of 5 and 4) fills the third
    # EBacc slot, the other half (4.5) loses to art 7, music 6 and drama 5 for the open slots (scored 5 and 4 as
    # they are, the EBacc would be 17 and A8 51: half a point more than the DfE's).
    "one half": [
        ("English Language", "6"),
        ("Mathematics", "5"),
        ("History", "6"),
        ("Geography", "6"),
        ("Combined Science", "5-4"),
        ("Art and Design", "7"),
        ("Music", "6"),
        ("Drama", "5"),
    ],
    # three EBacc subjects above it: both halves of 5-4 (4.5 and 4.5) go to the open slots, with art 3.
    "both halves open": [
        ("English Language", "7"),
        ("Mathematics", "7"),
        ("Biology", "8"),
        ("Chemistry", "8"),
        ("History", "8"),
        ("Combined Science", "5-4"),
        ("Art and Design", "3"),
    ],
    # fewer than eight qualifications, and an X (no result) in a subject.
    "few": [("English Literature", "3"), ("Mathematics", "2"), ("Geography", "X"), ("Music", "U")],
}


@pytest.mark.parametrize(
    ("pupil", "english", "maths", "ebacc", "open_", "a8", "ebacc_slots", "open_slots"),
    [
        ("full", 12, 14, 15, 15, 56, 3, 3),  # 6x2; 7x2; 6+5+4; 7+5+3
        ("one English", 5, 8, 18, 10, 41, 3, 2),  # 5 once; 4x2; 7+6+5; 6+4
        ("discounted pair", 8, 10, 11, 4, 33, 2, 1),  # 4x2; 5x2; 6+5 (history once); the other English 4
        ("few", 3, 4, 0, 0, 7, 0, 1),  # literature alone once; 2x2; geography X is no entry; music U fills 0
        ("one half", 6, 10, 16.5, 18, 50.5, 3, 3),  # 6 once; 5x2; 6+6+4.5; 7+6+5 (the other 4.5 left out)
        ("both halves open", 7, 14, 24, 12, 57, 3, 3),  # 7 once; 7x2; 8+8+8; 4.5+4.5+3
    ],
)
def test_attainment8_slot_rules_by_hand(pupil, english, maths, ebacc, open_, a8, ebacc_slots, open_slots):
    row = ks4.attainment8(results({pupil: EXAMPLES[pupil]})).iloc[0]
    assert (row["english"], row["maths"], row["ebacc"], row["open"], row["a8"]) == (english, maths, ebacc, open_, a8)
    assert (row["ebacc_slots"], row["open_slots"]) == (ebacc_slots, open_slots)


def test_combined_science_thresholds_are_not_averaged():
    """EBacc science at 9-4 needs 4-4 or above (5-4 passes, 4-3 does not); at 9-5, 5-5 or above (5-4 does not)."""
    base = [("English Language", "6"), ("English Literature", "6"), ("Mathematics", "6"), ("History", "6")]
    pupils = {g: [*base, ("French", "6"), ("Combined Science", g)] for g in ("5-4", "4-3", "5-5")}
    flags = ks4.headline_flags(results(pupils)).set_index("upn")
    assert flags.loc["5-4", "ebacc_4"] and not flags.loc["5-4", "ebacc_5"]
    assert not flags.loc["4-3", "ebacc_4"] and flags.loc["5-5", "ebacc_5"]
    with pytest.raises(ValueError, match="at most one grade apart"):
        gcse.double_award("6-4")


def test_combined_science_is_two_results_written_higher_first():
    assert gcse.double_award("6-5") == (6.0, 5.0) == gcse.double_award("65") == gcse.double_award("6/5")
    assert gcse.double_award("U") == (0.0, 0.0)  # U alone: U-U
    with pytest.raises(ValueError, match="a double award: give both grades, e.g. 4-4"):
        gcse.double_award("4")  # one grade could be either half
    with pytest.raises(ValueError, match="higher first"):
        gcse.double_award("4-5")
    with pytest.raises(ValueError, match="not a GCSE grade"):
        gcse.grade_points("A*")


def test_english_and_maths_and_ebacc_flags():
    flags = ks4.headline_flags(results(EXAMPLES)).set_index("upn")
    assert flags.loc["full", "eng_maths_4"] and flags.loc["full", "eng_maths_5"]
    assert flags.loc["full", "ebacc_entered"] and not flags.loc["full", "ebacc_4"]  # French 3
    assert not flags.loc["one English", "ebacc_entered"]  # one English, no language
    assert flags.loc["discounted pair", "eng_maths_4"] and not flags.loc["discounted pair", "eng_maths_5"]
    assert not flags.loc["few", "eng_maths_4"]


def test_progress8_from_the_published_2023_24_model():
    """KS2 reading 100 and maths 101: prior 100.5, group 15 (100.5 to 101), estimate 37.27 (English 8.39, maths
    7.31, EBacc 10.39, open 11.17). A8 56 -> P8 (56 - 37.27) / 10 = 1.873; English (12 - 8.39) / 2 = 1.805."""
    a8 = ks4.attainment8(results({"full": EXAMPLES["full"]}))
    pupils = pd.DataFrame({"ks2_reading": ["100"], "ks2_maths": ["101"]})
    p8 = ks4.progress8(a8, ks4.ks2_prior(pupils, 2019)).iloc[0]
    assert p8["ks2_prior"] == 100.5 and p8["p8_group"] == 15 and p8["p8_estimate"] == 37.27
    assert p8["p8"] == pytest.approx(1.873)
    assert p8["p8_english"] == pytest.approx(1.805) and p8["p8_maths"] == pytest.approx(3.345)
    assert p8["p8_ebacc"] == pytest.approx((15 - 10.39) / 3) and p8["p8_open"] == pytest.approx((15 - 11.17) / 3)
    assert p8["included"] and p8["reason"] == ""


def test_prior_attainment_uses_nominal_scores_and_one_subject_when_one_exists():
    pupils = pd.DataFrame({"ks2_reading": ["N", "104", None], "ks2_maths": ["95", None, None]})
    prior = ks4.ks2_prior(pupils, 2019)
    assert prior.iloc[0] == (79 + 95) / 2  # N at the DfE's nominal 79 (KS2 2019)
    assert prior.iloc[1] == 104  # reading only
    assert pd.isna(prior.iloc[2])
    groups = ks4.prior_group(prior)
    assert groups.iloc[0] == 3 and groups.iloc[1] == 18  # 86.5 to 87.5; 103.5 to 104
    p8 = ks4.progress8(ks4.attainment8(results({"a": [("Mathematics", "5")]}), pd.Series(["a", "b", "c"])), prior)
    assert not p8["included"].iloc[2] and "no KS2" in p8["reason"].iloc[2]


def test_school_interval_from_the_published_sd():
    pupils = pd.DataFrame(
        {"school_id": ["1"] * 4, "included": [True] * 4, "a8": [40.0] * 4, "p8": [0.5, -0.5, 1.0, 0.0]}
        | {f"p8_{e}": [0.0] * 4 for e in ks4.ELEMENTS}
    )
    school = ks4.school_scores(pupils).iloc[0]
    half = 1.96 * 1.41628 / 2
    assert school["pupils"] == 4 and school["p8"] == 0.25
    assert school["p8_low"] == pytest.approx(0.25 - half) and school["p8_high"] == pytest.approx(0.25 + half)


def test_another_years_model_dropped_in_changes_the_result_without_code(tmp_path, monkeypatch):
    folder = tmp_path / "params"
    (folder / "ks4").mkdir(parents=True)
    table = ks4.model()
    table["a8"] = table["a8"] + 10  # a harder year
    table.to_csv(folder / "ks4" / "progress8_model_2023-24.csv", index=False)
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(folder))
    a8 = ks4.attainment8(results({"full": EXAMPLES["full"]}))
    p8 = ks4.progress8(a8, pd.Series([100.5])).iloc[0]
    assert p8["p8_estimate"] == pytest.approx(47.27) and p8["p8"] == pytest.approx(0.873)


def _cohort(tmp_path):
    from toolkit.scales import make_upn

    upn = [make_upn(925, 4000, 2016, i) for i in (1, 2, 3)]
    pupils = pd.DataFrame(
        {
            "upn": upn,
            "school_id": "9254000",
            "forename": ["Ann", "Bo", "Cy"],
            "surname": ["Lee", "Ray", "Poe"],
            "dob": ["2010-10-01", "2011-01-05", "2011-03-09"],
            "gender": ["F", "M", "F"],
            "year_group": "11",
            "academic_year": "2027",
            "ks2_reading": ["100", "N", ""],
            "ks2_maths": ["101", "95", ""],
        }
    )
    pupils.to_csv(tmp_path / "pupils.csv", index=False)
    rows = [(upn[0], s, g) for s, g in EXAMPLES["full"]] + [(upn[1], s, g) for s, g in EXAMPLES["one English"]]
    rows += [(upn[2], "Mathematics", "4")]
    pd.DataFrame(rows, columns=["upn", "subject", "grade"]).assign(school_id="9254000").to_csv(
        tmp_path / "results.csv", index=False
    )
    return upn


def test_ks4_command_writes_pupils_and_schools(tmp_path, capsys):
    from toolkit.cli import main

    upn = _cohort(tmp_path)
    argv = ["ks4", "--pupils", str(tmp_path / "pupils.csv"), "--results", str(tmp_path / "results.csv")]
    assert main([*argv, "--year", "2027", "--out", str(tmp_path / "out")]) == 0
    pupils = pd.read_csv(tmp_path / "out" / "pupils.csv", dtype={"school_id": str}).set_index("upn")
    assert pupils.loc[upn[0], "a8"] == 56 and pupils.loc[upn[0], "p8"] == pytest.approx(1.873)
    assert pupils.loc[upn[1], "ks2_prior"] == 87  # N at its nominal 79 with maths 95 (KS2 2022: documented default)
    assert not pupils.loc[upn[2], "included"] and "no KS2" in pupils.loc[upn[2], "reason"]
    schools = pd.read_csv(tmp_path / "out" / "schools.csv", dtype={"school_id": str}).iloc[0]
    # 2027 is scored on the loaded 2023/24 table: a projection until the DfE publishes the 2026/27 model
    assert schools["pupils"] == 3 and schools["p8_pupils"] == 2
    assert schools["p8_status"] == "projection on the DfE's 2023/24 model"
    assert schools["pct_eng_maths_4"] == pytest.approx(200 / 3)
    # 2026: no official P8 (no KS2 tests in 2021); A8 is still written, P8 only with --unofficial
    assert main([*argv, "--year", "2026", "--out", str(tmp_path / "o26")]) == 0
    assert "The DfE publishes no Progress 8 for KS4 2026" in capsys.readouterr().err
    none = pd.read_csv(tmp_path / "o26" / "pupils.csv")
    assert none["p8"].isna().all() and none["a8"].notna().all() and none["reason"].str.contains("no official").all()
    assert main([*argv, "--year", "2026", "--unofficial", "--out", str(tmp_path / "u26")]) == 0
    assert (pd.read_csv(tmp_path / "u26" / "schools.csv")["p8_status"] == "not an official measure").all()


def test_gcse_results_are_checked_by_row_and_column(tmp_path):
    from toolkit.inputs import PupilDataError
    from toolkit.inputs.gcse_results import load_gcse_results
    from toolkit.scales import make_upn

    upn = make_upn(925, 4000, 2016, 1)
    path = tmp_path / "results.csv"
    path.write_text(
        f"upn,school_id,subject,grade\n{upn},9254000,mathematics,7\n{upn},9254000,Astrology,5\n"
        f"{upn},9254000,Combined Science,4-5\n{upn},9254000,History,A*\n"
    )
    with pytest.raises(PupilDataError) as refused:
        load_gcse_results(path)
    said = str(refused.value)
    assert "Subject is not one the KS4 measures count" in said and "Row: 3" in said
    assert "Grade must be 9-1 or U" in said and "Rows: 4, 5" in said


@pytest.mark.slow
def test_synthetic_national_ks4_cohort_against_the_published_matrices_model_and_figures(tmp_path):
    """`toolkit synth ks4`: each subject's grade shares per KS2 group are the published ones (the generator reads
    them at quantiles); scored on the DfE's model, the national mean P8 is within 0.02 of zero and every prior
    attainment group's mean A8 within 1 point of the model; the national headline figures are the published ones
    within 1.5 points (docs/synthetic_data.md, toolkit.studies.tables.ks4_calibration)."""
    from toolkit.cli import main
    from toolkit.studies.tables import ks4_calibration
    from toolkit.synth import ks4 as synth

    assert main(["synth", "ks4", "--pupils", "20000", "--year", "2027", "--seed", "3", "--out", str(tmp_path)]) == 0
    pupils = pd.read_parquet(tmp_path / "national_ks4_2027_pupils.parquet")
    results = pd.read_parquet(tmp_path / "national_ks4_2027_results.parquet")
    assert len(pupils) == 20000 and pupils["upn"].is_unique
    tables = ks4_calibration(synth.NationalKs4(pupils, results))
    assert abs(tables["p8"]["national mean P8"].iloc[0]) <= 0.02
    groups = tables["groups"]
    assert (groups["difference"].abs() <= 1).all(), groups
    subjects = tables["subjects"]  # 1,000+ entries: sampling noise is about 1.5 points at the most
    assert len(subjects) >= 20 and (subjects["largest difference"] <= 3.5).all(), subjects
    headline = tables["headline"].set_index("figure")
    assert (headline["difference"].abs() <= 1.5).all(), headline


# ----------------------------------------------------------------------------------------------- KS4 estimates
def _pupil(ks2: str, year_group: int = 11, upn: str = "A") -> pd.DataFrame:
    return pd.DataFrame(
        {"upn": [upn], "year_group": [year_group], "academic_year": [2027], "ks2_reading": [ks2], "ks2_maths": [ks2]}
    )


def test_fft50_chances_are_the_published_transition_matrix_and_a8_the_published_model():
    """A pupil with KS2 106 in both subjects (group 105 - 107): at FFT50 their maths chances are the national grade
    shares of that group (2023/24 matrices), their estimated A8 the P8 model's A8 for prior 106, and P8 0."""
    from toolkit.methods import ks4_estimates as e

    pupil = _pupil("106")
    est = e.estimates(pupil, pd.DataFrame({"upn": ["A"], "subject": ["Mathematics"]}), {"FFT50": 50})
    t = e.transition()
    row = t[(t["ks2_group"] == "105 - 107") & (t["subject"] == "Mathematics")].iloc[0]
    counts = row[[f"g_{g}" for g in e.GRADES]].to_numpy(dtype=float)
    shares = est[[f"chance_{g}" for g in e.GRADES]].iloc[0].to_numpy()
    assert np.allclose(shares, counts / counts.sum(), atol=1e-9)
    assert est["ks2_group"].iloc[0] == "105 - 107"
    assert est["estimate"].iloc[0] == pytest.approx((counts / counts.sum()) @ np.arange(10))
    a8 = e.attainment_estimates(pupil, {"FFT50": 50, "FFT20": 80})
    model = ks4.model()
    published = model[(model["ks2_low"] <= 106) & (model["ks2_high"] >= 106)]["a8"].iloc[0]
    fft50, fft20 = a8.iloc[0], a8.iloc[1]
    assert fft50["est_a8"] == pytest.approx(published) and fft50["est_p8"] == 0
    # FFT20: the school at the 80th percentile of school P8, z(0.8) x SD 0.5 = 0.4208; A8 ten times that higher
    assert fft20["est_p8"] == pytest.approx(0.841621 * 0.5, abs=1e-5)
    assert fft20["est_a8"] - fft50["est_a8"] == pytest.approx(10 * fft20["est_p8"])


def test_a_challenge_moves_every_subjects_grade_by_about_the_challenges_progress_8():
    from toolkit.methods import ks4_estimates as e

    pupils = pd.concat([_pupil(s, upn=s) for s in ("90", "100", "106", "112")], ignore_index=True)
    subjects = pd.DataFrame(
        [(u, s) for u in pupils["upn"] for s in ("Mathematics", "History", "English Language")],
        columns=["upn", "subject"],
    )
    est = e.estimates(pupils, subjects, {"FFT50": 50, "FFT20": 80, "FFT5": 95})
    by = est.pivot_table(index=["upn", "subject"], columns="challenge", values="estimate")
    assert ((by["FFT20"] - by["FFT50"]) - 0.42).abs().max() < 0.12  # about 0.42 grades, each subject
    assert ((by["FFT5"] - by["FFT50"]) - 0.82).abs().max() < 0.2
    assert (est[[f"chance_{g}" for g in e.GRADES]].sum(axis=1) - 1).abs().max() < 1e-9
    assert e.percentile_of_p8(e.p8_at(80)) == 80 and e.percentile_of_p8(0.0) == 50


def test_targets_against_estimates_by_hand():
    """Chance of a target = the chances of that grade and above; under 25% looks unlikely, over 90% unambitious."""
    from toolkit.methods import ks4_estimates as e

    pupil = _pupil("106")
    est = e.estimates(pupil, pd.DataFrame({"upn": ["A"] * 2, "subject": ["Mathematics", "History"]}), {"c": 50})
    targets = pd.DataFrame({"upn": ["A", "A"], "subject": ["Mathematics", "History"], "target": ["9", "U"]})
    out = e.targets_against_estimates(targets, est).set_index("subject")
    maths = est[est["subject"] == "Mathematics"].iloc[0]
    assert out.loc["Mathematics", "chance"] == pytest.approx(maths["chance_9"])
    assert out.loc["Mathematics", "review"] == "looks unlikely"
    assert out.loc["History", "chance"] == pytest.approx(1.0) and out.loc["History", "review"] == "looks unambitious"
    assert out.loc["Mathematics", "difference"] == pytest.approx(9 - maths["estimate"])


def test_a_cohort_without_a_ks2_baseline_year_has_no_p8_and_says_why():
    pupils = pd.DataFrame(
        {"upn": ["A", "B"], "school_id": ["9254000"] * 2, "ks2_reading": [None, None], "ks2_maths": [None, None]}
    )
    results = pd.DataFrame(
        {
            "upn": ["A", "A", "B"],
            "subject": ["Mathematics", "English Language", "Mathematics"],
            "grade": ["5", "6", "4"],
        }
    )
    scored, schools, status = ks4.score_cohort(pupils, results, 2025)
    assert status == "" and scored["p8"].isna().all() and not scored["included"].any()
    assert scored["reason"].str.contains("no official Progress 8 in 2025").all()
    assert "p8" not in schools and schools["a8"].iloc[0] == pytest.approx((2 * 5 + 6 + 2 * 4) / 2)
    scored, schools, status = ks4.score_cohort(pupils.assign(ks2_reading=["100", "100"]), results, 2024)
    assert status == "official" and schools["p8_pupils"].iloc[0] == 2


def test_gcse_targets_are_checked_by_row_and_column(tmp_path):
    from toolkit.inputs.gcse_results import load_ks4_targets
    from toolkit.inputs.problems import PupilDataError, row_list

    path = tmp_path / "ks4_targets.csv"
    path.write_text(
        "upn,school_id,subject,target\n"
        "A925400026001,9254000,Maths,4\n"
        "A925400026001,9254000,English Language,Z\n"
        "A925400026001,9254000,english language,4\n"
    )
    with pytest.raises(PupilDataError) as err:
        load_ks4_targets(path)
    said = str(err.value)
    assert "Subject is not one the KS4 measures count" in said and "Row: 2 (found 'Maths')" in said
    assert "Target must be a GCSE grade, 9-1 or U. Column: target. Row: 3" in said
    assert "has two targets in English Language" in said and "Rows: 3, 4" in said
    assert row_list([9, 4, 5, 6, 7, 2]) == "2, 4-7, 9" and row_list([3, 4]) == "3, 4"


def test_no_other_approved_qualification_is_discounted_against_another():
    results = pd.DataFrame(
        {"upn": ["A"] * 3, "subject": ["Other approved qualifications"] * 3, "grade": ["5", "6", "7"]}
    )
    a8 = ks4.attainment8(results).iloc[0]
    assert a8["open"] == 18 and a8["open_slots"] == 3 and a8["open_lowest"] == 5


def test_disadvantaged_comparison_hand_worked():
    """Two disadvantaged pupils (one with English and maths 9-4) and two others (both): 50% against 100% others and
    75% all; national figures come from the published table; A8 means; P8 left out when no pupil has one."""
    from toolkit.methods.ks4 import disadvantaged_comparison

    pupils = pd.DataFrame(
        {
            "fsm6": [True, True, False, False],
            "eng_maths_4": [1.0, 0.0, 1.0, 1.0],
            "eng_maths_5": [0.0, 0.0, 1.0, 0.0],
            "ebacc_entered": [0.0, 0.0, 1.0, 1.0],
            "ebacc_4": [0.0, 0.0, 1.0, 0.0],
            "a8": [40.0, 20.0, 60.0, 50.0],
            "p8": [np.nan] * 4,
        }
    )
    national = pd.DataFrame(
        {
            "breakdown": ["Disadvantaged", "Not disadvantaged"],
            "pct_eng_maths_4": [43.0, 73.0],
            "pct_eng_maths_5": [25.0, 52.0],
            "pct_ebacc_entered": [27.0, 45.0],
            "pct_ebacc_4": [12.0, 32.0],
        }
    )
    out = disadvantaged_comparison(pupils, national).set_index("measure")
    assert list(out.index) == ["pct_eng_maths_4", "pct_eng_maths_5", "pct_ebacc_entered", "pct_ebacc_4", "a8"]
    assert out.loc["pct_eng_maths_4", ["disadvantaged", "all", "other"]].tolist() == [50.0, 75.0, 100.0]
    assert out.loc["pct_eng_maths_4", ["national_other", "national_disadvantaged"]].tolist() == [73.0, 43.0]
    assert out.loc["a8", ["disadvantaged", "all", "other"]].tolist() == [30.0, 42.5, 55.0]
    assert np.isnan(out.loc["a8", "national_other"]) and (out["disadvantaged_pupils"] == 2).all()


def test_a_pupil_table_without_ks2_columns_is_a_sentence(tmp_path, capsys):
    """`toolkit ks4` on a pupil table without ks2_reading ended in a KeyError traceback."""
    from toolkit.cli import main

    (tmp_path / "pupils.csv").write_text(
        "upn,school_id,forename,surname,dob,gender,year_group,ks2_maths\n"
        "B801200005001,8012000,Ann,Mockford,2008-03-04,F,11,105\n"
    )
    (tmp_path / "gcse.csv").write_text("upn,school_id,subject,grade\nB801200005001,8012000,Mathematics,6\n")
    args = ["ks4", "--pupils", str(tmp_path / "pupils.csv"), "--results", str(tmp_path / "gcse.csv")]
    assert main([*args, "--year", "2024", "--out", str(tmp_path / "out")]) == 1
    assert "has no ks2_reading column: Progress 8 needs each pupil's KS2 reading and maths" in capsys.readouterr().err


def test_a_pupil_working_below_the_test_takes_the_nominal_score_of_their_teacher_assessment():
    """KS2 2019 reading B and maths 95 lost the reading (prior 95, P8 -1.865): the DfE gives B the nominal score of
    the pupil's teacher assessment (PK4: 73 in 2019), so the prior is (73 + 95) / 2 = 84."""
    pupils = pd.DataFrame(
        {
            "ks2_reading": ["B", "B", "100", "B"],
            "ks2_maths": ["95", "B", "B", "95"],
            "ks2_ta_reading": ["PK4", "PK6", None, None],
            "ks2_ta_maths": [None, "PK6", "PK2", None],
        }
    )
    assert ks4.ks2_prior(pupils, 2019).tolist() == [84.0, 79.0, 83.5, 95.0]  # no TA: the test code alone, as before
    assert ks4.ks2_prior(pupils, 2017).tolist()[2] == pytest.approx(100.0)  # PK2 has no 2017 score: reading alone


def test_ks2_teacher_assessment_codes_are_checked_in_the_pupil_table(tmp_path):
    from toolkit.inputs import PupilDataError, load_pupils

    path = tmp_path / "p.csv"
    head = "upn,school_id,forename,surname,dob,gender,year_group,ks2_reading,ks2_ta_reading\n"
    path.write_text(head + "B801200005001,9254000,Ann,Lee,2008-03-04,F,11,B,PK4\n")
    assert load_pupils(path)["ks2_ta_reading"].iloc[0] == "PK4"
    path.write_text(head + "B801200005001,9254000,Ann,Lee,2008-03-04,F,11,B,PK9\n")
    with pytest.raises(PupilDataError, match="Unknown KS2 reading teacher assessment code"):
        load_pupils(path)


def test_extremely_negative_progress8_counts_at_the_dfes_minimum_in_the_school_average():
    """A pupil with prior 110 (estimate well above 50) and A8 0 has P8 far below -4.10 (-2.8948556948 x 1.41628):
    shown as it is, counted at -4.10 in the school's P8; a pupil above the minimum is unchanged."""
    attainment = pd.DataFrame({"upn": ["low", "fine"], **{e: [0.0, 12.0] for e in ks4.ELEMENTS}, "a8": [0.0, 48.0]})
    scored = ks4.progress8(attainment, pd.Series([110.0, 100.0])).assign(school_id="s")
    minimum = -2.8948556948 * 1.41628
    low, fine = scored.iloc[0], scored.iloc[1]
    assert low["p8"] < minimum and low["p8_adjusted"] == pytest.approx(minimum)  # -4.0999
    assert fine["p8_adjusted"] == fine["p8"]
    school = ks4.school_scores(scored).iloc[0]
    assert school["p8"] == pytest.approx((minimum + fine["p8"]) / 2) and school["p8_capped"] == 1
    assert school["p8_english"] == pytest.approx(scored["p8_english"].mean())  # elements are not capped


def test_the_report_says_how_many_pupils_count_at_the_minimum(monkeypatch):
    from toolkit.reports import ks4_views

    scores = pd.DataFrame({"academic_year": [2024, 2023], "p8_capped": [2, 0]})
    monkeypatch.setattr(ks4_views, "_scores", lambda school: scores)
    assert ks4_views.capped_note(None, 2024).startswith("2 pupils had a Progress 8 below the DfE's minimum")
    assert ks4_views.capped_note(None, 2023).startswith("No pupil's score was below")


def test_a_year_of_matrices_without_a_group_or_combined_science_is_a_sentence_not_a_key_error(tmp_path, monkeypatch):
    """The DfE's 2022/23 matrices have no "No scaled score" group and no combined-science pairs: a pupil without
    KS2 stopped the run with KeyError: ('No scaled score', 'Mathematics')."""
    from toolkit import parameters
    from toolkit.methods import ks4_estimates

    older = parameters.load_csv("ks4/transition_2024.csv")
    older = older[(older["ks2_group"] != ks4_estimates.NO_SCORE) & (older["subject"] != "Combined Science")]
    older = older.drop(columns=[c for c in older if c.startswith("pair_")])
    (tmp_path / "ks4").mkdir()
    older.to_csv(tmp_path / "ks4" / "transition_2023.csv", index=False)
    (tmp_path / "ks4.yaml").write_text("transition: ks4/transition_2023.csv\ntransition_year: 2023\n")
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(tmp_path))
    pupils = pd.DataFrame(
        {
            "upn": ["a", "b"],
            "ks2_reading": [None, "105"],
            "ks2_maths": [None, "103"],
            "academic_year": [2027] * 2,
            "year_group": ["11", "11"],
        }  # fmt: skip
    )
    subjects = pd.DataFrame({"upn": ["a", "a", "b"], "subject": ["Mathematics", "Combined Science", "Mathematics"]})
    est = ks4_estimates.estimates(pupils, subjects, {"FFT50": 50})
    assert len(est) == 3 and est["estimate"].between(0, 9).all()
    said = ks4_estimates.gaps()
    assert any("no 'No scaled score' group" in s for s in said) and any("no combined science" in s for s in said)
    monkeypatch.delenv("TOOLKIT_PARAMETERS")
    assert ks4_estimates.gaps() == []  # the bundled 2023/24 matrices lack nothing


MORE = {
    # four EBacc sciences: computer science 8, biology 7, chemistry 6 fill the EBacc slots; physics 5 goes to the
    # open slots with English literature 5 (language 6 is doubled) and history 4.
    "three sciences and computing": [
        ("English Language", "6"),
        ("English Literature", "5"),
        ("Mathematics", "6"),
        ("Biology", "7"),
        ("Chemistry", "6"),
        ("Physics", "5"),
        ("Computer Science", "8"),
        ("History", "4"),
    ],
    # twelve GCSEs: only ten slots count (English 7 x 2, maths 8 x 2, EBacc 7 + 7 + 6, open art 9, literature 6,
    # physics or history 6); geography 5, French 5, music 4 and RS 3 count for nothing.
    "twelve GCSEs": [
        ("English Language", "7"),
        ("English Literature", "6"),
        ("Mathematics", "8"),
        ("Biology", "7"),
        ("Chemistry", "7"),
        ("Physics", "6"),
        ("History", "6"),
        ("Geography", "5"),
        ("French", "5"),
        ("Art and Design", "9"),
        ("Music", "4"),
        ("Religious Studies", "3"),
    ],
    # one humanity and no creative subject or language: under the proposal a breadth slot stays empty.
    "one category": [
        ("English Language", "6"),
        ("English Literature", "6"),
        ("Mathematics", "6"),
        ("Biology", "6"),
        ("Chemistry", "6"),
        ("Physics", "6"),
        ("Computer Science", "6"),
        ("Business", "6"),
        ("Physical Education", "6"),
        ("History", "6"),
    ],
}


@pytest.mark.parametrize(
    ("pupil", "ebacc", "open_", "a8"),
    [
        ("three sciences and computing", 21, 14, 59),  # 8+7+6; physics 5, literature 5, history 4; 12+12+21+14
        ("twelve GCSEs", 20, 21, 71),  # 7+7+6; 9+6+6; 14+16+20+21
    ],
)
def test_more_slot_rules_by_hand(pupil, ebacc, open_, a8):
    row = ks4.attainment8(results({pupil: MORE[pupil]})).iloc[0]
    assert (row["ebacc"], row["open"], row["a8"]) == (ebacc, open_, a8)


@pytest.mark.parametrize(("prior", "group"), [(58, 1), (82, 1), (82.5, 2), (100, 14), (100.5, 15), (120, 34)])
def test_prior_attainment_group_boundaries_are_the_dfes_ranges(prior, group):
    """The DfE's ranges: group 1 '59 to 82' (and anything lower), group 2 '82.5 to 86', 14 '99.5 to 100', 15 '100.5
    to 101', 34 '119.5 to 120'."""
    assert ks4.prior_group(pd.Series([prior])).iloc[0] == group


@pytest.mark.parametrize(
    ("pupil", "now", "proposed", "empty_proposed"),
    [
        # English 12, maths 14; science: combined science 5.5 + 5.5; breadth: art 7 and history 4 (the two best
        # categories), then literature 5 and French 3: 12 + 14 + 11 + 19
        ("full", 56, 56, 0),
        # English 5 once, maths 8; science 6 + 5; breadth geography 7, drama 6, then physics 4 (three of four slots)
        ("one English", 41, 41, 1),
        # now: 12 + 12 + EBacc 18 + open 18 = 60; proposed: science 6 + 6, breadth history 6 reserved, the second
        # category's slot empty, then two of the rest (6 + 6): 12 + 12 + 12 + 18 = 54
        ("one category", 60, 54, 1),
    ],
)
def test_attainment8_under_the_proposed_reform_by_hand(pupil, now, proposed, empty_proposed):
    rows = {**EXAMPLES, **MORE}
    got = ks4.proposal_what_if(results({pupil: rows[pupil]}), pd.Series([pupil])).iloc[0]
    assert (got["a8"], got["a8_proposal"], got["empty_slots_proposal"]) == (now, proposed, empty_proposed)


def test_the_structure_in_force_is_a_parameter_file_and_the_proposal_is_labelled_so():
    from toolkit.methods import attainment8

    now, proposal = attainment8.structure(), attainment8.structure("ks4/attainment8_reform_proposal_2025.yaml")
    assert [e.name for e in now.elements] == ["english", "maths", "ebacc", "open"] and now.slots == 10
    assert [e.name for e in proposal.elements] == ["english", "maths", "science", "breadth"] and proposal.slots == 10
    assert proposal.status == "proposal under consultation, not an accountability measure"
    assert proposal.areas["Design & Technology"] == "science"
