"""Inputs partitioned by school (Parquet, ``<name>.parquet/school_id=<id>/``): the same slices as the CSV files, each
school's folder read only when that school is prepared, problems named by folder and row."""

from pathlib import Path

import pandas as pd
import pytest
from golden import compare_prepared

from toolkit.cli import main
from toolkit.inputs import PupilDataError, load_pupils
from toolkit.inputs.partitioned_copy import partition_folder, write_partitioned
from toolkit.inputs.partitions import by_school
from toolkit.pipeline.keys import row_digests
from toolkit.pipeline.prepare import find_inputs, prepare
from toolkit.pipeline.store import PreparedRun

HEADER = ["upn", "school_id", "forename", "surname", "dob", "gender", "year_group"]
ROWS = [
    ["B801200005001", "8012000", "Ann", "Mockford", "2015-03-04", "F", "6"],
    ["L801200015001", "8012000", "Bob", "Sampleton", "01/09/2014", "M", "R"],
    ["X", "8012000", "Cy", "Testwell", "2015-01-01", "M", "5"],
    ["K801200105001", "8012001", "Dee", "Fakely", "2015-03-04", "F", "6"],
]


def _copy_with_references(pack_data: Path, root: Path) -> Path:
    """The pack's data folder partitioned, with the national references beside it (as in the pack's folder)."""
    for reference in pack_data.parent.glob("national*.parquet"):
        (root / reference.name).symlink_to(reference)
    partition_folder(pack_data, root / "trust", say=lambda m: None)
    return root / "trust"


def test_a_partitioned_folder_prepares_the_same_slices_reading_only_the_schools_asked(
    pack_data, two, secondary, tmp_path
):
    """The partitioned copy prepares, table for table, what the golden snapshot holds (the CSV files' slices,
    tests/test_golden.py), reading only the folders of the schools asked."""
    partitioned = _copy_with_references(pack_data, tmp_path)
    assert (partitioned / "pupils.parquet").is_dir() and not (partitioned / "pupils.csv").exists()
    assert (partitioned / "schools.csv").read_text() == (pack_data / "schools.csv").read_text()  # copied as it is
    asked = [*two, secondary]
    spoiled = next(
        p.name.split("=")[1]
        for p in sorted((partitioned / "pupils.parquet").iterdir())
        if p.name.split("=")[1] not in asked
    )
    # another school's folder no longer readable: a run of the schools asked never opens it
    (partitioned / "pupils.parquet" / f"school_id={spoiled}" / "part-0.parquet").write_bytes(b"not parquet")

    prepare(find_inputs(partitioned), tmp_path / "partitioned", schools=asked, say=lambda m: None)
    assert PreparedRun(tmp_path / "partitioned").school_ids() == sorted(asked)
    problems = compare_prepared(tmp_path / "partitioned", asked, update=False)
    assert not problems, "\n\n".join(problems)

    with pytest.raises(PupilDataError, match=f"(?s)pupils.parquet/school_id={spoiled}: .*not a readable Parquet"):
        prepare(find_inputs(partitioned), tmp_path / "spoiled", schools=[spoiled], say=lambda m: None)


def test_a_problem_is_named_by_the_schools_folder_and_its_row(tmp_path):
    table = write_partitioned(pd.DataFrame(ROWS, columns=HEADER), tmp_path / "pupils.parquet")
    assert sorted(p.name for p in table.iterdir()) == ["school_id=8012000", "school_id=8012001"]
    with pytest.raises(PupilDataError) as err:
        by_school(load_pupils, table, ["8012000"])
    assert str(err.value).startswith(f"{table / 'school_id=8012000'}: 1 problem")
    assert "UPN must be 13 characters long. Column: upn. Row: 4" in str(err.value)
    other = by_school(load_pupils, table, ["8012001"])  # the other school's folder is fine on its own
    assert other["forename"].tolist() == ["Dee"] and other["school_id"].tolist() == ["8012001"]
    none = by_school(load_pupils, table, ["9999999"])  # a school with no folder: no rows, no other school read
    assert none.empty and list(none.columns) == HEADER


def test_a_pupil_in_two_schools_folders_read_together_is_named_in_each(tmp_path):
    rows = [ROWS[0], ROWS[1], [ROWS[1][0], "8012001", "Bob", "Sampleton", "01/09/2014", "M", "R"], ROWS[3]]
    table = write_partitioned(pd.DataFrame(rows, columns=HEADER), tmp_path / "pupils.parquet")
    assert len(by_school(load_pupils, table, ["8012001"])) == 2  # each folder alone is fine
    with pytest.raises(PupilDataError) as err:
        by_school(load_pupils, table, None)  # every school read together, as one file would be
    text = str(err.value)
    assert text.startswith(f"{table}: 2 problems")
    assert (
        "(in school_id=8012000). Column: upn. Row: 3" in text and "(in school_id=8012001). Column: upn. Row: 2" in text
    )


def test_a_row_without_a_school_cannot_be_partitioned(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rows = [*ROWS[:2], ["K801200105001", "", "Dee", "Fakely", "2015-03-04", "F", "6"]]
    pd.DataFrame(rows, columns=HEADER).to_csv(data / "pupils.csv", index=False)
    (data / "schools.csv").write_text("school_id,school_name\n8012000,A school\n8012001,Another\n")
    assert main(["partition", "--data", str(data), "--out", str(tmp_path / "out")]) == 1
    with pytest.raises(
        PupilDataError, match="Rows without a school cannot be placed. Column: school_id. Row: 4"
    ) as err:
        partition_folder(data, tmp_path / "out", say=lambda m: None)
    assert str(err.value).startswith(str(data / "pupils.csv"))  # the row named in the file the user gave
    pd.DataFrame(ROWS, columns=HEADER).to_csv(data / "pupils.csv", index=False)
    assert main(["partition", "--data", str(data), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "pupils.parquet" / "school_id=8012001" / "part-0.parquet").exists()
    # a results template of one school reads that school's folder only
    out = tmp_path / "ks2.xlsx"
    assert (
        main(
            ["template", "--school", "8012001", "--keystage", "ks2", "--data", str(tmp_path / "out"), "--out", str(out)]
        )
        == 0
    )
    assert out.exists()


def test_each_schools_key_follows_its_own_folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "schools.csv").write_text("school_id,name\n8012000,A school\n8012001,Another\n")
    write_partitioned(pd.DataFrame(ROWS, columns=HEADER), data / "pupils.parquet")
    inputs = find_inputs(data, tmp_path / "national_2026.parquet")
    before = row_digests(inputs)["pupils.parquet"]["rows"]
    assert set(before) == {"8012000", "8012001"}
    edited = [*ROWS[:3], [*ROWS[3][:2], "Deb", *ROWS[3][3:]]]
    write_partitioned(pd.DataFrame(edited, columns=HEADER), data / "pupils.parquet")
    after = row_digests(inputs)["pupils.parquet"]["rows"]
    assert after["8012000"] == before["8012000"] and after["8012001"] != before["8012001"]


def test_a_file_given_twice_is_refused(tmp_path):
    (tmp_path / "schools.csv").write_text("school_id,name\n8012000,A school\n")
    pd.DataFrame(ROWS, columns=HEADER).to_csv(tmp_path / "pupils.csv", index=False)
    write_partitioned(pd.DataFrame(ROWS, columns=HEADER), tmp_path / "pupils.parquet")
    with pytest.raises(FileNotFoundError, match="both pupils.csv and pupils.parquet; keep one"):
        find_inputs(tmp_path, tmp_path / "national_2026.parquet")


def test_on_a_cluster_partitioned_inputs_are_prepared_in_small_parts(pack_data, tmp_path):
    from toolkit.pack.cluster import PART_SCHOOLS, prepare_parts

    schools = [f"80120{i:02d}" for i in range(60)]
    small = prepare_parts(schools, 2, partitioned=True)  # a task's memory: the models and at most 25 schools
    assert [len(p) for p in small] == [20, 20, 20] and max(map(len, small)) <= PART_SCHOOLS
    assert sum(small, []) == schools
    assert [len(p) for p in prepare_parts(schools, 2, partitioned=False)] == [30, 30]  # CSV: a part a worker
    assert prepare_parts(schools[:1], 4, partitioned=True) == [schools[:1]]
    assert not find_inputs(pack_data).partitioned()
    assert find_inputs(_copy_with_references(pack_data, tmp_path)).partitioned()


def test_school_folders_written_with_different_column_types_are_read_together(tmp_path):
    """One school's folder with year groups as numbers, another's as text (two programs wrote them): a traceback
    (pyarrow could not join the schemas); every column is now read as text, as from CSV."""
    table = tmp_path / "pupils.parquet"
    rows = pd.DataFrame(ROWS, columns=HEADER)
    first = rows[rows["school_id"] == "8012000"].iloc[[0]].assign(year_group=6)
    second = rows[rows["school_id"] == "8012001"]
    for school, frame in (("8012000", first), ("8012001", second)):
        (table / f"school_id={school}").mkdir(parents=True)
        frame.to_parquet(table / f"school_id={school}" / "part-0.parquet", index=False)
    pupils = by_school(load_pupils, table, ["8012000", "8012001"])
    assert sorted(pupils["upn"]) == ["B801200005001", "K801200105001"]
    assert list(pupils["year_group"].astype(str)) == ["6", "6"]
