"""The DfE's KS2-KS4 transition matrices, in the two layouts the DfE has published them in, turned into the
toolkit's parameter tables (``toolkit reference import --kind transition``).

- **The statistics release layout** (2023/24 on, explore-education-statistics): ``..._GCSE subjects.csv`` with
  ``ks2_scaled_score_group``, ``subject``, ``breakdown_topic`` and counts ``num_U``, ``num_1`` ... ``num_9`` (a
  combined science row holds its grade pairs in ``num_11`` ... ``num_99``, ``num_UU``), and ``..._KS4 measures.csv``
  with ``Entered_for_EBacc``, ``Not_Entered`` and the percentages per KS2 group.
- **The dashboard's tidy layout** (2020/21 to 2022/23, ``<year>_Tidy_Data_Output_*.csv``): ``KS2_Prior``,
  ``characteristic_type``; grades of every GCSE subject in the ``91_Scaled_Scores`` file (``subjects``), combined
  science pairs in its own ``Comb_Science`` file, the headline measures in the ``Attainment`` file. These years
  publish no "No scaled score" group and no Total row (the Total row is summed from the groups).

Only the all-pupils rows are read (breakdown Total / characteristic All Pupils). A count the DfE suppressed ("z",
"c", "x") is a missing value. Output: ``TRANSITION_COLUMNS`` and ``GROUP_COLUMNS`` as in
``parameters/ks4/transition_2024.csv`` and ``ks2_groups_2024.csv``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.inputs.load import read_table
from toolkit.inputs.problems import Problem, PupilDataError

GRADES = ["U", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
PAIRS = ["11", "21", "22", "32", "33", "43", "44", "54", "55", "65", "66", "76", "77", "87", "88", "98", "99", "UU"]
COMBINED = "Combined Science"
TRANSITION_COLUMNS = ["ks2_group", "subject", "entries", *(f"g_{g}" for g in GRADES), *(f"pair_{p}" for p in PAIRS)]
GROUP_COLUMNS = ["ks2_group", "low", "high", "pupils", "pct_ebacc_entered", "pct_basics_4", "pct_basics_5"]
NO_SCORE, TOTAL = "No scaled score", "Total"
NOT_A_MATRIX = (
    "Not one of the DfE's transition-matrix files: expected the GCSE subjects (num_U ... num_9 per KS2 group), the "
    "combined science pairs (num_11 ... num_UU) or the KS4 measures (EBacc entered, Basics)"
)
NOT_APPLICABLE = "z"  # the DfE's code for a count that does not apply (a combined science row's single grades): 0
SUPPRESSED = ["c", "x", "low"]  # the DfE's codes for a count not published: missing

#: The measures file's columns in each layout -> entered, not entered, % entered, % basics 9-4, % basics 9-5.
MEASURES = {
    "release": ["Entered_for_EBacc", "Not_Entered", "%_Entered_for_EBacc", "%_Basics_9-4_Achieved",
                "%_Basics_9-5_Achieved"],
    "tidy": ["EBacc_all_Entered", "EBacc_all_Not_Entered", "EBacc_all_perc_Entered", "Basics_9-4_perc_Achieved",
             "Basics_9-5_perc_Achieved"],
}  # fmt: skip
ACHIEVED = ["Basics_9-4_Achieved", "Basics_9-5_Achieved"]  # counts, both layouts (for a Total row summed here)


@dataclass
class Matrices:
    """One year's matrices as parameter tables, what each file was read as, and what the year lacks."""

    transition: pd.DataFrame
    groups: pd.DataFrame
    read_as: dict[str, str] = field(default_factory=dict)  # file name -> what it was read as
    lacks: list[str] = field(default_factory=list)
    summed_total: bool = False  # the layout has no Total row: it is summed from the groups


def _kind(frame: pd.DataFrame) -> str | None:
    """What a file of the DfE's is, by its columns."""
    columns = set(frame.columns)
    if {"ks2_scaled_score_group", "subject", "num_U"} <= columns:
        return "release grades"
    if {"KS2_Prior", "subjects", "num_U"} <= columns:
        return "tidy grades"
    if {"KS2_Prior", "num_11", "num_UU"} <= columns and "subjects" not in columns:
        return "tidy combined science"
    if set(MEASURES["release"]) <= columns:
        return "release measures"
    if set(MEASURES["tidy"]) <= columns:
        return "tidy measures"
    return None


def _all_pupils(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The all-pupils rows (national, all state-funded where the file says), the KS2 group in ``ks2_group``."""
    if kind.startswith("release"):
        keep = frame["breakdown_topic"].eq("Total")
        if "establishment_type_group" in frame:
            keep &= frame["establishment_type_group"].eq("All state-funded")
        group = "ks2_scaled_score_group"
    else:
        keep = frame["characteristic_type"].eq("All Pupils")
        group = "KS2_Prior"
    if "geographic_level" in frame:
        keep &= frame["geographic_level"].eq("National")
    return frame[keep.fillna(False)].rename(columns={group: "ks2_group"})


def _counts(frame: pd.DataFrame, columns: list[str], path: Path) -> pd.DataFrame:
    """Counts as numbers: the DfE's z (not applicable) 0, its c, x and low (not published) missing, anything else a
    sentence."""
    cells = frame[columns].apply(lambda c: c.mask(c.str.lower().eq(NOT_APPLICABLE), "0"))
    suppressed = cells.apply(lambda c: c.str.lower().isin(SUPPRESSED))
    out = cells.mask(suppressed).apply(pd.to_numeric, errors="coerce")
    wrong = out.isna() & cells.notna() & ~suppressed
    problems = [
        Problem("A count must be a number (or the DfE's z, c, x)", c, [int(i) + 2 for i in frame.index[wrong[c]]])
        for c in columns
        if wrong[c].any()
    ]
    if problems:
        raise PupilDataError(path, problems)
    return out


def _grades(frame: pd.DataFrame, path: Path, subject_column: str | None) -> pd.DataFrame:
    grade_columns = [f"num_{g}" for g in GRADES]
    pair_columns = [f"num_{p}" for p in PAIRS]
    subject = frame[subject_column] if subject_column else COMBINED
    out = pd.DataFrame({"ks2_group": frame["ks2_group"], "subject": subject})
    if subject_column:
        out[[f"g_{g}" for g in GRADES]] = _counts(frame, grade_columns, path).to_numpy()
    present = [c for c in pair_columns if c in frame]
    pairs = _counts(frame, present, path) if present else pd.DataFrame(index=frame.index)
    for p in PAIRS:
        out[f"pair_{p}"] = pairs[f"num_{p}"] if f"num_{p}" in pairs else np.nan
    return out


def _bounds(label: str) -> tuple[float, float]:
    """A KS2 group's bounds from its label: "Less than 80" -> (NaN, 79.5), "96 - 99.5" -> (96, 99.5)."""
    if m := re.fullmatch(r"\s*Less than\s+([\d.]+)\s*", label):
        return np.nan, float(m[1]) - 0.5
    if m := re.fullmatch(r"\s*([\d.]+)\s*-\s*([\d.]+)\s*", label):
        return float(m[1]), float(m[2])
    return np.nan, np.nan


def _measures(frame: pd.DataFrame, layout: str, path: Path) -> pd.DataFrame:
    entered, not_entered, pct_entered, pct_4, pct_5 = MEASURES[layout]
    numbers = _counts(frame, [entered, not_entered, pct_entered, pct_4, pct_5, *ACHIEVED], path)
    out = pd.DataFrame({"ks2_group": frame["ks2_group"]})
    out["pupils"] = numbers[entered] + numbers[not_entered]
    for name, column in zip(GROUP_COLUMNS[4:], (pct_entered, pct_4, pct_5)):
        out[name] = numbers[column]
    if TOTAL not in set(out["ks2_group"]):  # the tidy layout has none: summed from the groups, shares from counts
        total = numbers.sum()
        pupils = total[entered] + total[not_entered]
        shares = [round(100 * total[c] / pupils, 1) for c in (entered, *ACHIEVED)]
        out = pd.concat(
            [out, pd.DataFrame([[TOTAL, pupils, *shares]], columns=["ks2_group", "pupils", *GROUP_COLUMNS[4:]])]
        )
    bounds = [_bounds(g) for g in out["ks2_group"]]
    out["low"], out["high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    return out[GROUP_COLUMNS].reset_index(drop=True)


def read_matrices(paths: list[Path | str]) -> Matrices:
    """One year's matrices from the DfE's files (any order; each recognised by its columns): the grades of every
    GCSE subject and the KS4 measures are needed, a separate combined science file where the year has one."""
    grades, measures, read_as = [], None, {}
    for path in map(Path, paths):
        frame = read_table(path, ())
        kind = _kind(frame)
        if kind is None:
            raise PupilDataError(path, [Problem(NOT_A_MATRIX)])
        rows = _all_pupils(frame, kind)
        if rows.empty:
            raise PupilDataError(path, [Problem("No all-pupils rows (breakdown Total, or characteristic All Pupils)")])
        read_as[path.name] = kind
        if kind.endswith("measures"):
            measures = _measures(rows, kind.split()[0], path)
        else:
            grades.append(_grades(rows, path, {"release grades": "subject", "tidy grades": "subjects"}.get(kind)))
    needed = {"the GCSE subjects file": bool(grades), "the KS4 measures file": measures is not None}
    missing = [what for what, have in needed.items() if not have]
    if missing:
        raise PupilDataError(Path(paths[0]), [Problem(f"Also give {' and '.join(missing)} of the same year")])
    table = pd.concat(grades, ignore_index=True)
    table = table.groupby(["ks2_group", "subject"], sort=False, as_index=False).first()  # a pairs file fills CS
    g = table[[f"g_{x}" for x in GRADES]]
    pairs = table[[f"pair_{p}" for p in PAIRS]]
    paired = table["subject"].eq(COMBINED) & pairs.notna().all(axis=1)
    table["entries"] = np.where(paired, pairs.sum(axis=1), g.sum(axis=1, min_count=1))
    lacks = []
    if NO_SCORE not in set(measures["ks2_group"]):
        lacks.append(f"no '{NO_SCORE}' group (pupils without KS2 are estimated from all pupils' shares)")
    if table.loc[table["subject"].eq(COMBINED), "pair_44"].isna().all():
        lacks.append("no combined science grade pairs (combined science is estimated from all GCSE subjects)")
    summed = "tidy measures" in read_as.values()
    return Matrices(table[TRANSITION_COLUMNS], measures, read_as, lacks, summed)


def names(year: int) -> tuple[str, str]:
    """The parameter files of the matrices of KS4 ``year`` (its summer)."""
    return f"ks4/transition_{year}.csv", f"ks4/ks2_groups_{year}.csv"
