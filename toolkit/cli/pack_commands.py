"""`toolkit reports`, `dashboard`, `partition`: the report pack, the what-if dashboard, a data folder partitioned
by school."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from toolkit.cli.common import CommandError, command, say
from toolkit.methods.profile import COMPARATORS
from toolkit.reports import catalogue


def add(sub) -> None:
    """The commands of this module, on the `toolkit` parser's sub-parsers."""
    rep = command(sub, "reports", _reports)
    rep.add_argument("--data", required=True, help="school data folder: schools.csv, pupils.csv, ks2_<year>.csv")
    rep.add_argument(
        "--reference", help="national reference cohort (default: national_<year>.parquet in --data or its parent)"
    )
    rep.add_argument("--schools", nargs="+", default=["all"], help="'all' (default) or DfE numbers")
    rep.add_argument(
        "--reports",
        default=",".join(catalogue.names()),
        help=f"comma-separated, from {', '.join(catalogue.names())} (default: all)",
    )
    rep.add_argument("--formats", default="html,pdf", help="html, pdf or both (default html,pdf)")
    rep.add_argument(
        "--challenge",
        default="FFT50",
        help="challenge level where a school has no saved settings: "
        "FFT50 (default), FFT20, FFT5, own_past_progress or 1-99",
    )
    rep.add_argument(
        "--comparator",
        choices=COMPARATORS,
        default="national_other",
        help="disadvantaged pupils against (groups and profile reports): national_other (default, the DfE's), "
        "national_disadvantaged or all",
    )
    rep.add_argument("--jobs", type=int, default=2, help="reports executed at once (default 2)")
    rep.add_argument(
        "--engine",
        choices=("toolkit", "kernel"),
        default="toolkit",
        help="toolkit (default): forked in-process execution; kernel: a Jupyter kernel per report",
    )
    rep.add_argument(
        "--force",
        action="store_true",
        help="prepare the schools asked again and redo their reports, even those up to date (the national models "
        "still come from the fit cache)",
    )
    rep.add_argument(
        "--refit",
        action="store_true",
        help="fit the national models again instead of loading them from the fit cache (implies preparing again)",
    )
    rep.add_argument(
        "--scheduler",
        default=None,
        help="run the reports on a Dask cluster: the scheduler's address (tcp://host:8786), or 'local' for a "
        "LocalCluster of --jobs workers; --out must be a folder every worker sees (docs/performance.md)",
    )
    rep.add_argument("--out", required=True, help="output folder for the run (index.html, manifest.json, reports/)")

    dash = command(sub, "dashboard", _dashboard)
    dash.add_argument(
        "--run", dest="run_dir", help="prepared run folder (default: the demo run, outputs/demo/run/prepared)"
    )
    dash.add_argument("--school", help="DfE number to open first")
    dash.add_argument(
        "--presenter",
        action="store_true",
        help="for sharing a screen: synthetic data only, pupil names and school names hidden",
    )
    dash.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    dash.add_argument("--open", action="store_true", help="also open a browser")

    part = command(sub, "partition", _partition)
    part.add_argument("--data", required=True, help="school data folder (schools.csv, pupils.csv, ks2_<year>.csv)")
    part.add_argument("--out", required=True, help="new folder for the partitioned copy")
    rem = command(sub, "remove-pupils", _remove_pupils)
    rem.add_argument("upns", nargs="*", metavar="UPN", help="the pupils to leave out of the what-if")
    rem.add_argument("--data", required=True, help="the school data folder (every UPN is looked up there)")
    rem.add_argument("--school", required=True, help="DfE number of the school")
    rem.add_argument("--by", default="", help="who makes the list (the what-if report names them)")
    rem.add_argument("--reason", default="", help="why, e.g. 'arrived from overseas in Year 6'")
    rem.add_argument("--clear", action="store_true", help="drop the school's list (and its what-if report)")


def _reports(args: argparse.Namespace) -> int:
    """the per-school report pack: HTML and PDF for every school

    Compute the methodology once for all schools, run each report notebook with papermill for each school, and
    render HTML (code hidden) and PDF (A4, page numbers) with an index.html and a manifest.json recording
    parameters, input hashes, package versions and the git commit. Re-running skips reports whose inputs have not
    changed; one school's failure does not stop the others."""
    from toolkit.inputs import outputs
    from toolkit.pack.batch import PackRequest, run_batch
    from toolkit.pipeline.prepare import find_inputs
    from toolkit.vocabulary import Challenge

    challenge = Challenge.parse(args.challenge)  # a bad level refused before any work
    outputs.usable_folder(args.out)  # before any work: the pack checks the rest once it knows its inputs
    request = PackRequest(
        find_inputs(Path(args.data), Path(args.reference) if args.reference else None),
        Path(args.out),
        None if args.schools == ["all"] else args.schools,
        [r.strip() for r in args.reports.split(",") if r.strip()],
        tuple(f.strip() for f in args.formats.split(",") if f.strip()),
        args.jobs,
        challenge,
        args.engine,
        args.force,
        say=say,
        scheduler=args.scheduler,
        refit=args.refit,
        comparator=args.comparator,
    )
    manifest = run_batch(request)
    failed = any(r["status"] == "failed" for r in manifest["reports"]) or manifest.get("schools_without_reports")
    return 1 if failed else 0


def _dashboard(args: argparse.Namespace) -> int:
    """the what-if dashboard (Voila) on 127.0.0.1

    Serve notebooks/what_if.ipynb with Voila on 127.0.0.1, code hidden: set challenge levels per year group and
    subject, edit targets, save them for the report pack. Uses a prepared run (toolkit reports; make demo makes
    one)."""
    from toolkit import locations
    from toolkit.pipeline.store import PreparedRun

    run = Path(args.run_dir) if args.run_dir else locations.demo_run()
    if not PreparedRun(run).has_models():
        raise CommandError(
            f"{run}: no prepared run here; run `make demo` (or `toolkit reports --data DIR --out OUT` and give "
            "--run OUT/prepared)"
        )
    if args.presenter:
        refused = presenter_refusal(PreparedRun(run), args.school)
        if refused:
            raise CommandError(refused)
    port = free_port(args.port)
    token = os.environ.get("TOOLKIT_DASHBOARD_TOKEN") or secrets.token_urlsafe(24)
    env = dict(
        os.environ,
        TOOLKIT_WHATIF_RUN=str(run.resolve()),
        TOOLKIT_WHATIF_SCHOOL=args.school or "",
        TOOLKIT_WHATIF_PRESENTER="1" if args.presenter else "",
        JUPYTER_TOKEN=token,  # in the environment (its owner alone reads it), never on the command line (ps)
    )
    notebook = locations.notebooks_dir() / "what_if.ipynb"
    command = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        f"--port={port}",
        "--Voila.port_retries=0",  # this port or none: the address printed is the one served
        "--Voila.ip=127.0.0.1",
        "--Voila.auto_token=True",  # the token comes from JUPYTER_TOKEN
        "--strip_sources=True",
        "--show_tracebacks=False",
    ] + ([] if args.open else ["--no-browser"])
    say(
        f"What-if dashboard on http://127.0.0.1:{port}/?token={token} (pupil data: only this address, with "
        "its token, opens it; Ctrl-C stops it)"
    )
    return serve(command, env)


def free_port(port: int) -> int:
    """``port`` on 127.0.0.1 if nothing holds it; else a sentence naming it (the dashboard never moves to another
    port behind the address it prints)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise CommandError(
                f"--port {port}: another program is using port {port} on 127.0.0.1; give a free port, e.g. "
                f"--port {port + 1}",
                2,
            ) from None
    return port


def serve(command: list[str], env: dict) -> int:
    """Run a server in its own process group and stop the whole group when this process is stopped (Ctrl-C or
    SIGTERM), so no server is left running with pupil data."""
    child = subprocess.Popen(command, env=env, start_new_session=True)

    def stop(signum, _frame):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                stop(signal.SIGINT, None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)


def presenter_refusal(run, school: str | None) -> str:
    """The sentence refusing presenter mode on real data ('' when every school it could show is synthetic)."""
    ids = [school] if school else run.school_ids()
    real = [s for s in ids if not run.school_info(s).get("synthetic")]
    if not real:
        return ""
    return (
        f"Presenter mode shows synthetic pupils only, and {', '.join(real)} {'is' if len(real) == 1 else 'are'} real "
        "school data: use the demo (make demo) or a synthetic trust (toolkit synth schools) for a webinar"
    )


def _partition(args: argparse.Namespace) -> int:
    """copy a school data folder with its files partitioned by school (Parquet)

    Copy the school data folder DATA to OUT with every school data file (pupils, ks2_<year>, tracking ...) as a
    Parquet table partitioned by school (<name>.parquet/school_id=<DfE number>/), the rest copied as it is. A run on
    OUT (toolkit reports --data OUT) reads only the folders of the schools it prepares: for inputs larger than one
    machine's memory, with --scheduler."""
    from toolkit.inputs.partitioned_copy import partition_folder

    written = partition_folder(Path(args.data), Path(args.out), say=say)
    say(f"{len(written)} tables partitioned by school in {args.out}")
    return 0


def _remove_pupils(args: argparse.Namespace) -> int:
    """list pupils to leave out of a what-if school profile (ASP's data management); the official figures stay

    The next `toolkit reports` run adds a "School profile what-if" report for the school: its headline results
    recomputed without these pupils, labelled "what-if, not the official figure" on every page, with the list and
    who made it and when. Every UPN must be one of the school's pupils in the data folder (on roll, a past Year 6
    or a past Year 11). `--clear` drops the list."""
    from toolkit.inputs import school_state
    from toolkit.pipeline.load import load
    from toolkit.pipeline.prepare import find_inputs

    path = school_state.removed_path(args.school)
    if args.clear:
        path.unlink(missing_ok=True)
        say(f"Removed-pupils list of {args.school} dropped ({path}); the next run has no what-if for it")
        return 0
    loaded = load(find_inputs(Path(args.data)), [args.school], lambda m: None)
    known = set(loaded.pupils["upn"])
    known |= {u for f in loaded.past.values() for u in f["upn"]}
    known |= {u for p, _ in loaded.ks4.values() for u in p["upn"]}
    asked = [u.strip().upper() for u in args.upns if u.strip()]
    unknown = [u for u in asked if u not in known]
    if unknown:
        raise CommandError(
            f"{', '.join(unknown)}: not a pupil of {args.school} in {args.data} (on roll, a past Year 6 or Year 11); "
            "nothing was saved"
        )
    saved = school_state.save_removed(args.school, asked, args.by, args.reason)
    say(
        f"{len(set(asked))} pupil(s) of {args.school} listed for the what-if in {saved}; the official figures are unchanged"
    )
    return 0
