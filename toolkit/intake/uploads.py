"""Upload history (seed 002): every upload is validated, stored byte for byte under the hash of its content, and
recorded in a SQLite database with time, uploader, pupils and status. The latest valid upload for a school and key
stage is the one analysed ("reports available"); earlier ones become "overwritten" but stay retrievable; a deleted
upload keeps its history row but its file is removed. Statuses: processing, reports available, overwritten,
upload error, deleted.

Concurrent uploads are safe: each file is written to a temporary name and renamed into place (atomic), and each
history change is one ``BEGIN IMMEDIATE`` transaction, so two uploads at the same moment are serialised by SQLite.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from toolkit.inputs import load_pupils, partitions
from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.results import Validation, validate

PROCESSING, AVAILABLE, OVERWRITTEN, ERROR, DELETED = (
    "processing",
    "reports available",
    "overwritten",
    "upload error",
    "deleted",
)
ACTIVE = (PROCESSING, AVAILABLE)

SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    school_id   TEXT,
    keystage    TEXT,
    uploaded_at TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    pupils      INTEGER NOT NULL,
    status      TEXT NOT NULL,
    problems    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS uploads_school ON uploads (school_id, keystage, status);
"""


class UploadHistoryError(ValueError):
    """The upload history database cannot be read."""


def rebuild(folder: Path | str) -> tuple[Path | None, int]:
    """A new upload history from the files kept in ``<folder>/uploads``, oldest first (each validated again; the
    latest valid one per school and key stage is the one analysed). The damaged database is moved aside, never
    deleted. Returns where it went (None if there was none) and how many files were recorded. Who uploaded each
    file and its original name lived only in the damaged database: they read 'rebuilt' and the stored name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such data folder; nothing was created")
    db = folder / "uploads.sqlite"
    moved = None
    if db.exists():
        moved = db.with_name(f"uploads.sqlite.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        db.replace(moved)
        for extra in ("-wal", "-shm"):  # its journal goes with it: what it holds is the damaged history's too
            journal = Path(str(db) + extra)
            if journal.exists():
                journal.replace(str(moved) + extra)
    store = UploadStore(folder)
    kept = sorted(store.files.glob("*.xlsx"), key=lambda p: (p.stat().st_mtime, p.name))
    for path in kept:
        store.upload(path, "rebuilt")
    return moved, len(kept)


def roll(folder: Path) -> pd.Series | None:
    """UPN -> the school whose roll the trust's pupil table puts them on (None without a readable pupil table: the
    report run names its problems)."""
    path = partitions.data_file(folder, "pupils")
    if path is None:
        return None
    try:
        pupils = partitions.by_school(load_pupils, path, None)
    except (PupilDataError, OSError, ValueError):
        return None
    return pd.Series(pupils["school_id"].astype(str).to_numpy(), index=pupils["upn"].astype(str).str.upper())


def roll_problems(check: Validation, on_roll: pd.Series | None) -> list[Problem]:
    """An upload's pupils whom the trust's pupil table puts on another school's roll: their results would count for
    that school, so the upload is refused, naming rows, pupils and schools."""
    if on_roll is None or check.results.empty or not check.school_id:
        return []
    upn = check.results["UPN"].astype(str).str.upper()
    school = upn.map(on_roll)
    elsewhere = school.notna() & (school != str(check.school_id))
    if not elsewhere.any():
        return []
    rows = check.results.loc[elsewhere, "row"].astype(int).tolist()
    details = [f"row {r}: {u} is on the roll of {s}" for r, u, s in zip(rows, upn[elsewhere], school[elsewhere])]
    message = (
        f"Pupils on another school's roll in pupils.csv: this template is for school {check.school_id}, and their "
        "results would count for the other school; upload them in that school's template"
    )
    return [Problem(message, "UPN", rows, details[:8])]


class UploadStore:
    """The upload history of a data folder: ``<folder>/uploads.sqlite`` and ``<folder>/uploads/<sha256>.xlsx``."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(
                f"{self.folder}: no such data folder (the folder holding schools.csv and pupils.csv); check the "
                "path: nothing was created"
            )
        self.files = self.folder / "uploads"
        self.files.mkdir(parents=True, exist_ok=True)
        self.db = self.folder / "uploads.sqlite"
        with self._history() as con:
            con.executescript(SCHEMA)
            con.execute("SELECT COUNT(*) FROM uploads").fetchone()

    LOCK_WAIT = 60.0  # seconds to wait for another writer before saying the history is locked

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.db, timeout=self.LOCK_WAIT, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    @contextlib.contextmanager
    def _history(self):
        """A connection to the history; a lock, a damaged page or an unreadable file becomes one sentence saying
        what to do (``UploadHistoryError``), wherever it is met."""
        try:
            with self._connect() as con:
                yield con
        except (sqlite3.OperationalError, pd.errors.DatabaseError) as err:  # pandas wraps what it meets
            if "locked" in str(err) or "busy" in str(err):
                raise UploadHistoryError(
                    f"{self.db}: the upload history is locked by another program (waited {self.LOCK_WAIT:g} s); "
                    "nothing was recorded. Try again when it has finished, or close whatever has the file open "
                    "(a database browser, a second upload)"
                ) from None
            raise self._damaged(err) from None
        except sqlite3.DatabaseError as err:
            raise self._damaged(err) from None

    def _damaged(self, err: Exception) -> UploadHistoryError:
        return UploadHistoryError(
            f"{self.db}: the upload history is damaged ({err}). The uploaded files themselves are kept in "
            f"{self.files}; rebuild the history from them with `toolkit uploads --data {self.folder} --rebuild` "
            "(the damaged file is kept beside it)"
        )

    def path_of(self, sha256: str) -> Path:
        return self.files / f"{sha256}.xlsx"

    def _store(self, source: Path) -> tuple[str, bool]:
        """Keep the file under the hash of its content; returns the hash and whether the file is new here."""
        data = source.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_of(sha)
        new = not target.exists()
        if new:
            fd, tmp = tempfile.mkstemp(dir=self.files, suffix=".part")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)  # atomic: readers see the whole file or none
        return sha, new

    def upload(self, path: Path | str, by: str) -> tuple[int, Validation]:
        """Validate and record an upload; returns its history id and the validation."""
        path = Path(path)
        if not by or not by.strip():
            raise ValueError("Say who is uploading (--by NAME)")
        check = validate(path)
        check.problems += roll_problems(check, roll(self.folder))
        sha, new = self._store(path)
        try:
            return self._record(path, by, check, sha), check
        except UploadHistoryError:
            if new:  # a kept file is the history's: none without its row
                self.path_of(sha).unlink(missing_ok=True)
            raise

    def _record(self, path: Path, by: str, check: Validation, sha: str) -> int:
        """The upload's history row, and the school's earlier uploads overwritten when it is valid."""
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        with self._history() as con:
            con.execute("BEGIN IMMEDIATE")
            status = PROCESSING if check.ok else ERROR
            cur = con.execute(
                "INSERT INTO uploads (school_id, keystage, uploaded_at, uploaded_by, file_name, sha256, "
                "pupils, status, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    check.school_id,
                    check.keystage,
                    now,
                    by.strip(),
                    path.name,
                    sha,
                    check.pupils,
                    status,
                    "\n".join(map(str, check.problems)),
                ),
            )
            upload_id = cur.lastrowid
            if check.ok:
                con.execute(
                    "UPDATE uploads SET status = ? WHERE school_id = ? AND keystage = ? AND id != ? AND "
                    "status IN (?, ?)",
                    (OVERWRITTEN, check.school_id, check.keystage, upload_id, *ACTIVE),
                )
                con.execute("UPDATE uploads SET status = ? WHERE id = ?", (AVAILABLE, upload_id))
            con.execute("COMMIT")
        return upload_id

    def history(self, school_id: str | None = None, hide_inactive: bool = False) -> pd.DataFrame:
        query, args = "SELECT * FROM uploads", []
        where = []
        if school_id:
            where.append("school_id = ?")
            args.append(str(school_id))
        if hide_inactive:
            where.append(f"status IN ({', '.join('?' * len(ACTIVE))})")
            args += list(ACTIVE)
        if where:
            query += " WHERE " + " AND ".join(where)
        with self._history() as con:
            return pd.read_sql_query(query + " ORDER BY id", con, params=args)

    def latest(self, school_id: str, keystage: str) -> Path | None:
        """The file analysed for a school and key stage: its latest valid upload."""
        with self._history() as con:
            row = con.execute(
                "SELECT sha256 FROM uploads WHERE school_id = ? AND keystage = ? AND status = ? "
                "ORDER BY id DESC LIMIT 1",
                (str(school_id), keystage, AVAILABLE),
            ).fetchone()
        return self.path_of(row[0]) if row else None

    def delete(self, upload_id: int) -> None:
        """Mark an upload deleted and remove its file (unless another live upload holds the same bytes)."""
        with self._history() as con:
            con.execute("BEGIN IMMEDIATE")
            row = con.execute(
                "SELECT sha256, status, school_id, keystage FROM uploads WHERE id = ?", (upload_id,)
            ).fetchone()
            if row is None:
                con.execute("ROLLBACK")
                raise ValueError(f"No upload {upload_id}")
            con.execute("UPDATE uploads SET status = ? WHERE id = ?", (DELETED, upload_id))
            if row[1] == AVAILABLE:  # the latest valid upload that is left becomes the one analysed
                con.execute(
                    "UPDATE uploads SET status = ? WHERE id = (SELECT id FROM uploads WHERE school_id = ? "
                    "AND keystage = ? AND status = ? ORDER BY id DESC LIMIT 1)",
                    (AVAILABLE, row[2], row[3], OVERWRITTEN),
                )
            others = con.execute(
                "SELECT COUNT(*) FROM uploads WHERE sha256 = ? AND status != ?", (row[0], DELETED)
            ).fetchone()[0]
            con.execute("COMMIT")
        if not others:
            self.path_of(row[0]).unlink(missing_ok=True)


def accepted_results(data: Path | str, keystage: str) -> pd.DataFrame:
    """The results of every school's analysed upload (status "reports available") for ``keystage``: for KS1 and
    KS2 as pupil-table columns (``school_id, upn`` and the subject fields ``ks2_reading`` ...); for KS5 as entries
    (``school_id, upn, qualification, subject, grade``; blank cells are not entries). Empty without an upload
    history."""
    from toolkit.inputs import layout

    data = Path(data)
    subjects = layout.subjects(keystage)
    empty = ["school_id", "upn"] + (["qualification", "subject", "grade"] if keystage == "ks5" else [])
    if not (data / "uploads.sqlite").exists():
        return pd.DataFrame(columns=empty)
    store = UploadStore(data)
    history = store.history()
    live = history[(history["status"] == AVAILABLE) & (history["keystage"] == keystage)]
    parts = []
    on_roll = roll(data) if len(live) else None
    for row in live.itertuples():
        check = validate(store.path_of(row.sha256))
        check.problems += roll_problems(check, on_roll)  # uploads accepted before the roll was checked
        if not check.ok:  # cannot happen for an accepted upload, unless edited
            raise ValueError(
                f"Upload {row.id} ({row.file_name}, school {row.school_id}) is not accepted as it stands; delete it "
                f"with `toolkit uploads --data {data} --delete {row.id}` and upload it again:\n{check.report()}"
            )
        frame = check.results.assign(school_id=str(row.school_id), upn=check.results["UPN"].str.upper())
        if keystage == "ks5":
            for s in subjects:
                graded = frame[frame[s.column].notna()]
                parts.append(
                    pd.DataFrame(
                        {
                            "school_id": graded["school_id"],
                            "upn": graded["upn"],
                            "qualification": s.kind,
                            "subject": s.subject,
                            "grade": graded[s.column].str.upper(),
                        }
                    )
                )
        else:
            fields = {s.column: s.field for s in subjects if s.field}
            parts.append(frame.rename(columns=fields)[["school_id", "upn", *fields.values()]])
    return pd.concat(parts, ignore_index=True).astype("string") if parts else pd.DataFrame(columns=empty)


def accepted_keystages(data: Path | str) -> set[str]:
    """Key stages with at least one analysed upload in ``data``."""
    if not (Path(data) / "uploads.sqlite").exists():
        return set()
    history = UploadStore(data).history()
    return set(history.loc[history["status"] == AVAILABLE, "keystage"])


def upload_files(data: Path | str) -> list[Path]:
    """The upload history and the files it analyses (inputs of a report run)."""
    data = Path(data)
    if not (data / "uploads.sqlite").exists():
        return []
    history = UploadStore(data).history()
    live = history[history["status"] == AVAILABLE]
    return [data / "uploads.sqlite"] + [data / "uploads" / f"{sha}.xlsx" for sha in live["sha256"]]
