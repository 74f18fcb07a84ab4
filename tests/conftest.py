"""Shared fixtures: synthetic cohorts and models are built once per test session (deterministic for a seed)."""

from __future__ import annotations

import pytest

from toolkit.methods.estimates import EstimateModel
from toolkit.synth import cohorts as synth
from toolkit.synth import ks5 as synth_ks5
from toolkit.synth import trust as synth_trust

CALIBRATION_YEAR = 2026


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _private_state_and_cache(tmp_path_factory, monkeypatch, _session_cache):
    """Every test keeps school state in its own folder, never in the user's. The fit cache is the session's, never
    the user's: its entries are keyed by content (reference file, parameters, code), so a test can only hit an entry
    fitted on exactly its inputs, and the national models are not fitted again for every test that prepares a run.
    A test of the cache itself points TOOLKIT_CACHE at its own folder."""
    monkeypatch.setenv("TOOLKIT_STATE", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("TOOLKIT_CACHE", str(_session_cache))


@pytest.fixture(scope="session")
def national_200k() -> synth.NationalCohort:
    """A 200,000-pupil national cohort on a seed other than the calibration sample's."""
    return synth.national_cohort(200_000, CALIBRATION_YEAR, seed=424242)


@pytest.fixture(scope="session")
def held_out_200k() -> synth.NationalCohort:
    """A second national cohort of the same year on another seed: the held-out sample of the calibration study."""
    return synth.national_cohort(200_000, CALIBRATION_YEAR, seed=5150)


@pytest.fixture(scope="session")
def ks2_model(national_200k) -> EstimateModel:
    return EstimateModel("ks2").fit(national_200k.pupils)


@pytest.fixture(scope="session")
def ks1_model(national_200k) -> EstimateModel:
    return EstimateModel("ks1").fit(national_200k.pupils)


@pytest.fixture(scope="session")
def trust() -> synth_trust.DemoTrust:
    return synth_trust.demo_trust(4, 2027, seed=11)


@pytest.fixture(scope="session")
def national_ks5() -> synth_ks5.NationalKs5:
    """A 60,000-student national KS4 -> A level cohort (the KS5 reference)."""
    return synth_ks5.national_ks5(60_000, CALIBRATION_YEAR, seed=77)


@pytest.fixture(scope="session")
def pack_data(national_200k, national_ks5, trust, tmp_path_factory):
    """A school data folder (the trust: 4 primaries and a secondary with a sixth form) with a 60,000-pupil national
    reference and the KS5 reference beside it."""
    root = tmp_path_factory.mktemp("pack_data")
    national_200k.pupils.head(60_000).to_parquet(root / "national_2026.parquet", index=False)
    national_ks5.entries.to_parquet(root / "national_ks5_2026.parquet", index=False)
    synth_trust.write_trust(trust, root / "trust", 2027)
    return root / "trust"


@pytest.fixture(scope="session")
def two(trust) -> list[str]:
    """Two primaries of the trust."""
    return list(trust.schools["school_id"].iloc[:2])


@pytest.fixture(scope="session")
def secondary(trust) -> str:
    """The trust's secondary school (with a sixth form)."""
    return trust.schools.loc[trust.schools["phase"] == "Secondary", "school_id"].iloc[0]


@pytest.fixture(scope="session")
def pack(pack_data, two, secondary, tmp_path_factory):
    """The report pack of two primaries and the secondary, rendered once for the session: (out folder, manifest)."""
    from toolkit.pack.batch import PackRequest, run_batch
    from toolkit.pipeline.prepare import find_inputs

    out = tmp_path_factory.mktemp("pack")
    manifest = run_batch(
        PackRequest(find_inputs(pack_data), out, schools=two + [secondary], jobs=2, progress=False, say=lambda m: None)
    )
    return out, manifest
