"""The ``toolkit`` command (also ``python -m toolkit``): thin wrappers that parse, call the package, print."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from toolkit.reports import catalogue

DESCRIPTION = """Open pupil-tracking analyses for English schools.

Commands:
  synth national   generate a synthetic national KS2 cohort, calibrated to published figures
  synth ks5        generate a synthetic national KS4 -> A level cohort (entries with grades)
  synth ks4        generate a synthetic national KS4 cohort (KS2 results and GCSEs) from the DfE's matrices
  synth schools    generate a synthetic demo trust (primaries and a secondary school with a sixth form)
  check            check a pupil file (CSV, XLSX, Parquet) and list every problem by row and column
  estimates        estimates with chances of each band at a challenge level, one row per pupil
  va               school value added with 95% confidence intervals (DfE or FFT-style)
  ks4              Attainment 8, Progress 8 (the DfE's published model), EBacc, English and maths
  partition        copy a school data folder with its files partitioned by school (Parquet)
"""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _synth_national(args: argparse.Namespace) -> int:
    from toolkit.synth import calibration as synth_calibration
    from toolkit.synth import cohorts as synth

    start = time.perf_counter()
    _say(f"Calibrating the generator to the published figures for KS2 {args.year} ...")
    synth_calibration.calibrate(args.year)
    _say(f"  done in {time.perf_counter() - start:.1f} s; generating {args.pupils:,} pupils (seed {args.seed}) ...")
    cohort = synth.national_cohort(args.pupils, args.year, args.seed)
    files = synth.write_national(cohort, Path(args.out))
    _say(
        f"Wrote {len(cohort.pupils):,} synthetic pupils in {len(cohort.schools):,} schools "
        f"in {time.perf_counter() - start:.1f} s:"
    )
    for f in files:
        print(f)
    return 0


def _synth_ks4(args: argparse.Namespace) -> int:
    from toolkit.synth import ks4 as synth_ks4

    start = time.perf_counter()
    out = output_folder(Path(args.out))
    _say(f"Generating {args.pupils:,} synthetic pupils finishing KS4 in {args.year} (seed {args.seed}) ...")
    cohort = synth_ks4.national_ks4(args.pupils, args.year, args.seed)
    out.mkdir(parents=True, exist_ok=True)
    pupils, results = (
        out / f"national_ks4_{args.year}_pupils.parquet",
        out / f"national_ks4_{args.year}_results.parquet",
    )
    cohort.pupils.to_parquet(pupils, index=False)
    cohort.results.to_parquet(results, index=False)
    _say(
        f"Wrote {len(cohort.pupils):,} pupils and {len(cohort.results):,} GCSE (and other) results in "
        f"{time.perf_counter() - start:.1f} s: {pupils}, {results}"
    )
    return 0


def _synth_ks5(args: argparse.Namespace) -> int:
    from toolkit.synth import ks5 as synth_ks5

    start = time.perf_counter()
    _say(f"Generating {args.students:,} synthetic A level students finishing in {args.year} (seed {args.seed}) ...")
    cohort = synth_ks5.national_ks5(args.students, args.year, args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cohort.entries.to_parquet(out, index=False)
    schools = out.with_name(out.stem + "_schools.csv")
    cohort.schools.to_csv(schools, index=False, float_format="%.5f")
    _say(
        f"Wrote {len(cohort.entries):,} entries of {cohort.entries['upn'].nunique():,} students in "
        f"{len(cohort.schools):,} schools in {time.perf_counter() - start:.1f} s:"
    )
    print(out)
    print(schools)
    return 0


def _synth_schools(args: argparse.Namespace) -> int:
    from toolkit.synth import trust as synth_trust

    start = time.perf_counter()
    _say(
        f"Generating a synthetic trust of {args.schools} schools for {args.year - 1}/{str(args.year)[2:]} "
        f"(seed {args.seed}) ..."
    )
    trust = synth_trust.demo_trust(args.schools, args.year, args.seed, secondary=not args.no_secondary)
    files = synth_trust.write_trust(trust, Path(args.out), args.year)
    past = sum(len(f) for f in trust.past.values())
    entries = sum(len(f) for f in trust.ks5.values())
    _say(
        f"Wrote {len(trust.pupils):,} current pupils, {past:,} past Year 6 pupils and {entries:,} past A level "
        f"entries in {time.perf_counter() - start:.1f} s:"
    )
    for f in files:
        print(f)
    return 0


def _check(args: argparse.Namespace) -> int:
    from toolkit.inputs import PupilDataError, load_pupils

    try:
        pupils = load_pupils(args.file)
    except (PupilDataError, FileNotFoundError) as err:
        print(err, file=sys.stderr)
        return 1
    for notice in pupils.attrs.get("notices", []):
        print(f"{args.file}: note: {notice}")
    schools = pupils["school_id"].nunique()
    print(
        f"{args.file}: {len(pupils):,} pupils in {schools} school{'s' if schools != 1 else ''}, "
        f"{len(pupils.columns)} columns; no problems found."
    )
    return 0


def _load(path: str):
    from toolkit.inputs import load_pupils

    return load_pupils(path)


def _challenge(text: str) -> float:
    """A challenge level for `toolkit estimates` (own past progress needs a school's history, so is not one)."""
    from toolkit.vocabulary import OWN, percentile_of

    try:
        value = percentile_of(text)
    except ValueError as err:
        if "outside 1-99" in str(err):
            raise argparse.ArgumentTypeError(str(err)) from None
        value = OWN
    if value == OWN:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a challenge level: give FFT50, FFT20, FFT5 or a percentile from 1 to 99"
        )
    return value


def _estimates(args: argparse.Namespace) -> int:
    from toolkit.inputs import PupilDataError
    from toolkit.inputs.cells import inert_frame
    from toolkit.methods.estimates import EstimateModel

    try:
        output_file(Path(args.out))
        reference, pupils = _load(args.reference), _load(args.pupils)
    except (PupilDataError, FileNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    start = time.perf_counter()
    model = EstimateModel(args.stage, contextual=args.contextual).fit(reference)
    estimates = model.predict(pupils, args.challenge)
    if estimates.empty:
        print(
            f"{args.pupils}: no pupil to estimate (the file has no rows left to estimate); nothing written",
            file=sys.stderr,
        )
        return 1
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    inert_frame(estimates).to_csv(args.out, index=False, float_format="%.4f")
    _say(
        f"Estimates for {len(pupils):,} pupils at challenge {args.challenge:g} "
        f"(fitted on {len(reference):,} reference pupils) in {time.perf_counter() - start:.1f} s: {args.out}"
    )
    return 0


def _ks4(args: argparse.Namespace) -> int:

    from toolkit.inputs.cells import inert_frame
    from toolkit.inputs.gcse_results import load_gcse_results
    from toolkit.methods import ks4, policy

    out = output_folder(Path(args.out))
    pupils, results = _load(args.pupils), load_gcse_results(args.results)
    entry = policy.status(policy.PROGRESS_8, args.year)
    if not entry.has_baseline and not args.unofficial:
        _say(f"{entry.refusal()}. Attainment 8, EBacc and English and maths are written; give --unofficial for P8.")
    cohort = pupils[pupils["upn"].isin(results["upn"])].reset_index(drop=True)
    missing = sorted(set(results["upn"]) - set(cohort["upn"]))
    if missing:
        raise ValueError(
            f"{args.results}: {len(missing)} pupil(s) with results are not in {args.pupils} (first: {missing[0]}); "
            "every pupil needs a row there for their KS2 prior attainment"
        )
    if cohort.empty:
        raise ValueError(f"{args.results}: no pupil with results; nothing written")
    scored, schools, status = ks4.score_cohort(cohort, results, args.year, args.unofficial)
    out.mkdir(parents=True, exist_ok=True)
    inert_frame(scored).to_csv(out / "pupils.csv", index=False, float_format="%.4f")
    inert_frame(schools).to_csv(out / "schools.csv", index=False, float_format="%.4f")
    left_out = int((~scored["included"]).sum()) if status else 0
    _say(
        f"KS4 {args.year}: {len(scored):,} pupils in {len(schools)} school(s); "
        + (f"Progress 8 ({status}), {left_out} pupil(s) without a KS2 baseline left out" if status else "no P8")
        + f": {out / 'pupils.csv'}, {out / 'schools.csv'}"
    )
    return 0


def _cohort_year(args: argparse.Namespace, pupils) -> int | str:
    """The cohort's KS2 year: ``--year``, else the file's one ``academic_year``; else a sentence saying what to do."""
    if args.year is not None:
        return int(args.year)
    years = sorted(pupils["academic_year"].dropna().unique()) if "academic_year" in pupils else []
    if len(years) == 1:
        return int(years[0])
    if len(years) > 1:
        return (
            f"{args.pupils} holds cohorts of {', '.join(map(str, years))}: give the KS2 year with --year, or "
            "one file per year"
        )
    return (
        f"{args.pupils} does not say which year these pupils finished KS2 (no academic_year column): give it "
        "with --year, e.g. --year 2026"
    )


def _va(args: argparse.Namespace) -> int:
    from toolkit.inputs import PupilDataError
    from toolkit.inputs.cells import inert_frame
    from toolkit.methods import policy
    from toolkit.methods.value_added import DfeProgress, FftValueAdded, ks1_prior_attainment

    try:
        output_file(Path(args.out))
        reference, pupils = _load(args.reference), _load(args.pupils)
    except (PupilDataError, FileNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    year = _cohort_year(args, pupils)
    if isinstance(year, str):
        print(year, file=sys.stderr)
        return 2
    try:
        entry = policy.status(policy.KS1_KS2, year)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    official = entry.has_baseline
    if not official and not args.unofficial:
        print(
            f"{entry.refusal()}. Give --unofficial to apply the DfE method anyway to the pupils who have a KS1 "
            "result; every output is then labelled 'not an official measure'.",
            file=sys.stderr,
        )
        return 1
    with_baseline = ks1_prior_attainment(pupils)["aps"].notna()
    if not with_baseline.any():
        print(
            f"{args.pupils}: no pupil has a KS1 result, so there is no KS1-KS2 progress to calculate"
            + ("" if official else ", official or not"),
            file=sys.stderr,
        )
        return 1
    method = DfeProgress() if args.method == "dfe" else FftValueAdded()
    method.fit(reference)
    scores = method.school_scores(method.transform(pupils[with_baseline]))
    if scores.empty:
        print(
            f"{args.pupils}: no school has a pupil with both a KS1 and a KS2 result, so no value added; nothing "
            "written",
            file=sys.stderr,
        )
        return 1
    if args.method == "dfe":
        state = policy.label(entry.status if official else policy.UNOFFICIAL)
        measure = f"{entry.label} (DfE method)"
    else:
        state, measure = "FFT-style, not a DfE measure", "FFT-style value added"
    scores.insert(0, "year", year)
    scores.insert(1, "measure", measure)
    scores.insert(2, "status", state)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    inert_frame(scores).to_csv(args.out, index=False, float_format="%.4f")
    left_out = int((~with_baseline).sum())
    _say(
        f"{measure} for KS2 {year} ({state}), {scores['school_id'].nunique()} schools: {args.out}"
        + (f"; {left_out} pupil(s) without a KS1 result left out" if left_out else "")
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toolkit", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    synth = sub.add_parser(
        "synth",
        help="generate synthetic data (never real pupils)",
        description="Generate synthetic pupils. Deterministic for a seed; calibrated to the "
        "published national figures in parameters/national/.",
    )
    synth_sub = synth.add_subparsers(dest="what", metavar="WHAT")
    synth_sub.required = True
    nat = synth_sub.add_parser(
        "national",
        help="a national reference cohort (Parquet)",
        description="A national KS2 cohort with EYFS, KS1 and KS2 results. Writes FILE.parquet, FILE_schools.csv "
        "(the school effects planted in it) and FILE_calibration.json (targets and what was achieved).",
    )
    nat.add_argument("--pupils", type=int, default=600_000, help="number of pupils (default 600000)")
    nat.add_argument(
        "--year", type=int, required=True, help="year the cohort finished KS2, by its summer (2026 = 2025/26)"
    )
    nat.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    nat.add_argument("--out", required=True, help="output Parquet file")
    nat.set_defaults(run=_synth_national)
    ks5 = synth_sub.add_parser(
        "ks5",
        help="a national KS4 -> A level reference cohort (Parquet)",
        description="A national cohort of A level students: one row per entry with the student's KS4 average point "
        "score and grade, calibrated to the published A level grade shares (parameters/national/"
        "a_level.csv). Writes FILE.parquet and FILE_schools.csv (the value added planted in each school).",
    )
    ks5.add_argument("--students", type=int, default=150_000, help="number of students (default 150000)")
    ks5.add_argument("--year", type=int, required=True, help="year the students finished 16-18 study, by its summer")
    ks5.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ks5.add_argument("--out", required=True, help="output Parquet file, e.g. national_ks5_2026.parquet")
    ks5.set_defaults(run=_synth_ks5)
    k4s = synth_sub.add_parser(
        "ks4",
        help="a national KS4 cohort: pupils with KS2 results and their GCSE results (Parquet)",
        description="A national cohort finishing KS4: pupils with KS2 reading and maths scaled scores and their GCSE "
        "results, drawn from the DfE's published 2023/24 KS2-KS4 transition matrices (parameters/ks4/). Writes "
        "DIR/national_ks4_<year>_pupils.parquet and DIR/national_ks4_<year>_results.parquet.",
    )
    k4s.add_argument("--pupils", type=int, default=100_000, help="number of pupils (default 100000)")
    k4s.add_argument("--year", type=int, required=True, help="the summer the pupils finish KS4")
    k4s.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    k4s.add_argument("--out", required=True, help="output folder")
    k4s.set_defaults(run=_synth_ks4)
    sch = synth_sub.add_parser(
        "schools",
        help="a demo trust: primaries and a secondary school with a sixth form (CSV tables)",
        description="A demo trust: schools.csv, pupils.csv (Reception to Year 6 on roll in --year in the primaries, "
        "Years 12-13 in the secondary), ks2_<year>.csv for each of the three previous Year 6 cohorts and "
        "ks5_<year>.csv (A level entries) for each of the secondary school's three previous Year 13s.",
    )
    sch.add_argument("--schools", type=int, default=12, help="number of schools (default 12)")
    sch.add_argument(
        "--year", type=int, default=2027, help="current academic year by its summer (default 2027 = 2026/27)"
    )
    sch.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    sch.add_argument("--out", required=True, help="output folder")
    sch.add_argument("--no-secondary", action="store_true", help="primaries only")
    sch.set_defaults(run=_synth_schools)

    check = sub.add_parser(
        "check",
        help="check a pupil file and list its problems",
        description="Load a pupil table (docs/data_model.md) and report every problem with its "
        "row and column. Exit status 1 when there is any.",
    )
    check.add_argument("file", help="CSV, XLSX or Parquet pupil file")
    check.set_defaults(run=_check)

    est = sub.add_parser(
        "estimates",
        help="estimates and chances for pupils, fitted on a reference cohort",
        description="Fit the estimate model on REF (last year's national results) and write, per pupil, the estimate "
        "with its interval, the chance of each band, of the expected standard and the high score, and "
        "the band containing the estimate, at the chosen challenge level (docs/methodology.md).",
    )
    est.add_argument("--reference", required=True, help="reference cohort (Parquet, CSV or XLSX pupil table)")
    est.add_argument("--pupils", required=True, help="pupils to estimate (Parquet, CSV or XLSX pupil table)")
    est.add_argument(
        "--challenge",
        type=_challenge,
        default=50.0,
        help="FFT50, FFT20, FFT5 or a percentile of school value added, 1-99 (default 50)",
    )
    est.add_argument(
        "--stage", choices=("ks2", "ks1"), default="ks2", help="ks2: KS1 -> KS2 (default); ks1: EYFS -> KS1"
    )
    est.add_argument("--contextual", action="store_true", help="also use FSM6, EAL and SEN (off by default, as FFT)")
    est.add_argument("--out", required=True, help="output CSV, one row per pupil")
    est.set_defaults(run=_estimates)

    va = sub.add_parser(
        "va",
        help="school value added with confidence intervals",
        description="Value added per school and subject: 'dfe' compares each pupil with the national mean of their "
        "KS1 prior attainment group; 'fft' with the estimate for similar pupils (prior attainment, gender, "
        "month of birth). Writes year, measure, status, school_id, subject, pupils, score, ci_low, ci_high. A year "
        "in which the DfE publishes no progress measure (KS2 2024 and 2025: no KS1 baseline) is refused unless "
        "--unofficial is given.",
    )
    va.add_argument("--reference", required=True, help="national cohort the comparison is made with")
    va.add_argument("--pupils", required=True, help="pupils with KS1 and KS2 results")
    va.add_argument("--method", choices=("dfe", "fft"), default="dfe", help="dfe (default) or fft")
    va.add_argument(
        "--year", type=int, help="the summer the cohort finished KS2 (default: the file's academic_year column)"
    )
    va.add_argument(
        "--unofficial",
        action="store_true",
        help="apply the DfE method in a year without an official measure (parameters/policy/measures.yaml) to the "
        "pupils who have a KS1 result; every output is labelled 'not an official measure'",
    )
    va.add_argument("--out", required=True, help="output CSV, one row per school and subject")
    va.set_defaults(run=_va)

    k4 = sub.add_parser(
        "ks4",
        help="Attainment 8, Progress 8 on the DfE's published model, EBacc and English and maths",
        description="Score a KS4 cohort: per pupil Attainment 8 and its elements (the DfE's slot rules), EBacc and "
        "English and maths, the KS2 prior attainment and Progress 8 from the DfE's published model "
        "(parameters/ks4.yaml); per school A8, P8 and elements with 95%% intervals. Years without an official "
        "Progress 8 (2025, 2026) get none unless --unofficial (docs/methodology.md).",
    )
    k4.add_argument("--pupils", required=True, help="pupil table with ks2_reading and ks2_maths (CSV, XLSX, Parquet)")
    k4.add_argument("--results", required=True, help="GCSE results: upn, school_id, subject, grade")
    k4.add_argument("--year", type=int, required=True, help="the summer of the results, e.g. 2027")
    k4.add_argument("--unofficial", action="store_true", help="apply P8 in a year without an official measure")
    k4.add_argument("--out", required=True, help="output folder: pupils.csv and schools.csv")
    k4.set_defaults(run=_ks4)

    rep = sub.add_parser(
        "reports",
        help="the per-school report pack: HTML and PDF for every school",
        description="Compute the methodology once for all schools, run each report notebook with papermill for each "
        "school, and render HTML (code hidden) and PDF (A4, page numbers) with an index.html and a "
        "manifest.json recording parameters, input hashes, package versions and the git commit. "
        "Re-running skips reports whose inputs have not changed; one school's failure does not stop "
        "the others.",
    )
    rep.add_argument("--data", required=True, help="school data folder: schools.csv, pupils.csv, ks2_<year>.csv")
    rep.add_argument(
        "--reference", help="national reference cohort (default: national_<year>.parquet in --data or its parent)"
    )
    rep.add_argument("--schools", nargs="+", default=["all"], help="'all' (default) or DfE numbers")
    rep.add_argument(
        "--reports",
        default=",".join(catalogue.names()),
        help=f"comma-separated, from {', '.join(catalogue.names())} (default: all)",
    )
    rep.add_argument("--formats", default="html,pdf", help="html, pdf or both (default html,pdf)")
    rep.add_argument(
        "--challenge",
        default="FFT50",
        help="challenge level where a school has no saved settings: "
        "FFT50 (default), FFT20, FFT5, own_past_progress or 1-99",
    )
    rep.add_argument("--jobs", type=int, default=2, help="reports executed at once (default 2)")
    rep.add_argument(
        "--engine",
        choices=("toolkit", "kernel"),
        default="toolkit",
        help="toolkit (default): forked in-process execution; kernel: a Jupyter kernel per report",
    )
    rep.add_argument(
        "--force",
        action="store_true",
        help="prepare the schools asked again and redo their reports, even those up to date (the national models "
        "still come from the fit cache)",
    )
    rep.add_argument(
        "--refit",
        action="store_true",
        help="fit the national models again instead of loading them from the fit cache (implies preparing again)",
    )
    rep.add_argument(
        "--scheduler",
        default=None,
        help="run the reports on a Dask cluster: the scheduler's address (tcp://host:8786), or 'local' for a "
        "LocalCluster of --jobs workers; --out must be a folder every worker sees (docs/performance.md)",
    )
    rep.add_argument("--out", required=True, help="output folder for the run (index.html, manifest.json, reports/)")
    rep.set_defaults(run=_reports)

    dash = sub.add_parser(
        "dashboard",
        help="the what-if dashboard (Voila) on 127.0.0.1",
        description="Serve notebooks/what_if.ipynb with Voila on 127.0.0.1, code hidden: set challenge levels per "
        "year group and subject, edit targets, save them for the report pack. Uses a prepared run "
        "(toolkit reports; make demo makes one).",
    )
    dash.add_argument(
        "--run", dest="run_dir", help="prepared run folder (default: the demo run, outputs/demo/run/prepared)"
    )
    dash.add_argument("--school", help="DfE number to open first")
    dash.add_argument(
        "--presenter",
        action="store_true",
        help="for sharing a screen: synthetic data only, pupil names and school names hidden",
    )
    dash.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    dash.add_argument("--open", action="store_true", help="also open a browser")
    dash.set_defaults(run=_dashboard)

    tpl = sub.add_parser(
        "template",
        help="an Excel results template pre-populated with a school's pupils",
        description="Write an .xlsx results template for one school and key stage: its pupils, one "
        "column per subject in a fixed order, a drop-down of allowed results on every "
        "result cell, and a Guidance sheet.",
    )
    tpl.add_argument("--school", required=True, help="DfE number")
    tpl.add_argument("--keystage", required=True, choices=("ks2", "ks1", "ks5"))
    tpl.add_argument("--data", default="outputs/demo/data/trust", help="school data folder (schools.csv, pupils.csv)")
    tpl.add_argument("--out", required=True, help="output .xlsx")
    tpl.set_defaults(run=_template)

    val = sub.add_parser(
        "validate",
        help="check a filled results template",
        description="List every problem in a filled template, grouped by kind with all its rows, "
        "and write them to FILE_errors.xlsx beside it.",
    )
    val.add_argument("file", help="the filled template (.xlsx)")
    val.set_defaults(run=_validate)

    up = sub.add_parser(
        "upload",
        help="validate and store a filled template in the upload history",
        description="Validate, then store the file (content-addressed) and a row in the upload "
        "history (SQLite in the data folder). The latest valid upload for a school and "
        "key stage is the one analysed; earlier ones become 'overwritten'.",
    )
    up.add_argument("file")
    up.add_argument("--by", required=True, help="who is uploading")
    up.add_argument("--data", default="outputs/demo/data/trust", help="data folder holding the upload history")
    up.set_defaults(run=_upload)

    ups = sub.add_parser("uploads", help="the upload history", description="List uploads, newest last.")
    ups.add_argument("--school", help="DfE number")
    ups.add_argument("--hide-inactive", action="store_true", help="only uploads being processed or analysed")
    ups.add_argument("--delete", type=int, metavar="ID", help="delete an upload (its history row stays)")
    ups.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild a damaged upload history from the uploaded files kept in DATA/uploads",
    )
    ups.add_argument("--data", default="outputs/demo/data/trust", help="data folder holding the upload history")
    ups.set_defaults(run=_uploads)

    part = sub.add_parser(
        "partition",
        help="copy a school data folder with its files partitioned by school (Parquet)",
        description="Copy the school data folder DATA to OUT with every school data file (pupils, ks2_<year>, "
        "tracking ...) as a Parquet table partitioned by school (<name>.parquet/school_id=<DfE number>/), the rest "
        "copied as it is. A run on OUT (toolkit reports --data OUT) reads only the folders of the schools it "
        "prepares: for inputs larger than one machine's memory, with --scheduler.",
    )
    part.add_argument("--data", required=True, help="school data folder (schools.csv, pupils.csv, ks2_<year>.csv)")
    part.add_argument("--out", required=True, help="new folder for the partitioned copy")
    part.set_defaults(run=_partition)
    return parser


def _partition(args: argparse.Namespace) -> int:
    from toolkit.inputs import PupilDataError
    from toolkit.inputs.partitioned_copy import partition_folder

    try:
        written = partition_folder(Path(args.data), Path(args.out), say=_say)
    except (PupilDataError, FileNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    _say(f"{len(written)} tables partitioned by school in {args.out}")
    return 0


def _template(args: argparse.Namespace) -> int:
    import pandas as pd

    from toolkit.inputs import PupilDataError, layout, load_pupils
    from toolkit.inputs.partitions import by_school, data_file
    from toolkit.intake.template import write_template

    data = Path(args.data)
    try:
        schools = pd.read_csv(data / "schools.csv", dtype={"school_id": "string"})
        pupils = by_school(load_pupils, data_file(data, "pupils") or data / "pupils.csv", [args.school])
    except (FileNotFoundError, PupilDataError) as err:
        print(err, file=sys.stderr)
        return 1
    school = schools[schools["school_id"] == args.school]
    if school.empty:
        print(f"{data / 'schools.csv'}: no school {args.school}", file=sys.stderr)
        return 1
    year = layout.year_of(args.keystage)
    mine = pupils[(pupils["school_id"] == args.school) & (pupils["year_group"].astype("string") == str(year))]
    out = write_template(school.iloc[0].to_dict(), mine, args.keystage, Path(args.out))
    _say(f"Template for {args.school} {args.keystage.upper()} with {len(mine)} pupils: {out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from toolkit.inputs.results import validate
    from toolkit.intake.error_list import write_error_list

    check = validate(Path(args.file))
    if check.ok:
        print(check.report())
        return 0
    print(check.report(), file=sys.stderr)
    _say(f"Error list: {write_error_list(check)}")
    return 1


def _upload(args: argparse.Namespace) -> int:
    from toolkit.intake.error_list import write_error_list
    from toolkit.intake.uploads import UploadStore

    try:
        upload_id, check = UploadStore(Path(args.data)).upload(Path(args.file), args.by)
    except (ValueError, FileNotFoundError) as err:
        print(err, file=sys.stderr)
        return 1
    if not check.ok:
        print(check.report(), file=sys.stderr)
        _say(f"Upload {upload_id} recorded as 'upload error'. Error list: {write_error_list(check)}")
        return 1
    _say(
        f"Upload {upload_id}: {check.pupils} pupils, {check.keystage.upper()} for {check.school_id}; reports available"
    )
    return 0


def _uploads(args: argparse.Namespace) -> int:
    from toolkit.intake.uploads import UploadHistoryError, UploadStore, rebuild

    try:
        if args.rebuild:
            moved, count = rebuild(Path(args.data))
            _say(
                f"Upload history rebuilt from {count} kept file(s)"
                + (f"; the damaged history is kept as {moved}" if moved else "")
            )
        store = UploadStore(Path(args.data))
    except (FileNotFoundError, UploadHistoryError) as err:
        print(err, file=sys.stderr)
        return 1
    if args.delete is not None:
        try:
            store.delete(args.delete)
        except ValueError as err:
            print(err, file=sys.stderr)
            return 1
    table = store.history(args.school, args.hide_inactive)
    print(
        table[["id", "school_id", "keystage", "uploaded_at", "uploaded_by", "file_name", "pupils", "status"]].to_string(
            index=False
        )
        if len(table)
        else "No uploads."
    )
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    from toolkit import locations
    from toolkit.pipeline.store import PreparedRun

    run = Path(args.run_dir) if args.run_dir else locations.demo_run()
    if not PreparedRun(run).has_models():
        print(
            f"{run}: no prepared run here; run `make demo` (or `toolkit reports --data DIR --out OUT` and give "
            "--run OUT/prepared)",
            file=sys.stderr,
        )
        return 1
    if args.presenter:
        refused = presenter_refusal(PreparedRun(run), args.school)
        if refused:
            print(refused, file=sys.stderr)
            return 1
    env = dict(
        os.environ,
        TOOLKIT_WHATIF_RUN=str(run.resolve()),
        TOOLKIT_WHATIF_SCHOOL=args.school or "",
        TOOLKIT_WHATIF_PRESENTER="1" if args.presenter else "",
    )
    token = os.environ.get("TOOLKIT_DASHBOARD_TOKEN") or secrets.token_urlsafe(24)
    notebook = locations.notebooks_dir() / "what_if.ipynb"
    command = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--port={args.port}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.token={token}",
        "--strip_sources=True",
        "--show_tracebacks=False",
    ] + ([] if args.open else ["--no-browser"])
    _say(
        f"What-if dashboard on http://127.0.0.1:{args.port}/?token={token} (pupil data: only this address, with "
        "its token, opens it; Ctrl-C stops it)"
    )
    return serve(command, env)


def serve(command: list[str], env: dict) -> int:
    """Run a server in its own process group and stop the whole group when this process is stopped (Ctrl-C or
    SIGTERM), so no server is left running with pupil data."""
    child = subprocess.Popen(command, env=env, start_new_session=True)

    def stop(signum, _frame):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                stop(signal.SIGINT, None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)


def presenter_refusal(run, school: str | None) -> str:
    """The sentence refusing presenter mode on real data ('' when every school it could show is synthetic)."""
    ids = [school] if school else run.school_ids()
    real = [s for s in ids if not run.school_info(s).get("synthetic")]
    if not real:
        return ""
    return (
        f"Presenter mode shows synthetic pupils only, and {', '.join(real)} {'is' if len(real) == 1 else 'are'} real "
        "school data: use the demo (make demo) or a synthetic trust (toolkit synth schools) for a webinar"
    )


def _reports(args: argparse.Namespace) -> int:
    from toolkit.inputs import PupilDataError
    from toolkit.pack.batch import run_batch
    from toolkit.pipeline.prepare import find_inputs
    from toolkit.vocabulary import percentile_of

    try:
        percentile_of(args.challenge)
        output_folder(Path(args.out))
        inputs = find_inputs(Path(args.data), Path(args.reference) if args.reference else None)
        schools = None if args.schools == ["all"] else args.schools
        manifest = run_batch(
            inputs,
            Path(args.out),
            schools,
            [r.strip() for r in args.reports.split(",") if r.strip()],
            tuple(f.strip() for f in args.formats.split(",") if f.strip()),
            args.jobs,
            args.challenge,
            args.engine,
            args.force,
            say=_say,
            scheduler=args.scheduler,
            refit=args.refit,
        )
    except (PupilDataError, FileNotFoundError, ValueError) as err:
        print(err, file=sys.stderr)
        return 1
    failed = any(r["status"] == "failed" for r in manifest["reports"]) or manifest.get("schools_without_reports")
    return 1 if failed else 0


def output_folder(path: Path, option: str = "--out") -> Path:
    """Refuse, in one sentence, an output folder that is a file, sits under a file, or cannot be written."""
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option} {path} is a file, not a folder: give a folder for the output")
    above = path
    while not above.exists():
        above = above.parent
    if not above.is_dir():
        raise ValueError(f"{option} {path} sits under {above}, which is a file, not a folder")
    if not os.access(above, os.W_OK):
        raise ValueError(f"{option} {path}: {above} is read-only, so nothing can be written there")
    return path


def output_file(path: Path, option: str = "--out") -> Path:
    """Refuse an output file that is a folder or whose folder cannot be made or written."""
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder: give a file name, e.g. {path / 'out.csv'}")
    output_folder(path.parent, option)
    return path


USER_ERRORS = (FileExistsError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError, ValueError)


def main(argv: list[str] | None = None) -> int:
    """Run a command. Whatever the input, the user gets sentences, never a traceback: problems with their files
    (exit 1) as the loaders word them; anything unforeseen (exit 2) in one line naming the command, with the
    traceback only under TOOLKIT_DEBUG=1."""
    from toolkit.inputs import PupilDataError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except PupilDataError as err:
        print(err, file=sys.stderr)
        return 1
    except USER_ERRORS as err:
        print(f"toolkit {args.command}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"toolkit {args.command}: stopped", file=sys.stderr)
        return 130
    except Exception as err:  # a defect: say so in one line, keep the detail for a bug report
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        print(
            f"toolkit {args.command}: unexpected {type(err).__name__}: {err} (a defect in the toolkit; run again "
            "with TOOLKIT_DEBUG=1 for the details to report)",
            file=sys.stderr,
        )
        return 2
