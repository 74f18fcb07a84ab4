"""What a pack's reports depend on besides their data: the code (its files' hashes and version),
the packages' versions, each school's saved settings; folders by content."""

from __future__ import annotations

import hashlib
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from toolkit import __version__, locations
from toolkit.inputs import school_state
from toolkit.pipeline.fit_cache import hash_tree
from toolkit.pipeline.prepare import file_hash

PACKAGES = ("toolkit", "pandas", "numpy", "seaborn", "matplotlib", "papermill", "nbconvert", "playwright")


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
