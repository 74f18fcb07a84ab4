"""The ``toolkit`` command (also ``python -m toolkit``): thin wrappers that parse, call the package, print."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

DESCRIPTION = """Open pupil-tracking analyses for English schools.

Commands:
  synth national   generate a synthetic national KS2 cohort, calibrated to published figures
  synth schools    generate a synthetic demo trust (Reception to Year 6, three past KS2 cohorts)
  check            check a pupil file (CSV, XLSX, Parquet) and list every problem by row and column
"""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _synth_national(args: argparse.Namespace) -> int:
    from toolkit.data import synth
    start = time.perf_counter()
    _say(f"Calibrating the generator to the published figures for KS2 {args.year} ...")
    synth.calibrate(args.year)
    _say(f"  done in {time.perf_counter() - start:.1f} s; generating {args.pupils:,} pupils (seed {args.seed}) ...")
    cohort = synth.national_cohort(args.pupils, args.year, args.seed)
    files = synth.write_national(cohort, Path(args.out))
    _say(f"Wrote {len(cohort.pupils):,} synthetic pupils in {len(cohort.schools):,} schools "
         f"in {time.perf_counter() - start:.1f} s:")
    for f in files:
        print(f)
    return 0


def _synth_schools(args: argparse.Namespace) -> int:
    from toolkit.data import synth
    start = time.perf_counter()
    _say(f"Generating a synthetic trust of {args.schools} schools for {args.year - 1}/{str(args.year)[2:]} "
         f"(seed {args.seed}) ...")
    trust = synth.demo_trust(args.schools, args.year, args.seed)
    files = synth.write_trust(trust, Path(args.out), args.year)
    past = sum(len(f) for f in trust.past.values())
    _say(f"Wrote {len(trust.pupils):,} current pupils and {past:,} past Year 6 pupils "
         f"in {time.perf_counter() - start:.1f} s:")
    for f in files:
        print(f)
    return 0


def _check(args: argparse.Namespace) -> int:
    from toolkit.data import PupilDataError, load_pupils
    try:
        pupils = load_pupils(args.file)
    except (PupilDataError, FileNotFoundError) as err:
        print(err, file=sys.stderr)
        return 1
    schools = pupils["school_id"].nunique()
    print(f"{args.file}: {len(pupils):,} pupils in {schools} school{'s' if schools != 1 else ''}, "
          f"{len(pupils.columns)} columns; no problems found.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolkit", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    synth = sub.add_parser("synth", help="generate synthetic data (never real pupils)",
                           description="Generate synthetic pupils. Deterministic for a seed; calibrated to the "
                                       "published national figures in parameters/national/.")
    synth_sub = synth.add_subparsers(dest="what", metavar="WHAT")
    synth_sub.required = True
    nat = synth_sub.add_parser(
        "national", help="a national reference cohort (Parquet)",
        description="A national KS2 cohort with EYFS, KS1 and KS2 results. Writes FILE.parquet, FILE_schools.csv "
                    "(the school effects planted in it) and FILE_calibration.json (targets and what was achieved).")
    nat.add_argument("--pupils", type=int, default=600_000, help="number of pupils (default 600000)")
    nat.add_argument("--year", type=int, required=True, help="year the cohort finished KS2, by its summer (2026 = 2025/26)")
    nat.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    nat.add_argument("--out", required=True, help="output Parquet file")
    nat.set_defaults(run=_synth_national)
    sch = synth_sub.add_parser(
        "schools", help="a demo trust of primary schools (CSV pupil tables)",
        description="A demo trust: schools.csv, pupils.csv (Reception to Year 6 on roll in --year) and ks2_<year>.csv "
                    "for each of the three previous Year 6 cohorts.")
    sch.add_argument("--schools", type=int, default=12, help="number of schools (default 12)")
    sch.add_argument("--year", type=int, default=2027, help="current academic year by its summer (default 2027 = 2026/27)")
    sch.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    sch.add_argument("--out", required=True, help="output folder")
    sch.set_defaults(run=_synth_schools)

    check = sub.add_parser("check", help="check a pupil file and list its problems",
                           description="Load a pupil table (docs/data_model.md) and report every problem with its "
                                       "row and column. Exit status 1 when there is any.")
    check.add_argument("file", help="CSV, XLSX or Parquet pupil file")
    check.set_defaults(run=_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
