"""Golden backtests: what the demo trust's pack produced when the snapshot was taken, kept under ``tests/golden/`` and
compared table by table (prepared slices, national figures) and report by report (each HTML report's visible text).

A difference is printed as a reader would want it: which table, which columns, the first rows that differ with the
value before and after. Take a new snapshot only when a change of numbers or words is meant (say why in the commit):

    GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.reports import catalogue

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"
#: Facts that name the code or the moment, not the data: left out of the comparison.
VOLATILE_INFO = {"fit_cache"}
#: Relative tolerance for floating-point cells: a different BLAS kernel may move the last bits, never a figure shown.
RTOL = 1e-9


def _rows(frame: pd.DataFrame, rows: np.ndarray, limit: int = 5) -> str:
    return frame.iloc[rows[:limit]].to_string(max_colwidth=40)


def frame_difference(name: str, before: pd.DataFrame, after: pd.DataFrame) -> str | None:
    """A sentence (and the first differing rows) saying how ``after`` differs from ``before``; None when equal."""
    if list(before.columns) != list(after.columns):
        lost = [c for c in before.columns if c not in after.columns]
        new = [c for c in after.columns if c not in before.columns]
        return f"{name}: columns differ (lost {lost}, new {new}, order {list(after.columns)})"
    if len(before) != len(after):
        return f"{name}: {len(before)} rows before, {len(after)} now"
    problems = []
    for col in before.columns:
        a, b = before[col], after[col]
        if str(a.dtype) != str(b.dtype):
            problems.append(f"column {col!r}: type {a.dtype} before, {b.dtype} now")
            continue
        if pd.api.types.is_float_dtype(a):
            x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
            same = np.isclose(x, y, rtol=RTOL, atol=1e-12, equal_nan=True)
        else:
            same = (a.isna().to_numpy() & b.isna().to_numpy()) | (a.astype(str).to_numpy() == b.astype(str).to_numpy())
        if not same.all():
            rows = np.flatnonzero(~same)
            side = pd.DataFrame({"before": a.iloc[rows[:5]].to_numpy(), "now": b.iloc[rows[:5]].to_numpy()})
            side.index = rows[:5]
            problems.append(f"column {col!r}: {len(rows)} of {len(a)} rows differ; first:\n{side.to_string()}")
    return f"{name}:\n  " + "\n  ".join(problems) if problems else None


def _comparable(info: dict) -> dict:
    return {k: v for k, v in info.items() if k not in VOLATILE_INFO}


def prepared_snapshot(prepared: Path, schools: list[str]) -> tuple[dict[str, dict], dict[str, pd.DataFrame]]:
    """Facts (``national``, each school's ``school.json``) and tables (``<school>/<table>``, ``national/<table>``)
    of a prepared run folder."""
    facts = {"national": _comparable(json.loads((prepared / "national" / "national.json").read_text()))}
    tables = {f"national/{p.stem}": pd.read_parquet(p) for p in sorted((prepared / "national").glob("*.parquet"))}
    for school in schools:
        folder = prepared / "slices" / school
        info = json.loads((folder / "school.json").read_text())
        info["reports"] = catalogue.applicable(info)  # the catalogue decides from the facts
        facts[school] = _comparable(info)
        tables |= {f"{school}/{p.stem}": pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    return facts, tables


def compare_prepared(
    prepared: Path, schools: list[str], snapshot: str = "prepared", update: bool = UPDATE
) -> list[str]:
    """Every difference between a prepared run's ``schools`` (and national figures) and the snapshot of them, as
    sentences (empty when identical); ``update`` takes a new snapshot instead."""
    facts, tables = prepared_snapshot(prepared, schools)
    folder = GOLDEN / snapshot
    if update:
        shutil.rmtree(folder, ignore_errors=True)
        for name, frame in tables.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "facts.json").write_text(json.dumps(facts, indent=1, sort_keys=True, default=str) + "\n")
        return []
    problems = []
    now = json.loads(json.dumps(facts, sort_keys=True, default=str))
    kept = {k: v for k, v in json.loads((folder / "facts.json").read_text()).items() if k in now}
    for key in sorted(set(kept) | set(now)):
        if kept.get(key) != now.get(key):
            a, b = kept.get(key) or {}, now.get(key) or {}
            changed = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
            problems.append(f"facts of {key}: (before, now) {changed}")
    stored = {
        str(p.relative_to(folder).with_suffix("")): p
        for p in folder.rglob("*.parquet")
        if p.relative_to(folder).parts[0] in {"national", *schools}
    }
    for name in sorted(set(stored) - set(tables)):
        problems.append(f"{name}: table no longer written")
    for name in sorted(set(tables) - set(stored)):
        problems.append(f"{name}: a new table")
    for name in sorted(set(stored) & set(tables)):
        if (diff := frame_difference(name, pd.read_parquet(stored[name]), tables[name])) is not None:
            problems.append(diff)
    return problems


class _Text(HTMLParser):
    """The text a reader sees in a report's HTML: no styles or scripts, one line per block, alt text of images."""

    BLOCKS = {"p", "div", "tr", "h1", "h2", "h3", "h4", "li", "table", "caption", "br", "section", "figure"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag in ("td", "th"):
            self.parts.append(" | ")
        if tag == "img" and (alt := dict(attrs).get("alt")):
            self.parts.append(f"[image: {alt}]")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


#: Words that change with the moment a report is made, not with its data.
MOMENT = re.compile(r"\b\d{1,2} [A-Z][a-z]+ 20\d\d(, \d\d:\d\d( UTC)?)?\b|\b20\d\d-\d\d-\d\dT[\d:.+]+")


def report_text(html: str) -> str:
    """A report's visible text, whitespace tidied, the moment it was made blanked."""
    parser = _Text()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return MOMENT.sub("<date>", "\n".join(line for line in lines if line)) + "\n"


def compare_reports(reports: dict[str, str], snapshot: str = "reports") -> list[str]:
    """``reports``: name -> HTML. Every report whose text differs from the snapshot, with the first lines that
    differ (empty when identical)."""
    folder = GOLDEN / snapshot
    texts = {name: report_text(html) for name, html in reports.items()}
    if UPDATE:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for name, text in texts.items():
            (folder / f"{name}.txt").write_text(text)
        return []
    problems = []
    stored = {p.stem: p.read_text() for p in folder.glob("*.txt")}
    for name in sorted(set(stored) ^ set(texts)):
        problems.append(f"{name}: {'no longer made' if name in stored else 'a new report'}")
    for name in sorted(set(stored) & set(texts)):
        if stored[name] != texts[name]:
            diff = difflib.unified_diff(stored[name].splitlines(), texts[name].splitlines(), "before", "now", n=1)
            problems.append(f"{name}:\n" + "\n".join(list(diff)[:40]))
    return problems
