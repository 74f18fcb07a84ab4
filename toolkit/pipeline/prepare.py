"""Prepare a run: read the inputs (``load``), fit or load the national models (``national``), run every stage
(``stages``) for all the schools asked at once, and write one slice per school (``slices``) into the store
(``store.PreparedRun``): ``<run>/slices/<school_id>/`` with that school's pupils only, and ``<run>/national/`` with
national figures (no pupils). Notebooks read a slice; they never see another school's pupils.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.pipeline.data_folder import Inputs, file_hash, find_inputs
from toolkit.pipeline.load import Loaded, load
from toolkit.pipeline.national import NationalModels, fit_national, write_national
from toolkit.pipeline.slices import Slicer
from toolkit.pipeline.stage import Given
from toolkit.pipeline.stages import all_stages
from toolkit.pipeline.store import PreparedRun
from toolkit.vocabulary import Challenge

__all__ = ["Inputs", "file_hash", "find_inputs", "compute", "prepare", "prepare_part"]


def compute(loaded: Loaded, models: NationalModels, challenge: Challenge) -> Slicer:
    """Every stage in order on the loaded inputs: the trust-wide tables, ready to slice."""
    stages = all_stages()
    given = Given(loaded, models, challenge)
    for stage in stages:
        given.tables |= stage.run(given)
    return Slicer(loaded, challenge, stages, given.tables)


def write_slices(run: PreparedRun, slicer: Slicer) -> list[str]:
    """One slice per school asked; the ids."""
    for school_id in slicer.loaded.ids:
        run.write_school(school_id, slicer.facts(school_id), slicer.tables(school_id))
    return slicer.loaded.ids


def prepare(
    inputs: Inputs,
    out: Path,
    schools: list[str] | None = None,
    challenge: Challenge | str = "FFT50",
    say=print,
    refit: bool = False,
) -> list[str]:
    """Write the prepared run ``out``: national figures and one slice per school of ``schools`` (default all; the
    slices of other schools already there are kept); return the ids. ``refit`` fits the national models again
    instead of loading them from the fit cache."""
    run = PreparedRun(out)
    challenge = Challenge.parse(challenge)  # a bad level refused before any work
    loaded = load(inputs, schools, say)
    models = fit_national(inputs.reference, inputs.reference_ks5, say, refit)
    slicer = compute(loaded, models, challenge)
    run.start()
    write_national(run, inputs, models)
    return write_slices(run, slicer)


def prepare_part(
    inputs: Inputs, out: Path, schools: list[str], challenge: Challenge | str, models: NationalModels
) -> tuple[list[str], list[str]]:
    """The slices of some schools with national models fitted elsewhere (no fitting, no national figures): the
    unit of work when prepare is partitioned by school (``pack.cluster.prepare_on_cluster``). Returns the ids and
    what was said."""
    said: list[str] = []
    slicer = compute(load(inputs, schools, said.append), models, Challenge.parse(challenge))
    return write_slices(PreparedRun(out), slicer), said
