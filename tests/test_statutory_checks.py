"""The statutory checks below Year 6, hand-worked: phonics (threshold, codes that are not results, the Year 2
cumulative figure), the multiplication tables check (average of takers, shares of the eligible) and the EYFS good
level of development; the national figures carry their sources."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.methods import statutory_checks as checks
from toolkit.scales import eyfs


def _phonics(rows):
    return pd.DataFrame(rows, columns=["upn", "academic_year", "mark", "outcome"])


def test_phonics_met_at_the_threshold_and_codes_that_are_not_results():
    year1 = _phonics(
        [
            ("A", 2026, "32", "WA"),  # at the threshold: met
            ("B", 2026, "31", "WT"),  # one below: not met
            ("C", 2026, "40", None),  # a mark alone: met
            ("D", 2026, "A", "A"),  # absent: counted, not met
            ("E", 2026, "D", "D"),  # disapplied: counted, not met
            ("F", 2026, "L", "L"),  # left: in no denominator
        ]
    )
    rate = checks.phonics_rate(year1)
    assert (rate["pupils"], rate["met"]) == (5, 2) and rate["percent"] == 40
    assert checks.threshold(2026) == 32


def test_phonics_by_the_end_of_year_2_counts_the_recheck():
    year1 = _phonics(
        [("A", 2025, "35", "WA"), ("B", 2025, "20", "WT"), ("C", 2025, "28", "WT"), ("D", 2025, "30", "WT")]
    )
    year2 = _phonics([("B", 2026, "33", "WA"), ("C", 2026, "29", "WT"), ("D", 2026, "L", "L")])
    cohort = pd.Series(["A", "B", "C", "D", "E"])  # E joined in Year 2 with no result: not met
    rate = checks.phonics_by_end_of_year2(year1, year2, cohort)
    assert (rate["pupils"], rate["met"]) == (4, 2) and rate["percent"] == 50  # A in Year 1, B at the re-check; D left


def test_mtc_average_of_takers_and_shares_of_the_eligible():
    rows = pd.DataFrame({"upn": list("ABCDEF"), "mark": ["25", "25", "20", "10", "A", "L"]})
    m = checks.mtc_measures(rows)
    assert (m["eligible"], m["took"]) == (5, 4)  # F left: not eligible; E absent: eligible, did not take it
    assert m["average"] == pytest.approx((25 + 25 + 20 + 10) / 4)  # 20.0: takers only
    assert m["full_marks"] == 40 and m["high"] == 60  # 2 and 3 of the 5 eligible
    assert m["distribution"][25] == 2 and m["distribution"].sum() == 4


def test_a_groups_figure_comes_from_its_pupils_by_the_same_rules():
    """pupil_measures + group_measures (how the stage works out every group) give the whole check's figures of
    phonics_rate and mtc_measures, and a group's figure is that of its own rows."""
    year1 = _phonics(
        [("A", 2026, "32", "WA"), ("B", 2026, "31", "WT"), ("C", 2026, "40", None), ("D", 2026, "A", "A"),
         ("E", 2026, "D", "D"), ("F", 2026, "L", "L")]
    )  # fmt: skip
    table = checks.pupil_measures("phonics", year1)
    assert checks.group_measures("phonics", table) == {"year1_met": (40.0, 5)}  # as phonics_rate: 2 of 5
    boys = table.index.isin(["A", "B", "F"])
    assert checks.group_measures("phonics", table, boys) == {"year1_met": (50.0, 2)}  # F left: not counted
    mtc = pd.DataFrame({"upn": list("ABCDEF"), "mark": ["25", "25", "20", "10", "A", "L"]})
    whole = checks.group_measures("mtc", checks.pupil_measures("mtc", mtc))
    assert whole == {"average_score": (20.0, 4), "full_marks": (40.0, 5)}  # as mtc_measures: takers; eligible


def test_good_level_of_development_needs_every_prime_literacy_and_maths_goal():
    goals = eyfs.goal_columns()
    all_expected = dict.fromkeys(goals, "expected")
    one_short = {**all_expected, "eyfs_number": "emerging"}  # maths goal: not a GLD
    outside = {**all_expected, "eyfs_materials": "emerging"}  # expressive arts: not in the GLD, still a GLD
    absent = {**all_expected, "eyfs_listening": "A"}
    pupils = pd.DataFrame([all_expected, one_short, outside, absent, dict.fromkeys(goals, None)])
    result = checks.gld(pupils)
    assert result["pupils"] == 4 and result["gld"] == 50  # the first and third; the last has no profile
    assert result["average_goals"] == pytest.approx((17 + 16 + 16 + 16) / 4)


def test_the_national_figures_carry_their_sources():
    table = checks.national()
    assert (table["source"].str.startswith("http")).all() and set(table["status"]) <= {
        "published",
        "derived",
        "unverified",
    }
    y1 = table.query("check == 'phonics' and year == 2025 and measure == 'year1_met' and group == 'all'")
    mtc = table.query("check == 'mtc' and year == 2025 and measure == 'average_score' and group == 'all'")
    assert y1["value"].item() == 80 and mtc["value"].item() == 21.0


def test_synthetic_checks_are_within_a_point_of_the_dfes_national_figures(national_200k):
    import numpy as np

    from toolkit.synth.checks import mtc, phonics

    pupils = national_200k.pupils.head(60_000)
    rng = np.random.default_rng(3)
    marks = phonics(rng, pupils, 2025)
    year1, recheck = marks[marks["academic_year"] == 2025], marks[marks["academic_year"] == 2026]
    assert abs(checks.phonics_rate(year1)["percent"] - 80) < 1  # the DfE's 2025 figure
    assert abs(checks.phonics_by_end_of_year2(year1, recheck, pupils["upn"])["percent"] - 89) < 1  # 2024's
    disadvantaged = year1["upn"].map(pupils.set_index("upn")["fsm6"]).astype(bool).to_numpy()
    assert abs(checks.phonics_rate(year1[disadvantaged])["percent"] - 68) < 1.5  # 2024: 68 against 84
    scores = checks.mtc_measures(mtc(rng, pupils, 2025))
    assert abs(scores["average"] - 21.0) < 0.3 and abs(scores["full_marks"] - 37) < 1  # the DfE's 2025 figures


@pytest.mark.slow
def test_every_year_by_group_with_term_of_birth_and_the_latest_spread(pack, two):
    """Three years of each check by pupil group (term of birth among them), each group's figure that of its own
    pupils' results; the multiplication tables check's spread is the latest year's only."""
    from toolkit.pipeline.store import PreparedRun

    run = PreparedRun(pack[0] / "prepared")
    school = two[1]
    groups = run.table(school, "checks_groups")
    summary = run.table(school, "checks_summary")
    phonics = groups[(groups["check"] == "phonics") & (groups["measure"] == "year1_met")]
    years = sorted(summary.loc[summary["measure"] == "year1_met", "academic_year"])
    assert len(years) >= 3
    for label in ("Disadvantaged (FSM in last 6 years)", "Autumn born", "Summer born", "Female"):
        assert sorted(phonics.loc[phonics["label"] == label, "academic_year"]) == years, label
    for year in years:  # the sexes' pupils add up to the year group, and their figures average to the school's
        both = phonics[(phonics["academic_year"] == year) & phonics["label"].isin(["Female", "Male"])]
        whole = summary[(summary["measure"] == "year1_met") & (summary["academic_year"] == year)].iloc[0]
        assert both["pupils"].sum() == whole["pupils"]
        assert (both["value"] * both["pupils"]).sum() / both["pupils"].sum() == pytest.approx(whole["value"])
    spread = run.table(school, "checks_mtc_scores")
    assert set(spread["academic_year"]) == {int(groups.loc[groups["check"] == "mtc", "academic_year"].max())}
