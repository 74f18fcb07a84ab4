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
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from toolkit.inputs import load_pupils, partitions, school_state
from toolkit.inputs.assessments import load_counts, load_judgements, load_tracking
from toolkit.inputs.entries import load_entries, typed
from toolkit.inputs.gcse_results import load_gcse_results, load_ks4_targets
from toolkit.inputs.partitions import by_school, content_files, data_file, only
from toolkit.intake.uploads import accepted_keystages, accepted_results, upload_files
from toolkit.methods import challenge, ks2_baseline, ks4, ks4_estimates, ks5, subject_leader, tracking
from toolkit.methods.estimates import EstimateModel
from toolkit.methods.groups import pupil_groups
from toolkit.methods.targets import chance_of_target
from toolkit.methods.value_added import own_past_progress
from toolkit.pipeline.national import Ks5National, NationalModels, fit_national
from toolkit.pipeline.store import PreparedRun
from toolkit.scales.identifiers import school_id_for_path
from toolkit.vocabulary import KS1_YEARS, KS2_YEARS, OWN, named_challenges, percentile_of, year_group_number


@dataclass
class Inputs:
    schools: Path
    pupils: Path
    past: dict[int, Path]  # KS2 year -> file
    reference: Path

    uploads: list[Path] = field(default_factory=list)  # upload history and the files it analyses
    ks5: dict[int, Path] = field(default_factory=dict)  # KS5 year -> entries file
    reference_ks5: Path | None = None
    ks2_levels: dict[int, Path] = field(default_factory=dict)  # academic year -> Years 7-11 with old KS2 levels
    tracking: Path | None = None  # termly steps-and-points grades
    judgements: Path | None = None  # foundation-subject judgements (pupil level)
    subject_counts: Path | None = None  # foundation-subject counts typed by subject leaders
    ks4: dict[int, tuple[Path, Path]] = field(default_factory=dict)  # KS4 year -> (Year 11 pupils, GCSE results)
    ks4_targets: Path | None = None  # GCSE targets of Years 7-11

    def resolved(self) -> Inputs:
        """The same inputs by absolute paths (for a worker whose working folder is another)."""

        def absolute(value):
            if isinstance(value, Path):
                return value.resolve()
            if isinstance(value, dict):
                return {k: absolute(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(absolute(v) for v in value)
            return value

        return Inputs(**{f.name: absolute(getattr(self, f.name)) for f in fields(self)})

    def partitioned(self) -> bool:
        """Every school data file (all but schools.csv, the references and uploads) is a table partitioned by
        school (``toolkit.inputs.partitions``)."""
        shared = {self.schools, self.reference, self.reference_ks5, *self.uploads}
        return all(partitions.is_dataset(p) for p in self.files() if p not in shared)

    def school_ids(self) -> list[str]:
        """The DfE numbers listed in schools.csv."""
        return [str(s) for s in pd.read_csv(self.schools, dtype={"school_id": "string"})["school_id"].dropna()]

    def files(self) -> list[Path]:
        optional = [self.reference_ks5, self.tracking, self.judgements, self.subject_counts, self.ks4_targets]
        return [
            self.schools,
            self.pupils,
            *self.past.values(),
            self.reference,
            *self.uploads,
            *self.ks5.values(),
            *self.ks2_levels.values(),
            *(p for pair in self.ks4.values() for p in pair),
            *(p for p in optional if p),
        ]


def _find_reference(data: Path, stem: str, what: str) -> Path:
    found = sorted(
        p
        for p in [*data.glob(f"{stem}_*.parquet"), *data.parent.glob(f"{stem}_*.parquet")]
        if re.fullmatch(rf"{stem}_\d{{4}}\.parquet", p.name)
    )
    if not found:
        raise FileNotFoundError(
            f"{data}: no {what} ({stem}_<year>.parquet here or in {data.parent}); "
            "make one with `toolkit synth` or give it with --reference"
        )
    return found[-1]


def find_inputs(data: Path, reference: Path | None = None) -> Inputs:
    """Locate the input files of a school data folder; FileNotFoundError says exactly what is missing. Each file
    but schools.csv may be a CSV file or a Parquet table (``<name>.parquet``: a file, or a folder partitioned by
    school, ``toolkit.inputs.partitions``)."""
    data = Path(data)
    pupils = data_file(data, "pupils")
    missing = [
        n for n, there in (("schools.csv", (data / "schools.csv").exists()), ("pupils.csv", pupils)) if not there
    ]
    if missing:
        raise FileNotFoundError(
            f"{data}: no {' or '.join(missing)} (a data folder holds schools.csv, pupils.csv and "
            "ks2_<year>.csv; see docs/report_pack.md)"
        )

    def by_year(stem: str) -> dict[int, Path]:
        years = sorted(
            {
                int(m.group(1))
                for p in data.glob(f"{stem}_*")
                if (m := re.fullmatch(rf"{stem}_(\d{{4}})\.(csv|parquet)", p.name))
            }
        )
        return {y: data_file(data, f"{stem}_{y}") for y in years}

    uploads = upload_files(data)
    ks5_files = by_year("ks5")
    if reference is None:
        reference = _find_reference(data, "national", "national reference cohort")
    reference_ks5 = None
    if ks5_files or "ks5" in accepted_keystages(data):
        reference_ks5 = _find_reference(data, "national_ks5", "national KS5 reference cohort")
    optional = {
        name: data_file(data, name) for name in ("tracking", "subject_judgements", "subject_counts", "ks4_targets")
    }
    ks4_pupils, gcse = by_year("ks4"), by_year("gcse")
    unpaired = sorted(set(ks4_pupils) ^ set(gcse))
    if unpaired:
        y = unpaired[0]
        have, lack = ("ks4", "gcse") if y in ks4_pupils else ("gcse", "ks4")
        raise FileNotFoundError(
            f"{data}: {have}_{y} has no {lack}_{y}.csv beside it (a past Year 11 needs both: ks4_<year>.csv "
            "with the pupils and their KS2 results, gcse_<year>.csv with their GCSE results; docs/report_pack.md)"
        )
    return Inputs(
        data / "schools.csv",
        pupils,
        by_year("ks2"),
        Path(reference),
        uploads,
        ks5_files,
        reference_ks5,
        by_year("ks2_levels"),
        optional["tracking"],
        optional["subject_judgements"],
        optional["subject_counts"],
        {y: (ks4_pupils[y], gcse[y]) for y in ks4_pupils},
        optional["ks4_targets"],
    )


def file_hash(path: Path) -> str:
    """The SHA-256 of a file's bytes; of a folder partitioned by school, of its files' names and hashes."""
    if path.is_dir():
        listing = [(str(p.relative_to(path)), file_hash(p)) for p in content_files(path)]
        return hashlib.sha256(repr(listing).encode()).hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _estimates(model: EstimateModel, pupils: pd.DataFrame, challenges: dict[str, object]) -> pd.DataFrame:
    """Estimates for ``pupils`` at every labelled challenge, stacked with a ``challenge`` column."""
    parts = []
    for label, level in challenges.items():
        if level is None:
            continue
        est = model.predict(pupils, level)
        est.insert(1, "challenge", label)
        parts.append(est)
    return pd.concat(parts, ignore_index=True)


def _per_pupil(
    school_ids: pd.Series, by_school: pd.DataFrame, subjects: tuple[str, ...], default: float | None
) -> dict | None:
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


def apply_uploads(
    data: Path, pupils: pd.DataFrame, past: dict[int, pd.DataFrame], say=print
) -> tuple[pd.DataFrame, dict]:
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
            say(
                f"{len(unknown)} pupil(s) in accepted KS2 uploads are not in pupils.csv, so have no prior attainment "
                f"or characteristics; they are left out of this run's value added: {', '.join(unknown[:10])}"
            )
        cohort = pupils[pupils["upn"].isin(by_upn.index)].copy()
        cohort = cohort.drop(columns=[c for c in cohort.columns if c.startswith("target_") or c == "target_reviewed"])
        for col in (c for c in by_upn.columns if c.startswith("ks2_")):
            cohort[col] = cohort["upn"].map(by_upn[col]).astype("string").to_numpy()
        past = {**past, year: pd.concat([past.get(year, cohort.iloc[:0]), cohort], ignore_index=True)}
    return pupils, past


def apply_ks5_uploads(
    data: Path, pupils: pd.DataFrame, ks5_years: dict[int, pd.DataFrame], say=print
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
        say(
            f"{len(unknown)} student(s) in accepted KS5 uploads are not in pupils.csv, so have no KS4 prior "
            f"attainment; their grades count in attainment but not in value added: {', '.join(unknown[:10])}"
        )
    entries["academic_year"] = year
    keep = ks5_years.get(year)
    if keep is not None:  # an upload replaces that year's file for the schools it covers
        keep = keep[~keep["school_id"].isin(set(entries["school_id"]))]
    return {**ks5_years, year: pd.concat([f for f in (keep, entries) if f is not None], ignore_index=True)}


@dataclass
class Ks5Results:
    entries: pd.DataFrame  # every school's entries, all years (academic_year)
    attainment: pd.DataFrame  # school_id, academic_year, subject, entries, students, aps_per_entry, pct_*
    progress: pd.DataFrame  # entry-level value added (Level3ValueAdded.transform) + academic_year
    scores: pd.DataFrame  # school_id, academic_year, subject, pupils, size, score, ci_low, ci_high


def prepare_ks5(national: Ks5National, ks5_years: dict[int, pd.DataFrame]) -> Ks5Results:
    """KS5 attainment and level 3 value added of every school and year given."""
    va = national.va
    entries = pd.concat([e.assign(academic_year=year) for year, e in ks5_years.items()], ignore_index=True)
    progress = pd.concat(
        [va.transform(e).assign(academic_year=year) for year, e in ks5_years.items()], ignore_index=True
    )
    return Ks5Results(
        entries,
        ks5.attainment(entries, ["school_id", "academic_year"]),
        progress,
        va.school_scores(progress, ["school_id", "academic_year"]),
    )


@dataclass
class Ks4Results:
    pupils: pd.DataFrame  # every past Year 11 pupil scored (ks4.score_cohort) + academic_year, characteristics
    schools: pd.DataFrame  # per school and year: A8, P8 and elements with intervals, headline percentages
    results: pd.DataFrame  # their GCSE results (academic_year)
    own: pd.DataFrame  # school_id, p8, years, percentile: own past progress (official P8 years)
    current: pd.DataFrame | None = None  # Years 7-11 on roll with KS2 prior attainment
    estimates: pd.DataFrame | None = None  # per pupil, subject and challenge (ks4_estimates.estimates)
    attainment: pd.DataFrame | None = None  # per pupil and challenge: estimated A8 and P8
    targets: pd.DataFrame | None = None  # targets beside the chosen estimates (ks4_estimates.targets_against_estimates)


CHARACTERISTICS = ("upn", "gender", "fsm6", "fsm", "eal", "sen", "dob", "year_group", "forename", "surname")


def score_ks4_years(
    files: dict[int, tuple[Path, Path]], ids: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every past Year 11 (of the schools ``ids``, default all) scored as the DfE does for its year (the policy
    calendar: no P8 for 2025 and 2026)."""
    pupils, schools, results = [], [], []
    for year, (pupil_file, result_file) in sorted(files.items()):
        cohort, gcse = by_school(load_pupils, pupil_file, ids), by_school(load_gcse_results, result_file, ids)
        if ids is not None and cohort.empty:
            continue
        missing = sorted(set(gcse["upn"]) - set(cohort["upn"]))
        if missing:
            raise ValueError(
                f"{result_file}: {len(missing)} pupil(s) with results are not in {pupil_file.name} (first: "
                f"{missing[0]}); every pupil needs a row there for their KS2 prior attainment"
            )
        scored, school_scores, _ = ks4.score_cohort(cohort, gcse, year)
        keep = [c for c in CHARACTERISTICS if c in cohort]
        pupils.append(scored.merge(cohort[keep], on="upn", how="left").assign(academic_year=year))
        schools.append(school_scores.assign(academic_year=year))
        results.append(gcse.assign(academic_year=year))
    if not pupils:
        return pd.DataFrame(), pd.DataFrame(columns=["school_id", "p8", "academic_year"]), pd.DataFrame()
    return pd.concat(pupils, ignore_index=True), pd.concat(schools, ignore_index=True), pd.concat(results)


def ks4_own_progress(schools: pd.DataFrame) -> pd.DataFrame:
    """Each school's own past progress at KS4: the pupil-weighted mean P8 of its official years, as a percentile
    of school Progress 8 (``ks4_estimates.percentile_of_p8``)."""
    official = schools.dropna(subset=["p8"]) if "p8" in schools else schools.iloc[:0]
    if official.empty:
        return pd.DataFrame(columns=["school_id", "p8", "years", "percentile"])
    g = official.assign(w=official["p8"] * official["p8_pupils"]).groupby("school_id")
    out = (g["w"].sum() / g["p8_pupils"].sum()).rename("p8").reset_index()
    out["years"] = g["academic_year"].apply(lambda y: ", ".join(str(int(v)) for v in sorted(y))).to_numpy()
    out["percentile"] = ks4_estimates.percentile_of_p8(out["p8"].to_numpy())
    return out


def prepare_ks4(
    inputs: Inputs, pupils: pd.DataFrame, settings: dict, chosen: str | float, ids: list[str] | None = None
) -> Ks4Results | None:
    """KS4 results of every past Year 11 and estimates of every pupil in Years 7-11 with a KS2 result: FFT50, FFT20,
    FFT5, the school's own past progress and the chosen challenge (its saved settings per year group and subject;
    the key "Attainment 8" for A8 and P8), with targets beside the chosen estimates."""
    yg = year_group_number(pupils["year_group"])
    current = pupils[yg.between(7, 11)].reset_index(drop=True)
    if not inputs.ks4 and current.empty:
        return None
    if inputs.ks4:
        scored, schools, results = score_ks4_years(inputs.ks4, ids)
    else:
        scored, schools, results = pd.DataFrame(), pd.DataFrame(columns=["school_id", "p8"]), pd.DataFrame()
    own = ks4_own_progress(schools)
    out = Ks4Results(scored, schools, results, own)
    has_ks2 = [c for c in ("ks2_reading", "ks2_maths") if c in current]
    if current.empty or not has_ks2 or current[has_ks2].isna().all().all():
        return out
    targets = by_school(load_ks4_targets, inputs.ks4_targets, ids) if inputs.ks4_targets else None
    targets = school_state.apply_saved_ks4_targets(targets, sorted(set(current["school_id"].astype(str))))
    # Years 10-11 have chosen their options: their targets name their subjects; the core for everyone else
    chosen_options = set(targets["upn"]) if targets is not None else set()
    options_year = year_group_number(current["year_group"]) >= 10
    core_pupils = current.loc[~(options_year & current["upn"].isin(chosen_options)), "upn"]
    core = pd.DataFrame(
        [(u, s) for u in core_pupils for s in ks4_estimates.core_subjects()], columns=["upn", "subject"]
    )
    subjects = pd.concat([core, targets[["upn", "subject"]]] if targets is not None else [core]).drop_duplicates()
    subjects = subjects[subjects["upn"].isin(set(current["upn"]))]
    own_by_pupil = current["school_id"].map(own.set_index("school_id")["percentile"]).astype(float).to_numpy()
    has_own = not np.isnan(own_by_pupil).all()
    labels: dict[str, object] = dict(named_challenges())
    labels[OWN] = own_by_pupil if not np.isnan(own_by_pupil).any() else None
    default = "FFT50" if percentile_of(chosen) == OWN and not has_own else chosen
    names = tuple(sorted(set(subjects["subject"]))) + ("Attainment 8",)
    own_dict = {s: np.nan_to_num(own_by_pupil, nan=50.0) for s in names} if has_own else None
    per_subject = challenge.per_pupil(settings, current, names, default, own_dict)
    labels["chosen"] = per_subject
    out.current = current
    out.estimates = ks4_estimates.estimates(current, subjects, labels)
    a8_labels = {**labels, "chosen": per_subject["Attainment 8"]}
    out.attainment = ks4_estimates.attainment_estimates(current, a8_labels)
    if targets is not None:
        chosen_rows = out.estimates[out.estimates["challenge"] == "chosen"]
        out.targets = ks4_estimates.targets_against_estimates(targets[["upn", "subject", "target"]], chosen_rows)
    return out


def applicable_reports(pupils: pd.DataFrame, info: dict) -> list[str]:
    """The reports a school's data supports: primary reports for pupils in Years 1-6, value added for past KS2
    cohorts, KS5 results for a sixth form's A level entries, the KS2 baseline for old-style KS2 results."""
    yg = set(year_group_number(pupils["year_group"]).dropna().astype(int))
    primary = bool(yg & set(KS1_YEARS + KS2_YEARS))
    secondary = bool(info.get("ks4_years") or info.get("ks4_estimates"))
    out = ["summary"] if (primary and (info["past_years"] or 6 in yg)) or (secondary and not primary) else []
    out += ["estimates", "targets", "groups"] if primary else []
    out += ["va"] if info["past_years"] else []
    out += ["ks4_results"] if info.get("ks4_years") else []
    out += ["ks4_estimates"] if info.get("ks4_estimates") else []
    out += ["ks5_results"] if info["ks5_years"] else []
    out += ["ks2_baseline"] if info["baseline_years"] else []
    out += ["tracking"] if info.get("tracking_term") else []
    out += ["subject_leader"] if info.get("subject_leader") else []
    out += ["appendix"] if {"estimates", "tracking", "ks2_baseline", "ks4_estimates"} & set(out) else []
    return out


def prepare_assessments(
    inputs: Inputs, pupils: pd.DataFrame, year: int, ids: list[str] | None = None
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Steps-and-points progress (``tracking.pupil_progress``) and collated foundation-subject counts
    (``subject_leader.collate``) for every school; None where the data folder has no such file."""
    progress = None
    if inputs.tracking:
        records = by_school(load_tracking, inputs.tracking, ids)
        term = tracking.latest_term(records, year)
        progress = tracking.pupil_progress(records, pupils, year, term).assign(term=term) if term else None
    parts = []
    if inputs.judgements:
        judged = by_school(load_judgements, inputs.judgements, ids)
        parts.append(subject_leader.counts_from_judgements(judged, pupils))
    if inputs.subject_counts:
        counts = by_school(load_counts, inputs.subject_counts, ids)
        parts.append(counts[subject_leader.KEY + subject_leader.spec()["categories"]])
    counts = subject_leader.collate(pd.concat(parts, ignore_index=True)) if parts else None
    return progress, counts


@dataclass
class Prepared:
    """The methodology computed for every school at once, before it is split into slices."""

    school_table: pd.DataFrame
    ids: list[str]
    pupils: pd.DataFrame
    academic_year: int | None
    challenge: str | float
    settings: dict[str, dict]
    past: dict[int, pd.DataFrame]
    progress: pd.DataFrame  # pupil value added of past cohorts (DfE and FFT)
    scores: pd.DataFrame  # school value added of past cohorts
    own: pd.DataFrame  # school_id, subject, percentile: own past progress
    estimates: dict[str, tuple[pd.DataFrame, pd.DataFrame]]  # stage -> (pupils, long estimates)
    ks5_years: dict[int, pd.DataFrame]
    ks5: Ks5Results | None
    baselines: dict[int, pd.DataFrame]
    progress_records: pd.DataFrame | None  # steps-and-points progress
    subject_counts: pd.DataFrame | None
    ks4: Ks4Results | None = None


def _names_a_folder(school_id: str) -> bool:
    try:
        school_id_for_path(school_id)
        return True
    except ValueError:
        return False


def read_schools(inputs: Inputs, schools: list[str] | None) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """The schools table, the ids asked for (default all; unknown ids refused) and the pupils with saved targets."""
    school_table = pd.read_csv(inputs.schools, dtype={"school_id": "string"})
    bad = [i + 2 for i, s in enumerate(school_table["school_id"].fillna("")) if not _names_a_folder(s)]
    if bad:
        raise ValueError(
            f"{inputs.schools}: school_id must be a 7-digit DfE number (it names each school's folder). Column: "
            f"school_id. Row{'s' if len(bad) > 1 else ''}: {', '.join(map(str, bad))}"
        )
    known = set(school_table["school_id"])
    ids = list(school_table["school_id"]) if not schools else [str(s) for s in schools]
    unknown = [s for s in ids if s not in known]
    if unknown:
        raise ValueError(f"{inputs.schools}: no school {', '.join(unknown)} (schools are {', '.join(sorted(known))})")
    pupils = by_school(load_pupils, inputs.pupils, ids)  # a run of some schools reads and computes theirs only
    pupils["school_id"] = pupils["school_id"].astype("string")
    return school_table, ids, school_state.apply_saved_targets(pupils)


def past_value_added(
    past: dict[int, pd.DataFrame], models: NationalModels
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pupil and school value added (DfE and FFT) of every past cohort, and each school's own past progress."""
    progress, scores = [], []
    for year, cohort in past.items():
        for method, va in (("DfE", models.dfe), ("FFT", models.fft)):
            p = va.transform(cohort).assign(method=method, year=year)
            progress.append(p)
            scores.append(va.school_scores(p).assign(method=method, year=year))
    progress = pd.concat(progress, ignore_index=True) if progress else pd.DataFrame()
    scores = pd.concat(scores, ignore_index=True) if scores else pd.DataFrame()
    fft_scores = scores[scores["method"] == "FFT"] if len(scores) else scores
    own = (
        own_past_progress(fft_scores, models.ks2)
        if len(fft_scores)
        else pd.DataFrame(columns=["school_id", "subject", "percentile", "years"])
    )
    return progress, scores, own


def current_estimates(
    pupils: pd.DataFrame, models: NationalModels, own: pd.DataFrame, settings: dict[str, dict], chosen: str | float
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Estimates of every current pupil at FFT50, FFT20, FFT5, own past progress and the chosen challenge, with
    "how likely" each pupil's target is at the chosen one; stage -> (pupils, long estimates)."""
    yg = year_group_number(pupils["year_group"])
    estimates = {}
    for stage, model, years in (("ks2", models.ks2, KS2_YEARS), ("ks1", models.ks1, KS1_YEARS)):
        rows = pupils[yg.isin(years)].reset_index(drop=True)
        if rows.empty:
            continue
        labels: dict[str, object] = named_challenges()
        labels[OWN] = _per_pupil(rows["school_id"], own, model.subjects, None) if stage == "ks2" else None
        # KS1 has no own past progress (it is KS2 value added): a school-wide "own" falls back to FFT50 there.
        default = "FFT50" if stage == "ks1" and percentile_of(chosen) == OWN else chosen
        labels["chosen"] = challenge.per_pupil(settings, rows, model.subjects, default, labels[OWN])
        est = _estimates(model, rows, labels)
        # "How likely, my school": each pupil's chance of their target at the school's chosen challenge.
        how_likely = chance_of_target(model, rows, labels["chosen"]).drop(columns="upn")
        chosen_rows = est["challenge"] == "chosen"
        for col in how_likely:
            est[col] = np.nan
            est.loc[chosen_rows, col] = how_likely[col].to_numpy()
        estimates[stage] = (rows, est)
    return estimates


def compute(
    inputs: Inputs,
    models: NationalModels,
    schools: tuple[pd.DataFrame, list[str], pd.DataFrame],
    chosen: str | float,
    say=print,
) -> Prepared:
    """Every school's methodology at once (``schools`` from ``read_schools``): uploads applied, value added,
    estimates, KS5, baselines, assessments."""
    school_table, ids, pupils = schools
    past = {year: by_school(load_pupils, path, ids) for year, path in inputs.past.items()}
    past = {year: frame for year, frame in past.items() if len(frame)}
    pupils, past = apply_uploads(inputs.schools.parent, pupils, past, say)
    ks5_files = {year: by_school(load_entries, path, ids) for year, path in inputs.ks5.items()}
    ks5_years = apply_ks5_uploads(inputs.schools.parent, pupils, {y: e for y, e in ks5_files.items() if len(e)}, say)
    ks5_years = {year: only(e, ids) for year, e in ks5_years.items()}
    ks5_results = prepare_ks5(models.ks5, ks5_years) if ks5_years else None
    baselines = {
        year: pd.concat([frame, ks2_baseline.baseline(frame).drop(columns="upn")], axis=1)
        for year, frame in ((y, by_school(load_pupils, p, ids)) for y, p in inputs.ks2_levels.items())
        if len(frame)
    }
    academic_year = academic_year_of(pupils)
    progress_records, subject_counts = prepare_assessments(inputs, pupils, academic_year, ids)
    progress, scores, own = past_value_added(past, models)
    settings = school_state.load_all(ids)
    estimates = current_estimates(pupils, models, own, settings, chosen)
    ks4_results = prepare_ks4(inputs, pupils, settings, chosen, ids)
    return Prepared(
        school_table,
        ids,
        pupils,
        academic_year,
        chosen,
        settings,
        past,
        progress,
        scores,
        own,
        estimates,
        ks5_years,
        ks5_results,
        baselines,
        progress_records,
        subject_counts,
        ks4_results,
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
                "ks5_published_year": int(ks5.spec()["value_added"]["published_model_year"]),
            }
        )
        info["fit_cache"].append(_entry(models.ks5.cache))
    run.write_national(info, tables, {"ks2": models.ks2, "ks1": models.ks1})


_ONCE: dict[tuple[str, int], tuple[pd.DataFrame, object]] = {}  # (what, id(frame)) -> (frame, result), while slicing


def _once(what: str, frame: pd.DataFrame, make):
    """``make(frame)`` once per trust-wide table while slicing, not again for every school: linear in the number of
    schools. The frame is kept beside its result, so its id is not reused meanwhile (``write_slices`` clears)."""
    if (what, id(frame)) not in _ONCE:
        _ONCE[what, id(frame)] = (frame, make(frame))
    return _ONCE[what, id(frame)][1]


def _split(frame: pd.DataFrame, owner: pd.Series) -> dict[str, np.ndarray]:
    """school_id -> the positions of its rows in ``frame`` (``owner``: each row's school), one ``groupby``."""
    return {str(k): rows for k, rows in frame.groupby(owner, sort=False, dropna=False).indices.items()}


_NO_ROWS = np.array([], dtype=np.intp)


def _rows(frame: pd.DataFrame, school_id: str, pupils: pd.DataFrame | None = None) -> np.ndarray:
    """The positions of one school's rows of a trust-wide ``frame``: by its ``school_id``, or for a table by ``upn``
    without one (estimates, targets, results), by each UPN's school in ``pupils``. Each table is split once."""
    if not len(frame):
        return _NO_ROWS
    if pupils is None:
        parts = _once("by school", frame, lambda f: _split(f, f["school_id"].astype("string")))
    else:

        def by_pupil(f: pd.DataFrame) -> dict[str, np.ndarray]:
            school = pupils.drop_duplicates("upn").set_index("upn")["school_id"].astype("string")
            return _split(f, f["upn"].map(school))

        parts = _once("by pupil", frame, by_pupil)
    return parts.get(school_id, _NO_ROWS)


def _of(frame: pd.DataFrame | None, school_id: str, pupils: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """The rows of ``frame`` belonging to one school (``_rows``)."""
    if frame is None or not len(frame):
        return frame
    return frame.iloc[_rows(frame, school_id, pupils)]


def _arrow(frame: pd.DataFrame) -> pa.Table | None:
    """``frame`` as an Arrow table (as ``to_parquet`` makes it), or None where Arrow cannot type a column whole."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return table.combine_chunks()  # one chunk a column: a take from many chunks costs more with every chunk


def _take(frame: pd.DataFrame, rows: np.ndarray) -> pa.Table:
    """Rows of a trust-wide table as an Arrow table, taken from the whole table made an Arrow table once
    (converting each school's rows apart cost more than writing them)."""
    whole = _once("arrow", frame, _arrow)
    return whole.take(rows) if whole is not None else pa.Table.from_pandas(frame.iloc[rows], preserve_index=False)


def _table(frame: pd.DataFrame, school_id: str, pupils: pd.DataFrame | None = None) -> pa.Table:
    """One school's slice table: its rows (``_rows``) of the trust-wide ``frame``."""
    return _take(frame, _rows(frame, school_id, pupils))


def _groups(frame: pd.DataFrame, school_id: str) -> pa.Table:
    """The pupil-group labels (``pupil_groups`` + upn) of one school's rows of a trust-wide ``frame``. A pupil's
    labels are their own, so each table is labelled once for every school, at the same positions."""
    labels = _once("labels", frame, lambda f: pupil_groups(f).assign(upn=f["upn"].to_numpy()))
    return _take(labels, _rows(frame, school_id))


def _school_info(
    p: Prepared, school_id: str, mine: pd.DataFrame, my_progress: pd.DataFrame | None, my_counts: pd.DataFrame | None
) -> dict:
    """The school's facts (``school.json``): its row of schools.csv, the run's year and challenge, its saved
    settings, own past progress, which years of which data it has, and so which reports its data supports."""
    info = p.school_table[p.school_table["school_id"] == school_id].iloc[0].to_dict()
    info = {k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in info.items()}
    info.update(
        {
            "academic_year": p.academic_year,
            "challenge": str(p.challenge),
            "settings": p.settings.get(school_id),
            "own_past_progress": {r.subject: float(r.percentile) for r in _of(p.own, school_id).itertuples()},
            "own_past_years": {r.subject: r.years for r in _of(p.own, school_id).itertuples()},
            "past_years": sorted(y for y, c in p.past.items() if len(_of(c, school_id))),
            "ks5_years": sorted(y for y, e in p.ks5_years.items() if len(_of(e, school_id))),
            "baseline_years": sorted(y for y, b in p.baselines.items() if len(_of(b, school_id))),
            **_ks4_info(p.ks4, school_id),
        }
    )
    info["tracking_term"] = my_progress["term"].iloc[0] if my_progress is not None and len(my_progress) else None
    info["subject_leader"] = bool(my_counts is not None and len(my_counts))
    info["reports"] = applicable_reports(mine, info)
    return info


def _ks4_info(k: Ks4Results | None, school_id: str) -> dict:
    """Which KS4 years a school has, its own past progress at KS4, and whether its Years 7-11 have estimates."""
    if k is None:
        return {"ks4_years": [], "ks4_estimates": False}
    years = sorted(int(y) for y in _of(k.schools, school_id)["academic_year"]) if len(k.schools) else []
    own = _of(k.own, school_id)
    return {
        "ks4_years": years,
        "ks4_estimates": bool(k.estimates is not None and len(_of(k.current, school_id))),
        "ks4_own_past_progress": None
        if own.empty
        else {
            "p8": float(own["p8"].iloc[0]),
            "years": own["years"].iloc[0],
            "percentile": float(own["percentile"].iloc[0]),
        },
    }


def _ks4_tables(k: Ks4Results | None, school_id: str, info: dict) -> dict[str, pa.Table]:
    """A school's KS4 tables: past Year 11 results and scores; Years 7-11 estimates and targets."""
    tables = {}
    if info["ks4_years"]:
        tables |= {"ks4_pupils": _table(k.pupils, school_id), "ks4_scores": _table(k.schools, school_id)}
        tables["ks4_results"] = _table(k.results, school_id, k.pupils)
        tables["ks4_groups"] = _groups(k.pupils, school_id)
    if info["ks4_estimates"]:
        tables["ks4_current"] = _table(k.current, school_id)
        for name in ("estimates", "attainment", "targets"):
            if getattr(k, name) is not None:
                tables[f"ks4_{name}"] = _table(getattr(k, name), school_id, k.current)
        tables["ks4_current_groups"] = _groups(k.current, school_id)
    return tables


def _past_tables(p: Prepared, school_id: str, info: dict) -> dict[str, pa.Table]:
    """Past cohorts, their groups and value added; KS5 and KS2 baseline years."""
    tables = {}
    for year in info["past_years"]:
        tables[f"ks2_{year}"] = _table(p.past[year], school_id)
        tables[f"groups_ks2_{year}"] = _groups(p.past[year], school_id)
    if len(p.progress):
        tables["va_pupils"], tables["va_scores"] = _table(p.progress, school_id), _table(p.scores, school_id)
    for year in info["baseline_years"]:
        tables[f"ks2_baseline_{year}"] = _table(p.baselines[year], school_id)
    if info["ks5_years"]:
        for name in ("entries", "attainment", "progress", "scores"):
            tables[f"ks5_{name}"] = _table(getattr(p.ks5, name), school_id)
    return tables


def school_slice(p: Prepared, school_id: str) -> tuple[dict, dict[str, pa.Table]]:
    """One school's facts (``school.json``) and tables (its pupils only; ``store.SLICE_TABLES``)."""
    my_progress = _of(p.progress_records, school_id, p.pupils)
    my_counts = _of(p.subject_counts, school_id)
    info = _school_info(p, school_id, _of(p.pupils, school_id), my_progress, my_counts)
    tables = {"pupils": _table(p.pupils, school_id), "groups": _groups(p.pupils, school_id)}
    for stage, (rows, est) in p.estimates.items():
        tables[f"estimates_{stage}"] = _table(est, school_id, rows)
    if info["tracking_term"]:
        tables["tracking"] = _table(p.progress_records, school_id, p.pupils)
    if info["subject_leader"]:
        tables["subject_counts"] = _table(p.subject_counts, school_id)
    return info, tables | _past_tables(p, school_id, info) | _ks4_tables(p.ks4, school_id, info)


def write_slices(run: PreparedRun, prepared: Prepared) -> list[str]:
    """One slice per school of ``prepared``; the ids."""
    try:
        for school_id in prepared.ids:
            run.write_school(school_id, *school_slice(prepared, school_id))
    finally:
        _ONCE.clear()
    return prepared.ids


def prepare(
    inputs: Inputs,
    out: Path,
    schools: list[str] | None = None,
    challenge: str | float = "FFT50",
    say=print,
    refit: bool = False,
) -> list[str]:
    """Write the prepared run ``out`` (``run_format``): national figures and one slice per school of ``schools``
    (default all; the slices of other schools already there are kept); return the ids. ``refit`` fits the national
    models again instead of loading them from the fit cache."""
    run = PreparedRun(out)
    percentile_of(challenge)  # refuse a bad level before any work
    chosen_schools = read_schools(inputs, schools)
    models = fit_national(inputs.reference, inputs.reference_ks5, say, refit)
    prepared = compute(inputs, models, chosen_schools, challenge, say)
    run.start()
    write_national(run, inputs, models)
    return write_slices(run, prepared)


def prepare_part(
    inputs: Inputs, out: Path, schools: list[str], challenge: str | float, models: NationalModels
) -> tuple[list[str], list[str]]:
    """The slices of some schools with national models fitted elsewhere (no fitting, no national figures): the
    unit of work when prepare is partitioned by school (``cluster.prepare_on_cluster``). Returns the ids and what
    was said."""
    said: list[str] = []
    prepared = compute(inputs, models, read_schools(inputs, schools), challenge, said.append)
    return write_slices(PreparedRun(out), prepared), said
