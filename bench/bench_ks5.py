"""Benchmark: the KS5 reference (150,000 students, as in `make demo`) and level 3 value added on it.

Prints seconds for grade calibration, drawing the cohort, loading + validating it as an entries file, fitting the
national bands and scoring every school. Usage: python bench/bench_ks5.py [STUDENTS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from toolkit.inputs.entries import load_entries
from toolkit.methods.value_added import Level3ValueAdded
from toolkit.synth import ks5 as synth_ks5


def main(students: int = 150_000) -> None:
    t0 = time.perf_counter()
    synth_ks5.grade_cuts()
    t1 = time.perf_counter()
    cohort = synth_ks5.national_ks5(students, 2026, seed=1)
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "national_ks5_2026.parquet"
        cohort.entries.to_parquet(out, index=False)
        entries = load_entries(out)
    t3 = time.perf_counter()
    va = Level3ValueAdded().fit(entries)
    t4 = time.perf_counter()
    scores = va.school_scores(va.transform(entries))
    t5 = time.perf_counter()
    print(f"students                    {students:>10,}  ({len(entries):,} entries)")
    print(f"grade calibration           {t1 - t0:10.1f} s")
    print(f"drawing the cohort          {t2 - t1:10.1f} s")
    print(f"write + load + validate     {t3 - t2:10.1f} s")
    print(f"fit level 3 VA bands        {t4 - t3:10.1f} s")
    print(f"VA for every entry + school {t5 - t4:10.1f} s   ({scores['school_id'].nunique():,} schools)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150_000)
