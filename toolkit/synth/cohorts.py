"""The synthetic national cohort: pupils drawn from the calibrated model (``synth.calibration``) with their EYFS, KS1
and KS2 outcomes, targets and RBA scores, written as the national reference file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.inputs import outputs
from toolkit.methods import attainment
from toolkit.scales import eyfs, ks2
from toolkit.scales.identifiers import make_upn
from toolkit.synth import common, names
from toolkit.synth.calibration import (
    KS1_CATS,
    SEN_CODES,
    WRITING_CATS,
    Calibration,
    Cohort,
    Schools,
    _eyfs_expected,
    _ks1_index,
    _ks2_scores,
    _missing_masks,
    _writing_index,
    calibrate,
    calibration_report,
    draw_cohort,
    draw_schools,
    latents,
    school_sizes,
)
from toolkit.vocabulary import KS1_SUBJECTS, KS2_SUBJECTS
from toolkit.vocabulary import KS2_TEST_SUBJECTS as TEST_SUBJECTS

KIND = "synthetic national cohort"  # what its output file is (``inputs.outputs``: written marked as such)


def outcome_columns(c: Cohort, lat: dict, cal: Calibration, model: dict, stage: np.ndarray) -> pd.DataFrame:
    """Pupil-table result columns; ``stage`` per pupil: 0 none yet, 1 EYFS, 2 EYFS+KS1, 3 EYFS+KS1+KS2."""
    miss = _missing_masks(c, model)
    n = len(c.school)
    cols: dict[str, np.ndarray] = {}
    expected = _eyfs_expected(c, lat, cal, model)
    show_eyfs = (stage >= 1) & ~miss["no_eyfs"]
    for j, goal in enumerate(eyfs.goals()):
        v = np.where(expected[:, j], "expected", "emerging").astype(object)
        v = np.where(miss["eyfs_absent"], "A", v)
        cols[f"eyfs_{goal}"] = np.where(show_eyfs, v, None)
    idx = _ks1_index(lat, cal.ks1_cuts)
    show_ks1 = (stage >= 2) & ~miss["no_ks1"]
    cats = np.array(KS1_CATS, dtype=object)
    for j, s in enumerate(KS1_SUBJECTS):
        v = cats[idx[s]]
        v = np.where(miss["ks1_absent"][:, j], "A", np.where(miss["ks1_disapplied"][:, j], "D", v))
        cols[f"ks1_{s}"] = np.where(show_ks1, v, None)
    ks2 = _ks2_scores(lat, cal, miss)
    show_ks2 = stage >= 3
    for s in TEST_SUBJECTS:
        score = ks2[s]
        text = np.where(np.isnan(score), "", np.nan_to_num(score).astype(int).astype(str)).astype(object)
        text = np.where(
            ks2[f"{s}_code"] == 1, "B", np.where(ks2[f"{s}_code"] == 2, "N", np.where(ks2[f"{s}_code"] == 3, "A", text))
        )
        cols[f"ks2_{s}"] = np.where(show_ks2, text, None)
    widx = _writing_index(lat, cal, miss)
    wcats = np.array(WRITING_CATS, dtype=object)
    cols["ks2_writing"] = np.where(show_ks2, np.where(widx == -2, "A", wcats[np.clip(widx, 0, None)]), None)
    frame = pd.DataFrame(cols, index=range(n))
    return frame.astype("string")


def pupil_table(
    rng: np.random.Generator,
    c: Cohort,
    lat: dict,
    cal: Calibration,
    model: dict,
    school_ids: np.ndarray,
    year_group: np.ndarray,
    academic_year: np.ndarray,
    stage: np.ndarray,
) -> pd.DataFrame:
    """The pupil table (docs/data_model.md) for a drawn cohort."""
    fore, sur = names.pupil_names(rng, c.female)
    birth_start = academic_year - 6 - year_group
    dob = common.dates_of_birth(rng, c.month, birth_start)
    # UPN issued on entry to Reception: LA + establishment of the school, year of issue, serial within it.
    la = np.array([int(s[:3]) for s in school_ids])[c.school]
    estab = np.array([int(s[3:]) for s in school_ids])[c.school]
    issue = birth_start + 4
    key = pd.DataFrame({"s": c.school, "y": issue})
    serial = key.groupby(["s", "y"]).cumcount().to_numpy() + 1
    upn = [make_upn(a, b, y, k) for a, b, y, k in zip(la, estab, issue, serial)]
    base = pd.DataFrame(
        {
            "upn": upn,
            "school_id": school_ids[c.school],
            "forename": fore,
            "surname": sur,
            "dob": dob,
            "gender": np.where(c.female, "F", "M"),
            "year_group": year_group,
            "academic_year": academic_year,
            "fsm": c.fsm,
            "fsm6": c.disadvantaged,
            "eal": c.eal,
            "sen": SEN_CODES[c.sen],
        }
    )
    base = base.astype(
        {
            "upn": "string",
            "school_id": "string",
            "forename": "string",
            "surname": "string",
            "gender": "string",
            "sen": "string",
            "year_group": "Int64",
            "academic_year": "Int64",
            "fsm": "boolean",
            "fsm6": "boolean",
            "eal": "boolean",
        }
    )
    return pd.concat([base, outcome_columns(c, lat, cal, model, stage)], axis=1)


def draw_targets(rng: np.random.Generator, would_be: pd.DataFrame, year_group: np.ndarray, model: dict) -> pd.DataFrame:
    """Targets a school might have set: ``target_<subject>`` (KS2 subjects for Years 3-6, KS1 for Years 1-2) and
    ``target_reviewed``, from each pupil's would-be results ``would_be`` (``ks1_*`` and ``ks2_*`` columns)."""
    t = model["targets"]
    n = len(would_be)
    ks2_years, ks1_years = year_group >= 3, (year_group >= 1) & (year_group <= 2)
    step = rng.choice([1, -1, 0], n, p=[t["step_up"], t["step_down"], 1 - t["step_up"] - t["step_down"]])
    out: dict[str, np.ndarray] = {}

    def stepped(codes: pd.Series, ladder: tuple[str, ...]) -> np.ndarray:
        index = pd.Series(codes).map({c: i for i, c in enumerate(ladder)}).to_numpy(dtype=float)
        moved = np.clip(index + step, 0, len(ladder) - 1)
        return np.where(np.isnan(index), None, np.asarray(ladder, dtype=object)[np.nan_to_num(moved).astype(int)])

    for s in KS2_SUBJECTS:
        if s == "writing":
            ks2_target = stepped(would_be["ks2_writing"], ("PKF", "WTS", "EXS", "GDS"))
        else:
            score = ks2.scaled_score(would_be[f"ks2_{s}"]).to_numpy().astype(float)
            aim = np.clip(
                np.round(np.where(np.isnan(score), 84, score) + rng.normal(t["ambition_mean"], t["ambition_sd"], n)),
                80,
                120,
            )
            ks2_target = ks2.band_of_score(pd.Series(aim)).to_numpy(dtype=object)
        ks1_target = stepped(would_be[f"ks1_{s}"], ("PKF", "WTS", "EXS", "GDS")) if s != "gps" else np.full(n, None)
        target = np.where(ks2_years, ks2_target, np.where(ks1_years, ks1_target, None))
        out[f"target_{s}"] = np.where(rng.random(n) < t["without_target"], None, target)
    frame = pd.DataFrame(out).astype("string")
    has = frame.notna().any(axis=1).to_numpy()
    frame["target_reviewed"] = pd.array(np.where(has, rng.random(n) < t["reviewed"], None), dtype="boolean")
    return frame


@dataclass
class NationalCohort:
    pupils: pd.DataFrame
    schools: pd.DataFrame  # school_id, pupils, planted intake and value added (latent SD units)
    calibration: Calibration


def rba_scores(rng: np.random.Generator, c: Cohort, lat: dict, model: dict) -> np.ndarray:
    """Synthetic Reception Baseline Assessment scores (0-39): general attainment with the age-5 month-of-birth
    effect and assessment noise, scaled to the documented mean and SD (``rba`` in parameters/synth.yaml). Only
    synthetic national cohorts carry them: no school ever sees a real pupil's RBA score."""
    r = model["rba"]
    x = lat["general"] + model["eyfs"]["month_of_birth"] * c.month + r["noise_sd"] * rng.standard_normal(len(c.month))
    z = (x - x.mean()) / x.std()
    return np.clip(np.round(r["mean"] + r["sd"] * z), 0, 39).astype(int)


def national_cohort(pupils: int, year: int, seed: int) -> NationalCohort:
    """A synthetic national cohort of ``pupils`` who finished KS2 in ``year`` (EYFS, KS1 and KS2 results, and a
    simulated RBA score for researchers)."""
    if pupils < 1:
        raise ValueError("--pupils must be at least 1")
    model = parameters.load_yaml("synth.yaml")
    chars = parameters.load_yaml("national/characteristics.yaml")
    cal = calibrate(year)
    rng = np.random.default_rng(seed)
    sizes = school_sizes(rng, pupils, model)
    schools = draw_schools(rng, len(sizes), model, chars)
    c = draw_cohort(rng, np.repeat(np.arange(len(sizes)), sizes), schools, chars)
    lat = latents(c, schools, model, cal.effects)
    ids = common.school_ids(rng, len(sizes))
    n = len(c.school)
    table = pupil_table(rng, c, lat, cal, model, ids, np.full(n, 6), np.full(n, year), np.full(n, 3))
    table["rba"] = pd.array(rba_scores(np.random.default_rng([seed, 6000]), c, lat, model), dtype="Int64")
    school_frame = pd.DataFrame(
        {
            "school_id": ids,
            "pupils": sizes,
            "intake": schools.intake,
            **{f"va_{s}": schools.va[s] for s in KS2_SUBJECTS},
            **planted_effect_in_points(c, lat, schools, cal),
        }
    )
    return NationalCohort(table, school_frame, cal)


def planted_effect_in_points(c: Cohort, lat: dict, schools: Schools, cal: Calibration) -> dict[str, np.ndarray]:
    """Each school's planted value added in outcome units: the mean, over its pupils, of the outcome with the
    effect minus the outcome without it (scaled score for tests, TA points for writing), clipped to 79-120."""
    out = {}
    n_schools = len(schools.intake)
    for s in KS2_SUBJECTS:
        y = lat[f"ks2_{s}"]
        without = y - schools.va[s][c.school]
        if s == "writing":
            points = attainment.writing_progress_points(pd.Series(WRITING_CATS))
            cuts = np.asarray(cal.writing_cuts)
            diff = points[np.searchsorted(cuts, y, side="right")] - points[np.searchsorted(cuts, without, side="right")]
        else:
            smap = cal.score_maps[s]
            diff = np.clip(smap.continuous(y), 79, 120) - np.clip(smap.continuous(without), 79, 120)
        total = np.bincount(c.school, diff, minlength=n_schools)
        out[f"va_{s}_points"] = total / np.maximum(np.bincount(c.school, minlength=n_schools), 1)
    return out


# ----------------------------------------------------------------------------------------------- writing
def write_national(cohort: NationalCohort, out: Path) -> list[Path]:
    """Write the cohort (Parquet), its planted school effects and its calibration report beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    outputs.write_parquet(cohort.pupils, out, KIND)
    schools_path = out.with_name(out.stem + "_schools.csv")
    cohort.schools.to_csv(schools_path, index=False, float_format="%.5f")
    report = out.with_name(out.stem + "_calibration.json")
    report.write_text(json.dumps(calibration_report(cohort.calibration), indent=2))
    return [out, schools_path, report]
