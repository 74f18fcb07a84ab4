"""The in-process engine as papermill sees it, registered through the ``papermill.engine`` entry point.

Papermill imports this module while it starts up, so import papermill (never this module) to use the engine:
``papermill.execute_notebook(..., engine_name="toolkit")``. The machinery is in ``toolkit.pack.engine``.
"""

from papermill.engines import Engine

from toolkit.pack.engine import execute_cells


class InProcessEngine(Engine):
    """Execute cells in this process (meant for a fresh worker process per notebook); honours papermill's
    ``execution_timeout`` (seconds per cell)."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        execute_cells(nb_man, kwargs.get("execution_timeout"))
