"""Each school's prepared slice is keyed by its own rows of the inputs: a change to one school's rows changes
that school's key only; rows no school owns change every school's key."""

from pathlib import Path

import pandas as pd

from toolkit.pipeline.keys import EVERY, rows_by_school, to_prepare


def write(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


PUPILS = [
    {"upn": "A1", "school_id": "1000001", "forename": "Ann"},
    {"upn": "B1", "school_id": "1000002", "forename": "Bo"},
    {"upn": "B2", "school_id": "1000002", "forename": "Cy"},
]


def test_a_change_to_one_schools_row_changes_that_schools_key_only(tmp_path):
    before = rows_by_school(write(tmp_path / "pupils.csv", PUPILS))
    assert set(before) == {"1000001", "1000002"}
    edited = [dict(PUPILS[0]), dict(PUPILS[1], forename="Bob"), dict(PUPILS[2])]
    after = rows_by_school(write(tmp_path / "pupils.csv", edited))
    assert after["1000001"] == before["1000001"] and after["1000002"] != before["1000002"]
    # a school's rows moving in the file among another school's rows leave its key as it was
    moved = rows_by_school(write(tmp_path / "pupils.csv", [PUPILS[1], PUPILS[0], PUPILS[2]]))
    assert moved == before
    # its own rows reordered are a change (the order is the order its tables are written in)
    swapped = rows_by_school(write(tmp_path / "pupils.csv", [PUPILS[0], PUPILS[2], PUPILS[1]]))
    assert swapped["1000002"] != before["1000002"]


def test_a_file_without_school_id_is_placed_by_each_pupils_school(tmp_path):
    school_of = pd.Series(["1000001", "1000002"], index=["A1", "B1"])
    targets = [{"upn": "a1", "subject": "English", "target": "6"}, {"upn": "B1", "subject": "English", "target": "5"}]
    keys = rows_by_school(write(tmp_path / "ks4_targets.csv", targets), school_of)
    assert set(keys) == {"1000001", "1000002"}  # UPNs matched as the loader reads them (upper case)
    stray = rows_by_school(write(tmp_path / "ks4_targets.csv", [*targets, {"upn": "Z9", "subject": "Art"}]), school_of)
    assert stray[EVERY] and stray["1000001"] == keys["1000001"]


def test_a_file_that_cannot_be_read_counts_whole_for_every_school(tmp_path):
    empty = tmp_path / "pupils.csv"
    empty.write_text("")
    assert list(rows_by_school(empty)) == [EVERY]
    nameless = write(tmp_path / "counts.csv", [{"subject": "Art", "count": 3}])
    assert list(rows_by_school(nameless)) == [EVERY]


def test_the_schools_to_prepare():
    keys = {"1000001": "k1", "1000002": "k2", "1000003": "k3"}
    recorded = {"1000001": "k1", "1000002": "old"}
    assert to_prepare(keys, recorded, lambda s: True) == ["1000002", "1000003"]
    assert to_prepare(keys, recorded, lambda s: s != "1000001") == ["1000001", "1000002", "1000003"]


def test_a_file_unchanged_since_the_last_run_is_not_read_again(tmp_path, monkeypatch):
    """row_digests reuses the last run's rows by school for every file whose bytes (and, for a file placed by
    UPN, pupils.csv's) are unchanged; a changed file is read again."""
    from toolkit.pipeline import keys as content_keys
    from toolkit.pipeline.prepare import Inputs

    pupils = write(tmp_path / "pupils.csv", PUPILS)
    schools = write(tmp_path / "schools.csv", [{"school_id": "1000001"}, {"school_id": "1000002"}])
    targets = write(tmp_path / "ks4_targets.csv", [{"upn": "B1", "subject": "Art", "target": "5"}])
    inputs = Inputs(schools, pupils, {}, tmp_path / "national_2026.parquet", ks4_targets=targets)
    first = content_keys.row_digests(inputs)
    assert first["ks4_targets.csv"]["rows"].keys() == {"1000002"} and first["ks4_targets.csv"]["pupils"]
    read = []
    monkeypatch.setattr(content_keys, "rows_by_school", lambda path, by=None: read.append(path.name) or {EVERY: ""})
    assert content_keys.row_digests(inputs, first) == first and read == []
    write(tmp_path / "pupils.csv", [*PUPILS, {"upn": "C1", "school_id": "1000001", "forename": "Di"}])
    content_keys.row_digests(inputs, first)
    assert sorted(read) == ["ks4_targets.csv", "pupils.csv"]  # placed by UPN: read again when pupils.csv changes
