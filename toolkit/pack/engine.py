"""A papermill engine that runs a notebook's cells in the current process with a fresh IPython shell.

The batch runs every report in its own worker process, forked from a server that has already imported pandas,
seaborn, nbconvert and the toolkit (``toolkit.pack.warm``). A report therefore pays neither kernel start-up
nor imports, yet shares no state with any other report: its process starts as a copy of the clean server and ends
with the report. Papermill does the rest as usual (parameters cell, metadata, error reporting), so the executed
notebook is an ordinary papermill notebook.

Papermill finds it through the ``papermill.engine`` entry point in ``pyproject.toml``
(``toolkit.pack.papermill_engine``, which papermill imports while it starts); select it with
``engine_name="toolkit"``. ``execution_timeout`` (seconds per cell) is honoured: a cell that runs longer is stopped
with a ``CellTimeoutError`` and the notebook fails like any other. ``--engine kernel`` in the batch uses
papermill's standard Jupyter-kernel engine instead.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

import nbformat

NAME = "toolkit"


def _shell():
    from IPython.core.displayhook import DisplayHook
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets import Type

    class Hook(DisplayHook):
        """The value of a cell's last expression becomes an execute_result output (not printed)."""

        results: list = []

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            self.results.append(
                nbformat.v4.new_output(
                    "execute_result",
                    data=format_dict,
                    metadata=md_dict or {},
                    execution_count=self.shell.execution_count,
                )
            )

        def finish_displayhook(self):
            sys.stdout.flush()

    class Shell(InteractiveShell):
        """Keeps tracebacks as notebook error outputs instead of printing them."""

        displayhook_class = Type(Hook)
        error = None

        def _showtraceback(self, etype, evalue, stb):
            self.error = nbformat.v4.new_output("error", ename=etype.__name__, evalue=str(evalue), traceback=list(stb))

    Shell.clear_instance()  # a fresh namespace for every notebook
    InteractiveShell.clear_instance()
    shell = Shell.instance(colors="nocolor")
    shell.displayhook.results = []
    return shell


class CellTimeoutError(TimeoutError):
    """A cell ran longer than papermill's ``execution_timeout``."""


@contextlib.contextmanager
def _deadline(seconds: float | None):
    """Raise ``CellTimeoutError`` inside the running code after ``seconds``. On the main thread a timer signal
    interrupts it at once; on another thread (a Dask worker runs its tasks in threads, where signals cannot go) the
    error is raised in that thread at its next Python instruction (a long call into C, such as a sleep, ends first)."""
    if not seconds:
        yield
        return
    message = f"Cell execution timed out after {seconds:g} s (papermill execution_timeout)"
    if threading.current_thread() is threading.main_thread():

        def stop(signum, frame):
            raise CellTimeoutError(message)

        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    with _thread_deadline(threading.get_ident(), seconds, message):
        yield


@contextlib.contextmanager
def _thread_deadline(thread: int, seconds: float, message: str):
    """``CellTimeoutError(message)`` raised in ``thread`` (this one) after ``seconds`` (CPython's
    ``PyThreadState_SetAsyncExc``), unless the block has ended first; a raise still pending then is withdrawn."""
    import ctypes

    late = type(
        "CellTimeoutError", (CellTimeoutError,), {"__init__": lambda self, *a: TimeoutError.__init__(self, message)}
    )
    lock, state = threading.Lock(), {"ended": False, "raised": False}

    def fire():
        with lock:
            if not state["ended"]:
                state["raised"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(late))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["ended"] = True
            if state["raised"]:  # not raised in the block: do not let it escape into the code after it
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), None)


def run_cell(shell, source: str, timeout: float | None = None) -> tuple[list, bool]:
    """Run one cell (stopped after ``timeout`` seconds when given); return its outputs and whether it raised."""
    from IPython.utils.capture import capture_output

    shell.error = None
    shell.displayhook.results = []
    with capture_output(stdout=True, stderr=True, display=True) as captured, _deadline(timeout):
        result = shell.run_cell(source, store_history=True)
    outputs = []
    if captured.stdout:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=captured.stdout))
    if captured.stderr:
        outputs.append(nbformat.v4.new_output("stream", name="stderr", text=captured.stderr))
    for rich in captured.outputs:
        outputs.append(nbformat.v4.new_output("display_data", data=rich.data, metadata=rich.metadata or {}))
    outputs += shell.displayhook.results
    failed = not result.success
    if failed:
        outputs.append(
            shell.error
            or nbformat.v4.new_output(
                "error",
                ename=type(result.error_in_exec or result.error_before_exec).__name__,
                evalue=str(result.error_in_exec or result.error_before_exec),
                traceback=[],
            )
        )
    return outputs, failed


def execute_cells(nb_man, timeout: float | None = None) -> None:
    """Execute a papermill-managed notebook's cells in this process, stopping at the first failing cell."""
    shell = _shell()
    count = 0
    for index, cell in enumerate(nb_man.nb.cells):
        nb_man.cell_start(cell, index)
        if cell.cell_type == "code":
            count += 1
            outputs, failed = run_cell(shell, cell.source, timeout)
            cell.outputs = outputs
            cell.execution_count = count
            if failed:
                nb_man.cell_exception(cell, index)
                nb_man.cell_complete(cell, index)
                break
        nb_man.cell_complete(cell, index)
