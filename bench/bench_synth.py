"""Benchmark: generate the synthetic national cohort (issue target: 600,000 pupils in under a minute here).

Prints seconds for calibration, drawing the pupils, writing Parquet and loading + validating it again.
Usage: python bench/bench_synth.py [PUPILS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from toolkit.inputs import load_pupils
from toolkit.synth import calibration as synth_calibration
from toolkit.synth import cohorts as synth


def main(pupils: int = 600_000) -> None:
    t0 = time.perf_counter()
    synth_calibration.calibrate(2026)
    t1 = time.perf_counter()
    cohort = synth.national_cohort(pupils, 2026, seed=1)
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "national.parquet"
        synth.write_national(cohort, out)
        t3 = time.perf_counter()
        load_pupils(out)
        t4 = time.perf_counter()
    total = t3 - t0
    print(f"pupils                      {pupils:>10,}")
    print(f"calibration                 {t1 - t0:10.1f} s")
    print(f"drawing pupils              {t2 - t1:10.1f} s")
    print(f"writing parquet             {t3 - t2:10.1f} s")
    print(f"generate total              {total:10.1f} s   (target < 60 s: {'met' if total < 60 else 'NOT met'})")
    print(f"load + validate             {t4 - t3:10.1f} s   ({pupils / (t4 - t3):,.0f} pupils/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600_000)
