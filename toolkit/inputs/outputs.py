"""Where a command may write: never over what the user gave it, never into a folder of someone else's files.

Every command that writes checks its outputs here before it reads or writes anything:

- ``refuse_inputs(outputs, inputs)``: an output that is one of the command's inputs, holds one (a folder), or lies
  inside the data folder's own files is refused in one sentence naming both;
- ``output_folder(path, kind)``: a folder a command fills (a report pack, a partitioned copy) must be new, empty, or
  a folder the toolkit made for the same kind of output (it holds the marker ``MARKER`` saying so); the file
  system's root, a system folder or the home folder itself is refused;
- ``mark(path, kind)`` writes the marker once the folder is the toolkit's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

MARKER = ".toolkit-output.json"
#: Folders no command writes into, whatever the user asks: the system's own.
SYSTEM = tuple(
    Path(p)
    for p in ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys", "/usr")
) + (Path("/var"),)
#: What earlier versions left in a folder of each kind before the marker existed: such a folder is of that kind too.
EARLIER = {"report pack": ("prepared/run.json", "manifest.json"), "synthetic trust": ("README.md",)}


class OutputRefused(ValueError):
    """An output path that would overwrite, delete or mix with what the user gave."""


def _resolved(path: Path | str) -> Path:
    return Path(path).expanduser().resolve()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def refuse_inputs(outputs: Iterable[Path | str], inputs: Iterable[Path | str], option: str = "--out") -> None:
    """Refuse any output that is an input, or a folder holding one; ``inputs`` may be files or folders (a data
    folder: an output inside it is refused too, as it would be read as data next time)."""
    ins = [(_resolved(i), Path(i)) for i in inputs if i is not None]
    for out in (o for o in outputs if o is not None):
        target = _resolved(out)
        for source, given in ins:
            if target == source or _inside(source, target) or (source.is_dir() and _inside(target, source)):
                what = "the data folder" if source.is_dir() else "an input"
                raise OutputRefused(
                    f"{option} {out} would write over {what} of this command ({given}): give a folder or file of "
                    "its own for the output"
                )


def output_folder(path: Path | str, kind: str, option: str = "--out") -> Path:
    """The folder ``path`` if a ``kind`` output (e.g. "report pack") may be written there; else ``OutputRefused``."""
    target = _resolved(path)
    if target in SYSTEM or target == Path.home().resolve():
        raise OutputRefused(f"{option} {path} is a system or home folder: give a folder of its own for the {kind}")
    if target.exists() and not target.is_dir():
        raise OutputRefused(f"{option} {path} is a file, not a folder: give a folder for the {kind}")
    if not target.exists() or not any(target.iterdir()):
        return target
    marker = target / MARKER
    if marker.exists():
        try:
            found = json.loads(marker.read_text()).get("kind")
        except (ValueError, OSError, AttributeError):
            found = None
        if found == kind:
            return target
        raise OutputRefused(f"{option} {path} holds a toolkit {found or 'output'}, not a {kind}: give another folder")
    if any((target / f).exists() for f in EARLIER.get(kind, ())) and _earlier(target, kind):
        return target
    raise OutputRefused(
        f"{option} {path} already holds other files: give a new or empty folder for the {kind} (nothing there is "
        "changed)"
    )


def _earlier(folder: Path, kind: str) -> bool:
    """A folder an earlier version made for ``kind`` (a synthetic trust: its README says so)."""
    if kind == "synthetic trust":
        return (folder / "README.md").read_text(errors="replace").startswith("# Synthetic demo trust")
    return True


def mark(path: Path | str, kind: str) -> None:
    """Say that the folder holds a toolkit ``kind`` output (so a later run may write there again)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / MARKER).exists():
        (folder / MARKER).write_text(json.dumps({"kind": kind}) + "\n")
