"""The studies behind docs/synthetic_data.md and docs/methodology.md, reproducible with one command.

``python -m toolkit.studies`` prints, as Markdown, the generator's calibration table, the estimates' calibration
study (deciles and national rates on a held-out cohort) and the value-added recovery study. The tests run the same
functions with the same seeds and assert the thresholds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods.attainment import headline_measures
from toolkit.methods.estimates import EstimateModel
from toolkit.synth import calibration as synth_calibration
from toolkit.synth import cohorts as synth
from toolkit.vocabulary import KS2_SUBJECTS

YEAR = 2026
FITTED_SEED = 424242  # the cohort models are fitted on (the tests' national_200k)
HELD_OUT_SEED = 5150  # the held-out cohort of the calibration study
PUPILS = 200_000


def source_kind(url: str) -> str:
    """Whose figure a source is: the DfE's statistics release, or a page quoting it (its site)."""
    site = url.split("//")[-1].split("/")[0].removeprefix("www.")
    return "DfE release" if site.endswith("gov.uk") else f"quoted: {site}"


def generator_calibration(cohort: synth.NationalCohort, year: int = YEAR) -> pd.DataFrame:
    """``figure, published, year, source, generated, difference`` for every published figure the generator
    targets (``source``: ``source_kind`` of the figure's source)."""
    measured = headline_measures(cohort.pupils).set_index(["keystage", "measure", "subject"])["value"]
    targets = synth_calibration.national_targets(year)
    rows = []
    for key, value in measured.items():
        if key in targets:
            published, published_year, source = targets[key]
            rows.append(
                {
                    "figure": f"{key[0].upper()} {key[1].replace('_', ' ')} {key[2]}",
                    "published": published,
                    "year": published_year,
                    "source": source_kind(source),
                    "generated": value,
                    "difference": value - published,
                }
            )
    return pd.DataFrame(rows)


def recovery(cohort: synth.NationalCohort, method, min_pupils: int = 30) -> pd.DataFrame:
    """How well school value added recovers the effects planted in a synthetic cohort.

    ``method``: an unfitted ``DfeProgress`` or ``FftValueAdded``; it is fitted on the cohort. For schools with at
    least ``min_pupils``, returns per subject ``schools, r`` (correlation of score and planted effect) and
    ``coverage`` (share of 95% intervals holding the planted effect). Planted effects are centred on their
    pupil-weighted mean, as value added is.
    """
    p, schools = cohort.pupils, cohort.schools.set_index("school_id")
    method.fit(p)
    scores = method.school_scores(method.transform(p))
    rows = []
    for subject in KS2_SUBJECTS:
        s = scores[scores["subject"] == subject]
        if s.empty:
            continue
        centre = np.average(
            schools.loc[s["school_id"], f"va_{subject}_points"], weights=schools.loc[s["school_id"], "pupils"]
        )
        big = s[s["pupils"] >= min_pupils].set_index("school_id")
        planted = schools.loc[big.index, f"va_{subject}_points"] - centre
        rows.append(
            {
                "subject": subject,
                "schools": len(big),
                "r": np.corrcoef(big["score"], planted)[0, 1],
                "coverage": ((big["ci_low"] <= planted) & (planted <= big["ci_high"])).mean(),
            }
        )
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame, digits: int = 2) -> str:
    """A Markdown table (no index), numbers to ``digits`` decimals."""

    def cell(v) -> str:
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    lines = ["| " + " | ".join(frame.columns) + " |", "| " + " | ".join("---" for _ in frame.columns) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    from toolkit.methods.value_added import DfeProgress, FftValueAdded
    from toolkit.studies import calibration as estimate_calibration

    fitted = synth.national_cohort(PUPILS, YEAR, seed=FITTED_SEED)
    held_out = synth.national_cohort(PUPILS, YEAR, seed=HELD_OUT_SEED)
    print("## Generator calibration (docs/synthetic_data.md)\n")
    print(markdown(generator_calibration(fitted)))
    for stage, label, sample in (
        ("ks2", "ks2 (KS1 prior attainment)", held_out.pupils),
        (
            "ks2",
            "ks2 without KS1 (EYFS prior attainment, model fitted on the synthetic cohort)",
            estimate_calibration.without_ks1(held_out.pupils),
        ),
        ("ks1", "ks1 (EYFS prior attainment)", held_out.pupils),
    ):
        model = EstimateModel(stage).fit(fitted.pupils)
        deciles = estimate_calibration.decile_table(model, sample)
        wide = deciles.pivot(index="decile", columns="measure", values="difference")[list(deciles["measure"].unique())]
        counts = deciles.pivot(index="decile", columns="measure", values="pupils")[wide.columns]
        shown = wide.where(counts >= 500)
        print(f"\n## {label}: predicted minus observed % expected standard, deciles with >= 500 pupils\n")
        print(markdown(shown.reset_index(), 1))
        print(f"\n## {label}: national rates at FFT50\n")
        print(markdown(estimate_calibration.national_rates(model, sample, 50)))
    ks2 = EstimateModel("ks2").fit(fitted.pupils)
    for label, method in (
        ("DfE", DfeProgress()),
        ("FFT-style", FftValueAdded(ks2)),
        ("FFT-style, contextual", FftValueAdded(EstimateModel("ks2", contextual=True))),
    ):
        print(f"\n## Recovery: {label}\n")
        print(markdown(recovery(fitted, method)))
    print("\n## DfE capping of extremely negative progress (k SDs below each group's mean)\n")
    print(markdown(caps_table(fitted), 2))


KS4_PUPILS, KS4_SEED, KS4_YEAR = 60_000, 1, 2027
# Published national figures the KS4 cohort is checked against (all state-funded, England).
KS4_PUBLISHED = {
    "% English and maths 9-4": (
        65.0,
        "2023/24 revised, transition matrices Total (parameters/ks4/ks2_groups_2024.csv)",
    ),
    "% English and maths 9-5": (
        45.9,
        "2023/24 revised, transition matrices Total (parameters/ks4/ks2_groups_2024.csv)",
    ),
    "% EBacc entered": (40.4, "2023/24 revised, transition matrices Total (parameters/ks4/ks2_groups_2024.csv)"),
    "Average Attainment 8": (
        46.2,
        "2022/23 revised, KS4 performance national characteristics (explore-education-statistics.service.gov.uk/"
        "data-tables/permalink/af178607-099c-4aa0-a00a-08dbd1466a44); the 2023/24 figure is not in reference/",
    ),
}


def ks4_calibration(national) -> dict[str, pd.DataFrame]:
    """The synthetic KS4 cohort (``toolkit.synth.ks4.NationalKs4``) against what was published: ``groups`` (per P8
    prior attainment group: pupils, the model's A8, the generated mean A8 and the difference), ``subjects`` (per
    subject and KS2 group with 1,000+ generated entries: the largest difference in grade share, percentage points),
    ``headline`` (national figures) and ``p8`` (the national mean P8)."""
    from toolkit.methods import ks4
    from toolkit.synth import ks4 as synth_ks4

    pupils, results = national.pupils, national.results
    prior = ks4.ks2_prior(pupils, pupils["ks2_year"])
    scored = ks4.progress8(ks4.attainment8(results, pupils["upn"]), prior)
    model = ks4.model().set_index("group")
    included = scored[scored["included"]]
    groups = included.groupby("p8_group").agg(pupils=("a8", "size"), generated=("a8", "mean"))
    groups.insert(1, "model A8", model["a8"].reindex(groups.index.astype(int)).to_numpy())
    groups["difference"] = groups["generated"] - groups["model A8"]
    bounds = synth_ks4.groups()
    group_of = pd.Series(pd.NA, index=pupils.index, dtype="string")
    for g in bounds.itertuples():
        if np.isnan(g.high):
            group_of[prior.isna()] = g.ks2_group
        else:
            low = -np.inf if np.isnan(g.low) else g.low
            group_of[(prior >= low) & (prior <= g.high)] = g.ks2_group
    by_upn = pd.Series(group_of.to_numpy(), index=pupils["upn"])
    t = synth_ks4.transition()
    rows = []
    gcse = results[results["subject"] != synth_ks4.OTHER].assign(ks2_group=lambda r: r["upn"].map(by_upn))
    for (subject, group), mine in gcse.groupby(["subject", "ks2_group"]):
        if len(mine) < 1000 or subject == "Combined Science":
            continue
        row = t[(t["subject"] == subject) & (t["ks2_group"] == group)]
        if row.empty:
            continue
        published = row[[f"g_{x}" for x in synth_ks4.GRADES]].iloc[0].to_numpy(dtype=float)
        published = 100 * published / published.sum()
        generated = 100 * mine["grade"].value_counts(normalize=True).reindex(synth_ks4.GRADES, fill_value=0)
        rows.append(
            {
                "subject": subject,
                "ks2_group": group,
                "entries": len(mine),
                "largest difference": float(np.abs(generated.to_numpy() - published).max()),
            }
        )
    flags = ks4.headline_flags(results, pupils["upn"])
    measured = {
        "% English and maths 9-4": 100 * flags["eng_maths_4"].mean(),
        "% English and maths 9-5": 100 * flags["eng_maths_5"].mean(),
        "% EBacc entered": 100 * flags["ebacc_entered"].mean(),
        "Average Attainment 8": scored["a8"].mean(),
    }
    headline = pd.DataFrame(
        [
            {"figure": k, "published": v, "generated": measured[k], "difference": measured[k] - v, "source": src}
            for k, (v, src) in KS4_PUBLISHED.items()
        ]
    )
    return {
        "groups": groups.reset_index(),
        "subjects": pd.DataFrame(rows),
        "headline": headline,
        "p8": pd.DataFrame({"pupils": [len(included)], "national mean P8": [included["p8"].mean()]}),
    }


def main_ks4() -> None:
    from toolkit.synth import ks4 as synth_ks4

    tables = ks4_calibration(synth_ks4.national_ks4(KS4_PUPILS, KS4_YEAR, KS4_SEED))
    print(f"## KS4 cohort: {KS4_PUPILS:,} pupils, seed {KS4_SEED}\n")
    print(markdown(tables["p8"], 3))
    print("\n### Mean Attainment 8 per prior attainment group against the DfE's model\n")
    print(markdown(tables["groups"], 2))
    subjects = tables["subjects"]
    print(
        f"\n### Grade shares per subject and KS2 group ({len(subjects)} with 1,000+ generated entries; the 10 furthest)\n"
    )
    worst = subjects.sort_values("largest difference", ascending=False).head(10)
    print(markdown(worst, 2))
    print("\n### National figures\n")
    print(markdown(tables["headline"], 1))


def caps_table(cohort: synth.NationalCohort) -> pd.DataFrame:
    """Per subject: k, the share of pupils capped, and the range of the caps over the prior attainment groups."""
    from toolkit.methods.value_added import DfeProgress

    dfe = DfeProgress().fit(cohort.pupils)
    caps = dfe.national_.groupby("subject")["cap"].agg(["min", "max"])
    return pd.DataFrame(
        {
            "subject": list(dfe.cap_sd_),
            "k (SDs)": list(dfe.cap_sd_.values()),
            "% capped": [100 * dfe.capped_share_[s] for s in dfe.cap_sd_],
            "lowest cap": [caps.loc[s, "min"] for s in dfe.cap_sd_],
            "highest cap": [caps.loc[s, "max"] for s in dfe.cap_sd_],
        }
    )


if __name__ == "__main__":
    main()
