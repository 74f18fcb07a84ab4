"""Foundation subjects (seed 003): scores with equal steps, average and "high", key-stage and whole-school
collation, science's programmes of study collated, counts from judgements, and the spreadsheet whose formulas
recalculate (checked by computing them with the `formulas` package)."""

import formulas
import pandas as pd
import pytest
from openpyxl import load_workbook

from toolkit.inputs import PupilDataError
from toolkit.inputs.assessments import load_counts
from toolkit.methods import subject_leader
from toolkit.pack.workbooks import layout, sheet_name
from toolkit.pack.workbooks import write_subject_leader_workbook as write_workbook

CATS = ["emerging", "expected", "exceeding"]


def counts(rows):
    return pd.DataFrame(rows, columns=["school_id", "subject", "strand", "year_group", "group", *CATS])


def test_scores_need_equal_steps_and_high_is_a_quarter_step_above_expected():
    assert subject_leader.category_scores() == {"emerging": -1, "expected": 0, "exceeding": 1}
    assert subject_leader.high_threshold() == 0.25
    assert subject_leader.high_threshold({"emerging": 1, "expected": 2, "exceeding": 3}) == 2.25
    with pytest.raises(ValueError, match="equal steps"):
        subject_leader.category_scores({"emerging": -1, "expected": 0, "exceeding": 2})


def test_average_and_high_hand_worked():
    s = subject_leader.summarise(
        counts(
            [
                ("S", "History", "", 1, "Overall", 2, 11, 7),  # (-2 + 0 + 7) / 20 = 0.25, 10% emerging: high
                ("S", "History", "", 2, "Overall", 5, 5, 10),  # (-5 + 10) / 20 = 0.25 but 25% emerging: not high
                ("S", "History", "", 3, "Overall", 1, 15, 4),  # 3 / 20 = 0.15: not high
            ]
        )
    ).set_index("year_group")
    assert s["average"].tolist() == [0.25, 0.25, 0.15]
    assert s["high"].tolist() == [True, False, False]
    assert s.loc[1, "pct_expected"] == 55 and s.loc[2, "pct_emerging"] == 25


def test_key_stages_whole_school_and_science_collation():
    c = counts(
        [
            ("S", "Science", "Biology", 1, "Overall", 1, 2, 1),
            ("S", "Science", "Physics", 1, "Overall", 3, 0, 1),
            ("S", "Science", "Biology", 3, "Overall", 0, 4, 0),
        ]
    )
    collated = subject_leader.collate(c)
    overall = collated[collated["strand"] == "Overall"].set_index("year_group")
    assert overall.loc[1, CATS].tolist() == [4, 2, 2] and overall.loc[3, CATS].tolist() == [0, 4, 0]
    ks = subject_leader.by_key_stage(collated)
    row = ks[(ks["strand"] == "Overall") & (ks["phase"] == "Whole school")].iloc[0]
    assert row[CATS].tolist() == [4, 6, 2] and row["average"] == pytest.approx(-2 / 12)
    assert set(ks["phase"]) == {"KS1", "KS2", "Whole school"}


def test_counts_from_pupil_judgements():
    pupils = pd.DataFrame({"upn": ["A", "B", "C"], "year_group": ["2", "2", "5"], "gender": ["F", "M", "M"]})
    j = pd.DataFrame(
        {
            "upn": ["A", "B", "C"],
            "school_id": "S",
            "academic_year": 2027,
            "subject": "Music",
            "strand": [None, None, None],
            "judgement": ["exceeding", "emerging", "expected"],
        }
    )
    c = subject_leader.counts_from_judgements(j, pupils).set_index(["year_group", "group"])
    assert c.loc[(2, "Overall"), CATS].tolist() == [1, 0, 1]
    assert c.loc[(2, "Girls"), CATS].tolist() == [0, 0, 1] and c.loc[(5, "Boys"), CATS].tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="not in the pupil table: Z"):
        subject_leader.counts_from_judgements(j.assign(upn=["A", "B", "Z"]), pupils)


def test_counts_loader_messages(tmp_path):
    f = tmp_path / "subject_counts.csv"
    f.write_text(
        "school_id,subject,year_group,group,emerging,expected,exceeding\n"
        "9252000,History,1,Overall,2,11,7\n9252000,History,1,Overall,2,11,7\n"
        "9252000,History,8,Everyone,x,1,1\n"
    )
    with pytest.raises(PupilDataError) as err:
        load_counts(f)
    text = str(err.value)
    assert "Year group must be a number from 1 to 6. Column: year_group. Row: 4" in text
    assert "Group must be Overall, Boys or Girls. Column: group. Row: 4" in text
    assert "Counts must be whole numbers of pupils (0 or more). Column: emerging. Row: 4" in text
    assert "History  Year 1 Overall appears more than once for school 9252000. Column: group. Rows: 2, 3" in text


def computed(path):
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    values = {}
    for key, cell in solution.items():
        sheet_cell = key.split("]", 1)[1]  # "SHEET'!J9"
        sheet, ref = sheet_cell.rsplit("!", 1)
        value = cell.value[0][0] if hasattr(cell, "value") else cell
        values[(sheet.strip("'").upper(), ref)] = value
    return values


def test_workbook_formulas_recalculate_like_the_toolkit(tmp_path):
    rows = []
    for y in range(1, 7):
        for g, k in (("Overall", 2), ("Boys", 1), ("Girls", 1)):
            rows.append(("S", "Computing", "", y, g, k * y % 5, 10 * k, k * (7 - y)))
            for strand, shift in (("Biology", 0), ("Physics", 1)):
                rows.append(("S", "Science", strand, y, g, k * ((y + shift) % 3), 8 * k, k * shift))
    c = subject_leader.collate(counts(rows))
    path = write_workbook(c, "Test School (synthetic)", tmp_path / "subjects.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Computing", "Science - Biology", "Science - Physics", "Science - Overall"]
    ws = wb["Computing"]
    _, where = layout()
    r = where[("Year 3", "Overall")]
    assert ws[f"J{r}"].value.startswith("=IF(") and ws[f"G{r}"].value.startswith("=IF(")
    assert wb["Science - Overall"][f"C{r}"].value == "='Science - Biology'!C%d+'Science - Physics'!C%d" % (r, r)

    values = computed(path)
    summary = subject_leader.summarise(c).set_index(["subject", "strand", "year_group", "group"])
    phases = subject_leader.by_key_stage(c).set_index(["subject", "strand", "phase", "group"])
    for subject, strand in (("Computing", ""), ("Science", "Overall")):
        sheet = sheet_name(subject, strand).upper()
        for y in range(1, 7):
            for g in subject_leader.GROUPS:
                r = where[(f"Year {y}", g)]
                want = summary.loc[(subject, strand, y, g)]
                assert values[(sheet, f"J{r}")] == pytest.approx(want["average"]), (sheet, y, g)
                assert values[(sheet, f"G{r}")] == pytest.approx(want["pct_emerging"] / 100)
                assert (values[(sheet, f"K{r}")] == "High") == bool(want["high"])
        for phase in ("KS1", "KS2", "Whole school"):
            r = where[(phase, "Overall")]
            assert values[(sheet, f"F{r}")] == phases.loc[(subject, strand, phase, "Overall"), "pupils"]
            assert values[(sheet, f"J{r}")] == pytest.approx(phases.loc[(subject, strand, phase, "Overall"), "average"])

    # A subject leader types new counts: the percentages, averages and whole-school figures follow.
    r = where[("Year 2", "Overall")]
    ws["C%d" % r], ws["D%d" % r], ws["E%d" % r] = 0, 5, 15
    wb.save(tmp_path / "typed.xlsx")
    after = computed(tmp_path / "typed.xlsx")
    assert after[("COMPUTING", f"J{r}")] == pytest.approx(0.75) and after[("COMPUTING", f"K{r}")] == "High"
    assert after[("COMPUTING", f"I{r}")] == pytest.approx(0.75)
    whole = where[("Whole school", "Overall")]
    assert (
        after[("COMPUTING", f"F{whole}")]
        == values[("COMPUTING", f"F{whole}")] - summary.loc[("Computing", "", 2, "Overall"), "pupils"] + 20
    )


def test_the_charts_are_panels_of_one_figure_cut_apart_one_image_each():
    """percent_charts draws every chart in one figure and cuts it into one PNG per chart, each as tall as its own
    bars need and carrying its title as alt text; no chart, no image."""
    import base64
    import io
    import re

    from PIL import Image

    from toolkit.reports.subject_leader_views import percent_charts

    def rows(n: int) -> pd.DataFrame:
        return pd.DataFrame(
            {"cohort": [f"Year {i}" for i in range(1, n + 1)], "pct_emerging": 10.0, "pct_expected": 60.0,
             "pct_exceeding": 30.0}
        )  # fmt: skip

    images = percent_charts([(rows(3), "Art: % of pupils"), (rows(9), "Music: % of pupils")], "cohort")
    assert [re.search(r'alt="([^"]+)"', i).group(1) for i in images] == ["Art: % of pupils", "Music: % of pupils"]
    sizes = [Image.open(io.BytesIO(base64.b64decode(re.search(r"base64,([^\"]+)", i).group(1)))).size for i in images]
    assert sizes[0][0] == sizes[1][0] and sizes[1][1] - sizes[0][1] == round(0.24 * 6 * 100)  # 6 more bars
    assert percent_charts([], "cohort") == []
