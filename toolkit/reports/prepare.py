"""Compute the methodology once for every school and write one folder of results per school (its "slice").

A school data folder (``--data DIR``) holds ``schools.csv``, ``pupils.csv`` (pupils on roll, with targets),
``ks2_<year>.csv`` (past Year 6 cohorts with KS2 results) and, for schools with a sixth form, ``ks5_<year>.csv``
(past Year 13 A level and AS entries), ``ks2_levels_<year>.csv`` (a secondary's Years 7-11 with old-style KS2
levels and marks, for fine points and the Progress 8 baseline), plus national reference cohorts (``national_<year>.parquet`` and, with KS5
data, ``national_ks5_<year>.parquet``; in DIR or its parent, or given with ``--reference``).

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

from toolkit import challenge_settings, ks2_baseline, ks5, subject_leader, tracking
from toolkit.data.assessments import load_counts, load_judgements, load_tracking
from toolkit.subject_leader_workbook import write_workbook
from toolkit.attainment import headline_measures
from toolkit.data import load_pupils
from toolkit.data.entries import load_entries, typed
from toolkit.data.schema import year_group_number
from toolkit.estimates import EstimateModel
from toolkit.groups import pupil_groups
from toolkit.intake.uploads import accepted_keystages, accepted_results, upload_files
from toolkit.targets import NAMED_CHALLENGES, chance_of_target
from toolkit.value_added import DfeProgress, FftValueAdded, Level3ValueAdded, own_past_progress

KS2_YEARS = (3, 4, 5, 6)
KS1_YEARS = (1, 2)


@dataclass
class Inputs:
    schools: Path
    pupils: Path
    past: dict[int, Path]          # KS2 year -> file
    reference: Path

    uploads: list[Path] = field(default_factory=list)    # upload history and the files it analyses
    ks5: dict[int, Path] = field(default_factory=dict)   # KS5 year -> entries file
    reference_ks5: Path | None = None
    ks2_levels: dict[int, Path] = field(default_factory=dict)   # academic year -> Years 7-11 with old KS2 levels
    tracking: Path | None = None             # termly steps-and-points grades
    judgements: Path | None = None           # foundation-subject judgements (pupil level)
    subject_counts: Path | None = None       # foundation-subject counts typed by subject leaders

    def files(self) -> list[Path]:
        optional = [self.reference_ks5, self.tracking, self.judgements, self.subject_counts]
        return [self.schools, self.pupils, *self.past.values(), self.reference, *self.uploads, *self.ks5.values(),
                *self.ks2_levels.values(), *(p for p in optional if p)]


def _find_reference(data: Path, stem: str, what: str) -> Path:
    found = sorted(p for p in [*data.glob(f"{stem}_*.parquet"), *data.parent.glob(f"{stem}_*.parquet")]
                   if re.fullmatch(rf"{stem}_\d{{4}}\.parquet", p.name))
    if not found:
        raise FileNotFoundError(f"{data}: no {what} ({stem}_<year>.parquet here or in {data.parent}); "
                                "make one with `toolkit synth` or give it with --reference")
    return found[-1]


def find_inputs(data: Path, reference: Path | None = None) -> Inputs:
    """Locate the input files of a school data folder; FileNotFoundError says exactly what is missing."""
    data = Path(data)
    missing = [n for n in ("schools.csv", "pupils.csv") if not (data / n).exists()]
    if missing:
        raise FileNotFoundError(f"{data}: no {' or '.join(missing)} (a data folder holds schools.csv, pupils.csv and "
                                "ks2_<year>.csv; see docs/report_pack.md)")

    def by_year(stem: str) -> dict[int, Path]:
        return {int(m.group(1)): p for p in sorted(data.glob(f"{stem}_*.csv"))
                if (m := re.fullmatch(rf"{stem}_(\d{{4}})\.csv", p.name))}

    uploads = upload_files(data)
    ks5_files = by_year("ks5")
    if reference is None:
        reference = _find_reference(data, "national", "national reference cohort")
    reference_ks5 = None
    if ks5_files or "ks5" in accepted_keystages(data):
        reference_ks5 = _find_reference(data, "national_ks5", "national KS5 reference cohort")
    optional = {name: (data / f"{name}.csv" if (data / f"{name}.csv").exists() else None)
                for name in ("tracking", "subject_judgements", "subject_counts")}
    return Inputs(data / "schools.csv", data / "pupils.csv", by_year("ks2"), Path(reference), uploads, ks5_files,
                  reference_ks5, by_year("ks2_levels"), optional["tracking"], optional["subject_judgements"],
                  optional["subject_counts"])


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


def academic_year_of(pupils: pd.DataFrame) -> int | None:
    """The academic year the pupil table describes (its latest ``academic_year``)."""
    return int(pupils["academic_year"].dropna().max()) if "academic_year" in pupils else None


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
        year = academic_year_of(pupils)
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


def apply_ks5_uploads(data: Path, pupils: pd.DataFrame, ks5_years: dict[int, pd.DataFrame], say=print
                      ) -> dict[int, pd.DataFrame]:
    """Accepted KS5 uploads become this summer's Year 13 entries; each student's KS4 APS, gender, FSM6 and name come
    from pupils.csv. Students missing there keep their entries (attainment) but have no prior (no value added)."""
    results = accepted_results(data, "ks5")
    if not len(results):
        return ks5_years
    year = academic_year_of(pupils)
    student_cols = [c for c in ("upn", "forename", "surname", "gender", "fsm6", "ks4_aps") if c in pupils]
    entries = typed(results).merge(pupils[student_cols], on="upn", how="left")
    unknown = sorted(set(results["upn"]) - set(pupils["upn"]))
    if unknown:
        say(f"{len(unknown)} student(s) in accepted KS5 uploads are not in pupils.csv, so have no KS4 prior "
            f"attainment; their grades count in attainment but not in value added: {', '.join(unknown[:10])}")
    entries["academic_year"] = year
    keep = ks5_years.get(year)
    if keep is not None:       # an upload replaces that year's file for the schools it covers
        keep = keep[~keep["school_id"].isin(set(entries["school_id"]))]
    return {**ks5_years, year: pd.concat([f for f in (keep, entries) if f is not None], ignore_index=True)}


@dataclass
class Ks5Results:
    entries: pd.DataFrame           # every school's entries, all years (academic_year)
    attainment: pd.DataFrame        # school_id, academic_year, subject, entries, students, aps_per_entry, pct_*
    progress: pd.DataFrame          # entry-level value added (Level3ValueAdded.transform) + academic_year
    scores: pd.DataFrame            # school_id, academic_year, subject, pupils, size, score, ci_low, ci_high
    national: pd.DataFrame          # the reference cohort's attainment
    va: Level3ValueAdded


def prepare_ks5(reference: Path, ks5_years: dict[int, pd.DataFrame], say=print) -> Ks5Results:
    """KS5 attainment and level 3 value added for every school and year, fitted once on the reference."""
    say(f"KS5 reference cohort {reference.name}: fitting level 3 value added")
    ref = load_entries(reference)
    va = Level3ValueAdded().fit(ref)
    entries = pd.concat([e.assign(academic_year=year) for year, e in ks5_years.items()], ignore_index=True)
    progress = pd.concat([va.transform(e).assign(academic_year=year) for year, e in ks5_years.items()],
                         ignore_index=True)
    return Ks5Results(entries, ks5.attainment(entries, ["school_id", "academic_year"]), progress,
                      va.school_scores(progress, ["school_id", "academic_year"]), ks5.attainment(ref), va)


def applicable_reports(pupils: pd.DataFrame, info: dict) -> list[str]:
    """The reports a school's data supports: primary reports for pupils in Years 1-6, value added for past KS2
    cohorts, KS5 results for a sixth form's A level entries, the KS2 baseline for old-style KS2 results."""
    yg = set(year_group_number(pupils["year_group"]).dropna().astype(int))
    out = ["estimates", "targets", "groups"] if yg & set(KS1_YEARS + KS2_YEARS) else []
    out += ["va"] if info["past_years"] else []
    out += ["ks5_results"] if info["ks5_years"] else []
    out += ["ks2_baseline"] if info["baseline_years"] else []
    out += ["tracking"] if info.get("tracking_term") else []
    out += ["subject_leader"] if info.get("subject_leader") else []
    return out


def prepare_assessments(inputs: Inputs, pupils: pd.DataFrame, year: int) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Steps-and-points progress (``tracking.pupil_progress``) and collated foundation-subject counts
    (``subject_leader.collate``) for every school; None where the data folder has no such file."""
    progress = None
    if inputs.tracking:
        records = load_tracking(inputs.tracking)
        term = tracking.latest_term(records, year)
        progress = tracking.pupil_progress(records, pupils, year, term).assign(term=term) if term else None
    parts = []
    if inputs.judgements:
        parts.append(subject_leader.counts_from_judgements(load_judgements(inputs.judgements), pupils))
    if inputs.subject_counts:
        parts.append(load_counts(inputs.subject_counts)[subject_leader.KEY + subject_leader.spec()["categories"]])
    counts = subject_leader.collate(pd.concat(parts, ignore_index=True)) if parts else None
    return progress, counts


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
    ks5_years = apply_ks5_uploads(inputs.schools.parent, pupils,
                                  {year: load_entries(path) for year, path in inputs.ks5.items()}, say)
    ks5_results = prepare_ks5(inputs.reference_ks5, ks5_years, say) if ks5_years else None
    old_ks2 = {year: load_pupils(path) for year, path in inputs.ks2_levels.items()}
    baselines = {year: pd.concat([frame, ks2_baseline.baseline(frame).drop(columns="upn")], axis=1)
                 for year, frame in old_ks2.items()}
    academic_year = academic_year_of(pupils)
    progress_records, subject_counts = prepare_assessments(inputs, pupils, academic_year)
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
    national = {"reference_file": inputs.reference.name, "reference_year": reference_year,
                "reference_pupils": len(reference), "dfe_sd": dfe.national_sd_, "fft_sd": fft.national_sd_}
    if ks5_results:
        ks5_results.national.to_parquet(national_dir / "ks5_attainment.parquet", index=False)
        ks5_results.va.bands_.to_parquet(national_dir / "ks5_bands.parquet", index=False)
        national.update({"ks5_reference_file": inputs.reference_ks5.name, "ks5_sd": ks5_results.va.national_sd_})
    (national_dir / "national.json").write_text(json.dumps(national, indent=2))

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
                                          if (c["school_id"].astype("string") == school_id).any()),
                     "ks5_years": sorted(y for y, e in ks5_years.items() if (e["school_id"] == school_id).any()),
                     "baseline_years": sorted(y for y, b in baselines.items() if (b["school_id"] == school_id).any())})
        my_progress = (progress_records[progress_records["upn"].isin(set(pupils.loc[pupils["school_id"] == school_id, "upn"]))]
                       if progress_records is not None else None)
        info["tracking_term"] = my_progress["term"].iloc[0] if my_progress is not None and len(my_progress) else None
        my_counts = subject_counts[subject_counts["school_id"] == school_id] if subject_counts is not None else None
        info["subject_leader"] = bool(my_counts is not None and len(my_counts))
        info["reports"] = applicable_reports(pupils[pupils["school_id"] == school_id], info)
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
        if info["tracking_term"]:
            my_progress.to_parquet(d / "tracking.parquet", index=False)
        if info["subject_leader"]:
            my_counts.to_parquet(d / "subject_counts.parquet", index=False)
            # The spreadsheet goes outside the slice: xlsx files carry their save time, and slices are hashed.
            write_workbook(my_counts, info.get("school_name") or school_id,
                           out / "workbooks" / school_id / "subject_leader.xlsx")
        for year in info["baseline_years"]:
            b = baselines[year]
            b[b["school_id"] == school_id].to_parquet(d / f"ks2_baseline_{year}.parquet", index=False)
        if info["ks5_years"]:
            for name in ("entries", "attainment", "progress", "scores"):
                frame = getattr(ks5_results, name)
                frame[frame["school_id"] == school_id].to_parquet(d / f"ks5_{name}.parquet", index=False)
    return ids
