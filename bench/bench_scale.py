"""Benchmark: how prepare grows with the number of schools, and what that projects for every primary in England.

For each size, a synthetic trust of that many primaries (``toolkit synth schools``, no secondary) is prepared on
the same national reference, twice: the first run fills the fit cache (national fits), the second is timed (the
steady state of a service that prepares again and again). A straight line through the timed runs gives a fixed
cost and a cost per school; the projection for 16,800 primaries is that line, on one machine and with the
per-school part spread over N machines (prepare's per-school work partitions by school).

Usage: python bench/bench_scale.py [SCHOOLS ...]     (default 12 48 150)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from toolkit.reports.prepare import find_inputs, prepare
from toolkit.synth import cohorts as synth

ENGLAND = 16_800


def main(sizes: tuple[int, ...] = (12, 48, 150), reference: int = 200_000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.setdefault("TOOLKIT_CACHE", str(root / "cache"))
        national = synth.national_cohort(reference, 2026, seed=3)
        national.pupils.to_parquet(root / "national_2026.parquet", index=False)
        seconds = {}
        for n in sizes:
            data = root / f"trust_{n}"
            synth.write_trust(synth.demo_trust(n, 2027, seed=n, secondary=False), data, 2027)
            inputs = find_inputs(data, root / "national_2026.parquet")
            prepare(inputs, root / f"run_{n}", say=lambda m: None)  # fills the fit cache
            t = time.perf_counter()
            prepare(inputs, root / f"run_{n}", say=lambda m: None)
            seconds[n] = time.perf_counter() - t
            print(f"prepare {n:>6,} schools       {seconds[n]:8.1f} s   ({seconds[n] / n:.3f} s a school)")
    x, y = np.array(list(seconds)), np.array(list(seconds.values()))
    per_school, fixed = np.polyfit(x, y, 1) if len(x) > 1 else (y[0] / x[0], 0.0)
    print(f"fixed cost                  {fixed:8.1f} s")
    print(f"per school                  {per_school:8.3f} s")
    for workers in (1, 10, 100):
        projected = fixed + per_school * ENGLAND / workers
        print(f"projected {ENGLAND:,} primaries on {workers:>3} machine(s): {projected / 60:8.1f} min")
    return {"fixed": float(fixed), "per_school": float(per_school), "seconds": seconds}


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or (12, 48, 150))
