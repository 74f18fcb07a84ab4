"""One report of the pack as a task (a school, a report, its notebook and parameters, where its files go) and running
it: execute the notebook with papermill in a warm worker process, write its HTML (and spreadsheet); the PDF is
printed by the parent (``render.PdfPrinter``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from toolkit import locations
from toolkit.inputs.outputs import written_whole
from toolkit.pipeline.prepare import file_hash

FORMATS = ("html", "pdf")


TRUST = "trust"  # the school_id of the trust overview's task and manifest row


REPORT_TIMEOUT = 600  # seconds a report cell may run before it is stopped and the report counted as failed


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
    """The spreadsheet beside a report (``catalogue.Report.spreadsheet``): the appendix's tables, or the subject
    leaders' counts with formulas. Written by the report's own task, so a run that does not ask for it pays nothing."""
    from toolkit.pack import workbooks  # loaded in the worker (pack.warm), not by the command planning the pack
    from toolkit.reports import views

    p = task.parameters
    school = views.load(p["run_dir"], p["school_id"])
    if task.report == "subject_leader":
        workbooks.write_subject_leader_workbook(school.table("subject_counts"), task.school_name, task.xlsx)
    else:
        workbooks.write_appendix_workbook(school, views.parse_year_groups(p["year_groups"]), task.xlsx)


def write_whole(path: Path, text: str) -> None:
    """Write a text file whole (``inputs.outputs.written_whole``): a killed run never leaves half a file."""
    with written_whole(path) as partial:
        partial.write_text(text, encoding="utf-8")


def output_record(path: Path) -> dict:
    """What a report file was when the run wrote it: its size and SHA-256."""
    return {"bytes": path.stat().st_size, "sha256": file_hash(path)} if path.exists() else {}


def output_files(task: Task, out: Path) -> dict:
    """Each of a report's outputs, relative to the run, with its ``output_record``."""
    return {relative(getattr(task, f), out): output_record(Path(getattr(task, f))) for f in task.formats}


def footer_name(task: Task) -> str:
    """Whose report, for the PDF footer: the school and its number, or the trust."""
    return task.school_name if task.school_id == TRUST else f"{task.school_name} ({task.school_id})"


def relative(path: str, out: Path) -> str:
    return str(Path(path).resolve().relative_to(out))
