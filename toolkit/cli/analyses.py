"""`toolkit check`, `estimates`, `va`, `ks4`: one file in, one table out."""

from __future__ import annotations

import argparse
import time
from datetime import date

from toolkit.cli.common import CommandError, command, load, say, write_csv


def add(sub) -> None:
    """The commands of this module, on the `toolkit` parser's sub-parsers."""
    check = command(sub, "check", _check)
    check.add_argument("file", help="CSV, XLSX or Parquet pupil file, or an MIS export")
    check.add_argument(
        "--profile", help="an MIS export's layout: sims, arbor, bromcom or FILE.yaml (default: detected)"
    )
    check.add_argument("--school", metavar="LAESTAB", help="an MIS export's school, when it has no DfE number column")

    est = command(sub, "estimates", _estimates)
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

    va = command(sub, "va", _va)
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

    k4 = command(sub, "ks4", _ks4)
    k4.add_argument("--pupils", required=True, help="pupil table with ks2_reading and ks2_maths (CSV, XLSX, Parquet)")
    k4.add_argument("--results", required=True, help="GCSE results: upn, school_id, subject, grade")
    k4.add_argument("--year", type=int, required=True, help="the summer of the results, e.g. 2027")
    k4.add_argument("--unofficial", action="store_true", help="apply P8 in a year without an official measure")
    k4.add_argument("--out", required=True, help="output folder: pupils.csv and schools.csv")


def _check(args: argparse.Namespace) -> int:
    """check a pupil file or an MIS export and list its problems

    Load a pupil table (docs/data_model.md), or an MIS export read by its profile (saying which column was read as
    what and which were ignored), and report every problem with its row and column. Exit status 1 when there is
    any."""
    from toolkit.inputs import PupilDataError, load_pupils
    from toolkit.inputs.mis import read_mis

    try:
        read = read_mis(args.file, args.profile, args.school)
    except PupilDataError:
        if args.profile:
            raise
        read = None  # no layout fits: the pupil table's own messages (a missing or misspelt column, with hints)
    if read is None or (read.profile == "toolkit" and not args.profile):
        pupils = load_pupils(args.file)
    else:
        for line in read.report(args.file):
            print(line)
        pupils = _checked(args.file, read.frame)
    for notice in pupils.attrs.get("notices", []):
        print(f"{args.file}: note: {notice}")
    schools = pupils["school_id"].nunique()
    print(
        f"{args.file}: {len(pupils):,} pupils in {schools} school{'s' if schools != 1 else ''}, "
        f"{len(pupils.columns)} columns; no problems found."
    )
    return 0


def _checked(path, frame):
    from toolkit.inputs import PupilDataError, load

    problems = load.check_pupils(frame)
    if problems:
        raise PupilDataError(path, problems)
    return load.to_types(frame)


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
    """estimates and chances for pupils, fitted on a reference cohort

    Fit the estimate model on REF (last year's national results) and write, per pupil, the estimate with its
    interval, the chance of each band, of the expected standard and the high score, and the band containing the
    estimate, at the chosen challenge level (docs/methodology.md)."""
    from toolkit.inputs import outputs
    from toolkit.methods.estimates import EstimateModel

    outputs.output_file(args.out, "pupil estimates", ".csv", inputs=[args.pupils, args.reference])
    reference, pupils = load(args.reference), load(args.pupils)
    start = time.perf_counter()
    model = EstimateModel(args.stage, contextual=args.contextual).fit(reference)
    estimates = model.predict(pupils, args.challenge)
    if estimates.empty:
        raise CommandError(
            f"{args.pupils}: no pupil to estimate (the file has no rows left to estimate); nothing written"
        )
    write_csv(estimates, args.out)
    say(
        f"Estimates for {len(pupils):,} pupils at challenge {args.challenge:g} "
        f"(fitted on {len(reference):,} reference pupils) in {time.perf_counter() - start:.1f} s: {args.out}"
    )
    return 0


def _ks4(args: argparse.Namespace) -> int:
    """Attainment 8, Progress 8 on the DfE's published model, EBacc and English and maths

    Score a KS4 cohort: per pupil Attainment 8 and its elements (the DfE's slot rules), EBacc and English and maths,
    the KS2 prior attainment and Progress 8 from the DfE's published model (parameters/ks4.yaml); per school A8, P8
    and elements with 95% intervals. Years without an official Progress 8 (2025, 2026) get none unless --unofficial
    (docs/methodology.md)."""
    from toolkit.inputs import outputs
    from toolkit.inputs.gcse_results import load_gcse_results
    from toolkit.methods import ks4, policy
    from toolkit.vocabulary import academic_year

    out = outputs.output_folder(args.out, "KS4 results")  # pupils.csv and schools.csv go there: never over others'
    outputs.refuse_inputs([out / "pupils.csv", out / "schools.csv"], [args.pupils, args.results])
    latest = current_summer()
    if args.year > latest:
        raise CommandError(
            f"--year {args.year}: no GCSE results of summer {args.year} exist yet (the latest is {latest}, this "
            f"academic year {academic_year(latest)}); give the summer the pupils sat their GCSEs",
            2,
        )
    try:
        entry = policy.status(policy.PROGRESS_8, args.year)
    except ValueError as err:
        raise CommandError(f"--year {args.year}: {err}", 2) from None
    pupils, results = load(args.pupils), load_gcse_results(args.results)
    if not entry.has_baseline and not args.unofficial:
        say(f"{entry.refusal()}. Attainment 8, EBacc and English and maths are written; give --unofficial for P8.")
    ebacc = policy.status(policy.EBACC, args.year)
    if not ebacc.has_baseline:
        say(f"EBacc {args.year}: {ebacc.reason}. Its columns are written as curriculum figures.")
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
    outputs.mark(out, "KS4 results")
    write_csv(scored, out / "pupils.csv")
    write_csv(schools, out / "schools.csv")
    left_out = int((~scored["included"]).sum()) if status else 0
    say(
        f"KS4 {args.year}: {len(scored):,} pupils in {len(schools)} school(s); "
        + (f"Progress 8 ({status}), {left_out} pupil(s) without a KS2 baseline left out" if status else "no P8")
        + f": {out / 'pupils.csv'}, {out / 'schools.csv'}"
    )
    return 0


def current_summer(today: date | None = None) -> int:
    """The summer of the academic year ``today`` falls in (from 1 September): results of a later summer do not exist."""
    today = today or date.today()
    return today.year + (1 if today.month >= 9 else 0)


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
    """school value added with confidence intervals

    Value added per school and subject: 'dfe' compares each pupil with the national mean of their KS1 prior
    attainment group; 'fft' with the estimate for similar pupils (prior attainment, gender, month of birth). Writes
    year, measure, status, school_id, subject, pupils, score, ci_low, ci_high. A year in which the DfE publishes no
    progress measure (KS2 2024 and 2025: no KS1 baseline) is refused unless --unofficial is given."""
    from toolkit.inputs import outputs
    from toolkit.methods import policy
    from toolkit.methods.value_added import DfeProgress, FftValueAdded, ks1_prior_attainment

    outputs.output_file(args.out, "school value added", ".csv", inputs=[args.pupils, args.reference])
    reference, pupils = load(args.reference), load(args.pupils)
    year = _cohort_year(args, pupils)
    if isinstance(year, str):
        raise CommandError(year, 2)
    try:
        entry = policy.status(policy.KS1_KS2, year)
    except ValueError as err:
        raise CommandError(str(err), 2) from None
    official = entry.has_baseline
    if not official and not args.unofficial:
        raise CommandError(
            f"{entry.refusal()}. Give --unofficial to apply the DfE method anyway to the pupils who have a KS1 "
            "result; every output is then labelled 'not an official measure'."
        )
    with_baseline = ks1_prior_attainment(pupils)["aps"].notna()
    if not with_baseline.any():
        raise CommandError(
            f"{args.pupils}: no pupil has a KS1 result, so there is no KS1-KS2 progress to calculate"
            + ("" if official else ", official or not")
        )
    method = DfeProgress() if args.method == "dfe" else FftValueAdded()
    method.fit(reference)
    scores = method.school_scores(method.transform(pupils[with_baseline]))
    if scores.empty:
        raise CommandError(
            f"{args.pupils}: no school has a pupil with both a KS1 and a KS2 result, so no value added; nothing written"
        )
    if args.method == "dfe":
        state = policy.label(entry.status if official else policy.UNOFFICIAL)
        measure = f"{entry.label} (DfE method)"
    else:
        state, measure = "FFT-style, not a DfE measure", "FFT-style value added"
    scores.insert(0, "year", year)
    scores.insert(1, "measure", measure)
    scores.insert(2, "status", state)
    write_csv(scores, args.out)
    left_out = int((~with_baseline).sum())
    say(
        f"{measure} for KS2 {year} ({state}), {scores['school_id'].nunique()} schools: {args.out}"
        + (f"; {left_out} pupil(s) without a KS1 result left out" if left_out else "")
    )
    return 0
