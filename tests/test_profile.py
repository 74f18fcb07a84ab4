"""The school profile (issue 30): hand-worked bands, significance, gaps in pupils, stability and suspensions; the
suspensions input's sentences; the stage's figures against the pupil tables they come from; the comparator switch;
and the profile rendered for every school of the pack in Ofsted's order."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from toolkit.inputs.problems import PupilDataError
from toolkit.inputs.suspensions import load_suspensions
from toolkit.methods import attainment, profile


def test_bands_place_a_school_among_all_schools_in_fifths():
    cuts = profile.quintile_cuts(pd.Series(np.arange(1, 101, dtype=float)))  # 1..100: cuts at 20.8, 40.6, ...
    assert cuts.tolist() == pytest.approx([20.8, 40.6, 60.4, 80.2])
    assert profile.band(5, cuts) == "well below average"
    assert profile.band(30, cuts) == "below average"
    assert profile.band(50, cuts) == "close to average"
    assert profile.band(70, cuts) == "above average"
    assert profile.band(95, cuts) == "well above average"
    assert profile.quintile(40.6, cuts) == 2  # on a cut: the band below (at the 40th percentile: among the lowest 40%)
    assert profile.band(0, np.array([0.0, 0.0, 5.0, 12.0])) == "well below average"  # many schools at 0%
    assert profile.band(float("nan"), cuts) == ""


def test_significance_and_the_gap_in_pupils_by_hand():
    # 75% of 28 pupils against 62%: z = 0.13 / sqrt(0.62 x 0.38 / 28) = 0.13 / 0.0917 = 1.42, under 1.96
    assert profile.significance(75, 62, 28) == "not significantly different"
    assert profile.gap_in_pupils(75, 62, 28) == pytest.approx(3.64)
    # 80% of 100 against 62%: z = 0.18 / 0.0485 = 3.71
    assert profile.significance(80, 62, 100) == "significantly above"
    # 20% of 5 disadvantaged pupils against 69% of other pupils nationally: z = -0.49 / 0.2068 = -2.37
    assert profile.significance(20, 69, 5) == "significantly below"
    assert profile.gap_in_pupils(20, 69, 5) == pytest.approx(-2.45)
    assert profile.significance(50, float("nan"), 30) == "" and math.isnan(profile.gap_in_pupils(50, np.nan, 30))


def test_stability_counts_who_joined_at_a_usual_time():
    pupils = pd.DataFrame(
        {
            "year_group": ["4", "4", "4", "4", "12", "12", "12"],
            "entry_date": [
                "2022-09-05",  # Reception in 2022/23: the usual time
                "2024-01-10",  # Year 1, part-way through: not usual
                "2021-06-01",  # before Reception (the nursery): usual
                None,  # not known: left out
                "2026-09-03",  # joined the sixth form in September of Year 12: usual
                "2026-11-02",  # Year 12, in November: not usual
                "2021-09-06",  # Year 7: usual
            ],
        }
    )
    usual = profile.joined_usually(pupils, 2027, [0, 12])
    assert usual.tolist()[:3] == [True, False, True] and usual.isna().tolist()[3]
    sixth = profile.joined_usually(pupils.iloc[4:], 2027, [7, 12])
    assert sixth.tolist() == [True, False, True]


def test_suspension_measures_by_hand():
    rows = pd.DataFrame(
        {
            "upn": ["A", "B", "C", "D"],
            "suspensions": [1, 2, 11, 0],
            "permanent_exclusion": ["N", "N", "N", "Y"],
        }
    )
    got = profile.suspension_measures(rows, 200, [1, 2, 10]).set_index("measure")
    assert got.loc["suspended_1_plus", ["pupils", "value"]].tolist() == [3, 1.5]
    assert got.loc["suspended_2_plus", ["pupils", "value"]].tolist() == [2, 1.0]
    assert got.loc["suspended_10_plus", ["pupils", "value"]].tolist() == [1, 0.5]
    assert got.loc["suspension_rate", ["pupils", "value"]].tolist() == [14, 7.0]  # 14 suspensions per 200 pupils
    assert got.loc["permanent_exclusions", ["pupils", "value"]].tolist() == [1, 0.5]


def test_the_dfes_ks2_figures_for_each_comparator():
    got = profile.published_ks2_rwm(2026)  # none for 2026 yet: the latest, 2025
    assert got == {"all": (62.0, 2025), "national_other": (69.0, 2025), "national_disadvantaged": (47.0, 2025)}
    assert profile.published_ks2_rwm(2024)["national_other"] == (67.0, 2024)


def test_bad_suspension_rows_are_named_by_row_and_column(tmp_path):
    path = tmp_path / "suspensions.csv"
    path.write_text(
        "upn,school_id,academic_year,suspensions,permanent_exclusion\n"
        "Z925200024011,9252000,2027,two,N\n"
        "X925200021024,9252000,2027,3,maybe\n"
        "X925200021024,9252000,2027,1,N\n"
    )
    with pytest.raises(PupilDataError) as err:
        load_suspensions(path)
    text = str(err.value)
    assert "suspensions.csv" in text
    assert "3 problems found; nothing was loaded" in text
    assert "a whole number from 0 to 99. Column: suspensions. Row: 2 (found 'two')" in text
    assert (
        "Permanent exclusion must be Y or N (blank is N). Column: permanent_exclusion. Row: 3 (found 'maybe')" in text
    )
    assert "Pupil X925200021024 has two rows for 2027" in text and "Rows: 3, 4" in text
    path.write_text("upn,school_id,academic_year,suspensions\nZ925200024011,9252000,2027,2\n")
    assert load_suspensions(path)[["suspensions", "permanent_exclusion"]].values.tolist() == [[2, "N"]]


def test_a_bad_comparator_is_refused_before_any_work(pack_data, tmp_path):
    from toolkit.cli import main
    from toolkit.pack.batch import PackRequest
    from toolkit.pipeline.prepare import find_inputs

    with pytest.raises(ValueError, match="Unknown comparator 'regional'"):
        PackRequest(find_inputs(pack_data), tmp_path / "out", comparator="regional")
    with pytest.raises(SystemExit):
        main(["reports", "--data", str(pack_data), "--out", str(tmp_path / "o"), "--comparator", "regional"])


@pytest.mark.slow
def test_the_stage_counts_what_the_pupil_tables_hold(pack, two, secondary, pack_data):
    """The profile's context and KS2 figures are those of the school's own pupil tables, worked out here again."""
    from toolkit.pipeline.store import PreparedRun

    out, _ = pack
    run = PreparedRun(out / "prepared")
    school = two[0]
    pupils = pd.read_csv(pack_data / "pupils.csv", dtype=str)
    mine = pupils[pupils["school_id"] == school]
    context = run.table(school, "profile_context").set_index("measure")
    assert context.loc["fsm6", "pupils"] == (mine["fsm6"] == "Y").sum()
    assert context.loc["fsm6", "percent"] == pytest.approx(100 * (mine["fsm6"] == "Y").mean())
    assert context.loc["ehc_plan", "pupils"] == (mine["sen"] == "E").sum()
    assert context.loc["stability", "of"] == mine["entry_date"].notna().sum()
    assert "synthetic national schools" in context["basis"].iloc[0]
    achievement = run.table(school, "profile_achievement")
    latest = int(achievement.loc[achievement["measure"] == "ks2_rwm_expected", "academic_year"].max())
    cohort = run.table(school, f"ks2_{latest}")
    rwm = attainment.reached(cohort, "expected")["rwm"]
    row = achievement[(achievement["measure"] == "ks2_rwm_expected") & (achievement["academic_year"] == latest)]
    mine_all, mine_dis = row[row["group"] == "all"].iloc[0], row[row["group"] == "disadvantaged"].iloc[0]
    assert mine_all["value"] == pytest.approx(100 * rwm.mean()) and mine_all["pupils"] == len(cohort)
    dis = cohort["fsm6"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    assert mine_dis["value"] == pytest.approx(100 * rwm[dis].mean()) and mine_dis["pupils"] == dis.sum()
    assert mine_dis["vs_national_other"] == 69.0 and mine_dis["vs_national_disadvantaged"] == 47.0
    secondary_rows = run.table(secondary, "profile_achievement")
    assert {"achievement", "sixth_form"} <= set(secondary_rows["area"])
    p8 = secondary_rows[secondary_rows["measure"] == "p8"].set_index("academic_year")
    assert p8.loc[2026, "value"] != p8.loc[2026, "value"] and "no Progress 8" in p8.loc[2026, "note"]  # calendar


@pytest.mark.slow
def test_the_comparator_switch_changes_what_disadvantaged_pupils_are_compared_with(pack, two):
    from toolkit.reports import profile_views, views

    out, _ = pack
    school = views.load(out / "prepared", two[0])
    rows = school.table("profile_achievement")
    rows = rows[(rows["measure"] == "ks2_rwm_expected") & (rows["academic_year"] == 2026)]
    other = profile_views.achievement_table(rows, "disadvantaged", "national_other", 1).iloc[0]
    same = profile_views.achievement_table(rows, "disadvantaged", "national_disadvantaged", 1).iloc[0]
    everyone = profile_views.achievement_table(rows, "disadvantaged", "all", 1).iloc[0]
    assert (other["National (year)"], same["National (year)"], everyone["National (year)"]) == (
        "69% (2025)",
        "47% (2025)",
        "62% (2025)",
    )
    assert other["School"] == same["School"] and other["Gap"] != same["Gap"]
    with pytest.raises(ValueError, match="Unknown comparator"):
        profile_views.comparator_label("regional")


@pytest.mark.slow
def test_every_school_has_its_profile_in_ofsteds_order_and_no_grade(pack, two, secondary):
    from tests.test_reports import pdf_text, report_file

    out, manifest = pack
    tasks = {(r["school_id"], r["report"]): r for r in manifest["reports"]}
    for school in [*two, secondary]:
        assert tasks[(school, "profile")]["status"] == "done"
        assert tasks[(school, "profile")]["parameters"]["comparator"] == "national_other"
        text = pdf_text(report_file(out, school, "profile", "pdf"))
        order = ["Context", "Inclusion", "Achievement", "Attendance and behaviour"]  # Ofsted's order, context first
        order += ["Sixth form"] if school == secondary else ["Early years"]
        lines = [line.strip() for line in text.splitlines()]
        where = [lines.index(h) if h in lines else -1 for h in order]
        assert -1 not in where and where == sorted(where), (school, where)
        assert "it is not an Ofsted grade and predicts none" in " ".join(text.split())
        for grade in ("Exceptional", "Strong standard", "Needs attention", "Urgent improvement"):
            assert grade not in text
    assert "Suspensions" in pdf_text(report_file(out, secondary, "profile", "pdf"))
    assert tasks[(two[0], "va")]["parameters"].get("comparator") is None  # only the reports that use it


def test_ofsteds_outcomes_file_is_read_as_downloaded(tmp_path):
    from toolkit.inputs.ofsted import load_ofsted

    schools = pd.DataFrame({"school_id": ["9252000", "9252001", "9254000"], "urn": ["100001", "100002", "100003"]})
    path = tmp_path / "ofsted_outcomes.csv"
    path.write_text(
        "State-funded schools inspections and outcomes\n"
        "\n"
        "URN,LAESTAB,School name,Inspection start date,Inclusion,Achievement,Early years,Sixth form,Safeguarding\n"
        "100001,925/2000,Oakfield,01/10/2026,Strong standard,expected standard,Exceptional,Not applicable,Met\n"
        "100001,9252000,Oakfield,10/03/2023,,,,,\n"
        "100003,,Thornbury,22/10/2026,Needs attention,Urgent improvement,Not applicable,Strong standard,Met\n"
        "999999,9999999,Elsewhere,22/10/2026,Exceptional,Exceptional,,,Met\n"
    )
    got = load_ofsted(path, schools).set_index("school_id")
    assert sorted(got.index) == ["9252000", "9254000"]  # by LAESTAB written 925/2000, and by URN; others not kept
    assert got.loc["9252000", "achievement"] == "Expected standard"  # the latest inspection, spelt as Ofsted does
    assert got.loc["9252000", "sixth_form"] == "" and got.loc["9254000", "sixth_form"] == "Strong standard"
    assert got.loc["9252000", "inspection_date"] == pd.Timestamp("2026-10-01")
    path.write_text(
        "URN,LAESTAB,Inspection start date,Achievement,Safeguarding\n"
        "100001,9252000,01/10/2026,Good,Met\n"
        "100002,9252001,01/10/2026,Expected standard,Yes\n"
    )
    with pytest.raises(PupilDataError) as err:
        load_ofsted(path, schools)
    text = str(err.value)
    assert "'Achievement' must be one of Urgent improvement, Needs attention" in text and "found 'Good'" in text
    assert "Column: Achievement. Row: 2" in text
    assert "'Safeguarding' must be one of Met, Not met" in text and "Row: 3" in text
    path.write_text("School,Grade\nOakfield,Good\n")
    with pytest.raises(PupilDataError, match="No LAESTAB or URN column"):
        load_ofsted(path, schools)


@pytest.mark.slow
def test_the_remove_pupils_what_if_is_labelled_and_leaves_the_official_figures(pack, pack_data, two, tmp_path):
    import subprocess

    from tests.test_reports import pdf_text, report_file
    from toolkit.cli import main
    from toolkit.inputs import school_state
    from toolkit.pack.batch import PackRequest, run_batch
    from toolkit.pipeline.prepare import find_inputs
    from toolkit.pipeline.store import PreparedRun

    school = two[0]
    cohort = pd.read_csv(pack_data / "ks2_2026.csv", dtype=str)
    cohort = cohort[cohort["school_id"] == school]
    left_out = list(cohort["upn"].iloc[:2])
    base = ["remove-pupils", "--data", str(pack_data), "--school", school, "--by", "Ms Mock"]
    assert main([*base, "X000000000000", left_out[0]]) == 1  # not a pupil of the school: refused, nothing saved
    assert not school_state.removed_path(school).exists()
    assert main([*base, "--reason", "arrived in Year 6", *left_out]) == 0
    saved = school_state.load_removed(school)
    assert saved["upns"] == left_out and saved["made_by"] == "Ms Mock" and saved["made_at"].startswith("20")
    out = tmp_path / "what_if"
    manifest = run_batch(
        PackRequest(
            find_inputs(pack_data),
            out,
            schools=[school],
            reports=["profile", "profile_what_if"],
            progress=False,
            say=lambda m: None,
        )
    )
    assert {r["report"]: r["status"] for r in manifest["reports"]} == {"profile": "done", "profile_what_if": "done"}
    run, official = PreparedRun(out / "prepared"), PreparedRun(pack[0] / "prepared")
    pd.testing.assert_frame_equal(  # the official figures do not move
        run.table(school, "profile_achievement"), official.table(school, "profile_achievement")
    )
    what_if = run.table(school, "profile_what_if")
    row = what_if[
        (what_if["measure"] == "ks2_rwm_expected") & (what_if["academic_year"] == 2026) & (what_if["group"] == "all")
    ].iloc[0]
    kept = run.table(school, "ks2_2026")
    kept = kept[~kept["upn"].isin(left_out)]
    assert row["pupils"] == len(cohort) - 2
    assert row["value"] == pytest.approx(100 * attainment.reached(kept, "expected")["rwm"].mean())
    pdf = report_file(out, school, "profile_what_if", "pdf")
    pages = int(
        subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout.split("Pages:")[1].split()[0]
    )
    footers = [
        subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"], capture_output=True, text=True).stdout
        for p in range(1, pages + 1)
    ]
    assert all("not the official figure" in page for page in footers)  # every page says so
    text = " ".join(pdf_text(pdf).split())
    assert "Ms Mock" in text and saved["made_at"][:10] in text and "arrived in Year 6" in text
    assert all(upn in text for upn in left_out)
    assert main([*base, "--clear"]) == 0 and not school_state.removed_path(school).exists()


@pytest.mark.slow
def test_the_trust_overview_covers_every_school_of_every_phase(pack, pack_data, two, secondary):
    import html
    import re

    out, _ = pack
    page = (out / "trust_overview.html").read_text(encoding="utf-8")
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body", 1)[1])).split())
    assert "Every school at a glance (school profiles)" in text
    glance = text.split("Every school at a glance (school profiles)")[1].split("Ofsted report cards")[0]
    assert "KS4 English and maths 4+" in glance and "KS2 RWM" in glance
    schools = pd.read_csv(pack_data / "schools.csv", dtype=str).set_index("school_id")
    names = schools.loc[[*two, secondary], "school_name"].str.replace(" (synthetic)", "")
    assert all(name in glance for name in names), glance  # every school of every phase
    grades = text.split("Ofsted report cards: latest grades")[1]
    assert "not in the outcomes file" in grades and "Expected standard" in grades and "Met" in grades
