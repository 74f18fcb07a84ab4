"""The DfE's published attendance statistics ("Pupil attendance in schools", the EES data file) read in the DfE's own
layout, so that a newer release is a file swap (``parameters/attendance.yaml`` ``national_file``).

One row per geography (National, Regional, Local authority) and phase (Primary, Secondary, Special, Total), with
the sessions in the toolkit's names (``toolkit.methods.attendance``): ``possible``, ``present`` (present and late
before registers closed), ``aea``, ``authorised``, ``unauthorised``, ``code_<CODE>`` per register code (the
column ``parameters/attendance/codes.csv`` names for it), and the DfE's own ``attendance_perc`` and ``pa_perc``
(persistent absence: a rate of pupils, which the sessions alone cannot give).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit import parameters
from toolkit.inputs.problems import Problem, PupilDataError

RENAMED = {
    "present_sessions": "present",
    "approved_educational_activity": "aea",
    "authorised_absence": "authorised",
    "unauthorised_absence": "unauthorised",
    "possible_sessions": "possible",
}
KEYS = ("time_period", "geographic_level", "region_name", "old_la_code", "la_name", "education_phase")
NUMBERS = ("enrolments", "attendance_perc", "overall_absence_perc", "pa_perc")


def read_dfe_attendance(path: Path | str | None = None) -> pd.DataFrame:
    """The DfE's attendance file (default: the one ``attendance.yaml`` names) in the toolkit's column names;
    ``PupilDataError`` naming the columns a file lacks (a release in another layout)."""
    path = Path(path) if path else parameters.path(parameters.load_yaml("attendance.yaml")["national_file"])
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    codes = parameters.load_csv("attendance/codes.csv")
    by_code = {row.dfe_column: f"code_{row.code}" for row in codes.itertuples() if row.dfe_column}
    needed = [*KEYS, *RENAMED, *NUMBERS]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise PupilDataError(
            path,
            [
                Problem(
                    f"Not the DfE's attendance layout: no column {', '.join(missing)} (the 'Pupil attendance in schools' data file)"
                )
            ],
        )
    out = raw[list(KEYS)].rename(columns={"old_la_code": "la", "education_phase": "phase", "geographic_level": "level"})
    for source, name in {**RENAMED, **{c: by_code[c] for c in by_code if c in raw.columns}}.items():
        out[name] = pd.to_numeric(raw[source], errors="coerce").round().astype("Int64")
    for column in NUMBERS:
        out[column] = pd.to_numeric(raw[column], errors="coerce")
    return out


def comparison(frame: pd.DataFrame, phase: str, la: str | None = None) -> pd.DataFrame:
    """The national row (and the local authority's, when ``la``, its 3-digit code, is given) for ``phase``
    (Primary, Secondary, Special, Total): what a school of that phase is compared with."""
    rows = frame[
        (frame["phase"] == phase)
        & ((frame["level"] == "National") | ((frame["level"] == "Local authority") & (frame["la"] == str(la))))
    ]
    return rows.reset_index(drop=True)
