"""The school profile's measures (``parameters/profile.yaml``): the data an inspector brings, worked out on the
school's own data with the IDSR's logic. Context shares with their band among all schools, a school percentage
against a national one (the gap in pupils and whether it is significant), stability (pupils who joined at a usual
time) and suspensions. Pure functions on pupil tables; nothing here predicts an Ofsted grade.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.methods.attainment import reached
from toolkit.vocabulary import year_group_number

CONTEXT = {  # measure -> what the share is of
    "fsm6": "Disadvantaged (FSM in the last 6 years)",
    "sen_support": "SEN support",
    "ehc_plan": "EHC plan",
    "eal": "English as an additional language",
    "stability": "Stability (joined at a usual time)",
}
#: The disadvantaged comparators (``settings()["achievement"]["comparators"]``), in the order a switch offers them.
COMPARATORS = ("national_other", "national_disadvantaged", "all")


def settings() -> dict:
    return parameters.load_yaml("profile.yaml")


def national() -> pd.DataFrame:
    """``parameters/profile/national.csv``: ``measure, year, group, value, unit, source, status, note``."""
    table = parameters.load_csv(settings()["national"])
    return table.assign(year=table["year"].astype(int), value=table["value"].astype(float))


def national_value(table: pd.DataFrame, measure: str, year: int, group: str = "all") -> tuple[float, int | None]:
    """The figure for ``year``, else the latest before it: (value, its year); (nan, None) where there is none."""
    rows = table[(table["measure"] == measure) & (table["group"] == group) & (table["year"] <= year)]
    if rows.empty:
        return float("nan"), None
    row = rows.sort_values("year").iloc[-1]
    return float(row["value"]), int(row["year"])


def national_context() -> dict:
    """National shares of pupil characteristics (``parameters/national/characteristics.yaml``: each a fraction with
    its status and source)."""
    return parameters.load_yaml("national/characteristics.yaml")


def context_flags(pupils: pd.DataFrame) -> pd.DataFrame:
    """Per pupil of a loaded pupil table (``fsm6`` and ``eal`` booleans, as the loader types them): ``fsm6,
    sen_support, ehc_plan, eal`` (nullable booleans; NA where the pupil file has no value)."""
    out = pd.DataFrame(index=pupils.index)
    out["fsm6"] = pupils["fsm6"].astype("boolean") if "fsm6" in pupils else pd.NA
    sen = pupils["sen"].astype("string").str.strip().str.upper() if "sen" in pupils else None
    out["sen_support"] = (sen == "K").astype("boolean") if sen is not None else pd.NA
    out["ehc_plan"] = (sen == "E").astype("boolean") if sen is not None else pd.NA
    out["eal"] = pupils["eal"].astype("boolean") if "eal" in pupils else pd.NA
    return out.astype("boolean")


def joined_usually(pupils: pd.DataFrame, academic_year: int, entry_years: list[int]) -> pd.Series:
    """Whether each pupil joined at a usual time (nullable boolean; NA without an ``entry_date``): on or before
    ``usual_by`` of the September term in which the pupil was in the school's first year group (or earlier), or
    in that term of a later entry year (``entry_years``: e.g. Year 12 of a school with a sixth form).
    ``academic_year`` is the year of the pupils' ``year_group`` (by its summer)."""
    if "entry_date" not in pupils:
        return pd.Series(pd.NA, index=pupils.index, dtype="boolean")
    month, day = (int(x) for x in str(settings()["context"]["usual_by"]).split("-"))
    entry = pd.to_datetime(pupils["entry_date"], errors="coerce")
    grade = year_group_number(pupils["year_group"]).astype(float)
    first, *later = sorted(entry_years)

    def deadline(year_group: int) -> pd.Series:  # usual_by of the autumn the pupil was in ``year_group``
        autumn = academic_year - (grade - year_group) - 1
        return pd.to_datetime(
            {"year": autumn.fillna(1900).astype(int), "month": month, "day": day}, errors="coerce"
        ).where(autumn.notna())

    usual = entry <= deadline(first)
    for year_group in later:
        autumn_start = deadline(year_group) - pd.DateOffset(months=2)  # from August of that autumn
        usual |= (grade >= year_group) & (entry >= autumn_start) & (entry <= deadline(year_group))
    return usual.astype("boolean").where(entry.notna())


def school_distribution(reference: pd.DataFrame, min_pupils: int) -> pd.DataFrame:
    """Per school of a national reference cohort (schools of ``min_pupils`` or more): the context shares and the
    KS2 expected standard in reading, writing and maths, all pupils and disadvantaged (percent). Columns
    ``school_id, pupils, fsm6, sen_support, ehc_plan, eal, ks2_rwm_expected, ks2_rwm_expected_disadvantaged``."""
    flags = context_flags(reference).astype(float)
    flags["ks2_rwm_expected"] = reached(reference, "expected")["rwm"].astype(float)
    flags["ks2_rwm_expected_disadvantaged"] = flags["ks2_rwm_expected"].where(flags["fsm6"] == 1)
    flags["school_id"] = reference["school_id"].to_numpy()
    by = flags.groupby("school_id")
    out = 100 * by.mean()
    out.insert(0, "pupils", by.size())
    return out[out["pupils"] >= min_pupils].reset_index()


def quintile_cuts(values: pd.Series) -> np.ndarray:
    """The 20th, 40th, 60th and 80th percentiles of a school-level figure (NaN left out)."""
    return np.nanpercentile(values.to_numpy(dtype=float), [20, 40, 60, 80])


def quintile(value: float, cuts: np.ndarray) -> int | None:
    """1 (lowest 20% of schools) to 5 (highest 20%); None for a missing value. A value on a cut is in the band
    below it: at the 20th percentile, a school is among the lowest 20% (with many schools at 0%, a school at 0% is
    well below average, not below)."""
    if value is None or pd.isna(value) or len(cuts) != 4 or np.isnan(cuts).any():
        return None
    return int(np.searchsorted(cuts, value, side="left")) + 1


def band(value: float, cuts: np.ndarray) -> str:
    """The context band (``context.bands``) of a school figure among all schools; '' where there is none."""
    q = quintile(value, cuts)
    return "" if q is None else settings()["context"]["bands"][q - 1]


def significance(value: float, national_value: float, pupils: int, z: float | None = None) -> str:
    """``"significantly above"``, ``"significantly below"`` or ``"not significantly different"``: a school
    percentage against a national one by the normal approximation to the binomial (``achievement.z``); '' where
    either is missing or there are no pupils."""
    if pupils <= 0 or pd.isna(value) or pd.isna(national_value):
        return ""
    z = settings()["achievement"]["z"] if z is None else z
    p = min(max(national_value / 100, 1e-9), 1 - 1e-9)
    score = (value / 100 - p) / np.sqrt(p * (1 - p) / pupils)
    if score >= z:
        return "significantly above"
    if score <= -z:
        return "significantly below"
    return "not significantly different"


def interval_significance(low: float, high: float) -> str:
    """A progress or value added score against 0, the national average, by its 95% interval: the words of
    ``significance``; '' where the interval is missing."""
    if pd.isna(low) or pd.isna(high):
        return ""
    return "significantly above" if low > 0 else "significantly below" if high < 0 else "not significantly different"


def gap_in_pupils(value: float, national_value: float, pupils: int) -> float:
    """How many of the school's ``pupils`` more (positive) or fewer would have reached the measure at the national
    rate: (school % - national %) x pupils / 100."""
    if pd.isna(value) or pd.isna(national_value):
        return float("nan")
    return (value - national_value) * pupils / 100


def suspension_measures(suspensions: pd.DataFrame, roll: int, counts: list[int] | None = None) -> pd.DataFrame:
    """A year's suspensions and permanent exclusions of one school (``upn, suspensions, permanent_exclusion`` Y or N,
    as ``inputs.suspensions`` loads them) over
    its ``roll``: ``measure, pupils, value, unit`` rows: pupils with ``n`` or more suspensions (% of the roll, for
    each of ``counts``), the suspension rate (suspensions per 100 pupils) and permanent exclusions (pupils, and per
    100 pupils)."""
    counts = settings()["behaviour"]["suspension_counts"] if counts is None else counts
    per_pupil = suspensions.groupby("upn")["suspensions"].sum()
    excluded = int((suspensions["permanent_exclusion"] == "Y").groupby(suspensions["upn"]).any().sum())
    rows = []
    for n in counts:
        pupils = int((per_pupil >= n).sum())
        rows.append({"measure": f"suspended_{n}_plus", "pupils": pupils, "value": 100 * pupils / roll, "unit": "%"})
    rows.append(
        {
            "measure": "suspension_rate",
            "pupils": int(per_pupil.sum()),
            "value": 100 * float(per_pupil.sum()) / roll,
            "unit": "per 100 pupils",
        }
    )
    rows.append(
        {
            "measure": "permanent_exclusions",
            "pupils": excluded,
            "value": 100 * excluded / roll,
            "unit": "per 100 pupils",
        }
    )
    return pd.DataFrame(rows)


def published_ks2_rwm(year: int) -> dict[str, tuple[float, int | None]]:
    """The DfE's national % reaching the expected standard in reading, writing and maths for ``year`` (else the
    latest before it) for all pupils (``parameters/national/figures.csv``), disadvantaged pupils and other pupils
    (``profile/national.csv``): comparator -> (value, its year)."""
    figures = parameters.load_csv("national/figures.csv")
    figures = figures[
        (figures["keystage"] == "KS2") & (figures["measure"] == "expected_standard") & (figures["subject"] == "rwm")
    ]
    table = pd.concat(
        [
            figures.assign(measure="ks2_rwm_expected", group="all")[["measure", "year", "group", "value"]],
            national()[["measure", "year", "group", "value"]],
        ]
    ).astype({"year": int, "value": float})
    return {
        "all": national_value(table, "ks2_rwm_expected", year, "all"),
        "national_other": national_value(table, "ks2_rwm_expected", year, "not_disadvantaged"),
        "national_disadvantaged": national_value(table, "ks2_rwm_expected", year, "disadvantaged"),
    }
