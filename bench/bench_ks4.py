"""Benchmark: Attainment 8 and Progress 8 for a national KS4 cohort (600,000 pupils: a year group of England),
and KS4 estimates for a school-sized group of Years 7-11.

Prints seconds for drawing the synthetic cohort (``toolkit synth ks4``), scoring it (A8 slot rules, P8 on the
DfE's model, EBacc and English and maths flags, every school's P8 with intervals) and estimating 1,000 pupils in
every core subject at five challenge levels. Usage: python bench/bench_ks4.py [PUPILS]
"""

from __future__ import annotations

import sys
import time

import pandas as pd

from toolkit.methods import ks4, ks4_estimates
from toolkit.synth import ks4 as synth_ks4


def main(pupils: int = 600_000) -> dict:
    t0 = time.perf_counter()
    cohort = synth_ks4.national_ks4(pupils, 2027, seed=1)
    t1 = time.perf_counter()
    scored, schools, status = ks4.score_cohort(cohort.pupils, cohort.results, 2027)
    t2 = time.perf_counter()
    current = cohort.pupils.head(1_000).assign(year_group=11, academic_year=2027)
    subjects = pd.DataFrame(
        [(u, s) for u in current["upn"] for s in ks4_estimates.core_subjects()], columns=["upn", "subject"]
    )
    levels = {"FFT50": 50, "FFT20": 80, "FFT5": 95, "own": 62, "chosen": 50}
    estimates = ks4_estimates.estimates(current, subjects, levels)
    ks4_estimates.attainment_estimates(current, levels)
    t3 = time.perf_counter()
    print(f"pupils                      {pupils:>10,}  ({len(cohort.results):,} results, {len(schools):,} schools)")
    print(f"draw the synthetic cohort   {t1 - t0:10.1f} s")
    print(f"A8, P8 ({status}), flags     {t2 - t1:10.1f} s   ({pupils / max(t2 - t1, 1e-9):,.0f} pupils/s)")
    print(f"estimates, 1,000 pupils     {t3 - t2:10.2f} s   ({len(estimates):,} rows at 5 challenge levels)")
    return {"pupils": pupils, "score_seconds": t2 - t1, "national_p8": float(scored["p8"].mean())}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600_000)
