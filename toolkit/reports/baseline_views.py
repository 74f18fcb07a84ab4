"""What the KS2 fine points and Progress 8 baseline report shows (notebooks/ks2_baseline.ipynb): the values and the
seed-004 rule behind each pupil's, computed once by ``prepare`` with ``toolkit.methods.ks2_baseline``."""

from __future__ import annotations

import pandas as pd

from toolkit.reports import charts
from toolkit.reports.display import heading, note, show_figure, show_table
from toolkit.reports.formats import one_decimal, two_decimals, whole
from toolkit.reports.headings import headed
from toolkit.reports.views import School
from toolkit.vocabulary import academic_year


def baseline_year(school: School) -> int | None:
    years = school.info.get("baseline_years") or []
    return max(years) if years else None


def cohort_label(school: School) -> str:
    year = baseline_year(school)
    return f"Years 7-11 in {academic_year(year)}" if year else "no old-style KS2 results"


def _result(level: pd.Series, mark: pd.Series, ta: pd.Series) -> pd.Series:
    """ "4 / 52 / TA 4": level, test mark and teacher assessment as the school recorded them."""
    m = mark.map(lambda v: "" if pd.isna(v) else f"{v:g}")
    t = ta.map(lambda v: "no TA" if pd.isna(v) else f"TA {v}")
    return level.fillna("-").astype(str) + " / " + m + " / " + t


def summary(b: pd.DataFrame) -> pd.DataFrame:
    """Per year group: pupils, KS2 year, mean fine points, mean baseline, pupils without one, exceptions applied."""
    standard = b["english_rule"].str.contains("standard formula") & b["maths_rule"].str.contains("standard formula")
    g = b.assign(exception=~standard.fillna(False)).groupby("year_group")
    out = g.agg(
        pupils=("upn", "size"),
        ks2_year=("ks2_year", "max"),
        english=("english_fine_points", "mean"),
        maths=("maths_fine_points", "mean"),
        p8=("p8_baseline", "mean"),
        without=("p8_baseline", lambda s: int(s.isna().sum())),
        exceptions=("exception", "sum"),
    ).reset_index()
    return out.pipe(
        headed,
        {
            "ks2_year": "KS2 year",
            "english": "English fine points",
            "maths": "Maths fine points",
            "p8": "P8 baseline",
            "without": "No baseline",
            "exceptions": "Exception rules",
        },
    )


def rules_applied(b: pd.DataFrame) -> pd.DataFrame:
    """How many results each kind of rule applied to (the rule text before its details)."""
    rules = pd.concat(
        [
            b["english_rule"].rename("rule").to_frame().assign(subject="English"),
            b["maths_rule"].rename("rule").to_frame().assign(subject="Maths"),
        ]
    )
    kind = rules["rule"].str.replace(r"Level \d, mark [\d.]+ in [\d.]+-[\d.]+", "Level 3-5 with a mark", regex=True)
    level6 = rules["rule"].str.contains("level 6 test ignored", regex=False)
    kind = kind.str.replace(r";.*$| \(.*$", "", regex=True) + level6.map({True: " (level 6 test ignored)", False: ""})
    return (
        rules.assign(kind=kind)
        .groupby(["kind", "subject"])
        .size()
        .unstack(fill_value=0)
        .reset_index()
        .rename(columns={"kind": "Rule"})
    )


def pupil_table(b: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "Pupil": (b["forename"] + " " + b["surname"]).to_numpy(),
            "English": _result(b["ks2_english_level"], b["ks2_english_mark"], b["ks2_english_ta"]).to_numpy(),
            "Eng FP": b["english_fine_points"].to_numpy(),
            "Eng level": b["english_fine_level"].to_numpy(),
            "Maths": _result(b["ks2_maths_level"], b["ks2_maths_mark"], b["ks2_maths_ta"]).to_numpy(),
            "Maths FP": b["maths_fine_points"].to_numpy(),
            "Maths level": b["maths_fine_level"].to_numpy(),
            "P8 baseline": b["p8_baseline"].to_numpy(),
            "Rule applied": ("English: " + b["english_rule"] + ". Maths: " + b["maths_rule"] + ".").to_numpy(),
        }
    )
    return out


def baseline_report(school: School) -> None:
    year = baseline_year(school)
    if year is None:
        note("No old-style KS2 results: this report needs a ks2_levels_<year>.csv file.")
        return
    b = school.table(f"ks2_baseline_{year}")
    heading(f"Years 7-11 in {academic_year(year)}: fine points and Progress 8 baseline")
    fp = two_decimals
    show_table(
        summary(b),
        {
            "English fine points": fp,
            "Maths fine points": fp,
            "P8 baseline": one_decimal,
            "Pupils": whole,
            "KS2 year": whole,
            "No baseline": whole,
            "Exception rules": whole,
        },
    )
    note(
        "Fine grade = level + (mark - level minimum) / (level maximum - level minimum + 1), rounded to 2 dp; fine "
        "points = 6 x fine grade; P8 baseline = mean of English and maths fine points / 6, to 1 dp (the fine-points rule). "
        "Mark ranges: parameters/scales/ks2_level_thresholds.csv."
    )
    show_figure(charts.baseline_distribution(b, f"Progress 8 baseline by year group ({academic_year(year)})"))
    heading("Rules applied", 3)
    table = rules_applied(b)
    show_table(table, {c: whole for c in table.columns if c != "Rule"})
    note(
        "Each pupil's results, fine points, fine levels, P8 baseline and the rule applied are in the per-pupil "
        "appendix (PDF and spreadsheet)."
    )
