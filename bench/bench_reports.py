"""Benchmark: the report pack against the naive loop and against the one-process floor, on the same prepared
slices in the same run.

- Naive loop, per (school, report): the `papermill` CLI (a Jupyter kernel per report), then `jupyter nbconvert
  --to html --no-input`, then `chromium --headless --print-to-pdf`.
- One-process floor: the same work with nothing around it: one warm Python executes each notebook in turn
  (``tasks.run_task``: papermill with the in-process engine, HTML) and one Chromium prints each PDF; imports and
  the browser start are not counted. No pack can do the same reports faster on one core.
- The batch: `toolkit reports` as a user runs it, start-up included (fork server, Chromium, planning, index and
  manifest; the prepared slices are reused), with ``--jobs 1`` (to compare with the floor: what the pack adds) and
  ``--jobs 2``.

Preparing the slices (the methodology, once for all schools) is timed separately. Prints seconds per report for
each and the ratios the issue sets: the batch at least 6x the naive loop, and within 1.25x of the floor.

Usage: python bench/bench_reports.py [SCHOOLS]     (default 2 primaries, every report their data supports)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from toolkit import locations
from toolkit.pack.batch import PackRequest, run_batch
from toolkit.pack.render import chromium_path
from toolkit.pipeline.prepare import find_inputs
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue
from toolkit.synth import cohorts as synth
from toolkit.synth import trust as synth_trust

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


def floor(run: PreparedRun, plan: list[tuple[str, str]], out: Path) -> float:
    """Seconds for the plan in one warm process: each notebook executed and rendered to HTML, each PDF printed by one
    Chromium, one after the other (imports and the browser start are outside the clock)."""
    import toolkit.pack.warm  # noqa: F401  (the report imports, as a warm worker has them)
    from toolkit.pack import plan as planning
    from toolkit.pack import tasks, versions
    from toolkit.pack.render import PdfPrinter

    code = versions.code_version()
    todo = []
    for school in dict.fromkeys(s for s, _ in plan):
        reports = [r for s, r in plan if s == school]
        todo += planning.plan_tasks(run, out, [school], reports, ("html", "pdf"), "FFT50", "toolkit", code)
    with PdfPrinter(parallel=1) as printer:
        start = time.perf_counter()
        for task in todo:
            assert tasks.run_task(task).status == "done", task.report
            printer.submit(Path(task.html), Path(task.pdf), task.report).result()
        return time.perf_counter() - start


def main(
    n_schools: int = 2, reference: int = 60_000, reports: list[str] | None = None, naive_loop: bool = True
) -> dict:
    """Run all on the same prepared slices; print and return seconds per report and the ratios."""
    year = 2027
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        synth.national_cohort(reference, year - 1, seed=3).pupils.to_parquet(
            root / f"national_{year - 1}.parquet", index=False
        )
        trust = synth_trust.demo_trust(n_schools, year, seed=5, secondary=False)
        synth_trust.write_trust(trust, root / "trust", year)
        inputs = find_inputs(root / "trust")
        t = time.perf_counter()
        run_batch(
            PackRequest(inputs, root / "run", reports=["va"], formats=("html",), progress=False, say=lambda m: None)
        )
        prepare_s = time.perf_counter() - t
        run = PreparedRun(root / "run" / "prepared")
        plan = [
            (s, r)
            for s in run.school_ids()
            for r in catalogue.applicable(run.school_info(s))
            if not reports or r in reports
        ]
        asked = reports or sorted({r for _, r in plan})
        batch_s = {}
        for jobs in (1, 2):
            out = root / f"batch_{jobs}"
            out.mkdir()
            (out / "prepared").symlink_to(run.root)  # the same slices: nothing is prepared again
            t = time.perf_counter()
            manifest = run_batch(PackRequest(inputs, out, reports=asked, jobs=jobs, progress=False, say=lambda m: None))
            batch_s[jobs] = time.perf_counter() - t
            assert all(r["status"] == "done" for r in manifest["reports"]), "the batch had failures"
            assert len(manifest["reports"]) == len(plan), (len(manifest["reports"]), len(plan))
        floor_s = floor(run, plan, root / "floor")
        naive_s, phases = 0.0, {}
        if naive_loop:
            naive_dir = root / "naive"
            naive_dir.mkdir()
            naive_s, phases = naive(run.root, plan, naive_dir, year)
    n = len(plan)
    print(f"reports                      {n:>8} ({n_schools} primaries, every report their data supports, HTML + PDF)")
    print(f"prepare (once, all schools)  {prepare_s:8.1f} s  (includes one small first render)")
    if naive_loop:
        print(
            f"naive loop                   {naive_s / n:8.2f} s per report  ({n / naive_s:.2f} reports/s): "
            + ", ".join(f"{k} {v / n:.2f} s" for k, v in phases.items())
        )
    print(f"one-process floor            {floor_s / n:8.2f} s per report  (warm, serial, nothing around it)")
    for jobs, secs in batch_s.items():
        print(f"toolkit reports --jobs {jobs}     {secs / n:8.2f} s per report  ({secs:.1f} s, start-up included)")
    over_floor = batch_s[1] / floor_s
    print(
        f"--jobs 1 against the floor   {over_floor:8.2f} x  (target <= 1.25: {'met' if over_floor <= 1.25 else 'NOT met'})"
    )
    ratio = naive_s / batch_s[2] if naive_loop else float("nan")
    if naive_loop:
        print(
            f"speed-up on the naive loop   {ratio:8.1f} x  (--jobs 2; target >= 6: {'met' if ratio >= 6 else 'NOT met'})"
        )
    return {"reports": n, "naive_s": naive_s, "batch_s": batch_s, "floor_s": floor_s, "ratio": ratio}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
