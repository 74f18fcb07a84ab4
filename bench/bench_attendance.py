"""Benchmark: a trust's daily register marks aggregated into sessions per pupil and term
(``toolkit.inputs.attendance_marks``): Parquet partitioned by school, each school's marks read and grouped with
Arrow's columnar group-by, so memory holds one school's marks at a time. Target: a 1,500-school trust for the
DfE's year to date (190 sessions x 600,000 pupils, about 114 million marks) within this machine's memory.

Usage: python bench/bench_attendance.py [SCHOOLS] [PUPILS_PER_SCHOOL] [SESSIONS]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from toolkit.inputs.attendance_marks import aggregate
from toolkit.methods.attendance import rates

MARKS = ["/", "\\", "L", "I", "M", "N", "O", "G", "V", "C"]
SHARES = [0.465, 0.465, 0.015, 0.03, 0.003, 0.002, 0.008, 0.005, 0.004, 0.003]


def _school(folder: Path, k: int, pupils: int, sessions: int, rng: np.random.Generator) -> int:
    school_id = f"{800 + k // 9000:03d}{1000 + k % 9000:04d}"
    days = pd.bdate_range("2025-09-01", periods=sessions // 2 + 1)[: (sessions + 1) // 2]
    upn = np.repeat(np.array([f"A{school_id}{i:05d}" for i in range(pupils)]), len(days) * 2)
    date = np.tile(np.repeat(days.strftime("%Y-%m-%d").to_numpy(), 2), pupils)
    session = np.tile(np.array(["AM", "PM"]), pupils * len(days))
    mark = rng.choice(np.array(MARKS), len(upn), p=SHARES)
    table = pa.table(
        {
            "upn": pa.array(upn).dictionary_encode(),
            "school_id": pa.array(np.full(len(upn), school_id)).dictionary_encode(),
            "date": pa.array(date).dictionary_encode(),
            "session": pa.array(session).dictionary_encode(),
            "mark": pa.array(mark).dictionary_encode(),
        }
    )
    pq.write_table(table, folder / f"school_id={school_id}.parquet")
    return len(upn)


def main(schools: int = 1_500, pupils: int = 400, sessions: int = 190) -> dict[str, float]:
    """Print and return the timings (seconds), marks per second and peak memory (MiB)."""
    rng = np.random.default_rng(11)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        marks = sum(_school(folder, k, pupils, sessions, rng) for k in range(schools))
        made = time.perf_counter() - start
        size = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 2**20
        start = time.perf_counter()
        parts = [aggregate(pq.read_table(p), p) for p in sorted(folder.glob("*.parquet"))]
        sessions_table = pd.concat(parts, ignore_index=True)
        aggregated = time.perf_counter() - start
        start = time.perf_counter()
        school_rates = rates(sessions_table, by=["school_id"])
        measured = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "marks": marks,
        "aggregate_s": aggregated,
        "rates_s": measured,
        "marks_per_s": marks / aggregated,
        "peak_mib": peak,
    }
    print(f"schools                      {schools:>12,}")
    print(
        f"marks                        {marks:>12,}  ({pupils} pupils x {sessions} sessions a school; {size:,.0f} MiB of Parquet, made in {made:.0f} s)"
    )
    print(f"aggregate to pupil x term    {aggregated:>12.1f} s  ({len(sessions_table):,} rows)")
    print(f"the DfE's rates per school   {measured:>12.1f} s")
    print(f"marks per second             {result['marks_per_s']:>12,.0f}")
    print(f"peak memory                  {peak:>12,.0f} MiB")
    assert len(school_rates) == schools
    return result


if __name__ == "__main__":
    main(*[int(a) for a in sys.argv[1:4]])
