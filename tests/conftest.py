"""Shared fixtures: synthetic cohorts are generated once per test session (they are deterministic for a seed)."""
from __future__ import annotations

import pytest

from toolkit.data import synth

CALIBRATION_YEAR = 2026


@pytest.fixture(scope="session")
def national_200k() -> synth.NationalCohort:
    """A 200,000-pupil national cohort on a seed other than the calibration sample's."""
    return synth.national_cohort(200_000, CALIBRATION_YEAR, seed=424242)


@pytest.fixture(scope="session")
def trust() -> synth.DemoTrust:
    return synth.demo_trust(4, 2027, seed=11)
