"""What each school's prepared slice depends on, by content: the key that lets a run prepare only the schools whose
own data changed.

A school's key is the SHA-256 of: its own rows of every input file (by file name, header included, in file order),
its live uploads (key stage and file hash), its saved state (settings and targets), the national reference files,
the code and the challenge. A run compares each school's key with the one its slice was written with
(``prepare.json``) and prepares only the schools whose key differs or whose slice is missing. Rows a key cannot
place in one school (a file without ``school_id`` whose UPNs ``pupils.csv`` does not know, a file that cannot be
read) count in every school's key: a change there prepares every school again, never too few.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from toolkit.inputs import school_state
from toolkit.intake.uploads import AVAILABLE, UploadStore
from toolkit.reports.prepare import Inputs, file_hash

EVERY = "*"  # rows no school owns: part of every school's key


def _digest(rows: pd.DataFrame) -> str:
    """The hash of a block of rows (values and order), header included."""
    h = hashlib.sha256(json.dumps(list(rows.columns)).encode())
    h.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _raw(path: Path) -> pd.DataFrame | None:
    """A CSV file as text, exactly as written (no type conversion); None where pandas cannot read it."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        return None


def rows_by_school(path: Path, school_of_upn: pd.Series | None = None) -> dict[str, str]:
    """school_id -> the hash of that school's rows of a CSV file, and ``EVERY`` -> the hash of rows no school owns
    (placed by the file's ``school_id`` column, else by each UPN's school in ``school_of_upn``; the whole file
    where neither exists)."""
    raw = _raw(path)
    if raw is None or raw.empty:
        return {EVERY: file_hash(path)}
    if "school_id" in raw:
        owner = raw["school_id"].str.strip()
    elif "upn" in raw and school_of_upn is not None:
        owner = raw["upn"].str.strip().str.upper().map(school_of_upn).fillna(EVERY)
    else:
        return {EVERY: file_hash(path)}
    owner = owner.where(owner != "", EVERY)
    return {str(k): _digest(g) for k, g in raw.groupby(owner.to_numpy(), sort=True)}


def _uploads(inputs: Inputs) -> dict[str, list]:
    """school_id -> its live uploads (key stage, file hash); ``EVERY`` -> those of no school."""
    if not inputs.uploads:
        return {}
    history = UploadStore(inputs.schools.parent).history()
    live = history[history["status"] == AVAILABLE]
    out: dict[str, list] = {}
    for row in live.itertuples():
        owner = str(row.school_id) if isinstance(row.school_id, str) and row.school_id else EVERY
        out.setdefault(owner, []).append([row.keystage, row.sha256])
    return out


def national_key(inputs: Inputs, code_hash: str, challenge: str) -> str:
    """What every school's slice shares: the national reference files, the code and the challenge."""
    references = [(p.name, file_hash(p)) for p in (inputs.reference, inputs.reference_ks5) if p]
    return hashlib.sha256(json.dumps([references, code_hash, str(challenge)]).encode()).hexdigest()


def school_keys(inputs: Inputs, ids: list[str], national: str) -> dict[str, str]:
    """school_id -> the content key of that school's slice (see the module docstring), for the schools ``ids``."""
    pupils = _raw(inputs.pupils)
    school_of_upn = None
    if pupils is not None and {"upn", "school_id"} <= set(pupils):
        school_of_upn = pd.Series(
            pupils["school_id"].str.strip().to_numpy(), index=pupils["upn"].str.strip().str.upper().to_numpy()
        )
        school_of_upn = school_of_upn[~school_of_upn.index.duplicated()]
    parts = {p.name: rows_by_school(p, school_of_upn) for p in inputs.files() if p.suffix.lower() == ".csv"}
    uploads = _uploads(inputs)
    keys = {}
    for school_id in ids:
        own = sorted((name, rows.get(school_id), rows.get(EVERY)) for name, rows in parts.items())
        state = sorted((p.name, file_hash(p)) for p in school_state.files(school_id))
        mine = [national, own, uploads.get(school_id, []), uploads.get(EVERY, []), state]
        keys[school_id] = hashlib.sha256(json.dumps(mine).encode()).hexdigest()
    return keys


def to_prepare(keys: dict[str, str], recorded: dict[str, str], have_slice) -> list[str]:
    """The schools whose key differs from the one their slice was written with, or that have no slice."""
    return [s for s, k in keys.items() if recorded.get(s) != k or not have_slice(s)]
