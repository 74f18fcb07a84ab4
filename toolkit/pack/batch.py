"""The report pack: for each (school, report) execute the notebook with papermill, render HTML and PDF, and write
an index and a manifest. One school's failure is reported and kept for debugging; the others go on.

Speed comes from doing each expensive thing once: the methodology is computed once for all schools (``prepare``);
notebooks run in worker processes forked from a server that has already imported everything (``engine``, ``warm``),
one fresh process per report so no report sees another's state; all PDFs come from one long-lived Chromium.
Re-running skips reports whose notebook, parameters, school data and code have not changed."""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.inputs import outputs
from toolkit.inputs.outputs import PARTIAL
from toolkit.methods.profile import COMPARATORS
from toolkit.pack.manifest import earlier_reports, journal, schools_without_reports, write_index, write_manifest
from toolkit.pack.plan import check_choices, plan_tasks, reusable
from toolkit.pack.tasks import FORMATS, Outcome, Task, footer_name, run_task
from toolkit.pack.versions import code_version, state_hashes
from toolkit.pipeline import keys as content_keys
from toolkit.pipeline.prepare import Inputs, file_hash, prepare
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue
from toolkit.vocabulary import Challenge

WARM = ["toolkit.pack.warm"]  # what the fork server imports once for every report process


def _pool(jobs: int) -> ProcessPoolExecutor:
    """Workers forked from a server that has imported everything once; one fresh process per report."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(WARM)
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, max_tasks_per_child=1)


@dataclass
class WarmUp:
    """What starts in the background while prepare runs: the fork server (it imports pandas, seaborn, nbconvert
    and the views: ~4 s) and, for PDFs, the headless Chromium (~0.6 s), so both are ready when prepare ends."""

    thread: threading.Thread
    printer: list = field(default_factory=list)  # the started PdfPrinter, once started
    failed: list = field(default_factory=list)  # why Chromium did not start (execute says so when it needs it)

    def join(self):
        """The started printer (None when PDFs were not asked for or Chromium did not start)."""
        self.thread.join()
        return self.printer[0] if self.printer else None


def warm_up_while_preparing(pdf_jobs: int = 0) -> WarmUp:
    """Start the fork server, and a Chromium printing ``pdf_jobs`` PDFs at once (0: none), in the background."""
    warm = WarmUp(threading.Thread(name="warm-up", daemon=True))

    def start() -> None:
        from multiprocessing import forkserver

        multiprocessing.get_context("forkserver").set_forkserver_preload(WARM)
        forkserver.ensure_running()
        if pdf_jobs:
            from toolkit.pack.render import PdfPrinter

            try:
                warm.printer.append(PdfPrinter(parallel=pdf_jobs).__enter__())
            except Exception as err:  # execute starts it again, and says why it cannot
                warm.failed.append(err)

    warm.thread = threading.Thread(target=start, name="warm-up", daemon=True)
    warm.thread.start()
    return warm


def prepare_once(
    inputs: Inputs,
    run: PreparedRun,
    schools: list[str] | None,
    challenge: Challenge,
    code: dict,
    force: bool = False,
    say=print,
    refit: bool = False,
    client=None,
    hashes: dict[str, str] | None = None,
) -> list[str]:
    """Prepare only the schools whose own data changed since their slice was written (``pipeline.keys``: each
    school's rows of each file by content and file name, so `--data trust` and `--data /abs/trust` are the same
    data), or every school asked with ``force`` or ``refit`` (which also fits the national models again); the ids.
    With a Dask ``client``, the schools are prepared in parts on its workers (``cluster.prepare_on_cluster``).
    ``hashes``: the input files' hashes the run has made already (path -> SHA-256)."""
    ids = [str(s) for s in schools] if schools else inputs.school_ids()
    national = content_keys.national_key(inputs, code["code_hash"], challenge, hashes)
    known = run.row_digests()
    rows = content_keys.row_digests(inputs, known, hashes)  # files unchanged since the last run are not read
    keys = content_keys.school_keys(inputs, ids, national, rows, hashes)
    recorded = {} if force or refit else run.slice_keys()
    todo = content_keys.to_prepare(keys, recorded, run.has_slice)
    if not todo:
        if rows != known:
            run.write_slice_keys({}, rows)
        say(f"Methodology unchanged since the last run: reusing {run.root}")
        return ids
    t = time.perf_counter()
    if client is not None:
        from toolkit.pack.cluster import prepare_on_cluster

        done = prepare_on_cluster(client, inputs, run.root, todo, challenge, say, refit)
    else:
        done = prepare(inputs, run.root, todo, challenge, say=say, refit=refit)
    run.write_slice_keys({s: keys[s] for s in done}, rows)
    kept = len(ids) - len(done)
    also = f"; {kept} unchanged school{'s' if kept != 1 else ''} reused" if kept else ""
    say(f"Prepared {len(done)} school{'s' if len(done) != 1 else ''} in {time.perf_counter() - t:.1f} s{also}")
    return ids


def longest_first(todo: list[Task]) -> list[Task]:
    """The longest reports (measured on the demo pack: docs/performance.md) start first (``catalogue.Report.starts``),
    so that no long report is left running alone at the end of a run."""
    starts = {r.name: r.starts for r in catalogue.reports()}
    return sorted(todo, key=lambda t: starts.get(t.report, 50))


def execute(todo: list[Task], formats: tuple[str, ...], jobs: int, bar, out: Path, printer=None) -> list[Outcome]:
    """Run the notebooks in warm worker processes, longest first, and print each finished report's PDF in one
    Chromium (``printer``: one already started, closed here)."""
    todo = longest_first(todo)
    outcomes: list[Outcome] = []
    try:
        if "pdf" in formats and todo and printer is None:
            from toolkit.pack.render import PdfPrinter

            printer = PdfPrinter(parallel=max(1, jobs)).__enter__()
        with _pool(max(1, jobs)) as pool:
            running = {pool.submit(run_task, t): (t, None) for t in todo}
            while running:
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    task, outcome = running.pop(future)
                    if outcome is None:  # a notebook finished executing
                        outcome = _executed(task, future)
                        if outcome.status == "done" and printer is not None:
                            outcome.pdf_started = time.perf_counter()
                            pdf = printer.submit(
                                Path(task.html),
                                Path(task.pdf),
                                f"{footer_name(task)} · {task.title}",
                            )
                            running[pdf] = (task, outcome)
                            continue
                    else:  # its PDF finished printing
                        _printed(outcome, future)
                    if outcome.status == "failed":
                        bar.write(
                            f"FAILED {task.school_id} {task.report}: {outcome.error} (notebook kept: {task.executed})"
                        )
                    outcomes.append(outcome)
                    journal(out, outcome)
                    bar.update(1)
    finally:
        if printer is not None:
            printer.__exit__(None, None, None)
    return outcomes


def _executed(task: Task, future) -> Outcome:
    try:
        return future.result()
    except Exception as err:  # the worker itself died
        return Outcome(task, "failed", error=f"{type(err).__name__}: {err}")


def _printed(outcome: Outcome, future) -> None:
    try:
        future.result()
    except Exception as err:
        outcome.status, outcome.error = "failed", f"PDF: {type(err).__name__}: {err}"
    outcome.seconds += time.perf_counter() - outcome.pdf_started


@dataclass
class PackRequest:
    """What a pack run is asked to do: the data folder's inputs, the output folder, which schools (default all),
    reports (default all the catalogue holds) and formats, how many report processes, the challenge level (parsed
    here once), the notebook engine, ``force`` (prepare the schools asked again and redo their reports),
    ``refit`` (also fit the national models again; the fit cache is otherwise trusted), ``scheduler`` (a Dask
    scheduler's address, or "local", to run on a cluster: ``cluster``), a progress bar, and where to say things."""

    inputs: Inputs
    out: Path
    schools: list[str] | None = None
    reports: list[str] | None = None
    formats: tuple[str, ...] = FORMATS
    jobs: int = 2
    challenge: Challenge | str = "FFT50"
    engine_name: str = "toolkit"
    force: bool = False
    progress: bool = True
    say: Callable[[str], None] = print
    scheduler: str | None = None
    refit: bool = False
    comparator: str = "national_other"  # disadvantaged pupils against (methods.profile.COMPARATORS)

    def __post_init__(self):
        self.challenge = Challenge.parse(self.challenge)
        if self.comparator not in COMPARATORS:
            raise ValueError(f"Unknown comparator {self.comparator!r}: use one of {', '.join(COMPARATORS)}")
        self.reports = list(self.reports or catalogue.names())
        self.formats = tuple(self.formats)
        check_choices(self.reports, self.formats)
        outputs.refuse_inputs([self.out], [self.inputs.schools.parent, *self.inputs.files()])
        self.out = outputs.output_folder(self.out, KIND)  # new, empty, or a pack this toolkit made


KIND = "report pack"  # what an output folder of run_batch holds (``inputs.outputs``)


def remove_partials(tasks: list[Task], out: Path) -> None:
    """Remove what a killed run left half-written: the partial files of this run's own outputs (each task's files
    and executed notebook, the manifest and index), and nothing else, whoever wrote it."""
    ours = [Path(getattr(t, f)) for t in tasks for f in ("html", "pdf", "xlsx", "executed") if getattr(t, f)]
    for path in [*ours, out / "manifest.json", out / "index.html"]:
        path.with_name(path.name + PARTIAL).unlink(missing_ok=True)


def run_batch(request: PackRequest) -> dict:
    """Prepare, execute and render the pack into ``request.out``; return the manifest (also written to
    manifest.json)."""
    from tqdm import tqdm

    r = request
    inputs, out, schools, reports, formats, jobs, challenge, say = (
        r.inputs,
        r.out,
        r.schools,
        r.reports,
        r.formats,
        r.jobs,
        r.challenge,
        r.say,
    )
    outputs.mark(out, KIND)
    started = time.perf_counter()
    code = code_version()
    run = PreparedRun(out / "prepared")
    all_schools = inputs.school_ids()
    input_hashes = {str(p): file_hash(p) for p in inputs.files()} | state_hashes(all_schools)
    local = r.scheduler is None
    warming = warm_up_while_preparing(max(1, jobs) if "pdf" in formats else 0) if local else None
    client = None
    if not local:
        from toolkit.pack.cluster import close_client, execute_on_cluster, start_client

        client = start_client(r.scheduler, jobs)  # prepare and the reports both run on its workers
    try:
        try:
            ids = prepare_once(inputs, run, schools, challenge, code, r.force, say, r.refit, client, input_hashes)
        except BaseException:  # a bad input: close the Chromium started meanwhile, then say what is wrong
            chromium = warming.join() if warming is not None else None
            if chromium is not None:
                chromium.__exit__(None, None, None)
            raise
        printer = warming.join() if warming is not None else None
        tasks = plan_tasks(run, out, ids, reports, formats, challenge, r.engine_name, code, r.comparator)
        remove_partials(tasks, out)
        outcomes, todo = reusable(tasks, out, r.force)
        bar = tqdm(
            total=len(tasks),
            desc="Reports",
            unit="report",
            disable=not r.progress,
            file=sys.stderr,
            initial=len(outcomes),
        )
        try:
            if local:
                outcomes += execute(todo, formats, jobs, bar, out, printer)
                printer = None  # closed by execute
            else:
                outcomes += execute_on_cluster(client, todo, bar, out)
        finally:
            bar.close()
            if printer is not None:  # started while preparing, not used (a failure before execute)
                printer.__exit__(None, None, None)
    finally:
        if client is not None:
            close_client(client)
    elapsed = time.perf_counter() - started
    idle = schools_without_reports(run, ids)
    manifest = write_manifest(out, outcomes, input_hashes, code, elapsed, idle, earlier_reports(out, tasks))
    write_index(out, manifest)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("done", "failed", "skipped")}
    say(f"Reports: {counts['done']} done, {counts['failed']} failed, {counts['skipped']} skipped in {elapsed:.1f} s")
    for school in idle:
        say(f"No reports for {school['school_name']} ({school['school_id']}): {school['reason']}")
    say(f"Index: {out / 'index.html'}")
    return manifest
