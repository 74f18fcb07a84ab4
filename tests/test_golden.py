"""Golden backtests (``tests/golden.py``): the trust's prepared slices, national figures and every report's text are
what they were when the snapshot was taken. From the CSV files here; from the copy partitioned by school in
tests/test_partitions.py."""

import pandas as pd
import pytest
from golden import compare_prepared, compare_reports, frame_difference, report_text


@pytest.fixture(scope="module")
def schools(two, secondary) -> list[str]:
    """Two primaries and the secondary with a sixth form: every stage of the pipeline has rows for one of them."""
    return [*two, secondary]


@pytest.mark.slow
def test_every_slice_and_national_table_is_unchanged_from_csv(pack, schools):
    """The pack's own prepared run (from the CSV files), compared before any other test runs the pack again."""
    out, _ = pack
    problems = compare_prepared(out / "prepared", schools)
    assert not problems, "\n\n".join(problems)


@pytest.mark.slow
def test_every_reports_text_is_unchanged(pack):
    out, manifest = pack
    reports = {}
    for row in manifest["reports"]:
        reports[f"{row['school_id']}_{row['report']}"] = (out / row["outputs"]["html"]).read_text()
    assert len(reports) >= 15
    problems = compare_reports(reports)
    assert not problems, "\n\n".join(problems)


def test_a_difference_is_named_by_table_column_and_row():
    before = pd.DataFrame({"upn": ["A", "B"], "score": [101.0, 99.5]})
    assert frame_difference("t", before, before.copy()) is None
    said = frame_difference("ks2_2026", before, before.assign(score=[101.0, 99.25]))
    assert "ks2_2026" in said and "'score': 1 of 2 rows differ" in said and "99.25" in said
    assert "lost ['score']" in frame_difference("t", before, before[["upn"]])
    html = "<style>p{}</style><h1>VA</h1><table><tr><td>Made</td><td>4 December 2026, 22:10 UTC</td></tr></table>"
    assert report_text(html) == "VA\n| Made | <date>\n"


@pytest.mark.slow
def test_the_trust_overview_shows_each_schools_own_rwm_targets(pack, two):
    """Each school's Year 6 row in the trust overview is the RWM row of its own summary (it once took the first row:
    reading)."""
    out, _ = pack
    overview = report_text((out / "trust_overview.html").read_text())
    for school in two:
        summary = report_text(next((out / "reports" / school).glob(f"{school}_*summary.html")).read_text())
        rwm = next(line for line in summary.splitlines() if line.startswith("| Reading, writing and maths | "))
        pupils, fft50, fft20, fft5, _own, _with, target, _diff, position = rwm.split(" | ")[1:]
        name = next(line for line in summary.splitlines() if line.startswith("| School | ")).split(" | ")[1]
        short = name.split(" (")[0]
        row = next(  # the Year 6 table's row (the school profiles' table has more columns)
            line
            for line in overview.splitlines()
            if line.startswith(f"| {short} | ") and "%" in line and line.count(" | ") == 6
        )
        assert row == f"| {short} | {pupils} | {fft50} | {fft20} | {fft5} | {target} | {position}", (row, rwm)


@pytest.mark.slow
def test_every_trust_overview_figure_is_the_schools_own_summary_figure(pack, two):
    """Attainment (RWM expected, national, gap, change, RWM higher) and the disadvantaged gap: each school's overview
    row prints what its own summary prints, as text, so that a head and a trust leader read one number."""
    out, _ = pack
    overview = report_text((out / "trust_overview.html").read_text()).splitlines()
    for school in two:
        summary = report_text(next((out / "reports" / school).glob(f"{school}_*summary.html")).read_text())
        lines = summary.splitlines()
        short = next(line for line in lines if line.startswith("| School | ")).split(" | ")[1].split(" (")[0]
        cells = {line.split(" | ")[0]: line.split(" | ") for line in lines if line.startswith("| % ")}
        rwm = cells["| % expected standard, Reading, writing and maths"]
        higher = cells["| % higher standard, Reading, writing and maths"]
        row = next(
            line
            for line in overview
            if line.startswith(f"| {short} | ") and " pp" in line and "KS2 RWM" not in line  # not the profiles' row
        ).split(" | ")
        _name, _ks2, _pupils, mine, national, gap, change, top = row
        assert (mine, national, gap, change, top) == (rwm[1], rwm[2], rwm[3], rwm[5], higher[1]), (row, rwm, higher)
        dis = next((line for line in lines if line.startswith("| Disadvantaged (FSM in last 6 years)")), None)
        if dis is not None:
            group = dis.split(" | ")
            reads = ("behind", "in line", "ahead")
            starts = f"| {short} | "
            mine = next(x for x in overview if x.startswith(starts) and x.endswith(reads)).split(" | ")
            assert (mine[2], mine[3], mine[4]) == (group[3], group[4], group[5]), (mine, group)
