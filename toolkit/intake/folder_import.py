"""Imported tables written into a school data folder, never over what the user made.

``import.json`` in the folder lists the files ``toolkit import`` wrote there. An import writes only files that are
absent or listed (it replaces its own earlier output, and removes its own files that this import no longer makes);
any other file of the same name is refused with a sentence, so nothing a user gave is overwritten. Each file is
written whole (``toolkit.inputs.outputs.written_whole``), the list last.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd

from toolkit.inputs.cells import inert_frame
from toolkit.inputs.outputs import OutputRefused, usable_folder, written_whole

MANIFEST = "import.json"
PARQUET_TABLES = {"sources"}  # long provenance table: Parquet (dictionary-encoded), not CSV
FILE_NAMES = {"sources": "import_sources.parquet"}


def owned(folder: Path) -> dict[str, str]:
    """File name -> the import kind that wrote it, from the folder's ``import.json``."""
    manifest = folder / MANIFEST
    if not manifest.exists():
        return {}
    try:
        return dict(json.loads(manifest.read_text())["files"])
    except (ValueError, KeyError, TypeError):
        raise OutputRefused(
            f"{manifest} is damaged: remove it only if no file of this folder came from an import"
        ) from None


def file_name(table: str) -> str:
    return FILE_NAMES.get(table, f"{table}.csv")


def refuse_foreign(folder: Path, names: list[str]) -> None:
    """``OutputRefused`` naming each of ``names`` that is in ``folder`` but was not written by an import."""
    mine = owned(folder)
    foreign = [n for n in names if (folder / n).exists() and n not in mine]
    if foreign:
        raise OutputRefused(
            f"{folder} already holds {', '.join(foreign)}, which toolkit import did not write: move "
            f"{'it' if len(foreign) == 1 else 'them'} away or import into another folder (nothing was written)"
        )


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], kind: str) -> list[Path]:
    """Write ``tables`` into ``folder`` (CSV, the provenance as Parquet); files an earlier import of the same
    ``kind`` wrote that are not written now are removed. Returns the paths written."""
    folder = usable_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = {t: file_name(t) for t in tables}
    refuse_foreign(folder, list(names.values()))
    mine = owned(folder)
    written = []
    for table, frame in tables.items():
        path = folder / names[table]
        with written_whole(path) as partial:
            if table in PARQUET_TABLES:
                frame.to_parquet(partial, index=False)
            else:
                inert_frame(frame).to_csv(partial, index=False)
        written.append(path)
    stale = [n for n, k in mine.items() if k == kind and n not in names.values()]
    for name in stale:
        (folder / name).unlink(missing_ok=True)
        del mine[name]
    mine.update({n: kind for n in names.values()})
    with written_whole(folder / MANIFEST) as partial:
        partial.write_text(
            json.dumps(
                {"files": dict(sorted(mine.items())), "updated": datetime.now().isoformat(timespec="seconds")}, indent=1
            )
            + "\n"
        )
    return written
