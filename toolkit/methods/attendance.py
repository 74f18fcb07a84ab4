"""Attendance and absence, as the DfE defines them ("Pupil attendance in schools" technical guidance;
``parameters/attendance.yaml``, where each definition is written in the DfE's words).

Sessions (frame columns, whole numbers per pupil and period): ``possible`` (the pupil's own possible sessions, from
admission to leaving; codes that are not counted, such as X, Y or Z, are not in it), ``present`` (present or late
before the register closed: /, \\, L), ``aea`` (approved educational activity: B, J, K, P, V, W), ``authorised``
and ``unauthorised`` (code N, no reason yet, counts as unauthorised). ``possible = present + aea + authorised +
unauthorised``. Per-code columns are ``code_<CODE>`` (``code_I``, ``code_N`` ...).

- attendance rate = (present + aea) / possible;
- overall absence rate = (authorised + unauthorised) / possible; authorised and unauthorised rates likewise;
- a rate by reason = that code's sessions / possible;
- persistent absence: a pupil whose overall absence is 10% or more of their own possible sessions; severe: 50%.

Rates of a group are ratios of sums (sessions over possible sessions, all pupils together), never means of pupils'
rates; persistent and severe absence rates are shares of the pupils with any possible sessions (a pupil with none is
in no denominator). Every rate is a percentage.
"""

from __future__ import annotations

import pandas as pd

from toolkit import parameters
from toolkit.scales.attendance_codes import SESSIONS


def settings() -> dict:
    """``parameters/attendance.yaml``."""
    return parameters.load_yaml("attendance.yaml")


def absence(frame: pd.DataFrame) -> pd.Series:
    """Each row's overall absence: authorised + unauthorised sessions."""
    return frame["authorised"] + frame["unauthorised"]


def pupil_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Per row (a pupil's sessions over a period): ``absence_rate`` and ``attendance_rate`` (percent; <NA> when the
    pupil had no possible sessions), ``persistent`` and ``severe`` (booleans; <NA> likewise)."""
    setting = settings()
    possible = frame["possible"].astype("Float64")
    counted = possible > 0
    rate = (100 * absence(frame) / possible).where(counted)
    out = frame.copy()
    out["absence_rate"] = rate
    out["attendance_rate"] = (100 * (frame["present"] + frame["aea"]) / possible).where(counted)
    out["persistent"] = (rate >= setting["persistent_absence_percent"]).astype("boolean").where(counted)
    out["severe"] = (rate >= setting["severe_absence_percent"]).astype("boolean").where(counted)
    return out


def rates(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """The DfE's measures for all the rows together, or per group of ``by``: ``pupils`` (with possible sessions),
    the summed sessions, ``attendance_rate``, ``overall_absence_rate``, ``authorised_rate``, ``unauthorised_rate``,
    ``persistent_rate``, ``severe_rate`` (percent), ``persistent_pupils``, ``severe_pupils``, and ``<code>_rate``
    for each ``code_<CODE>`` column. Pupils are judged on their sessions summed over every row of theirs in the
    group (a pupil's terms add up to their year), so give one period, or the periods to add, per call."""
    by = list(by or [])
    code_columns = [c for c in frame.columns if c.startswith("code_")]
    keys = [*by, "upn"] if "upn" in frame.columns else by
    per_pupil = (
        frame.groupby(keys, dropna=False)[[*SESSIONS, *code_columns]].sum()
        if keys
        else frame[[*SESSIONS, *code_columns]]
    )
    judged = pupil_measures(per_pupil)
    counted = judged[judged["possible"] > 0]
    grouped = counted.groupby(by, dropna=False) if by else counted.groupby(lambda _: "all")
    sums = grouped[[*SESSIONS, *code_columns]].sum()
    out = sums.copy()
    out.insert(0, "pupils", grouped.size())
    possible = sums["possible"].astype(float)
    out["attendance_rate"] = 100 * (sums["present"] + sums["aea"]) / possible
    out["overall_absence_rate"] = 100 * (sums["authorised"] + sums["unauthorised"]) / possible
    out["authorised_rate"] = 100 * sums["authorised"] / possible
    out["unauthorised_rate"] = 100 * sums["unauthorised"] / possible
    out["persistent_pupils"] = grouped["persistent"].sum().astype(int)
    out["severe_pupils"] = grouped["severe"].sum().astype(int)
    out["persistent_rate"] = 100 * out["persistent_pupils"] / out["pupils"]
    out["severe_rate"] = 100 * out["severe_pupils"] / out["pupils"]
    for column in code_columns:
        out[f"{column.removeprefix('code_')}_rate"] = 100 * sums[column] / possible
    return out.reset_index(drop=not by)
