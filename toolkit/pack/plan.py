"""Planning a pack: one task per school and report its data supports (``reports.catalogue``), each with its report key
(the content it depends on: notebook, parameters, slice, national figures, code, saved settings), so a re-run
skips reports whose key and files are unchanged."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from toolkit.pack.manifest import read_journal
from toolkit.pack.tasks import FORMATS, TRUST, Outcome, Task, output_files, output_record, relative
from toolkit.pack.versions import folder_hash, state_hashes
from toolkit.pipeline.prepare import file_hash
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue
from toolkit.scales.identifiers import school_id_for_path


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
        want = recorded.get(relative(str(path), out))
        if not want or output_record(path) != want:
            return False
    return True


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


def plan_tasks(
    run: PreparedRun,
    out: Path,
    ids: list[str],
    reports: list[str],
    formats: tuple[str, ...],
    challenge: str,
    engine_name: str,
    code: dict,
    comparator: str = "national_other",
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
            values = {
                "run_dir": str(run.root),
                "school_id": school_id,
                "academic_year": info["academic_year"],
                "year_groups": "6,5,4,3,2,1",
                "challenge": str(challenge),
                "comparator": comparator,
            }
            params = {name: values[name] for name in entry.parameters()}
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
        {name: {"run_dir": str(run.root)}[name] for name in catalogue.get(report).parameters()},
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
