"""Estimates: the calibration study on a held-out cohort, challenge levels, the shape of the output."""

import numpy as np
import pandas as pd
import pytest

from toolkit.methods.estimates import EstimateModel, outcome_scale
from toolkit.studies import calibration as estimate_calibration
from toolkit.vocabulary import COMBINED


@pytest.fixture(scope="module")
def held_out_sample(held_out_200k):
    return held_out_200k.pupils


@pytest.mark.parametrize("stage", ["ks2", "ks1"])
def test_calibration_study_deciles_within_3_points(stage, ks2_model, ks1_model, held_out_sample):
    """Fitted on one synthetic national cohort, tested on another seed: every decile of the predicted chance of
    the expected standard with at least 2,000 pupils matches the observed rate within 3 percentage points, and
    every decile of 500-2,000 pupils within 4 (2.5 standard errors of a rate near 35% at 1,000 pupils); the combined
    KS1 measure from the EYFS profile within 4 everywhere (a known weakness, docs/methodology.md)."""
    model = ks2_model if stage == "ks2" else ks1_model
    table = estimate_calibration.decile_table(model, held_out_sample)
    big = table[table["pupils"] >= 500]
    assert set(big["measure"]) == set(model.subjects) | set(COMBINED[stage])
    assert len(big) >= 7 * big["measure"].nunique()  # most deciles are populated
    limit = np.where(big["pupils"] >= 2000, 3.0, 4.0)
    if stage == "ks1":  # the combined measure from the EYFS profile: within 4 (-3.1 measured; docs/methodology.md)
        limit = np.where(big["measure"].isin(list(COMBINED["ks1"])), 4.0, limit)
    worst = big.loc[(big["difference"].abs() - limit).idxmax()]
    assert (big["difference"].abs() <= limit).all(), worst.to_dict()


@pytest.mark.parametrize("stage", ["ks2", "ks1"])
def test_fft50_reproduces_national_rates_within_1_point(stage, ks2_model, ks1_model, held_out_sample):
    model = ks2_model if stage == "ks2" else ks1_model
    rates = estimate_calibration.national_rates(model, held_out_sample, challenge=50)
    expected = rates[rates["indicator"] == "expected"]
    assert len(expected) == len(model.subjects) + len(COMBINED[stage])
    assert expected["difference"].abs().max() <= 1, expected.to_string()
    assert rates["difference"].abs().max() <= 1.5, rates.to_string()


@pytest.fixture(scope="module")
def sample(national_200k):
    return national_200k.pupils.sample(3000, random_state=1).reset_index(drop=True)


def test_output_columns_and_probabilities(ks2_model, sample):
    est = ks2_model.predict(sample, 80)
    assert est["upn"].tolist() == sample["upn"].tolist()
    for subject in ks2_model.subjects:
        bands = outcome_scale("ks2", subject).bands
        assert len(bands) == (4 if subject == "writing" else 10)
        p = est[[f"{subject}_p_{b}" for b in bands]]
        assert np.allclose(p.sum(axis=1), 1)
        assert (p.to_numpy() >= 0).all()
        for col in ("estimate", "estimate_low", "estimate_high", "p_expected", "p_high", "band", "p_lower", "p_higher"):
            assert f"{subject}_{col}" in est
        assert (est[f"{subject}_estimate_low"] <= est[f"{subject}_estimate"]).all()
        assert (est[f"{subject}_estimate"] <= est[f"{subject}_estimate_high"]).all()
        shown = np.array([bands.index(b) for b in est[f"{subject}_band"]])  # the band containing the estimate
        chosen = p.to_numpy()[np.arange(len(p)), shown]
        assert np.allclose(est[f"{subject}_p_lower"] + chosen + est[f"{subject}_p_higher"], 1)
        assert (est[f"{subject}_p_high"] <= est[f"{subject}_p_expected"]).all()
    # A combined measure is never more likely than its least likely part.
    parts = est[["reading_p_expected", "writing_p_expected", "maths_p_expected"]].min(axis=1)
    assert (est["rwm_p_expected"] <= parts + 1e-9).all()


def test_interval_width_comes_from_the_model(ks2_model, sample):
    est = ks2_model.predict(sample, 50)
    width = (est["maths_estimate_high"] - est["maths_estimate_low"]) / 2
    assert 2 < width.median() < 8  # seed 000 shows "scaled score +-4"
    assert width.nunique() > 5  # it varies with prior attainment


def test_challenge_is_monotone_and_any_percentile_works(ks2_model, sample):
    means = [ks2_model.predict(sample, p)["maths_p_expected"].mean() for p in (1, 20, 50, 80, 95, 99)]
    assert all(a < b for a, b in zip(means, means[1:]))
    scores = [ks2_model.predict(sample, p)["reading_estimate"].mean() for p in (50, 80, 95)]
    assert scores[0] < scores[1] < scores[2]


def test_challenge_per_subject_and_per_pupil(ks2_model, sample):
    by_subject = ks2_model.predict(sample, {"maths": 95})
    base = ks2_model.predict(sample, 50)
    assert np.allclose(by_subject["reading_p_expected"], base["reading_p_expected"])
    assert by_subject["maths_p_expected"].mean() > base["maths_p_expected"].mean()
    per_pupil = np.where(np.arange(len(sample)) % 2 == 0, 50, 95)
    mixed = ks2_model.predict(sample, per_pupil)
    high = ks2_model.predict(sample, 95)
    assert np.allclose(mixed["gps_p_expected"][::2], base["gps_p_expected"][::2])
    assert np.allclose(mixed["gps_p_expected"][1::2], high["gps_p_expected"][1::2])


def test_challenge_shift_is_the_school_va_percentile(ks2_model):
    dist = ks2_model.fitted_["reading"].school_va
    assert ks2_model.challenge_shift("reading", 80) == pytest.approx(np.quantile(dist, 0.8))
    assert ks2_model.percentile_of_school_va("reading", np.quantile(dist, 0.8)) == pytest.approx(80, abs=1)


@pytest.mark.parametrize("bad", [0, 100, 150, -5, np.nan])
def test_challenge_outside_1_to_99_is_refused(ks2_model, sample, bad):
    with pytest.raises(ValueError, match="percentile of school value added from 1 to 99"):
        ks2_model.predict(sample.head(5), bad)


def test_unknown_subject_in_challenge_is_refused(ks2_model, sample):
    with pytest.raises(ValueError, match="No ks2 estimates for \\['science'\\]"):
        ks2_model.predict(sample.head(5), {"science": 50})


def test_teacher_assessed_chances_move_with_challenge(ks1_model, sample):
    """KS1 and writing outcomes are categories; a challenge shift smaller than a step still moves the chances."""
    a = ks1_model.predict(sample, 50)["writing_p_expected"].mean()
    b = ks1_model.predict(sample, 60)["writing_p_expected"].mean()
    assert b > a


def test_higher_prior_attainment_gives_higher_estimates(ks2_model, sample):
    rows = sample.head(2).copy()
    rows[["ks1_reading", "ks1_writing", "ks1_maths"]] = [["WTS"] * 3, ["GDS"] * 3]
    est = ks2_model.predict(rows, 50)
    assert est["maths_estimate"].iloc[1] > est["maths_estimate"].iloc[0] + 5
    assert est["rwm_p_expected"].iloc[1] > est["rwm_p_expected"].iloc[0]


def test_pupils_without_prior_attainment_still_get_estimates(ks2_model, sample):
    rows = sample.head(3).copy()
    rows[["ks1_reading", "ks1_writing", "ks1_maths"]] = pd.NA
    rows[[c for c in rows if c.startswith("eyfs_")]] = pd.NA
    est = ks2_model.predict(rows, 50)
    assert est["reading_p_expected"].between(0.3, 0.95).all()  # near the national rate, not certain
    assert set(est["prior"]) == {"none"}


def test_pupils_without_ks1_are_estimated_from_the_eyfs_profile(ks2_model, sample):
    rows = sample.head(2).copy()
    rows[["ks1_reading", "ks1_writing", "ks1_maths"]] = pd.NA
    goals = [c for c in rows if c.startswith("eyfs_")]
    rows.loc[rows.index[0], goals] = "emerging"
    rows.loc[rows.index[1], goals] = "expected"
    est = ks2_model.predict(rows, 50)
    assert est["prior"].tolist() == ["eyfs", "eyfs"]
    assert est["maths_estimate"].iloc[1] > est["maths_estimate"].iloc[0] + 3
    with_ks1 = ks2_model.predict(sample.head(2), 50)
    assert set(with_ks1["prior"]) <= {"ks1", "none"}


@pytest.mark.parametrize("stratum", ["ks1", "eyfs"])
def test_both_strata_are_calibrated_on_held_out_data(stratum, ks2_model, held_out_sample):
    """The KS1 stratum and the EYFS stratum (the held-out cohort with KS1 removed) are reported separately: every
    decile of at least 2,000 pupils within 3 points, of 500-2,000 within 4."""
    sample = held_out_sample if stratum == "ks1" else estimate_calibration.without_ks1(held_out_sample)
    table = estimate_calibration.decile_table(ks2_model, sample)
    big = table[table["pupils"] >= 500]
    limit = np.where(big["pupils"] >= 2000, 3.0, 4.0)
    assert (big["difference"].abs() <= limit).all(), big.to_string()
    if stratum == "eyfs":
        assert len(big) >= 5 * big["measure"].nunique()


def test_too_small_a_reference_is_refused(sample):
    with pytest.raises(ValueError, match="at least 20000 are needed"):
        EstimateModel("ks2").fit(sample)


def test_unknown_stage_is_refused():
    with pytest.raises(ValueError, match="Unknown stage 'ks4'"):
        EstimateModel("ks4")


def test_the_band_shown_contains_the_estimate(ks2_model, ks1_model, sample):
    for model in (ks2_model, ks1_model):
        est = model.predict(sample.head(3000), 80)
        for x in model.subjects:
            sc = outcome_scale(model.stage, x)
            edges = np.concatenate([[-np.inf], sc.cuts, [np.inf]])
            position = np.array([sc.bands.index(b) for b in est[f"{x}_band"]])
            e = est[f"{x}_estimate"].to_numpy()
            assert ((edges[position] <= e) & (e < edges[position + 1])).all(), (model.stage, x)
            chance_of_band = est[[f"{x}_p_{b}" for b in sc.bands]].to_numpy()[np.arange(len(est)), position]
            total = est[f"{x}_p_lower"] + chance_of_band + est[f"{x}_p_higher"]
            assert np.allclose(total, 1.0)


def test_each_pupils_challenge_comes_from_their_school_and_year_group_settings():
    """challenge.per_pupil: the most specific setting of the pupil's school, year group and subject; own past
    progress resolved per pupil; a school asking for it without value added is named."""
    from toolkit.methods import challenge

    pupils = pd.DataFrame(
        {"school_id": ["1000001", "1000001", "1000002", "1000003"], "year_group": ["6", "5", "6", "6"]}
    )
    settings = {
        "1000001": {"challenge": {"default": "FFT20", "year_groups": {6: {"maths": 90}}}},
        "1000002": {"challenge": {"default": "own_past_progress"}},
    }
    own = {"maths": np.array([11.0, 12.0, 13.0, 14.0]), "reading": np.array([21.0, 22.0, 23.0, 24.0])}
    got = challenge.per_pupil(settings, pupils, ("maths", "reading"), "FFT5", own)
    assert got["maths"].tolist() == [90.0, 80.0, 13.0, 95.0]
    assert got["reading"].tolist() == [80.0, 80.0, 23.0, 95.0]
    with pytest.raises(ValueError, match="School 1000002 asks for its own past progress in maths"):
        challenge.per_pupil(settings, pupils, ("maths",), "FFT5", None)
