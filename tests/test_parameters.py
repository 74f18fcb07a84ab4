"""Every parameter carries a status and a source; a parameters folder can override single files."""

from pathlib import Path

import pandas as pd
import pytest

from toolkit import locations, parameters
from toolkit.scales import ks1_points

STATUSES = {"published", "derived", "unverified", "not_published"}
TABLES = sorted(
    str(p.relative_to(locations.bundled_parameters()))
    for p in locations.bundled_parameters().rglob("*.csv")
    if p.name != "figures.csv"
)


@pytest.mark.parametrize("name", TABLES)
def test_every_row_has_a_status_and_a_source(name):
    table = parameters.load_csv(name)
    assert set(table["status"]) <= STATUSES, name
    assert (table["source"].str.len() > 0).all(), name


def test_national_figures_have_sources():
    figures = parameters.load_csv("national/figures.csv")
    assert (figures["source"].str.len() > 0).all()
    assert pd.to_numeric(figures["value"]).notna().all()


def test_override_folder_replaces_one_file(tmp_path, monkeypatch):
    table = parameters.load_csv("scales/ks1_ta.csv")
    table.loc[table["code"] == "EXS", "points"] = "7"
    (tmp_path / "scales").mkdir()
    table.to_csv(tmp_path / "scales" / "ks1_ta.csv", index=False)
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(tmp_path))
    assert ks1_points(pd.Series(["EXS", "GDS"])).tolist() == [7, 10]  # GDS from the same override file
    assert parameters.path("scales/hml.yaml").parent == Path(locations.bundled_parameters()) / "scales"  # fallback
