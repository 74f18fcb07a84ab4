"""The report pack on a ``dask.distributed`` cluster: ``toolkit reports --scheduler ADDRESS`` (an existing
scheduler: one box, a batch system through dask-jobqueue, Kubernetes) or ``--scheduler local`` (a ``LocalCluster``
on this machine).

Prepare is partitioned by school (``prepare_on_cluster``): the national models are fitted (or loaded from the fit
cache) once where the command runs and sent to every worker; each worker prepares a part of the schools
(``prepare.prepare_part``: it reads the input files, keeps its schools' rows and writes their slices).

Each (school, report) is one task: ``report_on_worker`` runs the notebook (``tasks.run_task``: the in-process engine,
a fresh IPython namespace per report, so reports share no state) and prints its PDF. A worker plugin
(``WarmWorker``) imports what reports use once per worker and keeps one headless Chromium per worker for its
tasks. The prepared run and the outputs live on storage every worker sees (a shared folder): a task carries only
paths under the run's folder. A task that fails is retried once by the scheduler, then reported like any failure;
the manifest and index are assembled here from the results, as for the local engine.

Dask is optional (``pip install 'toolkit[dask]'``); nothing imports this module unless ``--scheduler`` is given.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from toolkit.pack.manifest import journal
from toolkit.pack.tasks import Outcome, Task, footer_name, run_task
from toolkit.pipeline.data_folder import Inputs
from toolkit.pipeline.national import fit_national, write_national
from toolkit.pipeline.prepare import prepare_part
from toolkit.pipeline.store import PreparedRun
from toolkit.vocabulary import Challenge

PLUGIN = "toolkit-warm"


def _printer():
    """This worker's Chromium (started by ``WarmWorker``; started here when the plugin is not there)."""
    from distributed import get_worker

    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN)
    if plugin is None:
        plugin = WarmWorker()
        plugin.setup(worker)
    return plugin.printer()


def report_on_worker(task: Task) -> Outcome:
    """One report on a worker: the notebook, its HTML and (when asked) its PDF. A pure function of the prepared
    slice, the notebook and the parameters; raises on a worker fault so that the scheduler retries it."""
    outcome = run_task(task)
    if outcome.status == "done" and "pdf" in task.formats:
        started = time.perf_counter()
        try:
            _printer().submit(Path(task.html), Path(task.pdf), f"{footer_name(task)} · {task.title}").result(
                timeout=300
            )
        except Exception as err:
            outcome.status, outcome.error = "failed", f"PDF: {type(err).__name__}: {err}"
        outcome.seconds += time.perf_counter() - started
    return outcome


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # dask not installed: start_client says so
    WorkerPlugin = object


class WarmWorker(WorkerPlugin):
    """Per worker: the report imports once (``toolkit.pack.warm``) and one Chromium, started on first use and
    closed with the worker."""

    name = PLUGIN

    def setup(self, worker=None) -> None:
        import toolkit.pack.warm  # noqa: F401

        self._printer = None

    def printer(self):
        if self._printer is None:
            from toolkit.pack.render import PdfPrinter

            self._printer = PdfPrinter(parallel=1).__enter__()
        return self._printer

    def teardown(self, worker=None) -> None:
        if getattr(self, "_printer", None) is not None:
            self._printer.__exit__(None, None, None)
            self._printer = None


def start_client(scheduler: str, workers: int = 2):
    """A client of the scheduler at ``scheduler``, or of a new ``LocalCluster`` of ``workers`` processes for
    "local"; the warm-worker plugin registered on every worker."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("--scheduler needs dask.distributed: pip install 'toolkit[dask]' (or 'distributed')") from None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, MemoryError, ValueError, TypeError) as err:  # MemoryError: a reply that is not Dask's
            raise ValueError(
                f"--scheduler {scheduler}: no Dask scheduler answers there ({type(err).__name__}); give the address "
                "a scheduler prints (tcp://HOST:8786), or 'local'"
            ) from None
    client.register_plugin(WarmWorker(), name=PLUGIN)
    return client


def close_client(client) -> None:
    """Close the client, and the LocalCluster it started (an existing scheduler is left running)."""
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


PART_SCHOOLS = 25  # schools a task prepares at most, with inputs partitioned by school


def prepare_parts(schools: list[str], workers: int, partitioned: bool) -> list[list[str]]:
    """The schools in parts, a task each. With every school input partitioned by school, parts of at most
    ``PART_SCHOOLS`` (a task reads only its schools' folders: a worker's memory is the models plus one part); with
    CSV files, one part a worker (each task reads the whole files, so fewer parts cost less)."""
    n = min(workers, len(schools))
    if partitioned:
        n = max(n, -(-len(schools) // PART_SCHOOLS))
    return [list(p) for p in np.array_split(np.array(schools, dtype=object), max(1, n))]


def prepare_on_cluster(
    client, inputs: Inputs, out: Path, schools: list[str], challenge: str, say=print, refit: bool = False
) -> list[str]:
    """The slices of ``schools`` prepared in parts (``prepare_parts``) on the cluster (the national figures written
    here); the ids. An input problem found by a worker is raised here as it was raised there."""
    challenge = Challenge.parse(challenge)  # a bad level refused before any work
    inputs = inputs.resolved()
    run = PreparedRun(out)
    models = fit_national(inputs.reference, inputs.reference_ks5, say, refit)
    run.start()
    write_national(run, inputs, models)
    # what a worker needs: the fitted models, not the national pupils they were fitted on
    shared = client.scatter(replace(models, reference=models.reference.iloc[:0]), broadcast=True)
    workers = max(1, len(client.scheduler_info()["workers"]))
    parts = prepare_parts(schools, workers, inputs.partitioned())
    futures = [
        client.submit(prepare_part, inputs, run.root, part, challenge, shared, pure=False, retries=1) for part in parts
    ]
    ids = []
    for future in futures:
        done, said = future.result()
        ids += done
        for message in said:
            say(message)
    return ids


def execute_on_cluster(client, todo: list[Task], bar, out: Path) -> list[Outcome]:
    """Submit every task (retried once), collect the outcomes as they finish (journalled, counted on ``bar``)."""
    from distributed import as_completed

    outcomes = []
    futures = {client.submit(report_on_worker, t, retries=1, pure=False): t for t in todo}
    for future in as_completed(futures):
        task = futures[future]
        try:
            outcome = future.result()
        except Exception as err:  # failed twice: a worker fault, reported like any failure
            outcome = Outcome(task, "failed", error=f"{type(err).__name__}: {err}"[:500])
        if outcome.status == "failed":
            bar.write(f"FAILED {task.school_id} {task.report}: {outcome.error} (notebook kept: {task.executed})")
        outcomes.append(outcome)
        journal(out, outcome)
        bar.update(1)
    return outcomes
