"""The synthetic generator: calibration to published figures, determinism, realistic structure, demo trust."""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import CALIBRATION_YEAR
from toolkit.inputs import load_pupils
from toolkit.inputs.entries import load_entries
from toolkit.inputs.load import check_pupils
from toolkit.scales import ks1_aps, upn_problems
from toolkit.studies.tables import generator_calibration
from toolkit.synth import cohorts as synth
from toolkit.synth import trust as synth_trust
from toolkit.synth.names import surnames

# Tolerances of the calibration test: percentages within 1 point, average scaled scores within 0.3. Progress scores
# and the gap index within 0.15: the published girls' and boys' progress scores do not average to zero (exclusions,
# nominal scores), so the generator matches girls exactly and boys land about 0.08 away.
TOLERANCE = {
    "average_scaled_score": 0.3,
    "progress_score_girls": 0.15,
    "progress_score_boys": 0.15,
    "disadvantage_gap_index": 0.15,
    "month_of_birth_gap": 2.0,  # a tuned effect (parameters/synth.yaml), not solved: within 2 points of FFT's 14
}


def test_cohort_reproduces_every_published_figure_at_200k(national_200k):
    table = generator_calibration(national_200k, CALIBRATION_YEAR)
    # KS2: 5 x expected, 5 x higher, 3 averages, 5 gender progress, gap, month of birth; KS1: 3 x 2; EYFS: GLD
    assert len(table) == 27
    for row in table.itertuples():
        tolerance = next((t for k, t in TOLERANCE.items() if k.replace("_", " ") in row.figure), 1.0)
        assert abs(row.difference) <= tolerance, (
            f"{row.figure}: generated {row.generated:.2f}, published {row.published} ({row.year})"
        )


def test_month_of_birth_pattern_as_fft_describes(national_200k):
    """September-born pupils reach the KS2 RWM standard more often (calibration test above); from KS1 to KS2
    pupils born March-August make above-average progress in reading and maths, September-February below."""
    from toolkit.methods.value_added import DfeProgress

    pupils = national_200k.pupils
    month = ((pd.to_datetime(pupils["dob"]).dt.month - 9) % 12).to_numpy()
    progress = DfeProgress().fit(pupils).transform(pupils)
    for subject in ("reading", "maths"):
        p = progress[progress["subject"] == subject]["progress"].to_numpy()
        assert np.nanmean(p[month >= 6]) > 0 > np.nanmean(p[month < 6]), subject


def test_deterministic_for_a_seed():
    a = synth.national_cohort(3000, CALIBRATION_YEAR, seed=5).pupils
    b = synth.national_cohort(3000, CALIBRATION_YEAR, seed=5).pupils
    c = synth.national_cohort(3000, CALIBRATION_YEAR, seed=6).pupils
    pd.testing.assert_frame_equal(a, b)
    assert not a["ks2_reading"].equals(c["ks2_reading"])


def test_generated_table_passes_the_pupil_schema(national_200k):
    sample = national_200k.pupils.iloc[:5000].astype("string")
    assert check_pupils(sample) == []
    assert upn_problems(national_200k.pupils["upn"]).isna().all()
    assert national_200k.pupils["upn"].is_unique


def test_school_sizes_are_realistic(national_200k):
    sizes = national_200k.pupils.groupby("school_id").size()
    assert sizes.between(10, 90).mean() > 0.99
    assert 30 <= sizes.median() <= 45
    assert national_200k.schools.set_index("school_id")["pupils"].sort_index().equals(sizes.sort_index())


def test_summer_born_pupils_attain_less_at_ks1_and_close_part_of_the_gap_by_ks2(national_200k):
    p = national_200k.pupils
    month = (p["dob"].dt.month - 9) % 12  # 0 = September
    aps = ks1_aps(p["ks1_reading"], p["ks1_writing"], p["ks1_maths"])
    ks2 = pd.to_numeric(p["ks2_maths"], errors="coerce")
    ks1_gap = aps[month == 0].mean() - aps[month == 11].mean()
    ks2_gap = ks2[month == 0].mean() - ks2[month == 11].mean()
    assert ks1_gap > 0.5 and ks2_gap > 0
    # relative to the spread, the KS2 gap is smaller than the KS1 gap
    assert ks2_gap / ks2.std() < ks1_gap / aps.std()


def test_characteristics_and_missing_data_rates(national_200k):
    p = national_200k.pupils
    assert p["gender"].eq("F").mean() == pytest.approx(0.49, abs=0.01)
    assert p["fsm6"].mean() == pytest.approx(0.30, abs=0.02)
    assert p["sen"].isin(["K", "E"]).mean() == pytest.approx(0.18, abs=0.01)
    assert p["ks1_reading"].isna().mean() == pytest.approx(0.04, abs=0.005)  # no KS1 record
    assert p["ks2_reading"].eq("B").mean() == pytest.approx(0.03, abs=0.005)  # below the test
    assert p["ks2_reading"].eq("A").mean() == pytest.approx(0.008, abs=0.003)  # absent
    assert p["ks1_reading"].isin(["A", "D"]).any()
    # disadvantaged, SEN and EAL pupils attain less at KS1
    aps = ks1_aps(p["ks1_reading"], p["ks1_writing"], p["ks1_maths"])
    for flag in (p["fsm6"], p["sen"].ne("N"), p["eal"]):
        assert aps[flag.astype(bool)].mean() < aps[~flag.astype(bool)].mean()


def test_planted_school_effects_show_in_school_results(national_200k):
    p = national_200k.pupils
    aps = ks1_aps(p["ks1_reading"], p["ks1_writing"], p["ks1_maths"])
    score = pd.to_numeric(p["ks2_maths"], errors="coerce")
    ok = aps.notna() & score.notna()
    residual = score[ok] - np.poly1d(np.polyfit(aps[ok], score[ok], 2))(aps[ok])
    school_mean = residual.groupby(p.loc[ok, "school_id"]).mean()
    planted = national_200k.schools.set_index("school_id")["va_maths"].reindex(school_mean.index)
    assert np.corrcoef(school_mean, planted)[0, 1] > 0.6


def test_demo_trust_structure(trust):
    pupils, schools = trust.pupils, trust.schools
    assert len(schools) == 5 and schools["school_name"].str.endswith("(synthetic)").all()
    assert schools["phase"].tolist() == ["Primary"] * 4 + ["Secondary"]
    assert set(pupils["year_group"]) == set(range(7)) | set(range(7, 14))
    secondary = pupils[pupils["year_group"].between(7, 11)]
    assert (secondary["school_id"] == "9254000").all() and secondary["ks2_reading"].notna().mean() > 0.9
    assert sorted(trust.ks4) == [2024, 2025, 2026] and trust.ks4[2025][0]["ks2_reading"].isna().all()
    sixth = pupils[pupils["year_group"] >= 12]
    assert (sixth["school_id"] == "9254000").all() and sixth["ks4_aps"].between(3, 9).all()
    assert pupils.loc[pupils["year_group"] < 12, "ks4_aps"].isna().all()
    assert sorted(trust.ks5) == [2024, 2025, 2026]
    for year, entries in trust.ks5.items():
        assert (entries["academic_year"] == year).all()
        assert not set(entries["upn"]) & set(pupils["upn"])  # past Year 13s have left
        per_student = entries[entries["qualification"] == "A level"].groupby("upn").size()
        assert per_student.between(2, 5).all() and per_student.mean() > 2.8
    pupils = pupils[pupils["year_group"] <= 6]
    assert sorted(trust.past) == [2022, 2023, 2024, 2025, 2026]
    for year, frame in trust.past.items():
        assert (frame["year_group"] == 6).all() and (frame["academic_year"] == year).all()
        assert frame["ks2_reading"].notna().all()
        # The KS2 2024 and 2025 cohorts have no KS1 results at all (KS1 2020 and 2021 were cancelled).
        assert frame["ks1_maths"].isna().all() == (year in (2024, 2025)), year
    assert pupils["ks2_reading"].isna().all()  # no current primary pupil has a KS2 result (Years 7-11 do)
    reception, year1, year3 = (pupils[pupils["year_group"] == g] for g in (0, 1, 3))
    assert reception["eyfs_number"].isna().all() and reception["ks1_maths"].isna().all()
    assert year1["eyfs_number"].notna().mean() > 0.9 and year1["ks1_maths"].isna().all()
    # KS1 was optional for today's Years 3-5: in a school and year group that did not assess it nobody has a
    # result; elsewhere nearly everyone does.
    by_school = pupils[pupils["year_group"].between(3, 5)].groupby(["school_id", "year_group"])["ks1_maths"]
    share = by_school.apply(lambda s: s.notna().mean())
    assert ((share == 0) | (share > 0.9)).all() and (share > 0.9).any()
    assert (pupils.loc[pupils["year_group"] == 6, "ks1_maths"].notna().mean()) > 0.9  # KS1 2023: statutory
    assert pupils["surname"].isin(surnames()).all()
    sizes = pupils.groupby(["school_id", "year_group"]).size()
    assert sizes.between(10, 90).all()


def test_demo_trust_ages_match_year_groups(trust):
    p = trust.pupils
    age_on_1_september = (pd.Timestamp("2026-09-01") - p["dob"]).dt.days / 365.25
    expected = p["year_group"] + 4  # Reception children are 4 on 1 September
    assert ((age_on_1_september - expected) >= 0).all() and ((age_on_1_september - expected) < 1.01).all()


def test_trust_round_trips_through_csv_and_the_loader(trust, tmp_path):
    files = synth_trust.write_trust(trust, tmp_path, 2027)
    assert "NOT REAL PUPILS" in (tmp_path / "README.md").read_text()
    pupils = load_pupils(tmp_path / "pupils.csv")
    assert len(pupils) == len(trust.pupils)
    past = load_pupils(tmp_path / "ks2_2026.csv")
    assert past["ks2_maths"].tolist() == trust.past[2026]["ks2_maths"].tolist()
    assert len(files) == 25  # + ks2_2022 ... ks2_2026 (5), ks5_, ks4_ and gcse_2024 ... 2026 (3 each)
    assert sorted(f.name for f in files if not f.name.startswith(("ks2_20", "ks5_", "ks4_20", "gcse_"))) == [
        "README.md",
        "attendance.csv",
        "ks2_levels_2016.csv",
        "ks4_targets.csv",
        "ofsted_outcomes.csv",
        "pupils.csv",
        "schools.csv",
        "statutory_checks.csv",
        "subject_judgements.csv",
        "suspensions.csv",
        "tracking.csv",
    ]
    from toolkit.inputs.assessments import load_judgements, load_tracking

    assert load_tracking(tmp_path / "tracking.csv")["grade"].tolist() == trust.tracking["grade"].tolist()
    assert len(load_judgements(tmp_path / "subject_judgements.csv")) == len(trust.judgements)
    from toolkit.inputs.attendance import load_attendance

    assert load_attendance(tmp_path / "attendance.csv")["possible"].sum() == trust.attendance["possible"].sum()
    old = load_pupils(tmp_path / "ks2_levels_2016.csv")
    assert old["ks2_english_mark"].tolist() == trust.ks2_levels[2016]["ks2_english_mark"].tolist()
    entries = load_entries(tmp_path / "ks5_2026.csv")
    assert entries["grade"].tolist() == trust.ks5[2026]["grade"].tolist()


def test_national_writes_parquet_schools_and_calibration(tmp_path):
    cohort = synth.national_cohort(2000, CALIBRATION_YEAR, seed=3)
    out, schools, report = synth.write_national(cohort, tmp_path / "nat.parquet")
    assert len(load_pupils(out)) == 2000
    assert pd.read_csv(schools)["pupils"].sum() == 2000
    assert '"synthetic": true' in report.read_text()
