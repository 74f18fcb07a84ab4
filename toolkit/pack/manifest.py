"""What a pack records: the journal (one line per finished report, so a killed run resumes exactly), the manifest
(every report with its key, files, hashes and versions) and the index page linking every report."""

from __future__ import annotations

import html
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from toolkit.pack.tasks import TRUST, Outcome, Task, output_files, relative, write_whole
from toolkit.pack.versions import package_versions, state_hashes
from toolkit.pipeline.store import PreparedRun
from toolkit.reports import catalogue

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
                "executed_notebook": relative(t.executed, out),
                "outputs": {f: relative(getattr(t, f), out) for f in t.formats},
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


def _links(x: dict) -> str:
    """A report's links (HTML, PDF, XLSX), or its failure with the kept notebook."""
    if x["status"] == "failed":
        return (
            f'<span class="failed">failed: {html.escape(x["error"])}</span><br>'
            f'<a href="{html.escape(x["executed_notebook"])}">notebook</a>'
        )
    what = html.escape(f"{x['school_name']}: {catalogue.title(x['report'])}")
    return " ".join(
        f'<a href="{html.escape(p)}" aria-label="{what}, {f.upper()}">{f.upper()}</a>' for f, p in x["outputs"].items()
    )


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
    head = "".join(f'<th scope="col">{html.escape(catalogue.title(r))}</th>' for r in columns)
    rows = [
        f'<tr><th scope="row">{html.escape(names[school_id])}</th><td>{school_id}</td>'
        + "".join(_index_cell(reports.get(r)) for r in columns)
        + "</tr>"
        for school_id, reports in by_school.items()
    ]
    rows += [
        f'<tr><th scope="row">{html.escape(x["school_name"])}</th><td>{x["school_id"]}</td>'
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
body {{ font-family: sans-serif; margin: 1.5em; max-width: 1240px; }} table {{ border-collapse: collapse; font-size: 0.85em; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; }} thead th {{ background: #E8F1F8; font-size: 0.9em; }}
tbody th {{ text-align: left; font-weight: normal; }} caption {{ text-align: left; font-weight: bold; padding: 4px 0; }}
.failed {{ color: #B00; }} .none {{ background: #F5F5F5; }}
.banner {{ background: #FFF3CD; border: 1px solid #E69F00; padding: 6px; font-weight: bold; }}
</style></head><body><main><h1>Report pack</h1>{banner}
<p>Created {html.escape(readable_date(manifest["created"]))}: {counts["done"]} done, {counts["failed"]} failed,
{counts["skipped"]} skipped.</p>{overview}<p>A grey cell: the school's data has no such report. Provenance of every report
(parameters, input hashes, package versions, toolkit version): <a href="manifest.json">manifest.json</a>.</p>
<table><caption>Reports by school: each link opens the report as a web page (HTML), a printable PDF or a spreadsheet
(XLSX)</caption><thead><tr><th scope="col">School</th><th scope="col">DfE number</th>{head}</tr></thead>
<tbody>{"".join(rows)}</tbody></table></main></body></html>"""
    write_whole(out / "index.html", page)
