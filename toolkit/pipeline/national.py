"""The national models: everything fitted once on the national reference cohorts, whichever schools a run
prepares, and cached by content (``fit_cache``: the reference files, this module and the methodology code it calls,
the parameters). Estimate models (KS1 -> KS2, EYFS -> KS1), DfE and FFT value added, the reference's headline
measures and, with a KS5 reference, level 3 value added."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from toolkit.inputs import load_pupils
from toolkit.inputs.entries import load_entries
from toolkit.methods import ks5, profile
from toolkit.methods.attainment import headline_measures
from toolkit.methods.estimates import EstimateModel
from toolkit.methods.value_added import DfeProgress, FftValueAdded, Level3ValueAdded
from toolkit.pipeline.data_folder import Inputs
from toolkit.pipeline.fit_cache import cached_fit
from toolkit.pipeline.store import PreparedRun


@dataclass
class Ks5National:
    """Level 3 value added for every school: A levels on the DfE's published model, the rest on bands fitted on the
    national KS5 reference (``Level3ValueAdded.with_fallback``), and the reference's attainment."""

    attainment: pd.DataFrame  # the reference cohort's attainment
    va: Level3ValueAdded
    cache: dict = field(default_factory=dict)  # the fit cache entry used (fit_cache.cached_fit)


@dataclass
class NationalModels:
    """Everything fitted once on the national reference."""

    reference: pd.DataFrame
    ks2: EstimateModel
    ks1: EstimateModel
    dfe: DfeProgress
    fft: FftValueAdded
    cache: dict = field(default_factory=dict)  # the fit cache entry used (fit_cache.cached_fit)
    ks5: Ks5National | None = None  # where the data folder has a KS5 reference
    headline: pd.DataFrame | None = None  # the reference's headline measures (attainment.headline_measures)
    # the reference's schools' context shares and KS2 results (profile.school_distribution): the profile's bands,
    # kept here so that a worker given the models without the reference cohort still has them
    schools: pd.DataFrame | None = None

    @property
    def reference_year(self) -> int | None:
        ref = self.reference
        return int(ref["academic_year"].dropna().max()) if "academic_year" in ref else None


def _fit_ks5(reference: Path, say=print) -> tuple[pd.DataFrame, Level3ValueAdded]:
    say(f"KS5 reference cohort {reference.name}: fitting level 3 value added")
    ref = load_entries(reference)
    return ks5.attainment(ref), Level3ValueAdded().fit(ref)


def fit_ks5(reference: Path, say=print, refit: bool = False) -> Ks5National:
    """The national KS5 reference's attainment and level 3 value added, the fitted part cached by content
    (``fit_cache``)."""
    (national, fitted), cache = cached_fit("ks5", [reference], lambda: _fit_ks5(reference, say), refit)
    if cache["hit"]:
        say(f"KS5 reference cohort {reference.name}: level 3 value added from the fit cache ({cache['seconds']} s)")
    # A level value added on the DfE's own published model; the fitted reference where it has no curve (AS ...)
    return Ks5National(national, Level3ValueAdded.with_fallback(Level3ValueAdded.published(), fitted), cache)


def fit_national(reference: Path, reference_ks5: Path | None = None, say=print, refit: bool = False) -> NationalModels:
    """Estimate models (KS1 -> KS2, EYFS -> KS1), DfE / FFT value added and, with a KS5 reference, level 3 value
    added, fitted on the reference cohorts once for all schools (whichever schools a run prepares), and cached by
    content (``fit_cache``): an unchanged reference, code and parameters load in well under a second. ``refit``
    fits again and replaces the cache entries."""
    models, cache = cached_fit("national", [reference], lambda: _fit_national(reference, say), refit)
    if cache["hit"]:
        say(f"Reference cohort {reference.name}: estimates and value added from the fit cache ({cache['seconds']} s)")
    models.cache = cache
    models.ks5 = fit_ks5(reference_ks5, say, refit) if reference_ks5 else None
    return models


def _fit_national(reference_file: Path, say=print) -> NationalModels:
    say(f"Reference cohort {reference_file.name}: fitting estimates and value added once for all schools")
    reference = load_pupils(reference_file)
    with_ks2 = int(reference["ks2_reading"].notna().sum()) if "ks2_reading" in reference else 0
    if with_ks2 < len(reference) / 2 or with_ks2 == 0:
        raise ValueError(
            f"{reference_file}: this is not a national reference cohort: {with_ks2:,} of its {len(reference):,} pupils "
            "have a KS2 result (a school's pupil file?). Give national KS2 results, e.g. national_<year>.parquet "
            "from `toolkit synth national`, with --reference"
        )
    ks2_model = EstimateModel("ks2").fit(reference)
    return NationalModels(
        reference,
        ks2_model,
        EstimateModel("ks1").fit(reference),
        DfeProgress().fit(reference),
        FftValueAdded(ks2_model).fit(reference),
        headline=headline_measures(reference),  # a national aggregate: cached with the fits
        schools=profile.school_distribution(reference, profile.settings()["context"]["min_pupils"]),
    )


def _entry(cache: dict) -> dict:
    """Which fit cache entry was used (its content key): deterministic, so an unchanged run keeps its report keys
    (whether it was a hit, and how long it took, are said on the terminal, not recorded)."""
    return {"what": cache.get("what"), "key": cache.get("key")}


def write_national(run: PreparedRun, inputs: Inputs, models: NationalModels) -> None:
    """National figures (no pupils) and the fitted models: the same whichever schools the run prepares."""
    tables = {"headline": models.headline, "pag_means": models.dfe.national_}
    info = {
        "reference_file": inputs.reference.name,
        "reference_year": models.reference_year,
        "reference_pupils": len(models.reference),
        "dfe_sd": models.dfe.national_sd_,
        "fft_sd": models.fft.national_sd_,
        "fit_cache": [_entry(models.cache)],
    }
    if models.ks5:
        tables.update({"ks5_attainment": models.ks5.attainment, "ks5_bands": models.ks5.va.bands_})
        info.update(
            {
                "ks5_reference_file": inputs.reference_ks5.name,
                "ks5_sd": models.ks5.va.national_sd_,
                "ks5_sources": models.ks5.va.sources_,
                "ks5_published_year": int(ks5.ks5_parameters()["value_added"]["published_model_year"]),
            }
        )
        info["fit_cache"].append(_entry(models.ks5.cache))
    run.write_national(info, tables, {"ks2": models.ks2, "ks1": models.ks1})
