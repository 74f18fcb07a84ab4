"""Where a command may write: never over what the user gave it, never into a folder of someone else's files.

Every command that writes checks its outputs here before it reads or writes anything:

- ``refuse_inputs(outputs, inputs)``: an output that is one of the command's inputs, holds one (a folder), or lies
  inside the data folder's own files is refused in one sentence naming both;
- ``output_folder(path, kind)``: a folder a command fills (a report pack, a partitioned copy) must be new, empty, or
  a folder the toolkit made for the same kind of output (it holds the marker ``MARKER`` saying so); the file
  system's root, a system folder or the home folder itself is refused;
- ``mark(path, kind)`` writes the marker once the folder is the toolkit's;
- ``output_file(path, kind, suffix, beside)``: a file a command writes (with the files it writes beside it) may
  replace only a file the toolkit wrote for the same kind: a Parquet file says so in its metadata
  (``write_parquet``), a workbook in its properties (``WORKBOOK_CREATOR``).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = ".toolkit-output.json"
#: Folders no command writes into, whatever the user asks: the system's own.
SYSTEM = tuple(
    Path(p)
    for p in ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys", "/usr")
) + (Path("/var"),)
#: What earlier versions left in a folder of each kind before the marker existed: such a folder is of that kind too.
EARLIER = {"report pack": ("prepared/run.json", "manifest.json"), "synthetic trust": ("README.md",)}


#: What files earlier versions wrote beside an output of each kind, before outputs were marked: such a file is the
#: toolkit's too.
EARLIER_FILES = {"synthetic national cohort": ("_calibration.json",), "synthetic KS5 cohort": ("_schools.csv",)}
#: The first line of a CSV file the toolkit writes, by kind (a CSV file carries no mark of its own).
CSV_HEADERS = {"pupil estimates": r"upn,\w+_estimate,", "school value added": r"year,measure,status,school_id,"}
#: The sheets of a workbook an earlier version wrote, by kind (before workbooks were marked).
EARLIER_SHEETS = {"results template": {"Results", "Guidance"}, "error list": {"Errors"}}
WORKBOOK_CREATOR = "toolkit"  # a workbook's creator property: "toolkit: <kind>"
PARQUET_KEY = b"toolkit-output"


PARTIAL = ".part"  # a file being written; a run removes any it finds (left by a run that was killed)


@contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """Yield a temporary name beside ``path`` to write to; rename it to ``path`` when the block ends without an
    error, else remove it. An output is never seen half-written (a full disk or a kill leaves the old file or
    none)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + PARTIAL)
    try:
        yield partial
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


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


def usable_folder(path: Path | str, option: str = "--out") -> Path:
    """Refuse, in one sentence, an output folder that is a file, sits under a file, or cannot be written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputRefused(f"{option} {path} is a file, not a folder: give a folder for the output")
    above = path
    while not above.exists():
        above = above.parent
    if not above.is_dir():
        raise OutputRefused(f"{option} {path} sits under {above}, which is a file, not a folder")
    if not os.access(above, os.W_OK):
        raise OutputRefused(f"{option} {path}: {above} is read-only, so nothing can be written there")
    return path


def output_folder(path: Path | str, kind: str, option: str = "--out") -> Path:
    """The folder ``path`` if a ``kind`` output (e.g. "report pack") may be written there; else ``OutputRefused``."""
    target = _resolved(path)
    if target in SYSTEM or target == Path.home().resolve():
        raise OutputRefused(f"{option} {path} is a system or home folder: give a folder of its own for the {kind}")
    if target.exists() and not target.is_dir():
        raise OutputRefused(f"{option} {path} is a file, not a folder: give a folder for the {kind}")
    usable_folder(target, option)
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


def output_file(
    path: Path | str,
    kind: str,
    suffix: str,
    beside: Iterable[str] = (),
    option: str = "--out",
    inputs: Iterable[Path | str] = (),
) -> Path:
    """The file ``path`` if a ``kind`` output may be written there, with the files written beside it (its stem and
    each of ``beside``, e.g. "_schools.csv"): not a folder, ending ``suffix``, in a folder that can be written, none
    of the command's ``inputs`` (``refuse_inputs``), and any of them that exists the toolkit's ``kind`` (``owned``);
    else ``OutputRefused`` naming the file, and nothing is changed."""
    target = Path(path)
    if target.is_dir():
        raise OutputRefused(f"{option} {path} is a folder: give a file name, e.g. {target / ('out' + suffix)}")
    if target.suffix.lower() != suffix:
        raise OutputRefused(f"{option} {path}: the {kind} is written as a {suffix} file: give a name ending {suffix}")
    usable_folder(target.parent, option)
    refuse_inputs([target], inputs, option)
    if target.exists() and not owned(target, kind):
        raise OutputRefused(
            f"{option} {path} is a file this toolkit did not write (not a toolkit {kind}): give a new file name "
            "(nothing was changed)"
        )
    for other in (target.with_name(target.stem + b) for b in beside):
        if other.exists() and not target.exists():
            raise OutputRefused(
                f"{option} {path}: {other.name} beside it is not the toolkit's (the {kind} writes a file of that "
                "name): give another name or folder (nothing was changed)"
            )
    return target


def owned(path: Path, kind: str) -> bool:
    """True if the toolkit wrote ``path`` as a ``kind`` output (its mark, or what an earlier version left beside
    it)."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.read_schema(path).metadata or {}
        except (OSError, ValueError):
            return False
        if meta.get(PARQUET_KEY, b"").decode() == kind:
            return True
    elif path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return False
        creator, sheets = book.properties.creator or "", set(book.sheetnames)
        book.close()
        return creator == f"{WORKBOOK_CREATOR}: {kind}" or (kind in EARLIER_SHEETS and sheets == EARLIER_SHEETS[kind])
    elif path.suffix.lower() == ".csv" and kind in CSV_HEADERS:
        with open(path, encoding="utf-8", errors="replace") as f:
            return re.match(CSV_HEADERS[kind], f.readline()) is not None
    return any(path.with_name(path.stem + b).exists() for b in EARLIER_FILES.get(kind, ()))


def write_parquet(frame, path: Path | str, kind: str) -> Path:
    """``frame`` as a Parquet file marked as the toolkit's ``kind`` output (read back by ``owned``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), PARQUET_KEY: kind.encode()})
    with written_whole(path) as partial:
        pq.write_table(table, partial)
    return Path(path)
