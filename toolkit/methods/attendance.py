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

import re

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


def per_pupil(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per pupil and school: their sessions summed over the rows given (a period's terms), with
    ``pupil_measures`` (rates, persistent, severe)."""
    code_columns = [c for c in frame.columns if c.startswith("code_")]
    summed = frame.groupby(["school_id", "upn"], as_index=False)[[*SESSIONS, *code_columns]].sum()
    return pupil_measures(summed)


def group_rates(pupils: pd.DataFrame, labels: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """The school's rates for everyone and for each label of each of ``groups`` (columns of ``labels``, aligned
    with ``pupils``: one row per pupil, ``per_pupil``), with the gap to the rest of the pupils who have a label in
    that group kind: ``gap_absence`` and ``gap_persistent`` in percentage points, and ``persistent_gap_pupils``, how
    many more (or fewer) of the group's pupils are persistently absent than if they were absent as often as the
    rest (the gap in pupils)."""
    counted = pupils["possible"].to_numpy() > 0
    rows = [{"group": "Summary", "label": "All pupils", **_rates_of(pupils[counted])}]
    for group in groups:
        label = labels[group].to_numpy(dtype=object)
        has = pd.notna(label) & counted
        for value in sorted(set(label[has]), key=_natural):
            inside, rest = has & (label == value), has & (label != value)
            mine, theirs = _rates_of(pupils[inside]), _rates_of(pupils[rest])
            gap_pa = mine["persistent_rate"] - theirs["persistent_rate"] if rest.any() else float("nan")
            rows.append(
                {
                    "group": group,
                    "label": value,
                    **mine,
                    "gap_absence": mine["overall_absence_rate"] - theirs["overall_absence_rate"]
                    if rest.any()
                    else float("nan"),
                    "gap_persistent": gap_pa,
                    "persistent_gap_pupils": gap_pa * mine["pupils"] / 100,
                }
            )
    return pd.DataFrame(rows)


def _natural(label: str) -> tuple:
    """Year 2 before Year 10: numbers in a label compared as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(label)))


def _rates_of(pupils: pd.DataFrame) -> dict:
    """The headline rates of some pupils (one row each, with possible sessions)."""
    possible = float(pupils["possible"].sum())
    n = len(pupils)
    nan = float("nan")
    return {
        "pupils": n,
        "attendance_rate": 100 * float((pupils["present"] + pupils["aea"]).sum()) / possible if possible else nan,
        "overall_absence_rate": 100 * float(absence(pupils).sum()) / possible if possible else nan,
        "persistent_rate": 100 * float(pupils["persistent"].sum()) / n if n else nan,
        "severe_rate": 100 * float(pupils["severe"].sum()) / n if n else nan,
        "persistent_pupils": int(pupils["persistent"].sum()),
    }


def band_of(attendance_rate: pd.Series) -> pd.Series:
    """Each pupil's attendance band (``attendance.yaml`` ``attainment_bands``: 97% or more, 95% to under 97%, ...,
    under 90%: persistently absent), <NA> without possible sessions."""
    cuts = sorted(settings()["attainment_bands"], reverse=True)
    labels = [f"{cuts[0]}% or more"] + [f"{low}% to under {high}%" for high, low in zip(cuts, cuts[1:])]
    labels.append(f"under {cuts[-1]}% (persistently absent)")
    out = pd.Series(pd.NA, index=attendance_rate.index, dtype="string")
    for i, rate in enumerate(attendance_rate):
        if pd.isna(rate):
            continue
        out.iloc[i] = next((label for cut, label in zip(cuts, labels, strict=False) if rate >= cut), labels[-1])
    return pd.Categorical(out, categories=labels, ordered=True)


def attainment_by_band(pupils: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """The mean of each ``outcomes`` column (per ``upn``: 0/1 for a standard reached, or a score) for the pupils of
    each attendance band (``per_pupil`` rows with ``attendance_rate``): ``band, pupils`` and the means. Pupils with
    no outcome row are left out."""
    joined = pupils[["upn", "attendance_rate"]].merge(outcomes, on="upn", how="inner")
    joined["band"] = band_of(joined["attendance_rate"])
    columns = [c for c in outcomes.columns if c != "upn"]
    table = joined.groupby("band", observed=False).agg(pupils=("upn", "size"), **{c: (c, "mean") for c in columns})
    return table.reset_index().assign(band=lambda f: f["band"].astype("string"))


def at_most(pupils: pd.DataFrame, who: pd.Series, absence_rate: float) -> pd.DataFrame:
    """What-if: ``pupils`` (``per_pupil`` rows) with those in ``who`` absent no more than ``absence_rate`` percent of
    their own possible sessions (a pupil above it has their authorised and unauthorised absence scaled down to it,
    the sessions gained counted as present), judged again. Others are unchanged."""
    out = pupils.copy()
    for column in ("present", "authorised", "unauthorised"):
        out[column] = out[column].astype(float)
    missed = absence(out)
    cap = absence_rate / 100 * out["possible"].astype(float)
    over = who.reindex(out.index).fillna(False).to_numpy(dtype=bool) & (missed > cap).to_numpy()
    scale = (cap / missed.where(missed > 0)).where(over, 1.0)
    out.loc[over, "present"] = out.loc[over, "present"] + (missed - cap)[over]
    out["authorised"] = out["authorised"] * scale
    out["unauthorised"] = out["unauthorised"] * scale
    return pupil_measures(out[["school_id", "upn", *SESSIONS]] if "school_id" in out else out[["upn", *SESSIONS]])
