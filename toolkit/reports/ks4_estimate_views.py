"""The KS4 estimates report: Years 7-11 estimated GCSE grades, Attainment 8 and Progress 8 at each challenge, by group,
and each pupil's estimates beside their targets (the appendix and the dashboard use them too)."""

from __future__ import annotations

import pandas as pd

from toolkit.methods import groups as group_method
from toolkit.methods import ks4_estimates
from toolkit.reports.display import heading, note, show_table
from toolkit.reports.formats import one_decimal, percent, signed, signed_one_decimal, whole
from toolkit.reports.headings import headed
from toolkit.reports.views import School
from toolkit.scales import gcse
from toolkit.vocabulary import academic_year, challenge_label, year_group_number

EM = ("English Language", "Mathematics")


# ----------------------------------------------------------------------------------------------- estimates
def _current(school: School) -> pd.DataFrame:
    return school.table("ks4_current")


def _year_pupils(school: School, year_group: int) -> pd.DataFrame:
    """The pupils of one of Years 7-11."""
    current = _current(school)
    return current[year_group_number(current["year_group"]) == year_group].reset_index(drop=True)


def a8_estimates(school: School) -> pd.DataFrame:
    """Per year group: pupils, with a KS2 baseline, estimated A8 at each challenge, and the chosen challenge's P8."""
    current = _current(school)
    att = school.table("ks4_attainment").merge(current[["upn", "year_group"]], on="upn")
    att["yg"] = year_group_number(att["year_group"])
    wide = att.pivot_table(index="yg", columns="challenge", values="est_a8", aggfunc="mean")
    p8 = att[att["challenge"] == "chosen"].groupby("yg")["est_p8"].mean()
    counts = att[att["challenge"] == "FFT50"].groupby("yg")
    out = pd.DataFrame(
        {
            "Year group": [f"Year {int(y)}" for y in wide.index],
            "Pupils": counts.size().reindex(wide.index).to_numpy(),
            "With KS2": counts["est_a8"].count().reindex(wide.index).to_numpy(),
        }
    )
    for label in ("FFT50", "FFT20", "FFT5", "own_past_progress", "chosen"):
        if label in wide:
            out[f"A8 {challenge_label(label) if label != 'chosen' else 'chosen'}"] = wide[label].to_numpy()
    out["P8 (chosen)"] = p8.reindex(wide.index).to_numpy()
    return out.sort_values("Year group", key=lambda s: -s.str[5:].astype(int)).reset_index(drop=True)


def show_a8_estimates(school: School) -> None:
    table = a8_estimates(school)
    formats = {"Pupils": whole, "With KS2": whole, "P8 (chosen)": signed}
    show_table(table, formats | {c: one_decimal for c in table.columns if c.startswith("A8")})
    if table["P8 (chosen)"].abs().max() < 0.005:  # the chosen level is the national average of similar pupils
        note(
            "P8 (chosen): the Progress 8 the chosen estimates stand for. At FFT50 the estimate is what similar pupils "
            "achieve nationally, so it stands for a Progress 8 of 0.00 by definition; a higher challenge (FFT20, "
            "FFT5) stands for a positive Progress 8."
        )


def subject_estimates(school: School, year_group: int) -> pd.DataFrame:
    """A year group's subjects at the chosen challenge: pupils estimated (taking it: with a target), the average
    estimated grade, the average chances of 9-4, 9-5 and 9-7, and targets against estimates."""
    mine = set(_year_pupils(school, year_group)["upn"])
    est = school.table("ks4_estimates")
    est = est[(est["challenge"] == "chosen") & est["upn"].isin(mine)]
    targets = school.run.table_or_none(school.info["school_id"], "ks4_targets")
    g = est.groupby("subject")
    out = pd.DataFrame(
        {
            "Pupils": g.size(),
            "Estimated grade": g["estimate"].mean(),
            "Chance 9-4": 100 * g["chance_4plus"].mean(),
            "Chance 9-5": 100 * g["chance_5plus"].mean(),
            "Chance 9-7": 100 * g["chance_7plus"].mean(),
        }
    )
    if targets is not None:
        t = targets[targets["upn"].isin(mine)].groupby("subject")
        out["Targets"] = t.size()
        out["Average target"] = t["target_points"].mean()
        out["Unlikely"] = t["review"].apply(lambda r: int((r == "looks unlikely").sum()))
        out["Unambitious"] = t["review"].apply(lambda r: int((r == "looks unambitious").sum()))
        out[["Targets", "Unlikely", "Unambitious"]] = out[["Targets", "Unlikely", "Unambitious"]].fillna(0)
    out = out.reset_index().rename(columns={"subject": "Subject"})
    core = ks4_estimates.core_subjects()
    order = {name: i for i, name in enumerate(core)}
    out = out.assign(_order=out["Subject"].map(lambda x: order.get(x, len(core))))
    return out.sort_values(["_order", "Subject"]).drop(columns="_order").reset_index(drop=True)


def estimate_groups(school: School, year_group: int, challenge: str = "chosen") -> pd.DataFrame:
    """Estimated A8 of a year group by pupil group at ``challenge``, with gaps."""
    pupils = _year_pupils(school, year_group)
    att = school.table("ks4_attainment")
    att = att[att["challenge"] == challenge].set_index("upn").reindex(pupils["upn"]).reset_index()
    labels = school.table("ks4_current_groups").set_index("upn").reindex(pupils["upn"]).reset_index(drop=True)
    table = group_method.breakdown(att[["est_a8"]], pupils, ["est_a8"], labels[list(group_method.GROUPS)])
    table = table[table["pupils"] > 0]
    return table.pipe(headed, {"est_a8": "Estimated A8", "gap_est_a8": "Gap"})


def transition_label() -> str:
    """The academic year of the transition matrices in use, e.g. 2023/24 (``ks4.yaml`` ``transition_year``)."""
    return academic_year(gcse.ks4_parameters()["transition_year"])


def ks4_estimates_report(school: School) -> None:
    own = school.info.get("ks4_own_past_progress")
    heading("Estimated Attainment 8 by year group", 2)
    show_a8_estimates(school)
    note(
        "Estimated Attainment 8: the DfE's published Progress 8 model (2023/24) gives the national average A8 of "
        "pupils with the same KS2 prior attainment (FFT50); FFT20 and FFT5 add the progress of schools at the 80th "
        "and 95th percentile of school Progress 8. It does not depend on the subjects a pupil takes. P8: the "
        "Progress 8 the chosen estimates stand for, in grades per slot. "
        + (
            f"Own past progress: the school's Progress 8 of {own['years']} ({own['p8']:+.2f}), the "
            f"{own['percentile']:.0f}th percentile."
            if own
            else "Own past progress needs a past Year 11 with an official Progress 8."
        )
    )
    for yg in year_groups(school):
        heading(
            f"Year {yg}: GCSE estimates by subject (GCSEs in {int(school.info['academic_year']) + 11 - yg})",
            2,
            new_page=yg in (11, 9),
        )
        table = subject_estimates(school, yg)
        show_table(
            table,
            {
                "Pupils": whole,
                "Estimated grade": one_decimal,
                "Chance 9-4": percent,
                "Chance 9-5": percent,
                "Chance 9-7": percent,
                "Targets": whole,
                "Average target": one_decimal,
                "Unlikely": whole,
                "Unambitious": whole,
            },
        )
        if yg <= 9:
            note(
                f"Year {yg} have not chosen their GCSE options: each estimate says how a pupil would do if they took "
                "the subject."
            )
    note(
        "Estimated grade: the average of pupils' expected grades (9 to 1, U 0) at the chosen challenge level; chance "
        "9-4: the average chance of grade 4 or above, and so on. At FFT50 a pupil's chances are the grade shares of "
        "pupils nationally with the same KS2 scaled-score group taking that subject (the DfE's "
        f"{transition_label()} transition matrices). Unlikely: a target fewer than 25% of similar pupils reach at the "
        "chosen level; unambitious: one more than 90% reach. Each pupil's estimates and targets are in the per-pupil "
        "appendix." + "".join(f" {gap}." for gap in ks4_estimates.gaps())
    )
    yg = max(year_groups(school))
    heading(f"Year {yg}: estimated Attainment 8 by pupil group", 2, new_page=True)
    show_table(
        estimate_groups(school, yg),
        {"Pupils": whole, "Estimated A8": one_decimal, "Gap": signed_one_decimal},
        long=True,
    )
    note(
        "Gap: the group's estimated A8 minus the rest of the year group's, in points. Differences come from prior "
        "attainment only: estimates do not depend on characteristics."
    )


# ----------------------------------------------------------------------------------------------- per pupil
def _names(frame: pd.DataFrame) -> pd.Series:
    return (frame["forename"].fillna("") + " " + frame["surname"].fillna("")).str.strip()


def year_groups(school: School) -> list[int]:
    """Years 11 down to 7 that have pupils with KS4 estimates."""
    if not school.info.get("ks4_estimates"):
        return []
    current = _current(school)
    return sorted(set(year_group_number(current["year_group"]).dropna().astype(int)), reverse=True)


def pupil_estimates(school: School, year_group: int) -> pd.DataFrame:
    """One row per pupil of a year group: KS2 average, prior attainment, estimated A8 and P8 at the chosen
    challenge, and the estimated grade and chance of 9-4 in English language and maths."""
    pupils = _year_pupils(school, year_group).sort_values(["surname", "forename"])
    att = school.table("ks4_attainment")
    att = att[att["challenge"] == "chosen"].set_index("upn").reindex(pupils["upn"])
    labels = school.table("ks4_current_groups").set_index("upn").reindex(pupils["upn"])
    est = school.table("ks4_estimates")
    est = est[est["challenge"] == "chosen"]
    out = pd.DataFrame(
        {
            "Pupil": _names(pupils).to_numpy(),
            "KS2 average": att["ks2_prior"].to_numpy(),
            "HML": labels["Prior attainment"].str[0].fillna("").to_numpy(),
            "Estimated A8": att["est_a8"].to_numpy(),
            "Estimated P8": att["est_p8"].to_numpy(),
        }
    )
    for subject, short in zip(EM, ("English", "Maths")):
        mine = est[est["subject"] == subject].set_index("upn").reindex(pupils["upn"])
        out[f"{short} grade"] = mine["estimate"].to_numpy()
        out[f"{short} 9-4"] = 100 * mine["chance_4plus"].to_numpy()
    return out


PUPIL_FORMATS = {
    "KS2 average": one_decimal,
    "Estimated A8": one_decimal,
    "Estimated P8": signed,
    "English grade": one_decimal,
    "English 9-4": percent,
    "Maths grade": one_decimal,
    "Maths 9-4": percent,
}


def targets_to_review(school: School, year_group: int) -> pd.DataFrame:
    """A year group's flagged GCSE targets, furthest from the estimate first within each subject (the columns of
    the primary review list, so the appendix caps both alike)."""
    t = school.run.table_or_none(school.info["school_id"], "ks4_targets")
    if t is None:
        return pd.DataFrame()
    pupils = _year_pupils(school, year_group)
    t = t[t["upn"].isin(set(pupils["upn"])) & (t["review"] != "")]
    names = pd.Series(_names(pupils).to_numpy(), index=pupils["upn"])
    t = t.assign(Pupil=t["upn"].map(names), distance=t["difference"].abs())
    t = t.sort_values(["subject", "distance"], ascending=[True, False], kind="stable")
    return pd.DataFrame(
        {
            "Subject": t["subject"].to_numpy(),
            "Pupil": t["Pupil"].to_numpy(),
            "Target": t["target"].to_numpy(),
            "Estimated grade": t["estimate"].to_numpy(),
            "Chance of target": 100 * t["chance"].to_numpy(),
            "Looks": t["review"].str.removeprefix("looks ").to_numpy(),
            "Year group": year_group,
        }
    )


def all_subject_estimates(school: School) -> pd.DataFrame:
    """Every pupil's estimate in every subject at the chosen challenge, with their target (spreadsheet)."""
    current = _current(school)
    est = school.table("ks4_estimates")
    est = est[est["challenge"] == "chosen"].merge(current[["upn", "forename", "surname", "year_group"]], on="upn")
    t = school.run.table_or_none(school.info["school_id"], "ks4_targets")
    if t is not None:
        est = est.merge(t[["upn", "subject", "target", "chance"]], on=["upn", "subject"], how="left")
    out = pd.DataFrame(
        {
            "Year group": year_group_number(est["year_group"]).to_numpy(),
            "Pupil": _names(est).to_numpy(),
            "Subject": est["subject"].to_numpy(),
            "Estimated grade": est["estimate"].to_numpy(),
            "Chance 9-4": 100 * est["chance_4plus"].to_numpy(),
            "Chance 9-5": 100 * est["chance_5plus"].to_numpy(),
            "Chance 9-7": 100 * est["chance_7plus"].to_numpy(),
        }
    )
    if t is not None:
        out["Target"] = est["target"].to_numpy()
        out["Chance of target"] = 100 * est["chance"].to_numpy()
    return out.sort_values(["Year group", "Pupil", "Subject"], ascending=[False, True, True]).reset_index(drop=True)
