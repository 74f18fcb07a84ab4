"""Benchmark: importing a trust's Common Transfer Files (`toolkit import ctf`): a folder of one whole-school CTF per
school (pupils with details, FSM and SEN histories, EYFS, KS1 and KS2 records), read streaming and merged into the
data folder's tables. Target: a 1,500-school trust (about 600,000 pupils) with memory bounded by one file's parse
(the tables themselves grow with the pupils).

Usage: python bench/bench_ctf.py [SCHOOLS] [PUPILS_PER_SCHOOL]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from stdnum.gb import upn as stdnum_upn

from toolkit.inputs.ctf import Verdicts, read_ctf
from toolkit.inputs.ctf_tables import assemble
from toolkit.scales.eyfs import goals
from toolkit.synth.ctf import Party, write_ctf


def _cohort(pupils: int, seed: int = 5) -> pd.DataFrame:
    """Year 6 pupils with every column a CTF carries (values drawn at random: the import's speed, not realism,
    is measured; the calibrated generator costs half a minute to start)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "surname": rng.choice(["Mockford", "Sampleton", "Testwell", "Dummyby"], pupils),
            "forename": rng.choice(["Ada", "Ben", "Cy", "Dee"], pupils),
            "dob": pd.Timestamp("2015-09-01") + pd.to_timedelta(rng.integers(0, 365, pupils), unit="D"),
            "gender": rng.choice(["F", "M"], pupils),
            "year_group": 6,
            "academic_year": 2027,
            "fsm": rng.choice(["Y", "N"], pupils, p=[0.25, 0.75]),
            "eal": rng.choice(["Y", "N"], pupils, p=[0.2, 0.8]),
            "sen": rng.choice(["N", "K", "E"], pupils, p=[0.83, 0.13, 0.04]),
        }
    )
    frame["fsm6"] = np.where(frame["fsm"] == "Y", "Y", rng.choice(["Y", "N"], pupils, p=[0.1, 0.9]))
    for goal in goals():
        frame[f"eyfs_{goal}"] = rng.choice(["expected", "emerging"], pupils, p=[0.8, 0.2])
    for subject in ("reading", "writing", "maths"):
        frame[f"ks1_{subject}"] = rng.choice(["GDS", "EXS", "WTS", "PK4"], pupils, p=[0.2, 0.5, 0.25, 0.05])
    for subject in ("reading", "maths", "gps"):
        frame[f"ks2_{subject}"] = rng.integers(80, 121, pupils).astype(str)
    frame["ks2_writing"] = rng.choice(["GDS", "EXS", "WTS"], pupils)
    return frame


def _files(folder: Path, schools: int, per_school: int) -> int:
    """One roll CTF per school, each school's pupils with their own UPNs."""
    cohort = _cohort(per_school * min(schools, 20))
    written = 0
    for k in range(schools):
        school_id = f"{800 + k // 9000:03d}{1000 + k % 9000:04d}"
        part = cohort.iloc[(k % 20) * per_school : (k % 20 + 1) * per_school].copy()
        bodies = [f"{school_id}{i:05d}" for i in range(len(part))]
        part["upn"] = [stdnum_upn.calc_check_digit(b) + b for b in bodies]
        part["school_id"] = school_id
        write_ctf(
            folder / f"{school_id}_CTF_XXXXXXX_001.xml",
            part,
            written=datetime(2026, 10, 1, 9),
            academic_year=2027,
            source=Party.school(school_id, f"School {k}"),
        )
        written += len(part)
    return written


def main(schools: int = 1_500, per_school: int = 400) -> dict[str, float]:
    """Print and return the timings (seconds), pupils per second and peak memory (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        pupils = _files(folder, schools, per_school)
        made = time.perf_counter() - start
        size = sum(p.stat().st_size for p in folder.glob("*.xml")) / 2**20
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        verdicts = Verdicts()
        read = [read_ctf(p, verdicts=verdicts) for p in sorted(folder.glob("*.xml"))]
        parsed = time.perf_counter() - start
        start = time.perf_counter()
        imported = assemble(read)
        merged = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    records = sum(len(r.results) + len(r.other_assessments) for r in read)
    result = {
        "pupils": pupils,
        "parse_s": parsed,
        "merge_s": merged,
        "pupils_per_s": pupils / (parsed + merged),
        "peak_mib": peak,
    }
    print(f"schools                      {schools:>10,}")
    print(
        f"pupils                       {pupils:>10,}  ({records:,} assessment records, {size:,.0f} MiB of XML; made in {made:.0f} s)"
    )
    print(f"parse (streaming)            {parsed:>10.1f} s")
    print(f"merge into the tables        {merged:>10.1f} s")
    print(f"pupils per second            {result['pupils_per_s']:>10,.0f}")
    print(f"peak memory                  {peak:>10,.0f} MiB (before the import: {before:,.0f} MiB)")
    assert len(imported.tables["pupils"]) == pupils
    return result


if __name__ == "__main__":
    arguments = [int(a) for a in sys.argv[1:3]]
    main(*arguments)
