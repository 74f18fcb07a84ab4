"""KS1 teacher assessment: points, average point score, prior attainment groups, HML, bands."""

import pandas as pd
import pytest

from toolkit.scales import hml, ks1_aps, ks1_band, ks1_points, prior_attainment_group
from toolkit.scales.ks1 import pag_table


def s(*values):
    return pd.Series(values, dtype="string")


def test_dfe_point_scores():
    assert ks1_points(s("PKF", "WTS", "EXS", "GDS")).tolist() == [4, 6, 8, 10]
    assert ks1_points(s("A", "D", None, "exs")).tolist()[:3] == pytest.approx([float("nan")] * 3, nan_ok=True)
    assert ks1_points(s("exs")).tolist() == [8]


def test_old_levels_points():
    assert ks1_points(s("W", "1", "2C", "2B", "2A", "3", "4")).tolist() == [3, 9, 13, 15, 17, 21, 27]


def test_aps_double_weights_maths():
    # (EXS 8 + WTS 6 + 2 x GDS 10) / 4 = 8.5 ; (GDS 10 + GDS 10 + 2 x WTS 6) / 4 = 8
    aps = ks1_aps(s("EXS", "GDS"), s("WTS", "GDS"), s("GDS", "WTS"))
    assert aps.tolist() == [8.5, 8.0]


def test_aps_renormalises_over_subjects_with_points():
    # writing absent: (GDS 10 + 2 x EXS 8) / 3
    assert ks1_aps(s("GDS"), s("A"), s("EXS")).iloc[0] == pytest.approx(26 / 3)
    assert pd.isna(ks1_aps(s("A"), s("D"), s("M")).iloc[0])


def test_prior_attainment_groups():
    assert len(pag_table("2016")) == 19
    assert len(pag_table("2019")) == 24
    aps = pd.Series([8.0, 8.5, 10.0, 0.0, float("nan")])
    groups = prior_attainment_group(aps, "2016")
    assert groups.iloc[0] < groups.iloc[1] < groups.iloc[2] == 19
    assert groups.iloc[3] == 1
    assert pd.isna(groups.iloc[4])
    with pytest.raises(ValueError, match="framework"):
        prior_attainment_group(aps, "2030")


def test_hml_old_levels_match_the_dfe_definition():
    # low < 12, middle 12 to < 18, high >= 18 (DfE 2011 performance tables)
    assert hml(pd.Series([11.9, 12.0, 17.9, 18.0]), "2019").tolist() == ["L", "M", "M", "H"]


def test_four_band_scale():
    assert ks1_band(s("GDS", "EXS", "WTS", "PKF", "P5", "2B")).tolist() == ["A", "N", "W", "B", "B", "N"]
