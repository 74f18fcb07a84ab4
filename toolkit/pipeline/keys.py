"""What each school's prepared slice depends on, by content: the key that lets a run prepare only the schools whose
own data changed.

A school's key is the SHA-256 of: its own rows of every input file (by file name, header included, in file order;
its folder's files for a table partitioned by school),
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

from toolkit.inputs import partitions, school_state
from toolkit.intake.uploads import AVAILABLE, UploadStore
from toolkit.pipeline.data_folder import Inputs, file_hash

EVERY = "*"  # rows no school owns: part of every school's key
UNREADABLE = (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError)


def _sha(path: Path, hashes: dict[str, str] | None) -> str:
    """The file's SHA-256, from ``hashes`` (path -> hash, those the run has already made) where it is there."""
    return (hashes or {}).get(str(path)) or file_hash(path)


def _digest(rows: pd.DataFrame) -> str:
    """The hash of a block of rows (values and order), header included."""
    h = hashlib.sha256(json.dumps(list(rows.columns)).encode())
    h.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _raw(path: Path) -> pd.DataFrame | None:
    """A CSV file as text, exactly as written (no type conversion); None where pandas cannot read it."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except UNREADABLE:
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


def national_key(inputs: Inputs, code_hash: str, challenge, hashes: dict[str, str] | None = None) -> str:
    """What every school's slice shares: the national reference files, the code and the challenge."""
    references = [(p.name, _sha(p, hashes)) for p in (inputs.reference, inputs.reference_ks5) if p]
    return hashlib.sha256(json.dumps([references, code_hash, str(challenge)]).encode()).hexdigest()


def _has_school_id(path: Path) -> bool:
    try:
        return "school_id" in pd.read_csv(path, nrows=0).columns
    except UNREADABLE:
        return False


def _school_of_upn(pupils_file: Path) -> pd.Series | None:
    """UPN (as the loader reads it: stripped, upper case) -> school, from pupils.csv as written."""
    pupils = _raw(pupils_file)
    if pupils is None or not {"upn", "school_id"} <= set(pupils):
        return None
    found = pd.Series(pupils["school_id"].str.strip().to_numpy(), index=pupils["upn"].str.strip().str.upper())
    return found[~found.index.duplicated()]


def row_digests(inputs: Inputs, known: dict | None = None, hashes: dict[str, str] | None = None) -> dict[str, dict]:
    """File name -> ``{"sha256", "pupils", "rows"}``: each input's rows by school (a CSV's by ``rows_by_school``, a
    partitioned table's by each school folder's files), with what they were worked out from (the file's hash, and
    pupils.csv's hash where UPNs placed the rows). An entry of ``known`` (the last run's) whose file is unchanged is
    reused without reading the file again. ``hashes``: the files' hashes where the run has made them already."""
    known = known or {}
    pupils_hash = _sha(inputs.pupils, hashes)
    school_of_upn = None
    out = {}
    references = {inputs.reference, inputs.reference_ks5}  # in the national key
    for path in (p for p in inputs.files() if p not in references):
        csv = path.suffix.lower() == ".csv"
        by_upn = csv and not _has_school_id(path)
        entry = {"sha256": _sha(path, hashes), "pupils": pupils_hash if by_upn else None}
        cached = known.get(path.name) or {}
        if all(cached.get(k) == v for k, v in entry.items()) and "rows" in cached:
            out[path.name] = cached
            continue
        if not csv:  # a Parquet table: by school where it is partitioned (each folder's files), else whole
            found = partitions.parts(path) if partitions.is_dataset(path) else {EVERY: path}
            out[path.name] = entry | {"rows": {s: file_hash(p) for s, p in found.items()}}
            continue
        if by_upn and school_of_upn is None:
            school_of_upn = _school_of_upn(inputs.pupils)
        out[path.name] = entry | {"rows": rows_by_school(path, school_of_upn)}
    return out


def school_keys(
    inputs: Inputs, ids: list[str], national: str, rows: dict[str, dict], hashes: dict[str, str] | None = None
) -> dict[str, str]:
    """school_id -> the content key of that school's slice (see the module docstring), for the schools ``ids``;
    ``rows`` from ``row_digests``."""
    uploads = _uploads(inputs)
    keys = {}
    for school_id in ids:
        own = sorted((name, r["rows"].get(school_id), r["rows"].get(EVERY)) for name, r in rows.items())
        state = sorted((p.name, _sha(p, hashes)) for p in school_state.files(school_id))
        mine = [national, own, uploads.get(school_id, []), uploads.get(EVERY, []), state]
        keys[school_id] = hashlib.sha256(json.dumps(mine).encode()).hexdigest()
    return keys


def to_prepare(keys: dict[str, str], recorded: dict[str, str], have_slice) -> list[str]:
    """The schools whose key differs from the one their slice was written with, or that have no slice."""
    return [s for s, k in keys.items() if recorded.get(s) != k or not have_slice(s)]
