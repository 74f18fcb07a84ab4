"""`toolkit synth ...`: synthetic national cohorts and the demo trust (never real pupils)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from toolkit.cli.common import command, say

KS2_YEAR = "year the cohort finished KS2, by its summer (2026 = 2025/26)"
KS5_YEAR = "year the students finished 16-18 study, by its summer"
TRUST_YEAR = "current academic year by its summer (default 2027 = 2026/27)"


def _generator(
    sub, name: str, run, size: tuple[str, int, str], year: str, out: str, this_year: int | None = None
) -> argparse.ArgumentParser:
    """One `toolkit synth NAME` command (its words from ``run``'s docstring): how many to draw (``size``: option,
    default, what), ``--year`` (``year``: its help; required unless ``this_year`` is its default), ``--seed`` and
    ``--out`` (``out``: its help)."""
    parser = command(sub, name, run)
    option, default, what = size
    parser.add_argument(option, type=int, default=default, help=f"number of {what} (default {default})")
    parser.add_argument("--year", type=int, required=this_year is None, default=this_year, help=year)
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", required=True, help=out)
    return parser


def add(sub) -> None:
    """The commands of this module, on the `toolkit` parser's sub-parsers."""
    synth = sub.add_parser(
        "synth",
        help="generate synthetic data (never real pupils)",
        description="Generate synthetic pupils. Deterministic for a seed; calibrated to the "
        "published national figures in parameters/national/.",
    )
    generators = synth.add_subparsers(dest="what", metavar="WHAT")
    generators.required = True
    for name, run, size, year, out in (
        ("national", _synth_national, ("--pupils", 600_000, "pupils"), KS2_YEAR, "output Parquet file"),
        (
            "ks5",
            _synth_ks5,
            ("--students", 150_000, "students"),
            KS5_YEAR,
            "output Parquet file, e.g. national_ks5_2026.parquet",
        ),
        ("ks4", _synth_ks4, ("--pupils", 100_000, "pupils"), "the summer the pupils finish KS4", "output folder"),
    ):
        _generator(generators, name, run, size, year, out)
    schools = _generator(
        generators, "schools", _synth_schools, ("--schools", 12, "schools"), TRUST_YEAR, "output folder", 2027
    )
    schools.add_argument("--no-secondary", action="store_true", help="primaries only")
    schools.add_argument(
        "--exports",
        action="store_true",
        help="write the pupils as a school has them, Common Transfer Files and an MIS export under OUT/exports, "
        "instead of pupils.csv, ks2_<year>.csv and ks4_<year>.csv (then `toolkit import` them; make demo does)",
    )


def _synth_national(args: argparse.Namespace) -> int:
    """a national reference cohort (Parquet)

    A national KS2 cohort with EYFS, KS1 and KS2 results. Writes FILE.parquet, FILE_schools.csv (the school effects
    planted in it) and FILE_calibration.json (targets and what was achieved)."""
    from toolkit.inputs import outputs
    from toolkit.synth import calibration as synth_calibration
    from toolkit.synth import cohorts as synth

    outputs.output_file(args.out, synth.KIND, ".parquet", ("_schools.csv", "_calibration.json"))
    start = time.perf_counter()
    say(f"Calibrating the generator to the published figures for KS2 {args.year} ...")
    synth_calibration.calibrate(args.year)
    say(f"  done in {time.perf_counter() - start:.1f} s; generating {args.pupils:,} pupils (seed {args.seed}) ...")
    cohort = synth.national_cohort(args.pupils, args.year, args.seed)
    files = synth.write_national(cohort, Path(args.out))
    say(
        f"Wrote {len(cohort.pupils):,} synthetic pupils in {len(cohort.schools):,} schools "
        f"in {time.perf_counter() - start:.1f} s:"
    )
    for f in files:
        print(f)
    return 0


def _synth_ks4(args: argparse.Namespace) -> int:
    """a national KS4 cohort: pupils with KS2 results and their GCSE results (Parquet)

    A national cohort finishing KS4: pupils with KS2 reading and maths scaled scores and their GCSE results, drawn
    from the DfE's published 2023/24 KS2-KS4 transition matrices (parameters/ks4/). Writes
    DIR/national_ks4_<year>_pupils.parquet and DIR/national_ks4_<year>_results.parquet."""
    from toolkit.inputs import outputs
    from toolkit.synth import ks4 as synth_ks4

    start = time.perf_counter()
    out = outputs.usable_folder(args.out)  # a shared folder may hold them: each file is checked on its own
    pupils, results = (
        outputs.output_file(out / f"national_ks4_{args.year}_{what}.parquet", synth_ks4.KIND, ".parquet")
        for what in ("pupils", "results")
    )
    say(f"Generating {args.pupils:,} synthetic pupils finishing KS4 in {args.year} (seed {args.seed}) ...")
    cohort = synth_ks4.national_ks4(args.pupils, args.year, args.seed)
    out.mkdir(parents=True, exist_ok=True)
    outputs.write_parquet(cohort.pupils, pupils, synth_ks4.KIND)
    outputs.write_parquet(cohort.results, results, synth_ks4.KIND)
    say(
        f"Wrote {len(cohort.pupils):,} pupils and {len(cohort.results):,} GCSE (and other) results in "
        f"{time.perf_counter() - start:.1f} s: {pupils}, {results}"
    )
    return 0


def _synth_ks5(args: argparse.Namespace) -> int:
    """a national KS4 -> A level reference cohort (Parquet)

    A national cohort of A level students: one row per entry with the student's KS4 average point score and grade,
    calibrated to the published A level grade shares (parameters/national/a_level.csv). Writes FILE.parquet and
    FILE_schools.csv (the value added planted in each school)."""
    from toolkit.inputs import outputs
    from toolkit.synth import ks5 as synth_ks5

    out = outputs.output_file(args.out, synth_ks5.KIND, ".parquet", ("_schools.csv",))
    start = time.perf_counter()
    say(f"Generating {args.students:,} synthetic A level students finishing in {args.year} (seed {args.seed}) ...")
    cohort = synth_ks5.national_ks5(args.students, args.year, args.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    outputs.write_parquet(cohort.entries, out, synth_ks5.KIND)
    schools = out.with_name(out.stem + "_schools.csv")
    cohort.schools.to_csv(schools, index=False, float_format="%.5f")
    say(
        f"Wrote {len(cohort.entries):,} entries of {cohort.entries['upn'].nunique():,} students in "
        f"{len(cohort.schools):,} schools in {time.perf_counter() - start:.1f} s:"
    )
    print(out)
    print(schools)
    return 0


def _synth_schools(args: argparse.Namespace) -> int:
    """a demo trust: primaries and a secondary school with a sixth form (CSV tables)

    A demo trust: schools.csv, pupils.csv (Reception to Year 6 on roll in --year in the primaries, Years 12-13 in
    the secondary), ks2_<year>.csv for each of the three previous Year 6 cohorts and ks5_<year>.csv (A level
    entries) for each of the secondary school's three previous Year 13s. With --exports, the pupils are written
    as the school would have them instead: Common Transfer Files and an MIS export (toolkit.synth.exports)."""
    from toolkit.inputs import outputs
    from toolkit.synth import trust as synth_trust
    from toolkit.vocabulary import academic_year

    out = outputs.output_folder(Path(args.out), "synthetic trust")  # never into a folder of real data
    start = time.perf_counter()
    say(f"Generating a synthetic trust of {args.schools} schools for {academic_year(args.year)} (seed {args.seed}) ...")
    trust = synth_trust.demo_trust(args.schools, args.year, args.seed, secondary=not args.no_secondary)
    files = synth_trust.write_trust(trust, out, args.year, exports=args.exports)
    outputs.mark(out, "synthetic trust")
    past = sum(len(f) for f in trust.past.values())
    entries = sum(len(f) for f in trust.ks5.values())
    say(
        f"Wrote {len(trust.pupils):,} current pupils, {past:,} past Year 6 pupils and {entries:,} past A level "
        f"entries in {time.perf_counter() - start:.1f} s:"
    )
    for f in files:
        print(f)
    return 0
