"""Every place the toolkit reads from or writes to outside the files a user names, in one module.

- **parameters**: the methodology constants (``parameters/`` of the checkout, or the copy shipped inside the wheel);
  ``TOOLKIT_PARAMETERS=/dir`` puts a folder in front of it, file by file.
- **notebooks**: the report notebooks (``notebooks/`` of the checkout, or the wheel's copy).
- **state**: what a person decided and the toolkit must keep (a school's saved challenge levels and edited targets):
  ``$XDG_STATE_HOME/toolkit`` by default (platformdirs), ``TOOLKIT_STATE=/dir`` to move it.
- **cache**: what can be recomputed (fitted models, validated references): ``$XDG_CACHE_HOME/toolkit`` by default,
  ``TOOLKIT_CACHE=/dir`` to move it.

Neither state nor cache is ever under ``parameters/`` (methodology, versioned) or ``outputs/`` (disposable).
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

import platformdirs

PACKAGE = Path(__file__).resolve().parent
SHIPPED = "_bundled"  # inside the wheel: toolkit/_bundled/parameters and toolkit/_bundled/notebooks


def checkout() -> Path | None:
    """The source checkout the package runs from (with ``pyproject.toml`` and ``parameters/``), or None when it
    was installed from a wheel."""
    root = PACKAGE.parent
    return root if (root / "pyproject.toml").exists() and (root / "parameters").is_dir() else None


@functools.cache  # where the package is does not change while it runs
def _bundled(name: str) -> Path:
    shipped = Path(str(resources.files("toolkit") / SHIPPED / name))
    if shipped.is_dir():
        return shipped
    root = checkout()
    if root is not None:
        return root / name
    raise FileNotFoundError(
        f"The toolkit's {name}/ folder is neither shipped in the package ({shipped}) nor in a "
        "source checkout: reinstall the toolkit"
    )


def bundled_parameters() -> Path:
    """The parameters that come with the toolkit."""
    return _bundled("parameters")


def parameters_dir() -> Path:
    """The folder parameters are read from first: ``TOOLKIT_PARAMETERS`` or the bundled folder."""
    override = os.environ.get("TOOLKIT_PARAMETERS")
    return Path(override) if override else bundled_parameters()


def notebooks_dir() -> Path:
    """The report notebooks."""
    return _bundled("notebooks")


def state_dir() -> Path:
    """Where saved decisions live (``TOOLKIT_STATE`` or the platform's user state folder)."""
    override = os.environ.get("TOOLKIT_STATE")
    return Path(override) if override else platformdirs.user_state_path("toolkit")


def school_state_dir() -> Path:
    """Schools' saved challenge settings and edited targets (``toolkit.inputs.school_state``)."""
    return state_dir() / "schools"


def cache_dir() -> Path:
    """Where recomputable results live (``TOOLKIT_CACHE`` or the platform's user cache folder)."""
    override = os.environ.get("TOOLKIT_CACHE")
    return Path(override) if override else platformdirs.user_cache_path("toolkit")


def existing(path: str | Path) -> Path:
    """A relative path as the user meant it: under the current folder when it is there, else under the checkout (a
    notebook's default ``outputs/...`` when JupyterLab starts its kernel in ``notebooks/``), else as given."""
    path = Path(path)
    if path.is_absolute() or path.exists():
        return path
    root = checkout()
    return root / path if root is not None and (root / path).exists() else path


def demo_run() -> Path:
    """The prepared run ``make demo`` builds (the dashboard's default): under the checkout, else the current
    folder."""
    return (checkout() or Path.cwd()) / "outputs" / "demo" / "run" / "prepared"
