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
        row = next(line for line in overview.splitlines() if line.startswith(f"| {short} | ") and "%" in line)
        assert row == f"| {short} | {pupils} | {fft50} | {fft20} | {fft5} | {target} | {position}", (row, rwm)
