"""Compute the methodology once for every school and write one folder of results per school (its "slice").

A school data folder (``--data DIR``) holds ``schools.csv``, ``pupils.csv`` (pupils on roll, with targets) and
``ks2_<year>.csv`` (past Year 6 cohorts with KS2 results), plus a national reference cohort
(``national_<year>.parquet``, in DIR or its parent, or given with ``--reference``).

``prepare`` fits the estimate models and value-added measures on the reference once, estimates every current pupil
at FFT50, FFT20, FFT5, the school's own past progress and the chosen challenge, computes value added for every past
cohort, and writes ``<run>/slices/<school_id>/`` with that school's pupils only, and ``<run>/national/`` with
national figures (no pupils). Notebooks read a slice; they never see another school's pupils.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit import challenge_settings
from toolkit.attainment import headline_measures
from toolkit.data import load_pupils
from toolkit.data.schema import year_group_number
from toolkit.estimates import EstimateModel
from toolkit.groups import pupil_groups
from toolkit.intake.uploads import accepted_results, upload_files
from toolkit.targets import NAMED_CHALLENGES, chance_of_target
from toolkit.value_added import DfeProgress, FftValueAdded, own_past_progress

KS2_YEARS = (3, 4, 5, 6)
KS1_YEARS = (1, 2)


@dataclass
class Inputs:
    schools: Path
    pupils: Path
    past: dict[int, Path]          # KS2 year -> file
    reference: Path

    uploads: list[Path] = field(default_factory=list)    # upload history and the files it analyses

    def files(self) -> list[Path]:
        return [self.schools, self.pupils, *self.past.values(), self.reference, *self.uploads]


def find_inputs(data: Path, reference: Path | None = None) -> Inputs:
    """Locate the input files of a school data folder; FileNotFoundError says exactly what is missing."""
    data = Path(data)
    missing = [n for n in ("schools.csv", "pupils.csv") if not (data / n).exists()]
    if missing:
        raise FileNotFoundError(f"{data}: no {' or '.join(missing)} (a data folder holds schools.csv, pupils.csv and "
                                "ks2_<year>.csv; see docs/report_pack.md)")
    past = {int(m.group(1)): p for p in sorted(data.glob("ks2_*.csv")) if (m := re.fullmatch(r"ks2_(\d{4})\.csv", p.name))}
    if reference is None:
        found = sorted(data.glob("national_*.parquet")) or sorted(data.parent.glob("national_*.parquet"))
        if not found:
            raise FileNotFoundError(f"{data}: no national reference cohort (national_<year>.parquet here or in "
                                    f"{data.parent}); give one with --reference")
        reference = found[-1]
    return Inputs(data / "schools.csv", data / "pupils.csv", past, Path(reference), upload_files(data))


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _estimates(model: EstimateModel, pupils: pd.DataFrame, challenges: dict[str, object]) -> pd.DataFrame:
    """Estimates for ``pupils`` at every labelled challenge, stacked with a ``challenge`` column."""
    parts = []
    for label, challenge in challenges.items():
        if challenge is None:
            continue
        est = model.predict(pupils, challenge)
        est.insert(1, "challenge", label)
        parts.append(est)
    return pd.concat(parts, ignore_index=True)


def _per_pupil(school_ids: pd.Series, by_school: pd.DataFrame, subjects: tuple[str, ...], default: float | None) -> dict | None:
    """Subject -> one percentile per pupil from a ``school_id, subject, percentile`` table (``default`` where absent)."""
    if by_school.empty:
        return None
    out = {}
    for subject in subjects:
        table = by_school[by_school["subject"] == subject].set_index("school_id")["percentile"]
        values = school_ids.map(table).astype(float)
        if default is None and values.isna().any():
            return None
        out[subject] = values.fillna(default).to_numpy()
    return out


def apply_uploads(data: Path, pupils: pd.DataFrame, past: dict[int, pd.DataFrame], say=print) -> tuple[pd.DataFrame, dict]:
    """Results accepted through ``toolkit upload`` (docs/intake.md): KS1 uploads fill the pupils' ``ks1_*``
    columns; KS2 uploads make this summer's Year 6 a KS2 cohort (value added for the year just finished)."""
    pupils = pupils.copy()
    ks1_results = accepted_results(data, "ks1")
    if len(ks1_results):
        by_upn = ks1_results.set_index("upn")
        rows = pupils["upn"].isin(by_upn.index)
        for col in (c for c in by_upn.columns if c.startswith("ks1_")):
            pupils.loc[rows, col] = pupils.loc[rows, "upn"].map(by_upn[col]).to_numpy()
    ks2_results = accepted_results(data, "ks2")
    if len(ks2_results):
        year = int(pupils["academic_year"].dropna().max())
        by_upn = ks2_results.set_index("upn")
        unknown = sorted(set(by_upn.index) - set(pupils["upn"]))
        if unknown:
            say(f"{len(unknown)} pupil(s) in accepted KS2 uploads are not in pupils.csv, so have no prior attainment "
                f"or characteristics; they are left out of this run's value added: {', '.join(unknown[:10])}")
        cohort = pupils[pupils["upn"].isin(by_upn.index)].copy()
        cohort = cohort.drop(columns=[c for c in cohort.columns if c.startswith("target_") or c == "target_reviewed"])
        for col in (c for c in by_upn.columns if c.startswith("ks2_")):
            cohort[col] = cohort["upn"].map(by_upn[col]).astype("string").to_numpy()
        past = {**past, year: pd.concat([past.get(year, cohort.iloc[:0]), cohort], ignore_index=True)}
    return pupils, past


def prepare(inputs: Inputs, out: Path, schools: list[str] | None = None, challenge: str | float = "FFT50",
            say=print) -> list[str]:
    """Write ``out/national/`` and ``out/slices/<school_id>/`` for ``schools`` (default all); return the ids."""
    out = Path(out)
    school_table = pd.read_csv(inputs.schools, dtype={"school_id": "string"})
    pupils = load_pupils(inputs.pupils)
    pupils["school_id"] = pupils["school_id"].astype("string")
    pupils = challenge_settings.apply_saved_targets(pupils)
    known = set(school_table["school_id"])
    ids = list(school_table["school_id"]) if not schools else [str(s) for s in schools]
    unknown = [s for s in ids if s not in known]
    if unknown:
        raise ValueError(f"{inputs.schools}: no school {', '.join(unknown)} (schools are {', '.join(sorted(known))})")
    say(f"Reference cohort {inputs.reference.name}: fitting estimates and value added once for all schools")
    reference = load_pupils(inputs.reference)
    ks2_model = EstimateModel("ks2").fit(reference)
    ks1_model = EstimateModel("ks1").fit(reference)
    dfe = DfeProgress().fit(reference)
    fft = FftValueAdded(ks2_model).fit(reference)
    reference_year = int(reference["academic_year"].dropna().max()) if "academic_year" in reference else None

    past = {year: load_pupils(path) for year, path in inputs.past.items()}
    pupils, past = apply_uploads(inputs.schools.parent, pupils, past, say)
    progress, scores = [], []
    for year, cohort in past.items():
        for method, va in (("DfE", dfe), ("FFT", fft)):
            p = va.transform(cohort).assign(method=method, year=year)
            progress.append(p)
            scores.append(va.school_scores(p).assign(method=method, year=year))
    progress = pd.concat(progress, ignore_index=True) if progress else pd.DataFrame()
    scores = pd.concat(scores, ignore_index=True) if scores else pd.DataFrame()
    fft_scores = scores[scores["method"] == "FFT"] if len(scores) else scores
    own = (own_past_progress(fft_scores, ks2_model)
           if len(fft_scores) else pd.DataFrame(columns=["school_id", "subject", "percentile"]))

    # Estimates for current pupils, every school at once.
    yg = year_group_number(pupils["year_group"])
    challenge_settings.percentile_of(challenge)             # refuse a bad level before any work
    settings = challenge_settings.load_all(ids)
    estimates = {}
    for stage, model, years in (("ks2", ks2_model, KS2_YEARS), ("ks1", ks1_model, KS1_YEARS)):
        rows = pupils[yg.isin(years)].reset_index(drop=True)
        if rows.empty:
            continue
        labels: dict[str, object] = dict(NAMED_CHALLENGES)
        labels["own_past_progress"] = (_per_pupil(rows["school_id"], own, model.subjects, None) if stage == "ks2" else None)
        # KS1 has no own past progress (it is KS2 value added): a school-wide "own" falls back to FFT50 there.
        default = "FFT50" if stage == "ks1" and challenge_settings.percentile_of(challenge) == challenge_settings.OWN else challenge
        labels["chosen"] = challenge_settings.per_pupil(settings, rows, model.subjects, default,
                                                        labels["own_past_progress"])
        est = _estimates(model, rows, labels)
        # "How likely, my school": each pupil's chance of their target at the school's chosen challenge.
        how_likely = chance_of_target(model, rows, labels["chosen"]).drop(columns="upn")
        chosen_rows = est["challenge"] == "chosen"
        for col in how_likely:
            est[col] = np.nan
            est.loc[chosen_rows, col] = how_likely[col].to_numpy()
        estimates[stage] = (rows, est)

    national_dir = out / "national"
    national_dir.mkdir(parents=True, exist_ok=True)
    headline_measures(reference).to_parquet(national_dir / "headline.parquet", index=False)
    # The fitted models, for the what-if dashboard (estimates at any challenge without refitting). Our own file,
    # read back only by toolkit.whatif.
    with open(national_dir / "models.pkl", "wb") as f:
        pickle.dump({"ks2": ks2_model, "ks1": ks1_model}, f)
    dfe.national_.to_parquet(national_dir / "pag_means.parquet", index=False)
    (national_dir / "national.json").write_text(json.dumps({
        "reference_file": inputs.reference.name, "reference_year": reference_year,
        "reference_pupils": len(reference), "dfe_sd": dfe.national_sd_, "fft_sd": fft.national_sd_}, indent=2))

    academic_year = int(pupils["academic_year"].dropna().max()) if "academic_year" in pupils else None
    for school_id in ids:
        d = out / "slices" / school_id
        d.mkdir(parents=True, exist_ok=True)
        info = school_table[school_table["school_id"] == school_id].iloc[0].to_dict()
        info = {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in info.items()}
        own_rows = own[own["school_id"] == school_id] if len(own) else own
        info.update({"academic_year": academic_year, "challenge": str(challenge),
                     "settings": settings.get(school_id),
                     "own_past_progress": {r.subject: float(r.percentile) for r in own_rows.itertuples()},
                     "past_years": sorted(y for y, c in past.items()
                                          if (c["school_id"].astype("string") == school_id).any())})
        (d / "school.json").write_text(json.dumps(info, indent=2, default=str))
        mine = pupils[pupils["school_id"] == school_id]
        mine.to_parquet(d / "pupils.parquet", index=False)
        pupil_groups(mine).assign(upn=mine["upn"].to_numpy()).to_parquet(d / "groups.parquet", index=False)
        for stage, (rows, est) in estimates.items():
            upns = set(rows.loc[rows["school_id"] == school_id, "upn"])
            est[est["upn"].isin(upns)].to_parquet(d / f"estimates_{stage}.parquet", index=False)
        for year in info["past_years"]:
            cohort = past[year]
            theirs = cohort[cohort["school_id"].astype("string") == school_id]
            theirs.to_parquet(d / f"ks2_{year}.parquet", index=False)
            pupil_groups(theirs).assign(upn=theirs["upn"].to_numpy()).to_parquet(d / f"groups_ks2_{year}.parquet", index=False)
        if len(progress):
            progress[progress["school_id"].astype("string") == school_id].to_parquet(d / "va_pupils.parquet", index=False)
            scores[scores["school_id"].astype("string") == school_id].to_parquet(d / "va_scores.parquet", index=False)
    return ids
