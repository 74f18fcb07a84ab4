"""Fitted national models, cached by content: a fit is redone only when its reference file, the methodology code
or the parameters in effect change. The key is the SHA-256 of all three; an entry is one pickle in
``<cache>/fits/`` (``toolkit.locations.cache_dir``: ``TOOLKIT_CACHE`` or the user cache folder), written under a
temporary name and renamed, so two runs at once never read half an entry (the second writer's identical file
replaces the first's). A damaged entry is refitted. Entries are our own files, read back only here."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from toolkit import locations

T = TypeVar("T")
# what a fit's result depends on: the fitting functions (pipeline/national.py) and the code they call
FIT_CODE = ("pipeline/national.py", "methods", "scales", "inputs", "parameters.py", "vocabulary.py")


def hash_tree(h, path: Path) -> None:
    """Feed ``h`` every file under ``path`` (or the file itself): its name from ``path``'s folder, then its bytes;
    ``__pycache__`` left out. The code hash of a run (``pack.versions.code_version``) and the fit keys both use it."""
    files = (
        sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts) if path.is_dir() else [path]
    )
    for p in files:
        h.update(str(p.relative_to(path.parent)).encode())
        h.update(p.read_bytes())


def fit_key(what: str, files: list[Path]) -> str:
    """The content key of a fit: its name, its input files' bytes, the fitting code and the parameters in effect."""
    h = hashlib.sha256(what.encode())
    for f in files:
        h.update(hashlib.sha256(Path(f).read_bytes()).digest())
    package = Path(__file__).resolve().parent.parent
    for name in FIT_CODE:
        hash_tree(h, package / name)
    for folder in dict.fromkeys([locations.parameters_dir(), locations.bundled_parameters()]):
        hash_tree(h, folder)
    return h.hexdigest()


def cached_fit(what: str, files: list[Path], fit: Callable[[], T], refit: bool = False) -> tuple[T, dict]:
    """``fit()``'s result, from the cache when an entry with the same content key exists (``refit``: fit again and
    replace the entry); and what happened (``what, key, hit, seconds`` for the manifest)."""
    import time

    start = time.perf_counter()
    key = fit_key(what, files)
    folder = locations.cache_dir() / "fits"
    entry = folder / f"{what}-{key[:32]}.pkl"
    if entry.exists() and not refit:
        try:
            with entry.open("rb") as f:
                value = pickle.load(f)  # our own file (see the module docstring)
            return value, {"what": what, "key": key, "hit": True, "seconds": round(time.perf_counter() - start, 2)}
        except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            entry.unlink(missing_ok=True)  # damaged or from code that no longer loads it: refit
    value = fit()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as f:
        pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, entry)
    return value, {"what": what, "key": key, "hit": False, "seconds": round(time.perf_counter() - start, 2)}
