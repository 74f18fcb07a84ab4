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
    if p.name != "figures.csv" and not p.name.startswith("dfe_")  # dfe_*: a DfE table verbatim (source in its YAML)
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


def test_the_2026_cohort_targets_the_dfes_latest_gap_index_and_gld_from_its_releases():
    """The DfE's disadvantage gap index 2025 (3.14, provisional; 2024 revised 3.13, not 2023's 3.21) and EYFS good
    level of development 2024/25 (68.3%), each sourced to its statistics release; a quoting site is named as such."""
    from toolkit.studies.tables import source_kind
    from toolkit.synth.calibration import national_targets

    targets = national_targets(2026)
    gap, gld = targets[("KS2", "disadvantage_gap_index", "all")], targets[("EYFS", "good_level_of_development", "all")]
    assert gap[:2] == (3.14, 2025) and gld[:2] == (68.3, 2025)
    assert source_kind(gap[2]) == source_kind(gld[2]) == "DfE release"
    assert source_kind("https://www.schoolsweek.co.uk/x") == "quoted: schoolsweek.co.uk"


def test_override_folder_replaces_one_file(tmp_path, monkeypatch):
    table = parameters.load_csv("scales/ks1_ta.csv")
    table.loc[table["code"] == "EXS", "points"] = "7"
    (tmp_path / "scales").mkdir()
    table.to_csv(tmp_path / "scales" / "ks1_ta.csv", index=False)
    monkeypatch.setenv("TOOLKIT_PARAMETERS", str(tmp_path))
    assert ks1_points(pd.Series(["EXS", "GDS"])).tolist() == [7, 10]  # GDS from the same override file
    assert parameters.path("scales/hml.yaml").parent == Path(locations.bundled_parameters()) / "scales"  # fallback
