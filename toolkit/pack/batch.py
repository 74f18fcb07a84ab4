"""The report pack: for each (school, report) execute the notebook with papermill, render HTML and PDF, and write
an index and a manifest. One school's failure is reported and kept for debugging; the others go on.

Speed comes from doing each expensive thing once: the methodology is computed once for all schools (``prepare``);
notebooks run in worker processes forked from a server that has already imported everything (``engine``, ``warm``),
one fresh process per report so no report sees another's state; all PDFs come from one long-lived Chromium.
Re-running skips reports whose notebook, parameters, school data and code have not changed.
"""

from __future__ import annotations

import hashlib
import html
import json
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from toolkit import __version__, locations
from toolkit.inputs import school_state
from toolkit.pipeline import keys as content_keys
from toolkit.pipeline.fit_cache import hash_tree
from toolkit.pipeline.prepare import Inputs, file_hash, prepare
from toolkit.pipeline.store import PARTIAL, PreparedRun, written_whole
from toolkit.reports import catalogue
from toolkit.scales.identifiers import school_id_for_path

FORMATS = ("html", "pdf")
TRUST = "trust"  # the school_id of the trust overview's task and manifest row
REPORT_TIMEOUT = 600  # seconds a report cell may run before it is stopped and the report counted as failed
PACKAGES = ("toolkit", "pandas", "numpy", "seaborn", "matplotlib", "papermill", "nbconvert", "playwright")


@dataclass
class Task:
    school_id: str
    school_name: str
    report: str
    notebook: str
    parameters: dict
    executed: str  # executed notebook path
    html: str
    pdf: str
    formats: tuple[str, ...]
    engine: str
    key: str = ""
    xlsx: str = ""  # the spreadsheet beside the report (``catalogue.Report.spreadsheet``), else ""
    title: str = ""  # the report's title (``catalogue``), carried to the worker


@dataclass
class Outcome:
    task: Task
    status: str  # done, failed, skipped
    seconds: float = 0.0
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    pdf_started: float = 0.0
    files: dict = field(default_factory=dict)  # output path (relative to the run) -> size and SHA-256, once made


# ----------------------------------------------------------------------------------------------- provenance
def _code_folders() -> list[Path]:
    """The toolkit's code, notebooks and parameters (and a TOOLKIT_PARAMETERS folder), none counted twice."""
    folders = sorted(
        {
            p.resolve()
            for p in (
                locations.PACKAGE,
                locations.notebooks_dir(),
                locations.bundled_parameters(),
                locations.parameters_dir(),
            )
            if p.exists()
        }
    )
    return [f for f in folders if not any(f != o and f.is_relative_to(o) for o in folders)]


def code_version() -> dict:
    """The toolkit's version, the git commit of a checkout (None for an installed wheel) and a hash of the code,
    notebooks and parameters. Schools' saved state is not code: it enters that school's keys only."""
    h = hashlib.sha256()
    for folder in _code_folders():
        hash_tree(h, folder)
    commit = dirty = None
    root = locations.checkout()
    if root is not None and (root / ".git").exists():
        try:
            commit = (
                subprocess.run(
                    ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
                ).stdout.strip()
                or None
            )
            dirty = bool(
                subprocess.run(
                    ["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True, timeout=10
                ).stdout.strip()
            )
        except (OSError, subprocess.SubprocessError):
            commit, dirty = None, None
    return {"version": __version__, "git_commit": commit, "git_dirty": dirty, "code_hash": h.hexdigest()}


def package_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def state_hashes(school_ids: list[str]) -> dict[str, str]:
    """Hashes of the schools' saved challenge settings and edited targets (``school_state``), by file."""
    return {str(p): file_hash(p) for s in school_ids for p in school_state.files(s)}


def folder_hash(folder: Path, skip: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name not in skip:
            h.update(p.name.encode())
            h.update(file_hash(p).encode())
    return h.hexdigest()


# ----------------------------------------------------------------------------------------------- one report
def run_task(task: Task) -> Outcome:
    """Execute one report notebook and write its HTML (PDF is printed by the parent). Runs in a worker process."""
    import nbformat
    import papermill

    from toolkit.pack import engine, render

    start = time.perf_counter()
    Path(task.executed).parent.mkdir(parents=True, exist_ok=True)
    cwd = str(locations.checkout() or Path(task.executed).parent)
    try:
        nb = papermill.execute_notebook(
            task.notebook,
            task.executed,
            parameters=task.parameters,
            engine_name=task.engine if task.engine == engine.NAME else None,
            kernel_name="python3",
            progress_bar=False,
            cwd=cwd,
            execution_timeout=REPORT_TIMEOUT,
        )
    except Exception as err:  # papermill keeps the failed notebook at task.executed
        first = str(err).strip().splitlines()
        return Outcome(
            task,
            "failed",
            time.perf_counter() - start,
            error=f"{type(err).__name__}: {first[-1] if first else ''}"[:500],
        )
    warnings: list[str] = []
    if "html" in task.formats or "pdf" in task.formats:
        body, warnings = render.html_of(nbformat.from_dict(nb), f"{task.school_name}: {task.title}")
        write_whole(Path(task.html), body)
    if task.xlsx:
        write_spreadsheet(task)
    return Outcome(task, "done", time.perf_counter() - start, warnings=warnings)


def write_spreadsheet(task: Task) -> None:
    """The spreadsheet beside a report (``catalogue.Report.spreadsheet``): the appendix's tables, or the subject leaders' counts
    with formulas. Written by the report's own task, so a run that does not ask for the report pays nothing."""
    from toolkit.reports import appendix_views, views

    p = task.parameters
    school = views.load(p["run_dir"], p["school_id"])
    if task.report == "subject_leader":
        from toolkit.reports.subject_leader_workbook import write_workbook

        write_workbook(school.table("subject_counts"), task.school_name, task.xlsx)
    else:
        appendix_views.write_workbook(school, views.parse_year_groups(p["year_groups"]), task.xlsx)


def write_whole(path: Path, text: str) -> None:
    """Write a text file whole (``run_format.written_whole``): a killed run never leaves half a file."""
    with written_whole(path) as partial:
        partial.write_text(text, encoding="utf-8")


def output_record(path: Path) -> dict:
    """What a report file was when the run wrote it: its size and SHA-256."""
    return {"bytes": path.stat().st_size, "sha256": file_hash(path)} if path.exists() else {}


def output_files(task: Task, out: Path) -> dict:
    """Each of a report's outputs, relative to the run, with its ``output_record``."""
    return {_rel(getattr(task, f), out): output_record(Path(getattr(task, f))) for f in task.formats}


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


# ----------------------------------------------------------------------------------------------- the batch
def report_key(task: Task, slice_hash: str, national_hash: str, code: dict, state: dict[str, str]) -> str:
    """What a report depends on: its notebook and parameters, the school's slice, the national figures, the code,
    the formats and engine, and that school's saved state (``state``: file -> hash, this school's only)."""
    parts = [
        file_hash(Path(task.notebook)),
        json.dumps(task.parameters, sort_keys=True),
        slice_hash,
        national_hash,
        code["code_hash"],
        ",".join(task.formats),
        task.engine,
        json.dumps(state, sort_keys=True),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _outputs_exist(task: Task) -> bool:
    return Path(task.executed).exists() and all(Path(getattr(task, f)).exists() for f in task.formats)


def _outputs_unchanged(task: Task, old: dict, out: Path) -> bool:
    """Every output as the run that made it recorded it (size and hash): a truncated or edited file is redone."""
    recorded = old.get("files") or {}
    if not recorded:
        return True  # a manifest from before files were recorded
    for fmt in task.formats:
        path = Path(getattr(task, fmt))
        want = recorded.get(_rel(str(path), out))
        if not want or output_record(path) != want:
            return False
    return True


JOURNAL = "manifest.journal.jsonl"  # one line per finished report, until manifest.json is written


def journal(out: Path, outcome: Outcome) -> None:
    """Record a finished report at once, so a run killed before its manifest redoes only what did not finish."""
    if outcome.status != "done":
        return
    t = outcome.task
    outcome.files = output_files(t, out)  # hashed once: the manifest takes them from here
    line = {
        "school_id": t.school_id,
        "report": t.report,
        "status": "done",
        "key": t.key,
        "warnings": outcome.warnings,
        "files": outcome.files,
    }
    with (out / JOURNAL).open("a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_journal(out: Path) -> list[dict]:
    """The finished reports of a run that stopped before writing its manifest (a torn last line is ignored)."""
    path = out / JOURNAL
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


GENERIC_WORDS = {
    "primary",
    "school",
    "academy",
    "synthetic",
    "the",
    "junior",
    "infant",
    "infants",
    "secondary",
    "college",
    "church",
    "of",
    "england",
    "ce",
    "c",
    "e",
    "rc",
    "community",
    "and",
    "st",
}


def report_stem(school_id: str, school_name: str | None, report: str) -> str:
    """A file name that says whose report it is, e.g. ``9252000_oakfield_va``: attachments never arrive as six
    files called va.pdf. The school's distinctive words (at most two), lower case, letters and digits only."""
    words = re.findall(r"[a-z0-9]+", (school_name or "").lower())
    distinctive = [w for w in words if w not in GENERIC_WORDS][:2]
    return "_".join([str(school_id), *distinctive, report])


def check_choices(reports: list[str], formats: tuple[str, ...]) -> None:
    """Refuse unknown report names and formats before any work."""
    unknown = [r for r in reports if r not in catalogue.names()]
    if unknown:
        raise ValueError(f"Unknown report(s) {unknown}; reports are {', '.join(catalogue.names())}")
    bad_formats = [f for f in formats if f not in FORMATS]
    if bad_formats:
        raise ValueError(f"Unknown format(s) {bad_formats}; formats are {', '.join(FORMATS)}")


def prepare_once(
    inputs: Inputs,
    run: PreparedRun,
    schools: list[str] | None,
    challenge: str,
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


def plan_tasks(
    run: PreparedRun,
    out: Path,
    ids: list[str],
    reports: list[str],
    formats: tuple[str, ...],
    challenge: str,
    engine_name: str,
    code: dict,
) -> list[Task]:
    """One task per school and report its data supports, each with its cache key."""
    # the pickled models are not byte-stable across a fit-cache load; the fit cache's content key in the national
    # info stands for them
    national_hash = folder_hash(run.national_dir, skip=("models.pkl",))
    tasks = []
    slice_hashes = {}
    for school_id in ids:
        info = run.school_info(school_id)
        slice_hash = slice_hashes[school_id] = folder_hash(run.slice_dir(school_id))
        state = state_hashes([school_id])
        for report in (r for r in reports if r in catalogue.applicable(info)):  # what the school's data supports
            entry = catalogue.get(report)
            params = {
                "run_dir": str(run.root),
                "school_id": school_id,
                "academic_year": info["academic_year"],
                "year_groups": "6,5,4,3,2,1",
                "challenge": str(challenge),
            }
            base = out / "reports" / school_id_for_path(school_id)
            stem = report_stem(school_id, info.get("school_name"), report)
            task = Task(
                school_id,
                info.get("school_name") or school_id,
                report,
                str(entry.notebook_path()),
                params,
                str(out / "notebooks" / school_id / f"{report}.ipynb"),
                str(base / f"{stem}.html"),
                str(base / f"{stem}.pdf"),
                tuple(formats) + (("xlsx",) if entry.spreadsheet else ()),
                engine_name,
                xlsx=str(base / spreadsheet_name(report, stem)) if entry.spreadsheet else "",
                title=entry.title,
            )
            task.key = report_key(task, slice_hash, national_hash, code, state)
            tasks.append(task)
    for report in (r for r in catalogue.whole_run() if r in reports and len(ids) > 1):
        tasks.append(trust_task(run, out, report, slice_hashes, formats, engine_name, code, national_hash))
    return tasks


def spreadsheet_name(report: str, stem: str) -> str:
    """The subject leaders' workbook keeps the name they know (``subject_leader.xlsx``); others ``<stem>.xlsx``."""
    return "subject_leader.xlsx" if report == "subject_leader" else f"{stem}.xlsx"


def trust_task(
    run: PreparedRun,
    out: Path,
    report: str,
    slice_hashes: dict[str, str],
    formats: tuple[str, ...],
    engine_name: str,
    code: dict,
    national_hash: str,
) -> Task:
    """The trust overview: every school of the run side by side, ``<out>/trust_overview.*``; its key covers every
    school's slice and saved state."""
    names = [run.school_info(s).get("trust") for s in slice_hashes]
    task = Task(
        TRUST,
        next((n for n in names if n), None) or "All schools",
        report,
        str(catalogue.get(report).notebook_path()),
        {"run_dir": str(run.root)},
        str(out / "notebooks" / TRUST / f"{report}.ipynb"),
        str(out / f"{report}.html"),
        str(out / f"{report}.pdf"),
        tuple(formats),
        engine_name,
        title=catalogue.title(report),
    )
    every = hashlib.sha256("".join(sorted(slice_hashes.values())).encode()).hexdigest()
    task.key = report_key(task, every, national_hash, code, state_hashes(list(slice_hashes)))
    return task


def reusable(tasks: list[Task], out: Path, force: bool) -> tuple[list[Outcome], list[Task]]:
    """Reports the last run already made with the same key (skipped) and those to do."""
    previous = {}
    if (out / "manifest.json").exists():
        previous = {
            (r["school_id"], r["report"]): r for r in json.loads((out / "manifest.json").read_text())["reports"]
        }
    previous |= {(r["school_id"], r["report"]): r for r in read_journal(out)}  # a run killed before its manifest
    skipped, todo = [], []
    for task in tasks:
        old = previous.get((task.school_id, task.report))
        if (
            not force
            and old
            and old.get("key") == task.key
            and old.get("status") in ("done", "skipped")
            and _outputs_exist(task)
            and _outputs_unchanged(task, old, out)
        ):
            files = old.get("files") or output_files(task, out)  # verified unchanged above, when recorded
            skipped.append(Outcome(task, "skipped", warnings=old.get("warnings", []), files=files))
        else:
            todo.append(task)
    return skipped, todo


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


def footer_name(task: Task) -> str:
    """Whose report, for the PDF footer: the school and its number, or the trust."""
    return task.school_name if task.school_id == TRUST else f"{task.school_name} ({task.school_id})"


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


def run_batch(
    inputs: Inputs,
    out: Path,
    schools: list[str] | None = None,
    reports: list[str] | None = None,
    formats: tuple[str, ...] = FORMATS,
    jobs: int = 2,
    challenge: str = "FFT50",
    engine_name: str = "toolkit",
    force: bool = False,
    progress: bool = True,
    say=print,
    scheduler: str | None = None,
    refit: bool = False,
) -> dict:
    """Prepare, execute and render the pack into ``out``; return the manifest (also written to manifest.json).
    ``scheduler``: a Dask scheduler's address, or "local", to run the reports on a cluster (``cluster``).
    ``force`` prepares the schools asked again and redoes their reports; ``refit`` also fits the national models
    again (the fit cache is otherwise trusted)."""
    from tqdm import tqdm

    reports = list(reports or catalogue.names())
    check_choices(reports, formats)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    code = code_version()
    run = PreparedRun(out / "prepared")
    all_schools = inputs.school_ids()
    input_hashes = {str(p): file_hash(p) for p in inputs.files()} | state_hashes(all_schools)
    local = scheduler is None
    warming = warm_up_while_preparing(max(1, jobs) if "pdf" in formats else 0) if local else None
    client = None
    if not local:
        from toolkit.pack.cluster import close_client, execute_on_cluster, start_client

        client = start_client(scheduler, jobs)  # prepare and the reports both run on its workers
    try:
        try:
            ids = prepare_once(inputs, run, schools, challenge, code, force, say, refit, client, input_hashes)
        except BaseException:  # a bad input: close the Chromium started meanwhile, then say what is wrong
            chromium = warming.join() if warming is not None else None
            if chromium is not None:
                chromium.__exit__(None, None, None)
            raise
        printer = warming.join() if warming is not None else None
        for stale in out.rglob(f"*{PARTIAL}"):  # half-written by a run that was killed: never a result
            stale.unlink(missing_ok=True)
        tasks = plan_tasks(run, out, ids, reports, formats, challenge, engine_name, code)
        outcomes, todo = reusable(tasks, out, force)
        bar = tqdm(
            total=len(tasks),
            desc="Reports",
            unit="report",
            disable=not progress,
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


def schools_without_reports(run: PreparedRun, ids: list[str]) -> list[dict]:
    """Schools listed in the data whose data supports no report at all, with the reason in words."""
    idle = []
    for school_id in ids:
        info = run.school_info(school_id)
        if catalogue.applicable(info):
            continue
        pupils = len(run.table(school_id, "pupils")) if run.has_table(school_id, "pupils") else 0
        reason = (
            "no pupils in the pupil file and no past results"
            if not pupils
            else "its pupils are in no year group a report covers (Years 1-6, or KS2/KS5 results)"
        )
        idle.append({"school_id": school_id, "school_name": info.get("school_name") or school_id, "reason": reason})
    return idle


def earlier_reports(out: Path, tasks: list[Task]) -> list[dict]:
    """The reports an earlier run of ``out`` made that this run does not cover (other schools or reports, as after
    `--schools X --reports va`) and whose files are all still there: the manifest and index keep them, each with
    the date of the run that made it (``made``)."""
    path = out / "manifest.json"
    if not path.exists():
        return []
    earlier = json.loads(path.read_text())
    covered = {(t.school_id, t.report) for t in tasks}
    kept = []
    for row in earlier.get("reports", []):
        files = [out / f for f in (row.get("outputs") or {}).values()]
        if (row["school_id"], row["report"]) in covered or row.get("status") not in ("done", "skipped"):
            continue
        if files and all(f.exists() for f in files):
            kept.append(row | {"status": "skipped", "made": row.get("made") or earlier.get("created")})
    return kept


def write_manifest(
    out: Path,
    outcomes: list[Outcome],
    input_hashes: dict,
    code: dict,
    elapsed: float,
    idle: list[dict] = (),
    earlier: list[dict] = (),
) -> dict:
    """``manifest.json``: this run's reports (and, from ``earlier_reports``, those an earlier run made that this
    one did not cover), in school and report order."""
    versions = package_versions()
    settings = {}
    rows = []
    for o in sorted(outcomes, key=lambda o: (o.task.school_id, catalogue.names().index(o.task.report))):
        t = o.task
        if t.school_id not in settings:
            settings[t.school_id] = (
                []
                if t.school_id == TRUST
                else [{"file": f, "sha256": h} for f, h in state_hashes([t.school_id]).items()]
            )
        rows.append(
            {
                "school_id": t.school_id,
                "school_name": t.school_name,
                "report": t.report,
                "status": o.status,
                "error": o.error,
                "seconds": round(o.seconds, 2),
                "key": t.key,
                "notebook": f"notebooks/{Path(t.notebook).name}",
                "parameters": t.parameters,
                "engine": t.engine,
                "executed_notebook": _rel(t.executed, out),
                "outputs": {f: _rel(getattr(t, f), out) for f in t.formats},
                "files": o.files,
                "warnings": o.warnings,
                "settings": settings[t.school_id] or None,
            }
        )
    order = catalogue.names()
    rows = sorted([*rows, *earlier], key=lambda r: (r["school_id"], order.index(r["report"])))
    manifest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": input_hashes,
        "code": code,
        "packages": versions,
        "seconds": round(elapsed, 1),
        "fit_cache": PreparedRun(out / "prepared").national_info().get("fit_cache", []),
        "reports": rows,
        "schools_without_reports": list(idle),
    }
    write_whole(out / "manifest.json", json.dumps(manifest, indent=2))
    (out / JOURNAL).unlink(missing_ok=True)
    return manifest


def _rel(path: str, out: Path) -> str:
    return str(Path(path).resolve().relative_to(out))


def _links(x: dict) -> str:
    """A report's links (HTML, PDF, XLSX), or its failure with the kept notebook."""
    if x["status"] == "failed":
        return (
            f'<span class="failed">failed: {html.escape(x["error"])}</span><br>'
            f'<a href="{html.escape(x["executed_notebook"])}">notebook</a>'
        )
    return " · ".join(f'<a href="{html.escape(p)}">{f.upper()}</a>' for f, p in x["outputs"].items())


def _index_cell(x: dict | None) -> str:
    """One school's entry under one report heading: its links, or empty when it has no such report."""
    if x is None:
        return '<td class="none" title="no such report for this school">&nbsp;</td>'
    return f"<td>{_links(x)}</td>"


def readable_date(iso: str) -> str:
    """``2026-11-29T03:12:42+00:00`` -> ``29 November 2026, 03:12 UTC``."""
    moment = datetime.fromisoformat(iso)
    return f"{moment.day} {moment:%B %Y}, {moment:%H:%M} UTC"


def write_index(out: Path, manifest: dict) -> None:
    """``index.html``: one row per school, one column per report (every link under its own heading; an empty cell
    where the school has no such report), status and errors."""
    by_school: dict[str, dict[str, dict]] = {}
    names: dict[str, str] = {}
    trust = next((r for r in manifest["reports"] if r["school_id"] == TRUST), None)
    for r in (r for r in manifest["reports"] if r["school_id"] != TRUST):
        by_school.setdefault(r["school_id"], {})[r["report"]] = r
        names[r["school_id"]] = r["school_name"]
    run = PreparedRun(out / "prepared")
    synthetic = any(run.school_info(s).get("synthetic") for s in run.school_ids())
    whole_run = catalogue.whole_run()
    columns = [
        r for r in catalogue.names() if r not in whole_run and any(x["report"] == r for x in manifest["reports"])
    ]
    head = "".join(f"<th>{html.escape(catalogue.title(r))}</th>" for r in columns)
    rows = [
        f"<tr><td>{html.escape(names[school_id])}</td><td>{school_id}</td>"
        + "".join(_index_cell(reports.get(r)) for r in columns)
        + "</tr>"
        for school_id, reports in by_school.items()
    ]
    rows += [
        f"<tr><td>{html.escape(x['school_name'])}</td><td>{x['school_id']}</td>"
        f'<td class="failed" colspan="{max(1, len(columns))}">no reports: {html.escape(x["reason"])}</td></tr>'
        for x in manifest.get("schools_without_reports", [])
    ]
    banner = (
        '<p class="banner">SYNTHETIC DATA: every pupil and school here is generated; no real pupil appears.</p>'
        if synthetic
        else ""
    )
    counts = {s: sum(r["status"] == s for r in manifest["reports"]) for s in ("done", "failed", "skipped")}
    overview = (
        f'<p class="trust"><b>Trust overview</b> (every school side by side): {_links(trust)}</p>' if trust else ""
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Report pack</title><style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 10px; }} th {{ background: #E8F1F8; }}
.failed {{ color: #B00; }} .none {{ background: #F5F5F5; }}
.banner {{ background: #FFF3CD; border: 1px solid #E69F00; padding: 6px; font-weight: bold; }}
</style></head><body><h1>Report pack</h1>{banner}
<p>Created {html.escape(readable_date(manifest["created"]))}: {counts["done"]} done, {counts["failed"]} failed,
{counts["skipped"]} skipped.</p>{overview}<p>A grey cell: the school's data has no such report. Provenance of every report
(parameters, input hashes, package versions, toolkit version): <a href="manifest.json">manifest.json</a>.</p>
<table><thead><tr><th>School</th><th>DfE number</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></body></html>"""
    write_whole(out / "index.html", page)
