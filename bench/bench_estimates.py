"""Benchmark: fit the estimate model on 600,000 reference pupils and estimate all of them (issue target: well
under a minute here), at FFT50 and at a second challenge level (which must not refit).

Usage: python bench/bench_estimates.py [PUPILS]
"""

from __future__ import annotations

import sys
import time

from toolkit.methods.estimates import EstimateModel
from toolkit.synth import cohorts as synth


def main(pupils: int = 600_000) -> None:
    cohort = synth.national_cohort(pupils, 2026, seed=1)
    t0 = time.perf_counter()
    model = EstimateModel("ks2").fit(cohort.pupils)
    t1 = time.perf_counter()
    model.predict(cohort.pupils, 50)
    t2 = time.perf_counter()
    model.predict(cohort.pupils, 95)
    t3 = time.perf_counter()
    ks1 = EstimateModel("ks1").fit(cohort.pupils)
    ks1.predict(cohort.pupils, 50)
    t4 = time.perf_counter()
    total = t2 - t0
    print(f"reference pupils            {pupils:>10,}")
    print(f"fit KS1->KS2                {t1 - t0:10.1f} s")
    print(f"estimate all at FFT50       {t2 - t1:10.1f} s   ({pupils / (t2 - t1):,.0f} pupils/s)")
    print(
        f"fit + estimate              {total:10.1f} s   (target well under 60 s: {'met' if total < 30 else 'NOT met'})"
    )
    print(f"estimate all at FFT5        {t3 - t2:10.1f} s   (no refit)")
    print(f"EYFS->KS1 fit + estimate    {t4 - t3:10.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600_000)
