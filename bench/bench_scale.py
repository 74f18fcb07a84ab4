"""Benchmark: how prepare grows with the number of schools, and what that projects for every primary in England.

For each size, a synthetic trust of that many primaries (``toolkit synth schools``, no secondary) is prepared on
the same national reference, twice: the first run fills the fit cache (national fits), the second is timed (the
steady state of a service that prepares again and again). A straight line through the timed runs gives a fixed
cost and a cost per school; the projection for 16,800 primaries is that line, on one machine and with the
per-school part spread over N machines (prepare's per-school work partitions by school).

With ``--pack`` it also runs the whole report pack on each trust as a user does (``toolkit reports``: prepare,
start-up, every report in HTML and PDF, 2 jobs; warm fit cache) and projects the pack's time the same way.

With ``--partitioned`` it also prepares one school alone, as a Dask worker does (``prepare.prepare_part``, in a
fresh process, models from the fit cache), from the CSV files and from a copy partitioned by school
(``toolkit partition``), and prints each one's time and peak memory (the process holds the fitted models without
the national pupils, as a worker does): with CSV files the whole trust's rows are read, with the partitioned copy
only that school's.

Usage: python bench/bench_scale.py [--pack] [--partitioned] [SCHOOLS ...]   (default 12 48 150; 1500 and 16800
run too, slowly)
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from toolkit.inputs.partitioned_copy import partition_folder
from toolkit.pack.batch import PackRequest, run_batch
from toolkit.pipeline.national import fit_national
from toolkit.pipeline.prepare import find_inputs, prepare
from toolkit.synth import cohorts as synth
from toolkit.synth import trust as synth_trust

ENGLAND = 16_800
ONE_SCHOOL = """
import json, pickle, sys, time
from pathlib import Path
from toolkit.pipeline.prepare import find_inputs, prepare_part

def status(field):  # kB, from /proc/self/status
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field))
    return int(line.split()[1])

inputs = find_inputs(Path(sys.argv[1]), Path(sys.argv[2]))
models = pickle.loads(Path(sys.argv[5]).read_bytes())
Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from here (Linux)
before = status("VmRSS:")
start = time.perf_counter()
prepare_part(inputs, Path(sys.argv[3]), [sys.argv[4]], "FFT50", models)
peak = status("VmHWM:")
print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": peak / 1024, "added_mb": (peak - before) / 1024}))
"""


def one_school(data: Path, reference: Path, out: Path, school_id: str) -> dict:
    """Prepare one school alone in a fresh process as a Dask worker does (``prepare.prepare_part``, given the fitted
    models without the national pupils): its time, peak memory and what it added to the process's peak."""
    inputs = find_inputs(data, reference)
    models = fit_national(inputs.reference, say=lambda m: None)
    shipped = out.with_suffix(".models.pkl")
    shipped.write_bytes(pickle.dumps(replace(models, reference=models.reference.iloc[:0])))
    done = subprocess.run(
        [sys.executable, "-c", ONE_SCHOOL, str(data), str(reference), str(out), school_id, str(shipped)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def line(seconds: dict[int, float], what: str) -> tuple[float, float]:
    """A straight line through ``seconds`` by size: the fixed cost and the cost a school, printed with the
    projection for every primary in England on 1, 10 and 100 machines."""
    x, y = np.array(list(seconds)), np.array(list(seconds.values()))
    per_school, fixed = np.polyfit(x, y, 1) if len(x) > 1 else (y[0] / x[0], 0.0)
    print(f"{what}: fixed cost {fixed:8.1f} s, per school {per_school:8.3f} s")
    for workers in (1, 10, 100):
        projected = fixed + per_school * ENGLAND / workers
        print(f"  projected {ENGLAND:,} primaries on {workers:>3} machine(s): {projected / 60:8.1f} min")
    return float(fixed), float(per_school)


def main(
    sizes: tuple[int, ...] = (12, 48, 150),
    reference: int = 200_000,
    pack: bool = False,
    partitioned: bool = False,
    pack_reports: list[str] | None = None,
) -> dict:
    """``pack_reports``: the pack's reports (default every report, as a user runs it; a test asks for fewer)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.setdefault("TOOLKIT_CACHE", str(root / "cache"))
        national = synth.national_cohort(reference, 2026, seed=3)
        national.pupils.to_parquet(root / "national_2026.parquet", index=False)
        seconds, packs, reports, alone = {}, {}, {}, {}
        for n in sizes:
            data = root / f"trust_{n}"
            synth_trust.write_trust(synth_trust.demo_trust(n, 2027, seed=n, secondary=False), data, 2027)
            inputs = find_inputs(data, root / "national_2026.parquet")
            prepare(inputs, root / f"run_{n}", say=lambda m: None)  # fills the fit cache
            t = time.perf_counter()
            prepare(inputs, root / f"run_{n}", say=lambda m: None)
            seconds[n] = time.perf_counter() - t
            print(f"prepare {n:>6,} schools       {seconds[n]:8.1f} s   ({seconds[n] / n:.3f} s a school)")
            if partitioned:
                school = inputs.school_ids()[0]
                partition_folder(data, root / f"parts_{n}", say=lambda m: None)
                alone[n] = {
                    kind: one_school(folder, root / "national_2026.parquet", root / f"alone_{kind}_{n}", school)
                    for kind, folder in (("csv", data), ("partitioned", root / f"parts_{n}"))
                }
                for kind, got in alone[n].items():
                    print(
                        f"one school of {n:>6,} from {kind:<11} {got['seconds']:8.2f} s   peak {got['peak_mb']:7.0f} MB "
                        f"({got['added_mb']:6.0f} MB above the worker's models and imports)"
                    )
            if pack:
                t = time.perf_counter()
                manifest = run_batch(
                    PackRequest(inputs, root / f"pack_{n}", reports=pack_reports, progress=False, say=lambda m: None)
                )
                packs[n] = time.perf_counter() - t
                reports[n] = len(manifest["reports"])
                failed = sum(r["status"] == "failed" for r in manifest["reports"])
                print(
                    f"pack    {n:>6,} schools       {packs[n]:8.1f} s   ({reports[n]} reports, {failed} failed, "
                    f"{packs[n] / reports[n]:.2f} s a report)"
                )
    fixed, per_school = line(seconds, "prepare")
    result = {"fixed": fixed, "per_school": per_school, "seconds": seconds, "one_school": alone}
    if pack:
        result["pack"] = dict(zip(("fixed", "per_school"), line(packs, "pack (prepare and start-up included)")))
        result["pack_seconds"], result["reports"] = packs, reports
    return result


if __name__ == "__main__":
    flags = {"--pack", "--partitioned"}
    sizes = tuple(int(a) for a in sys.argv[1:] if a not in flags) or (12, 48, 150)
    main(sizes, pack="--pack" in sys.argv[1:], partitioned="--partitioned" in sys.argv[1:])
