"""KS2 fine points, fine levels and the Progress 8 baseline for pupils with old-style KS2 results (levels and test
marks, before 2016), each pupil with the rule of seed 004 that was applied. The arithmetic is
``toolkit.scales.fine_points``; mark ranges per level come from ``parameters/scales/ks2_level_thresholds.csv``.

Input columns (pupil table, docs/data_model.md): ``ks2_year`` and, for English and maths, ``ks2_<s>_level``
(N, 2-5: the standard test), ``ks2_<s>_mark``, ``ks2_<s>_ta`` (W, 1-6, A, D) and ``ks2_<s>_level6`` (ignored);
from KS2 2012 (Year 11 in 2016/17 and later, seed 004) ``ks2_reading_level`` and ``ks2_reading_mark`` give the
English fine points in place of the English test (``parameters/scales/ks2_level_thresholds.csv``: reading rows;
the first KS2 year is ``reading_mark_from_ks2_year`` in ``parameters/ks2_baseline.yaml``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.scales.fine_points import fine_level, ks2_fine_points, p8_baseline
from toolkit.vocabulary import OLD_KS2_SUBJECTS

TA_LEVELS = {"W", "1", "2", "3", "4", "5", "6"}  # A (absent) and D (disapplied) are no teacher assessment


def thresholds() -> pd.DataFrame:
    """``ks2_year, subject, level, min_mark, max_mark, status, source`` ("default" rows apply to any year)."""
    t = parameters.load_csv("scales/ks2_level_thresholds.csv")
    return t.astype({"level": int, "min_mark": float, "max_mark": float})


def mark_range(table: pd.DataFrame, ks2_year: object, subject: str, level: int) -> tuple[float, float]:
    """The mark range of a level in a year (the year's own row, else the default; the first such row). The table's
    rows are indexed once (kept in ``table.attrs``): a cohort asks for a range per pupil."""
    ranges = table.attrs.get("mark_ranges")
    if ranges is None:
        ranges = {}
        for r in table.itertuples():
            ranges.setdefault((str(r.ks2_year), r.subject, int(r.level)), (float(r.min_mark), float(r.max_mark)))
        table.attrs["mark_ranges"] = ranges
    own = ranges.get((str(ks2_year), subject, int(level)))
    return own if own is not None else ranges[("default", subject, int(level))]


def _fmt(x: float) -> str:
    return f"{x:g}"


def subject_points(
    level: object, mark: object, ta: object, level6: object, ks2_year: object, subject: str, table: pd.DataFrame
) -> tuple[float | None, str]:
    """Fine points of one pupil's English or maths result and the seed-004 rule that gave them."""
    lvl = None if pd.isna(level) else str(level).strip().upper()
    ta_key = None if pd.isna(ta) or str(ta).strip().upper() not in TA_LEVELS else str(ta).strip().upper()
    note = " (level 6 test ignored: standard test used)" if not pd.isna(level6) and bool(level6) else ""
    if lvl is None:
        return None, "No KS2 level: no fine points" + note
    if lvl == "N":
        if ta_key is None:
            return None, "Level N without a teacher assessment: no fine points; left out of the P8 baseline" + note
        points = ks2_fine_points("N", None, ta=ta_key)
        return points, f"Level N with TA {ta_key}: default points {_fmt(points)}" + note
    lv = int(lvl)
    if pd.isna(mark):
        return None, f"Level {lv} without a test mark: no fine points" + note
    mark = float(mark)
    if lv == 2 and ta_key is not None:
        if ta_key in ("W", "1", "2"):
            points = ks2_fine_points(2, mark, ta=ta_key)
            return points, f"Test level 2 with TA {ta_key}: fixed {_fmt(points)} points" + note
        lo2, hi2 = mark_range(table, ks2_year, subject, 2)
        lo3, hi3 = mark_range(table, ks2_year, subject, 3)
        points = ks2_fine_points(2, mark, ta=ta_key, level2_min=lo2, level2_max=hi2, level3_min=lo3, level3_max=hi3)
        clamp = (
            f"; mark {_fmt(mark)} raised to the level-2 minimum {_fmt(lo2)}"
            if mark < lo2
            else f"; mark {_fmt(mark)} lowered to the level-2 maximum {_fmt(hi2)}"
            if mark > hi2
            else ""
        )
        return points, f"Test level 2 with TA {ta_key}: level-3 formula{clamp}" + note
    lo, hi = mark_range(table, ks2_year, subject, lv)
    points = ks2_fine_points(lv, mark, lo, hi)
    outside = "" if lo <= mark <= hi else f" (mark {_fmt(mark)} outside the level {lv} range: check the data)"
    return points, f"Level {lv}, mark {_fmt(mark)} in {_fmt(lo)}-{_fmt(hi)}: standard formula{outside}" + note


def english_source(pupils: pd.DataFrame) -> pd.Series:
    """True where a pupil's English fine points come from the reading test (seed 004: KS2 from 2012, i.e. Year 11
    in 2016/17 and later, with a reading level given)."""
    first = int(parameters.load_yaml("ks2_baseline.yaml")["reading_mark_from_ks2_year"])
    year = (
        pd.to_numeric(pupils["ks2_year"], errors="coerce")
        if "ks2_year" in pupils
        else pd.Series(np.nan, index=pupils.index)
    )
    has = pupils["ks2_reading_level"].notna() if "ks2_reading_level" in pupils else pd.Series(False, index=pupils.index)
    return (year >= first).fillna(False).astype(bool) & has.astype(bool)


def baseline(pupils: pd.DataFrame) -> pd.DataFrame:
    """Per pupil: ``upn``, and per subject ``<s>_fine_points``, ``<s>_fine_level``, ``<s>_rule``; then
    ``p8_baseline`` (mean of the available fine points / 6, 1 dp)."""
    table = thresholds()
    out = pd.DataFrame({"upn": pupils["upn"].to_numpy()}, index=pupils.index)
    year = pupils["ks2_year"] if "ks2_year" in pupils else pd.Series("default", index=pupils.index)
    for s in OLD_KS2_SUBJECTS:
        cols = {
            k: pupils[f"ks2_{s}_{k}"] if f"ks2_{s}_{k}" in pupils else pd.Series(pd.NA, index=pupils.index)
            for k in ("level", "mark", "ta", "level6")
        }
        results = [
            subject_points(lv, mk, ta, l6, yr, s, table)
            for lv, mk, ta, l6, yr in zip(cols["level"], cols["mark"], cols["ta"], cols["level6"], year)
        ]
        if s == "english":
            reading = english_source(pupils)
            for i in np.flatnonzero(reading.to_numpy()):
                row = pupils.iloc[i]
                points, rule = subject_points(
                    row["ks2_reading_level"],
                    row.get("ks2_reading_mark"),
                    cols["ta"].iloc[i],
                    pd.NA,
                    year.iloc[i],
                    "reading",
                    table,
                )
                results[i] = (points, f"Reading test (KS2 {year.iloc[i]}, Year 11 from 2016/17): " + rule)
        out[f"{s}_fine_points"] = pd.array([r[0] for r in results], dtype="Float64")
        out[f"{s}_fine_level"] = pd.array([fine_level(r[0]) for r in results], dtype="string")
        out[f"{s}_rule"] = pd.array([r[1] for r in results], dtype="string")
    out["p8_baseline"] = pd.array(
        [
            p8_baseline(None if pd.isna(e) else e, None if pd.isna(m) else m)
            for e, m in zip(out["english_fine_points"], out["maths_fine_points"])
        ],
        dtype="Float64",
    )
    return out
