"""Benchmark: the report pack against the naive loop, on the same machine in the same run.

Naive loop, per (school, report): the `papermill` CLI (a Jupyter kernel per report), then `jupyter nbconvert --to
html --no-input`, then `chromium --headless --print-to-pdf`. The batch: `toolkit reports` (forked warm workers,
one Chromium). Both execute the same notebooks on the same prepared school slices; preparing them (the methodology,
once for all schools) is timed separately. Prints seconds per report for each, reports per second and the ratio.

Usage: python bench/bench_reports.py [SCHOOLS]     (default 3 schools, every report each school's data supports)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from toolkit import locations
from toolkit.reports.batch import run_batch
from toolkit.reports.prepare import find_inputs
from toolkit.reports.render import chromium_path
from toolkit.reports.run_format import PreparedRun
from toolkit.synth import cohorts as synth
from toolkit.synth import ks5 as synth_ks5

BIN = Path(sys.executable).parent


def naive(prepared: Path, plan: list[tuple[str, str]], out: Path, year: int) -> tuple[float, dict]:
    start = time.perf_counter()
    phases = {"papermill": 0.0, "nbconvert": 0.0, "chromium": 0.0}
    for school, report in plan:
        executed = out / f"{school}_{report}.ipynb"
        t0 = time.perf_counter()
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(locations.notebooks_dir() / f"{report}.ipynb"),
                str(executed),
                "-p",
                "run_dir",
                str(prepared),
                "-p",
                "school_id",
                school,
                "-p",
                "academic_year",
                str(year),
                "--log-level",
                "ERROR",
                "--no-progress-bar",
                "-k",
                "python3",
            ],
            check=True,
            capture_output=True,
        )
        t1 = time.perf_counter()
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            capture_output=True,
        )
        t2 = time.perf_counter()
        html = executed.with_suffix(".html")
        # No network for the naive browser either: every host name fails at once, so the CDN scripts in
        # nbconvert's template cost nothing.
        subprocess.run(
            [
                chromium_path(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--print-to-pdf={executed.with_suffix('.pdf')}",
                html.as_uri(),
            ],
            check=True,
            capture_output=True,
        )
        t3 = time.perf_counter()
        phases["papermill"] += t1 - t0
        phases["nbconvert"] += t2 - t1
        phases["chromium"] += t3 - t2
    return time.perf_counter() - start, phases


def main(n_schools: int = 3, reference: int = 60_000, reports: list[str] | None = None) -> dict:
    """Run both on the same prepared slices; print and return seconds per report and the ratio."""
    year = 2027
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synth.national_cohort(reference, year - 1, seed=3).pupils.to_parquet(
            root / f"national_{year - 1}.parquet", index=False
        )
        synth_ks5.national_ks5(max(reference // 4, 2_000), year - 1, seed=3).entries.to_parquet(
            root / f"national_ks5_{year - 1}.parquet", index=False
        )
        trust = synth.demo_trust(n_schools, year, seed=5)
        synth.write_trust(trust, root / "trust", year)
        inputs = find_inputs(root / "trust")
        t = time.perf_counter()
        run_batch(inputs, root / "run", reports=["va"], formats=("html",), progress=False, say=lambda m: None)
        prepare_s = time.perf_counter() - t
        run = PreparedRun(root / "run" / "prepared")
        plan = [(s, r) for s in run.school_ids() for r in run.school_info(s)["reports"] if not reports or r in reports]
        (root / "run" / "manifest.json").unlink()  # keep the prepared slices, redo every report
        t = time.perf_counter()
        manifest = run_batch(inputs, root / "run", reports=reports, progress=False, say=lambda m: None)
        batch_s = time.perf_counter() - t
        assert all(r["status"] == "done" for r in manifest["reports"]), "the batch had failures"
        assert len(manifest["reports"]) == len(plan)
        naive_dir = root / "naive"
        naive_dir.mkdir()
        naive_s, phases = naive(run.root, plan, naive_dir, year)
    n = len(plan)
    print(f"reports                      {n:>8} ({n_schools} schools, every report their data supports, HTML + PDF)")
    print(f"prepare (once, all schools)  {prepare_s:8.1f} s  (includes one small first render)")
    print(
        f"naive loop                   {naive_s / n:8.2f} s per report  ({n / naive_s:.2f} reports/s): "
        + ", ".join(f"{k} {v / n:.2f} s" for k, v in phases.items())
    )
    print(f"toolkit reports              {batch_s / n:8.2f} s per report  ({n / batch_s:.2f} reports/s)")
    ratio = naive_s / batch_s
    print(f"speed-up                     {ratio:8.1f} x  (target >= 4: {'met' if ratio >= 4 else 'NOT met'})")
    return {"reports": n, "naive_s": naive_s, "batch_s": batch_s, "ratio": ratio}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
