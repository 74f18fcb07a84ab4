"""Ofsted's published outcomes file (``parameters/ofsted/outcomes.yaml``): each school's latest report-card grade
per evaluation area, for the trust overview. The file is read as downloaded (a title block above the header row
is skipped); its headers are matched to the areas by the layout's synonyms; every grade must be one of Ofsted's
five (or say there is none), and a bad one is named by file, row and column with nothing loaded.

Returns ``school_id`` (the LAESTAB, or the URN's school in ``schools.csv``), ``urn``, ``inspection_date``, and one
column per area holding the grade as Ofsted writes it (empty where there is none).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit import parameters
from toolkit.inputs.load import read_table
from toolkit.inputs.mis import Profile
from toolkit.inputs.problems import Problem, PupilDataError
from toolkit.inputs.rules import spreadsheet_rows
from toolkit.inputs.schema import parse_date


def layout() -> dict:
    return parameters.load_yaml("ofsted/outcomes.yaml")


def grades() -> list[str]:
    """Ofsted's five grades, lowest first (``parameters/profile.yaml``)."""
    return list(parameters.load_yaml("profile.yaml")["grades"])


def load_ofsted(path: Path | str, schools: pd.DataFrame) -> pd.DataFrame:
    """The latest inspection of each school of ``schools`` (``school_id``, and ``urn`` where it has one) in the
    file; schools the file does not name are left out, and rows of other schools are not kept."""
    path = Path(path)
    spec = layout()
    columns = {**spec["identifiers"], **spec["areas"]}
    expected = tuple(h.lower() for names in spec["identifiers"].values() for h in names)
    raw = read_table(path, expected)
    placed = Profile("ofsted", {k: list(v) for k, v in columns.items()}).placing(list(raw.columns))
    frame = raw[list(placed)].rename(columns=placed)
    if "laestab" not in frame and "urn" not in frame:
        raise PupilDataError(
            path,
            [Problem("No LAESTAB or URN column: the file must name each school (parameters/ofsted/outcomes.yaml)")],
        )
    areas = [a for a in spec["areas"] if a in frame]
    if not areas:
        raise PupilDataError(
            path, [Problem(f"No evaluation-area column ({', '.join(spec['areas'])}): is this Ofsted's outcomes file?")]
        )
    problems = []
    blank = {str(v).strip().lower() for v in spec["no_grade"]}
    for area in areas:
        names = spec["safeguarding"] if area == "safeguarding" else grades()
        canonical = {g.lower(): g for g in names}
        value = frame[area].fillna("").str.strip()
        bad = ~value.str.lower().isin(canonical.keys() | blank)
        if bad.any():
            header = next(h for h, c in placed.items() if c == area)
            problems.append(
                Problem(
                    f"'{header}' must be one of {', '.join(names)} or blank "
                    f"(found {', '.join(repr(v) for v in value[bad].unique()[:3])})",
                    header,
                    spreadsheet_rows(frame.index[bad]),
                )
            )
        frame[area] = value.str.lower().map(canonical).fillna("")
    if problems:
        raise PupilDataError(path, problems)
    ids = _school_ids(frame, schools)
    frame = frame.assign(school_id=ids)[ids.notna()]
    frame["inspection_date"] = (
        parse_date(frame["inspection_date"]) if "inspection_date" in frame else pd.Series(pd.NaT, index=frame.index)
    )
    latest = frame.sort_values("inspection_date", na_position="first").groupby("school_id").tail(1)
    keep = ["school_id", *(c for c in ("urn", "inspection_date", "inspection_type") if c in latest), *areas]
    return latest[keep].reset_index(drop=True)


def _school_ids(frame: pd.DataFrame, schools: pd.DataFrame) -> pd.Series:
    """Each row's school of ``schools``: by LAESTAB (the DfE number, 925/2005 written as 9252005), else by URN
    where ``schools.csv`` has a ``urn`` column; <NA> for a school not in the run."""
    known = set(schools["school_id"].astype(str))
    out = pd.Series(pd.NA, index=frame.index, dtype="string")
    if "laestab" in frame:
        laestab = frame["laestab"].fillna("").str.replace(r"\D", "", regex=True)
        out = out.where(~laestab.isin(known), laestab)
    if "urn" in frame and "urn" in schools:
        by_urn = dict(zip(schools["urn"].astype(str), schools["school_id"].astype(str), strict=True))
        out = out.fillna(frame["urn"].fillna("").str.strip().map(by_urn))
    return out
