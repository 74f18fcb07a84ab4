"""KS5: A level points and attainment, level 3 value added (hand-worked and recovered), the synthetic reference
against published figures, the entries loader's messages, and template -> fill -> upload -> KS5 report."""

import shutil

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from toolkit.cli import main
from toolkit.inputs import PupilDataError
from toolkit.inputs.entries import load_entries
from toolkit.methods import ks5
from toolkit.methods.value_added import Level3ValueAdded


def entries(rows):
    return pd.DataFrame(rows, columns=["upn", "school_id", "qualification", "subject", "grade", "ks4_aps"])


def test_points_aps_per_entry_and_grade_shares_hand_worked():
    e = entries(
        [
            ("A1", "S", "A level", "Mathematics", "A*", 7.0),
            ("A1", "S", "A level", "Physics", "B", 7.0),
            ("B2", "S", "A level", "Mathematics", "U", 4.0),
            ("B2", "S", "AS", "Mathematics", "A", 4.0),
        ]
    )
    a = ks5.attainment(e).set_index("subject")
    overall = a.loc["All A levels"]  # A levels only: (60 + 40 + 0) / 3 entries
    assert overall["entries"] == 3 and overall["students"] == 2
    assert overall["aps_per_entry"] == pytest.approx(100 / 3)
    assert overall["pct_a_star_b"] == pytest.approx(200 / 3) and overall["pct_a_star_e"] == pytest.approx(200 / 3)
    # An AS A is 25 points over half an entry: 50 on the A level scale.
    assert a.loc["AS Mathematics", "aps_per_entry"] == pytest.approx(50.0)
    maths = a.loc["A level Mathematics"]
    assert maths["aps_per_entry"] == pytest.approx(30.0) and maths["pct_a_star_a"] == pytest.approx(50.0)
    assert ks5.grade_step("A level") == 10 and ks5.grade_step("AS") == 5


def hand_model():
    va = Level3ValueAdded()
    va.bands_ = pd.DataFrame(
        {
            "qualification": ["A level", "A level", "AS", "AS"],
            "subject": ["Mathematics"] * 4,
            "band": [1, 2, 1, 2],
            "prior": [4.0, 6.0, 4.0, 6.0],
            "outcome": [20.0, 40.0, 10.0, 20.0],
            "entries": 100,
        }
    )
    va.national_sd_ = {"A level Mathematics": 1.0, "AS Mathematics": 1.0, "All A levels": 1.0}
    return va


def test_level3_value_added_hand_worked():
    va = hand_model()
    # E = O1 + (O2 - O1) x (KS4 - P1) / (P2 - P1): KS4 5.0 -> 20 + 20 x 0.5 = 30 points.
    assert va.expected_points("A level", "Mathematics", np.array([5.0, 3.0, 7.5, np.nan])) == pytest.approx(
        [30.0, 20.0, 40.0, np.nan], nan_ok=True
    )  # clamped beyond the ends
    e = entries(
        [
            ("A1", "S", "A level", "Mathematics", "B", 5.0),  # 40 - 30 = +10 points = +1 grade
            ("B2", "S", "A level", "Mathematics", "C", 6.0),  # 30 - 40 = -1 grade
            ("A1", "S", "AS", "Mathematics", "A", 5.0),
        ]
    )  # 25 - 15 = +10 points = +2 AS grades
    p = va.transform(e)
    maths = p[p["subject"] == "A level Mathematics"]
    assert maths["estimate"].tolist() == [30.0, 40.0] and maths["progress"].tolist() == [1.0, -1.0]
    assert p.loc[p["subject"] == "AS Mathematics", "progress"].tolist() == [2.0]
    scores = va.school_scores(p).set_index("subject")
    assert scores.loc["All A levels", "score"] == pytest.approx(0.0)  # A levels only
    assert scores.loc["All A levels", "ci_high"] == pytest.approx(1.96 / np.sqrt(2))
    assert scores.loc["AS Mathematics", "size"] == 0.5  # an AS counts half in the interval
    assert scores.loc["AS Mathematics", "ci_high"] == pytest.approx(2.0 + 1.96 / np.sqrt(0.5))


def test_weighted_school_scores_use_total_size():
    p = pd.DataFrame({"school_id": "S", "subject": "x", "progress": [1.0, 4.0], "size": [1.0, 0.5]})
    from toolkit.methods.value_added import school_scores

    s = school_scores(p, {"x": 2.0}, weight="size").iloc[0]
    assert s["score"] == pytest.approx((1.0 + 2.0) / 1.5) and s["pupils"] == 2
    assert s["ci_high"] - s["score"] == pytest.approx(1.96 * 2.0 / np.sqrt(1.5))


def test_bands_are_equal_sized_and_ordered():
    n = 4000
    rng = np.random.default_rng(1)
    prior = rng.uniform(3, 9, n)
    grade = np.array(["E", "D", "C", "B", "A", "A*"])[np.clip(((prior - 3) / 1.0).astype(int), 0, 5)]
    ref = pd.DataFrame(
        {
            "upn": [f"U{i}" for i in range(n)],
            "school_id": "S",
            "qualification": "A level",
            "subject": "Mathematics",
            "grade": grade,
            "ks4_aps": prior,
        }
    )
    va = Level3ValueAdded().fit(ref)
    b = va.bands_
    assert len(b) == ks5.ks5_parameters()["value_added"]["bands"] and (b["entries"] == n / len(b)).all()
    assert b["prior"].is_monotonic_increasing and b["outcome"].is_monotonic_increasing


def test_synthetic_reference_matches_published_grade_shares(national_ks5):
    a = ks5.attainment(national_ks5.entries).set_index("subject").loc["All A levels"]
    pub = ks5.national_figures().set_index("measure")["value"]
    for measure in ("pct_a_star_a", "pct_a_star_c", "pct_a_star_e"):
        assert abs(a[measure] - pub[measure]) < 0.6, measure
    # APS per entry is not a calibration target: the grade shares imply it. Published 35.55 (2023/24).
    assert abs(a["aps_per_entry"] - pub["aps_per_entry"]) < 0.5
    scored = ks5.scored(national_ks5.entries)
    a_levels = scored[scored["qualification"] == "A level"]
    assert 0.6 < np.corrcoef(a_levels["ks4_aps"], a_levels["points"])[0, 1] < 0.8


def test_value_added_recovers_planted_school_effects(national_ks5):
    from toolkit.synth.ks5 import national_ks5 as draw

    va = Level3ValueAdded().fit(national_ks5.entries)
    other = draw(20_000, 2026, seed=4)
    scores = va.school_scores(va.transform(other.entries))
    overall = scores[scores["subject"] == "All A levels"].merge(other.schools, on="school_id")
    assert np.corrcoef(overall["score"], overall["va"])[0, 1] > 0.9
    assert abs(overall["score"].mean()) < 0.05


def test_entries_loader_names_every_problem(tmp_path):
    path = tmp_path / "ks5_2026.csv"
    path.write_text(
        "upn,school_id,qualification,subject,grade,ks4_aps\n"
        "A925400011001,9254000,A level,Mathematics,A*,6.5\n"  # row 2 fine
        "A92540001100,9254000,A level,Physics,B,6.5\n"  # row 3 UPN too short
        "A925400011001,9254000,A level,Mathematics,A,6.5\n"  # row 4 same subject twice (with row 2)
        "A925400011001,9254000,BTEC,Sport,D*,6.5\n"  # row 5 unknown qualification
        "A925400011001,9254000,AS,Mathematics,A*,6.5\n"  # row 6 no A* at AS
        "A925400011001,9254000,A level,History,F,6.5\n"  # row 7 F for U
        "A925400011001,925400,A level,Biology,B,7.2\n"  # row 8 bad DfE number, different APS
        "A925400011001,9254000,A level,Geography,,12\n"
    )  # row 9 no grade, APS out of range
    with pytest.raises(PupilDataError) as err:
        load_entries(path)
    text = str(err.value)
    for message in (
        "UPN must be 13 characters long. Column: upn. Row: 3",
        "has Mathematics more than once: one row per student and qualification. Column: subject. Rows: 2, 4",
        "Qualification must be A level or AS. Column: qualification. Row: 5",
        "Grade not allowed for AS (allowed: A, B, C, D, E, U). Column: grade. Row: 6",
        "Use U for an ungraded A level, not F or X. Column: grade. Row: 7",
        "Invalid DfE number. Column: school_id. Row: 8",
        "Grade must have a value. Column: grade. Row: 9",
        "KS4 average point score must be a number from 0 to 9. Column: ks4_aps. Row: 9",
        "different ks4_aps values on different rows. Column: ks4_aps",
    ):
        assert message in text, message
    assert str(path) in text and "nothing was loaded" in text
    (tmp_path / "empty.csv").write_text("upn,school_id,qualification,subject,grade\n")
    with pytest.raises(PupilDataError, match="no entries"):
        load_entries(tmp_path / "empty.csv")
    (tmp_path / "cols.csv").write_text("upn,school_id,subject,grade\nA925400011001,9254000,Maths,A\n")
    with pytest.raises(PupilDataError, match="Required column 'qualification' is missing"):
        load_entries(tmp_path / "cols.csv")


@pytest.mark.slow
def test_ks5_template_fill_upload_report(pack_data, tmp_path, trust):
    """A sixth form's Year 13: template -> fill (programmatically) -> validate -> upload -> KS5 report for 2027."""
    from toolkit.pack.batch import PackRequest, run_batch
    from toolkit.pipeline.prepare import find_inputs

    data = tmp_path / "trust"
    shutil.copytree(pack_data, data)
    for name in ("national_2026.parquet", "national_ks5_2026.parquet"):
        shutil.copy(pack_data.parent / name, tmp_path / name)
    school = trust.schools.loc[trust.schools["phase"] == "Secondary", "school_id"].iloc[0]
    template = tmp_path / "ks5.xlsx"
    assert main(["template", "--school", school, "--keystage", "ks5", "--data", str(data), "--out", str(template)]) == 0
    wb = load_workbook(template)
    ws = wb["Results"]
    header = [c.value for c in ws[1]]
    year13 = trust.pupils[(trust.pupils["school_id"] == school) & (trust.pupils["year_group"] == 13)]
    assert ws.max_row - 1 == len(year13)
    grades = ["A*", "A", "B", "C"]
    for row in range(2, ws.max_row + 1):  # three A levels each; the first student also gets an AS
        for k, subject in enumerate(("A level Mathematics", "A level Physics", "A level History")):
            ws.cell(row=row, column=header.index(subject) + 1, value=grades[(row + k) % 4])
    ws.cell(row=2, column=header.index("AS Extended Project") + 1, value="A")
    wb.save(tmp_path / "ks5_filled.xlsx")
    assert main(["validate", str(tmp_path / "ks5_filled.xlsx")]) == 0
    assert main(["upload", str(tmp_path / "ks5_filled.xlsx"), "--by", "Mr Sample", "--data", str(data)]) == 0

    out = tmp_path / "run"
    manifest = run_batch(
        PackRequest(
            find_inputs(data),
            out,
            schools=[school],
            reports=["ks5_results", "appendix"],
            formats=("html",),
            jobs=1,
            progress=False,
            say=lambda m: None,
        )
    )
    assert [r["status"] for r in manifest["reports"]] == ["done", "done"]
    slice_dir = out / "prepared" / "slices" / school
    entries = pd.read_parquet(slice_dir / "ks5_entries.parquet")
    latest = entries[entries["academic_year"] == 2027]
    assert len(latest) == 3 * len(year13) + 1 and latest["ks4_aps"].notna().all()
    scores = pd.read_parquet(slice_dir / "ks5_scores.parquet")
    overall = scores[(scores["academic_year"] == 2027) & (scores["subject"] == "All A levels")].iloc[0]
    assert overall["pupils"] == 3 * len(year13)
    html = next((out / "reports" / school).glob(f"{school}_*ks5_results.html")).read_text()
    assert "A level results 2027" in html and f"{overall['score']:+.2f}" in html
    first = year13.sort_values("upn").iloc[0]
    name = f"{first['forename']} {first['surname']}"
    appendix = next((out / "reports" / school).glob(f"{school}_*appendix.html")).read_text()
    assert name not in html and name in appendix  # named rows only in the per-pupil appendix


def test_level3_value_added_on_the_dfes_published_2025_model():
    """The DfE's own curve for A level Biology: a student halfway between its 4th and 5th points of prior attainment
    is expected the mean of their estimated points; an A (50 points) is (50 - that) / 10 grades of value added, and
    the school's interval uses the DfE's published SD for Biology."""

    from toolkit import parameters
    from toolkit.methods.value_added import Level3ValueAdded

    table = parameters.load_csv("ks5/l3va_a_level_2025.csv").set_index("subject")
    x3, x4 = float(table.loc["Biology", "x_3"]), float(table.loc["Biology", "x_4"])
    y3, y4 = float(table.loc["Biology", "y_3"]), float(table.loc["Biology", "y_4"])
    sd = float(table.loc["Biology", "sd"])
    model = Level3ValueAdded.published()
    entries = pd.DataFrame(
        {
            "upn": ["A1", "A2", "A3", "A4"],
            "school_id": "9254000",
            "qualification": "A level",
            "subject": ["Biology", "Biology", "Biology", "Art and Design"],
            "grade": ["A", "A", "A", "B"],
            "ks4_aps": [(x3 + x4) / 2] * 3 + [6.0],
        }
    )
    progress = model.transform(entries, flag=False)
    biology = progress[progress["subject"] == "A level Biology"]
    assert biology["estimate"].iloc[0] == pytest.approx((y3 + y4) / 2)
    assert biology["progress"].iloc[0] == pytest.approx((50 - (y3 + y4) / 2) / 10)
    art = progress[progress["subject"] == "A level Art and Design"]  # our name, the DfE's "Art & Design"
    assert art["estimate"].notna().all()
    scores = model.school_scores(progress).set_index("subject")
    half = 1.96 * sd / np.sqrt(3)
    assert scores.loc["A level Biology", "ci_high"] - scores.loc["A level Biology", "score"] == pytest.approx(half)


def test_synthetic_ks5_cohort_has_no_value_added_on_the_dfes_published_curves(national_ks5):
    """Scored on the DfE's own 2025 curves, the synthetic nation's A level value added is 0 in every subject (within
    0.06 grades) and overall: otherwise every demo sixth form would carry a built-in bias."""
    from toolkit.methods.value_added import Level3ValueAdded

    progress = Level3ValueAdded.published().transform(national_ks5.entries, flag=False)
    by = progress.dropna(subset=["progress"]).groupby("subject")["progress"].agg(["mean", "size"])
    big = by[by["size"] >= 1000]
    assert len(big) >= 8 and big["mean"].abs().max() < 0.06, big


def test_published_model_with_the_fitted_one_where_the_dfe_has_no_curve(national_ks5):
    from toolkit.methods import ks5
    from toolkit.methods.value_added import Level3ValueAdded

    published = Level3ValueAdded.published()
    fitted = Level3ValueAdded().fit(national_ks5.entries)
    model = Level3ValueAdded.with_fallback(published, fitted)
    assert model.sources_["A level Biology"] == "published" and model.sources_["AS Mathematics"] == "published"
    assert model.sources_["AS Extended Project"] == "fitted"  # the DfE's AS curves have no Extended Project
    assert model.sources_[ks5.overall_label()] == "published"
    assert model.national_sd_["A level Biology"] == published.national_sd_["A level Biology"]
    prior = np.array([5.0, 6.5])
    assert np.allclose(
        model.expected_points("A level", "Biology", prior), published.expected_points("A level", "Biology", prior)
    )
    assert np.allclose(
        model.expected_points("AS", "Extended Project", prior),
        fitted.expected_points("AS", "Extended Project", prior),
    )
    # AS Mathematics on the DfE's own curve: at a curve point the expected AS points are the DfE's (A 25 ... E 5)
    from toolkit import parameters

    maths = parameters.load_csv("ks5/l3va_as_level_2025.csv").set_index("subject").loc["Mathematics"]
    at = np.array([float(maths["x_10"])])
    assert model.expected_points("AS", "Mathematics", at)[0] == pytest.approx(float(maths["y_10"]))
    assert model.national_sd_["AS Mathematics"] == pytest.approx(float(maths["sd"]))
    low = published.bands_[published.bands_["subject"] == "Biology"]["prior"].min()
    entries = pd.DataFrame(
        {
            "upn": ["A", "B"],
            "school_id": "9254000",
            "qualification": "A level",
            "subject": "Biology",
            "grade": ["C", "C"],
            "ks4_aps": [low - 0.5, 6.0],
        }
    )
    flagged = model.transform(entries)
    assert flagged.loc[flagged["subject"] == "A level Biology", "outside_bands"].tolist() == [True, False]


def test_the_dfes_ready_reckoner_upload_layout_is_read_as_ks5_entries(tmp_path):
    """The DfE 16-18 ready reckoner's own upload columns: grades from points, the DfE's subject names as ours, the
    student keyed by name without a UPN; a bad points value is named by the file's own column."""
    from toolkit.inputs.entries import load_entries
    from toolkit.inputs.problems import PupilDataError

    header = (  # ../shared/reference/dfe/l3va_model_2025/pupil_upload_template.csv, with its byte-order mark
        "\ufeffForename,Surname,Sex,Qualification code,Qualification name,Subject code,Subject name,Size,Cohort,"
        "Prior attainment,Estimated points (new points),Actual points (new points),Value Added score,QUAL_ID,"
        "Disadvantaged status,CYPMD ID,DfE number"
    )
    rows = [
        "Amy,Testley,F,111,GCE A level,1,Biology,1,,6.5,,50,,,Disadvantaged,,9254000",
        "Amy,Testley,F,111,GCE A level,2,Art & Design,1,,6.5,,40,,,Disadvantaged,,9254000",
        "Ben,Mockford,M,111,GCE A level,3,Mathematics (Further),1,,8.1,,60,,,Not disadvantaged,,9254000",
    ]
    path = tmp_path / "ks5_2025.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    entries = load_entries(path)
    assert entries["grade"].tolist() == ["A", "B", "A*"]
    assert entries["subject"].tolist() == ["Biology", "Art and Design", "Further Mathematics"]
    assert entries["qualification"].unique().tolist() == ["A level"] and entries["ks4_aps"].tolist() == [6.5, 6.5, 8.1]
    assert entries["fsm6"].tolist() == [True, True, False] and entries["upn"].nunique() == 2
    path.write_text(header + "\n" + rows[0].replace(",50,", ",55,") + "\n", encoding="utf-8")
    with pytest.raises(PupilDataError) as err:
        load_entries(path)
    assert "Column: Actual points (new points). Row: 2 (found '55 points')" in str(err.value)


def test_level3_value_added_by_group_hand_worked():
    """Three A level entries: two by girls (VA +1 and -1 grade), one by a disadvantaged boy (+0.5): girls 0.0 over 2
    entries, boys +0.5 over 1; disadvantaged +0.5, not disadvantaged 0.0."""
    import pandas as pd

    from toolkit.methods.value_added import level3_va_by_group

    progress = pd.DataFrame(
        {"upn": ["A", "B", "C"], "subject": ["All A levels"] * 3, "progress": [1.0, -1.0, 0.5], "size": [1.0] * 3}
    )
    students = pd.DataFrame({"gender": ["F", "F", "M"], "fsm6": [False, False, True]}, index=["A", "B", "C"])
    out = level3_va_by_group(progress, students, {"All A levels": 1.0}).set_index(["group", "label"])
    assert out.loc[("Gender", "Female"), "score"] == pytest.approx(0.0) and out.loc[("Gender", "Female"), "pupils"] == 2
    assert out.loc[("Gender", "Male"), "score"] == pytest.approx(0.5)
    assert out.loc[("Disadvantage", "Disadvantaged"), "score"] == pytest.approx(0.5)
    assert out.loc[("Disadvantage", "Not disadvantaged"), "score"] == pytest.approx(0.0)
    assert level3_va_by_group(progress, students[[]], {"All A levels": 1.0}).empty
