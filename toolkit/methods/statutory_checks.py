"""The statutory checks below Year 6, as the DfE reports them (``parameters/statutory/checks.yaml``):

- **phonics** (Year 1, 40 words; the Year 2 re-check for those who did not meet the standard): a pupil meets the
  standard with a mark at or above the year's threshold (32) or the outcome WA; the share met is of the pupils in
  the year group less those who left (absent, disapplied and maladministration count as not met). By the end of
  Year 2: the pupils of the Year 2 cohort who met it in Year 1 or at the re-check.
- **multiplication tables check** (Year 4, 25 questions): the average score of the pupils who took it; full marks
  and 20 or more as shares of every eligible pupil (those who did not take it included); the distribution 0-25.
- **EYFS good level of development**: the expected level in every goal of the prime areas, literacy and
  mathematics (``toolkit.scales.eyfs``), and the average number of the 17 goals at the expected level.

Each takes the long ``statutory_checks`` table (``upn, check, academic_year, mark, outcome``: the CTF import writes
it) or the pupil table, and returns plain numbers; groups are ``breakdown``-style frames.
"""

from __future__ import annotations

import pandas as pd

from toolkit import parameters
from toolkit.methods.profile import national_value
from toolkit.scales import eyfs


def settings() -> dict:
    return parameters.load_yaml("statutory/checks.yaml")


def national() -> pd.DataFrame:
    """``parameters/statutory/national.csv``: the DfE's national figures with their sources."""
    table = parameters.load_csv("statutory/national.csv")
    table["year"] = table["year"].astype(int)
    table["value"] = table["value"].astype(float)
    return table


def threshold(year: int) -> int:
    """The phonics threshold of ``year`` (the DfE publishes it each June)."""
    by_year = settings()["phonics"]["threshold"]
    return int(by_year.get(year, by_year["default"]))


def phonics_met(checks: pd.DataFrame) -> pd.DataFrame:
    """Per phonics row (``upn, academic_year, mark, outcome``): ``counted`` (in the denominator) and ``met``."""
    rules = settings()["phonics"]
    outcome = checks["outcome"].astype("string").str.upper()
    mark = pd.to_numeric(checks["mark"], errors="coerce")
    cut = checks["academic_year"].astype(int).map(threshold)
    met = outcome.isin(rules["met"]).fillna(False) | (mark >= cut).fillna(False)
    counted = ~(
        outcome.isin(rules["not_counted"]).fillna(False)
        | checks["mark"].astype("string").str.upper().isin(rules["not_counted"]).fillna(False)
    )
    return checks.assign(met=met.to_numpy(dtype=bool), counted=counted.to_numpy(dtype=bool))


def phonics_rate(checks: pd.DataFrame) -> dict:
    """The share of counted pupils who met the phonics standard: ``pupils``, ``met``, ``percent``."""
    judged = phonics_met(checks)
    counted = judged[judged["counted"]]
    n = len(counted)
    return {
        "pupils": n,
        "met": int(counted["met"].sum()),
        "percent": 100 * counted["met"].mean() if n else float("nan"),
    }


def phonics_by_end_of_year2(year1: pd.DataFrame, year2: pd.DataFrame, cohort: pd.Series) -> dict:
    """The Year 2 cohort's (``cohort``: its UPNs) share who met the phonics standard in Year 1 (``year1``'s rows) or
    at the re-check (``year2``'s rows): ``pupils``, ``met``, ``percent``. A pupil with neither is not met."""
    met = set(phonics_met(year1).query("met")["upn"]) | set(phonics_met(year2).query("met")["upn"])
    left = set(phonics_met(pd.concat([year1, year2])).query("not counted")["upn"]) - met
    pupils = [u for u in cohort if u not in left]
    n = len(pupils)
    reached = sum(u in met for u in pupils)
    return {"pupils": n, "met": reached, "percent": 100 * reached / n if n else float("nan")}


def mtc_measures(checks: pd.DataFrame) -> dict:
    """Multiplication tables check: ``eligible`` pupils, ``took`` (a score), ``average`` (of those who took it),
    ``full_marks`` and ``high`` (20 or more) as % of the eligible, and ``distribution`` (pupils per score 0-25)."""
    rules = settings()["mtc"]
    code = checks["mark"].astype("string").str.upper()
    eligible = checks[~code.isin(rules["not_eligible"]).fillna(False)]
    score = pd.to_numeric(eligible["mark"], errors="coerce")
    took = score.notna()
    n = len(eligible)
    return {
        "eligible": n,
        "took": int(took.sum()),
        "average": float(score[took].mean()) if took.any() else float("nan"),
        "full_marks": 100 * float((score == rules_marks()).sum()) / n if n else float("nan"),
        "high": 100 * float((score >= rules["high_score"]).sum()) / n if n else float("nan"),
        "distribution": score[took].astype(int).value_counts().reindex(range(rules_marks() + 1), fill_value=0),
    }


def rules_marks() -> int:
    return int(settings()["mtc"]["marks"])


def gld(pupils: pd.DataFrame) -> dict:
    """EYFS profile: the share with a good level of development and the average number of goals at the expected
    level, of the pupils with a profile (every goal recorded; A, not assessed, counts as not expected)."""
    goals = eyfs.goal_columns()
    assessed = pupils[pupils[goals].notna().all(axis=1)]
    n = len(assessed)
    if not n:
        return {"pupils": 0, "gld": float("nan"), "average_goals": float("nan")}
    reached = eyfs.good_level_of_development(assessed)
    expected = (assessed[goals] == "expected").sum(axis=1) + (assessed[goals] == "exceeding").sum(axis=1)
    return {"pupils": n, "gld": 100 * float(reached.mean()), "average_goals": float(expected.mean())}


#: Each headline measure of a check: how a group's figure is made from its pupils' (``pupil_measures``):
#: ``scale`` x the sum of the pupils' values over the pupils it counts.
HEADLINE = {
    "eyfs": {"good_level_of_development": 100},
    "phonics": {"year1_met": 100},
    "mtc": {"average_score": 1, "full_marks": 100},
}


def pupil_measures(check: str, rows: pd.DataFrame | None, cohort: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per pupil (index ``upn``) of one check's rows (``cohort``: the EYFS pupils), for each headline measure ``m``
    (``HEADLINE``): ``n_<m>`` whether the pupil counts and ``x_<m>`` the pupil's value, so that any group's figure is
    ``group_measures``'s sum over its pupils: the same rules as ``phonics_rate``, ``mtc_measures`` and ``gld``."""
    if check == "eyfs":
        goals = eyfs.goal_columns()
        assessed = cohort[goals].notna().all(axis=1)
        reached = pd.Series(False, index=cohort.index)
        if assessed.any():
            reached[assessed] = eyfs.good_level_of_development(cohort[assessed]).to_numpy(dtype=bool)
        return pd.DataFrame(
            {"n_good_level_of_development": assessed.to_numpy(), "x_good_level_of_development": reached.to_numpy()},
            index=cohort["upn"].to_numpy(),
        )
    if check == "phonics":
        judged = phonics_met(rows)
        return pd.DataFrame(
            {"n_year1_met": judged["counted"].to_numpy(), "x_year1_met": judged["met"].to_numpy()},
            index=rows["upn"].to_numpy(),
        )
    rules = settings()["mtc"]
    eligible = ~rows["mark"].astype("string").str.upper().isin(rules["not_eligible"]).fillna(False)
    score = pd.to_numeric(rows["mark"], errors="coerce")
    return pd.DataFrame(
        {
            "n_average_score": score.notna().to_numpy(),
            "x_average_score": score.fillna(0).to_numpy(dtype=float),
            "n_full_marks": eligible.to_numpy(dtype=bool),
            "x_full_marks": (score == rules_marks()).fillna(False).to_numpy(dtype=bool),
        },
        index=rows["upn"].to_numpy(),
    )


def group_measures(check: str, table: pd.DataFrame, mask=None) -> dict[str, tuple[float, int]]:
    """measure -> (value, pupils) of the pupils of ``table`` (``pupil_measures``) chosen by ``mask`` (all)."""
    chosen = table if mask is None else table[mask]
    out = {}
    for measure, scale in HEADLINE[check].items():
        counts = chosen[f"n_{measure}"].to_numpy(dtype=bool)
        n = int(counts.sum())
        total = float(chosen[f"x_{measure}"].to_numpy(dtype=float)[counts].sum())
        out[measure] = (scale * total / n if n else float("nan"), n)
    return out


def national_figure(table: pd.DataFrame, check: str, measure: str, year: int, group: str = "all"):
    """The DfE's figure (``national()``) of a check's measure and group for ``year``, else its latest before it:
    (value, its year); (nan, None) where there is none."""
    return national_value(table[table["check"] == check], measure, year, group)
