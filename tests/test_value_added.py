"""Value added: DfE method against a hand-worked example; recovery of planted school effects."""

import statistics

import numpy as np
import pandas as pd
import pytest

from toolkit.methods.estimates import EstimateModel
from toolkit.methods.value_added import DfeProgress, FftValueAdded, own_past_progress, school_scores
from toolkit.studies.tables import recovery


def pupil(upn_serial: int, school: str, ks1: str, reading: str) -> dict:
    from toolkit.scales import make_upn

    return {
        "upn": make_upn(925, 2000, 2019, upn_serial),
        "school_id": school,
        "gender": "F",
        "dob": pd.Timestamp("2015-01-01"),
        "ks1_reading": ks1,
        "ks1_writing": ks1,
        "ks1_maths": ks1,
        "ks2_reading": reading,
        "ks2_writing": "EXS",
        "ks2_maths": "100",
    }


def test_dfe_progress_hand_worked():
    # National: four EXS pupils (APS 8) scoring 100, 104, 108, 112 (mean 106) and three WTS pupils (APS 6) scoring
    # 92, 96, 100 (mean 96). Raw progress: -6, -2, 2, 6 (SD 5.16398) and -4, 0, 4 (SD 4). The DfE caps a group at
    # k SDs below its mean, one k per subject such that 1% of pupils nationally are capped: in SD units the pupils
    # are -1.16190, -0.38730, 0.38730, 1.16190, -1, 0, 1, whose 1st percentile (linear interpolation over 7 values,
    # position 0.06) is -1.16190 + 0.06 x 0.16190 = -1.15218, so k = 1.15218 and the caps are -5.94984 (EXS) and
    # -4.60873 (WTS). Only the EXS pupil at -6 is capped nationally.
    national = pd.DataFrame(
        [pupil(i, "9252000", "EXS", s) for i, s in enumerate(["100", "104", "108", "112"])]
        + [pupil(10 + i, "9252001", "WTS", s) for i, s in enumerate(["92", "96", "100"])]
    )
    dfe = DfeProgress().fit(national)
    table = dfe.national_[dfe.national_["subject"] == "reading"].set_index("pag")
    assert sorted(table["national_mean"].tolist()) == [96.0, 106.0]
    assert dfe.cap_sd_["reading"] == pytest.approx(1.15218, abs=1e-5)
    assert sorted(table["cap"].tolist()) == pytest.approx([-5.94984, -4.60873], abs=1e-5)
    capped = [-5.94984, -2, 2, 6, -4, 0, 4]
    sd = statistics.stdev(capped)
    assert dfe.national_sd_["reading"] == pytest.approx(sd, abs=1e-5)
    assert dfe.capped_share_["reading"] == pytest.approx(1 / 7)
    # A school of three: EXS 104 (-2), EXS 112 (+6), WTS 88 (-8, capped to -4.60873)
    school = pd.DataFrame(
        [pupil(20, "9252002", "EXS", "104"), pupil(21, "9252002", "EXS", "112"), pupil(22, "9252002", "WTS", "88")]
    )
    progress = dfe.transform(school)
    reading = progress[progress["subject"] == "reading"]
    assert reading["progress"].tolist() == pytest.approx([-2, 6, -4.60873], abs=1e-5)
    assert reading["capped"].tolist() == [False, False, True]
    row = dfe.school_scores(progress).set_index("subject").loc["reading"]
    assert row["pupils"] == 3
    assert row["score"] == pytest.approx((-2 + 6 - 4.60873) / 3, abs=1e-5)
    assert row["ci_high"] - row["score"] == pytest.approx(1.96 * sd / np.sqrt(3), abs=1e-5)


def test_about_one_percent_capped_nationally(national_200k):
    dfe = DfeProgress().fit(national_200k.pupils)
    for subject, share in dfe.capped_share_.items():
        assert share == pytest.approx(0.01, abs=0.002), subject
    caps = dfe.national_.groupby("subject")["cap"]
    assert (caps.max() < 0).all()


def test_a_missing_ks1_subject_means_no_prior_attainment_group():
    from toolkit.methods.value_added import ks1_prior_attainment

    pupils = pd.DataFrame(
        {"ks1_reading": ["EXS", "EXS", "A"], "ks1_writing": ["EXS", None, "EXS"], "ks1_maths": ["GDS", "GDS", "EXS"]}
    )
    dfe = ks1_prior_attainment(pupils)
    assert dfe["aps"].tolist()[0] == 9.0 and dfe["aps"][1:].isna().all() and dfe["pag"][1:].isna().all()
    fft = ks1_prior_attainment(pupils, "renormalise")
    assert fft["aps"].tolist()[:2] == [9.0, pytest.approx((8 + 2 * 10) / 3)]


def test_pre_key_stage_and_p_scale_points_as_the_dfe_model_uses_them():
    from toolkit.scales import ks1_points

    codes = ["PK4", "PK3", "PK2", "PK1", "P1i", "P2ii", "P4"]
    assert ks1_points(pd.Series(codes)).tolist() == [4, 3.5, 3, 2.5, 0.25, 1.0, 1.75]


def test_nominal_scores_for_pupils_below_the_test():
    national = pd.DataFrame([pupil(i, "9252000", "EXS", s) for i, s in enumerate(["100", "B", "N"])])
    progress = DfeProgress().fit(national).transform(national)
    actual = progress[progress["subject"] == "reading"]["actual"].tolist()
    assert actual == [100, 73, 79]  # B -> PK4 nominal 73, N -> 79 (2019 table)


def test_school_scores_generic_machinery():
    frame = pd.DataFrame({"school_id": ["a", "a", "b"], "subject": "maths", "progress": [1.0, 3.0, np.nan]})
    out = school_scores(frame, {"maths": 4.0})
    assert out.to_dict("records") == [
        {
            "school_id": "a",
            "subject": "maths",
            "pupils": 2,
            "score": 2.0,
            "ci_low": pytest.approx(2 - 1.96 * 4 / np.sqrt(2)),
            "ci_high": pytest.approx(2 + 1.96 * 4 / np.sqrt(2)),
        }
    ]


def test_recovery_of_planted_school_effects_contextual_model(national_200k):
    """With the factors that drive progress in the model, school VA recovers the planted effects."""
    table = recovery(national_200k, FftValueAdded(EstimateModel("ks2", contextual=True)))
    assert len(table) == 4 and (table["schools"] > 1000).all()
    assert (table["r"] >= 0.9).all(), table
    assert table["coverage"].between(0.93, 0.98).all(), table


@pytest.mark.parametrize("method", ["dfe", "fft"])
def test_recovery_of_planted_school_effects_standard_measures(national_200k, ks2_model, method):
    """Non-contextual measures still rank schools by their planted effect (r >= 0.9); their intervals cover it a
    little less often than 95% because they do not adjust for pupil mix (docs/methodology.md)."""
    va = DfeProgress() if method == "dfe" else FftValueAdded(ks2_model)
    table = recovery(national_200k, va)
    assert len(table) == (3 if method == "dfe" else 4)  # the DfE has no GPS progress measure
    assert (table["r"] >= 0.9).all(), table
    assert (table["coverage"] >= 0.85).all(), table


def test_own_past_progress_weights_three_two_one_over_cohorts_with_a_baseline(ks2_model):
    model = ks2_model
    history = pd.DataFrame(
        {
            "school_id": "x",
            "subject": "maths",
            "year": [2026, 2025, 2024, 2023, 2022, 2019],
            "pupils": 30,
            "score": [2.0, 50.0, 50.0, 1.0, -1.0, 9.0],
        }
    )  # 2025 and 2024 have no KS1 baseline (policy calendar); 2019 is beyond the three most recent with one
    row = own_past_progress(history, model).iloc[0]
    assert row["years"] == "2026, 2023, 2022"
    assert row["weighted_score"] == pytest.approx((3 * 2 + 2 * 1 + 1 * -1) / 6)
    dist = model.fitted_["maths"].school_va
    assert row["percentile"] == round(100 * (dist <= row["weighted_score"]).mean())
    fewer = own_past_progress(history[history["year"] >= 2023], model).iloc[0]
    assert fewer["years"] == "2026, 2023" and fewer["weighted_score"] == pytest.approx((3 * 2 + 2 * 1) / 5)


def test_outliers_flagged(national_200k):
    p = national_200k.pupils.iloc[:20000]
    dfe = DfeProgress().fit(national_200k.pupils)
    progress = dfe.transform(p)
    sd = progress["subject"].map(dfe.national_sd_)
    assert progress["outlier"].equals((progress["progress"].abs() > 2 * sd).fillna(False))
    assert 0.01 < progress["outlier"].mean() < 0.1
    table = dfe.pag_table(progress)
    assert {"pupils", "school_mean", "national_mean"} <= set(table.columns)


def test_rba_ks2_progress_is_a_labelled_simulation(national_200k):
    from toolkit.methods.value_added import RbaProgressSimulation

    pupils = national_200k.pupils
    assert pupils["rba"].between(0, 39).all() and 20 <= pupils["rba"].mean() <= 28
    rba = RbaProgressSimulation().fit(pupils)
    assert "simulation" in rba.label
    assert set(rba.national_["framework"]) == {"RBA"} and rba.national_["pag"].nunique() >= 30
    progress = rba.transform(pupils)
    assert progress["progress"].notna().mean() > 0.9
    # national mean ~0 by construction; capping the lowest 1% lifts it a little
    assert abs(progress.groupby("subject")["progress"].mean()).max() < 0.15
    # A weaker baseline than KS1 (a test at age 4 against teacher assessment at age 7): pupil-level spread is wider.
    dfe = DfeProgress().fit(pupils)
    assert rba.national_sd_["maths"] > dfe.national_sd_["maths"]
    with pytest.raises(ValueError, match="schools never see these scores"):
        rba.transform(pupils.drop(columns="rba"))


def test_the_actual_against_estimate_legend_sits_below_the_panels_axis_labels():
    """The chart keeps room below its panels for its legend when it is shown (display.figure_html honours the
    chart's own layout): the legend never covers the lower panels' axis labels."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.layout_engine import TightLayoutEngine

    from toolkit.reports import charts

    progress = pd.DataFrame(
        {
            "upn": [f"A{i}" for i in range(8)],
            "subject": ["reading", "writing", "maths", "gps"] * 2,
            "actual": [100.0, 95, 103, 99, 110, 88, 101, 97],
            "estimate": [101.0, 96, 100, 98, 104, 99, 100, 96],
            "outlier": [False, False, False, False, True, False, False, False],
        }
    )
    units = {"reading": "scaled score", "writing": "TA points", "maths": "scaled score", "gps": "scaled score"}
    fig = charts.actual_vs_estimate(progress, pd.Series({("A4", "reading"): "1"}), units)
    assert isinstance(fig.get_layout_engine(), TightLayoutEngine)  # its own, with room for the legend
    fig.get_layout_engine().execute(fig)  # what display.figure_html does with it
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend_top = fig.legends[0].get_window_extent(renderer).y1
    lowest_label = min(ax.xaxis.label.get_window_extent(renderer).y0 for ax in fig.axes if ax.get_visible())
    assert legend_top <= lowest_label


def test_outliers_close_together_share_one_label_in_runs():
    """Outliers at one spot of the scatter are labelled once, as runs of their numbers (names once piled up)."""
    import pandas as pd

    from toolkit.reports.charts import _number_runs

    assert _number_runs(pd.Series(["9", "4", "5", "6", "7"])) == "4-7, 9"
    assert _number_runs(pd.Series(["3"])) == "3"
