"""KS4: Attainment 8, Progress 8 on the DfE's published model, EBacc and English and maths (docs/methodology.md).

Inputs are long GCSE results (``upn, subject, grade``; subjects as ``parameters/ks4/gcse_subjects.csv`` spells
them) and a pupil table with KS2 reading and maths results (``ks2_reading``, ``ks2_maths``: scaled scores or codes).

**Attainment 8** (the DfE's slot rules, ``parameters/ks4/attainment8_structure.yaml`` read by
``toolkit.methods.attainment8``):
- English: the higher of English language and English literature counts twice when the pupil took both (the other
  may then fill an open slot); a pupil with only one of them has it counted once.
- Maths counts twice.
- EBacc slots: the best three of the sciences (combined science is two results, filling two slots), computer
  science, history, geography and languages.
- Open slots: the best three of what is left (EBacc subjects not used, the other English, every other counted
  subject).
- Discounting: a subject entered twice (the same discount code) counts once, at its best grade; a subject with no
  discount code (``Other approved qualifications``) is never discounted.
- U scores 0 and fills a slot; a no-result code (X ...) is not an entry.

**Progress 8** (the DfE's model, ``parameters/ks4.yaml``): KS2 prior attainment = the mean of the reading and maths
scaled scores (one when only one exists), result codes at the DfE's nominal scores
(``parameters/scales/ks2_nominal_scores.csv``); the prior attainment group's national averages are the estimates;
pupil P8 = (A8 - estimate) / 10, English and maths elements / 2, EBacc and open elements / 3; a school's score is
the mean, with a 95% interval of 1.96 x SD / sqrt(pupils) from the published pupil-level SDs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.methods import attainment8 as slot_structure
from toolkit.methods import policy
from toolkit.scales import gcse, ks2
from toolkit.vocabulary import academic_year

ELEMENTS = ("english", "maths", "ebacc", "open")
SCIENCES = ("Biology", "Chemistry", "Physics", "Computer Science")


def model(table: str | None = None) -> pd.DataFrame:
    """The Progress 8 model: ``group, ks2_low, ks2_high, a8`` and the element estimates (numbers)."""
    t = parameters.load_csv(table or gcse.ks4_parameters()["model"])
    return t.drop(columns=["status", "source"], errors="ignore").apply(pd.to_numeric)


# ----------------------------------------------------------------------------------------------- results
def counted_results(results: pd.DataFrame) -> pd.DataFrame:
    """One row per counted result: ``upn, subject, area, points`` (combined science as two rows, each the mean of
    its two grades: ``combined_science_points`` in ks4.yaml), after discounting (a discount code entered twice counts
    once, its best entry) and without no-result codes."""
    known = gcse.subjects()
    r = results[["upn", "subject", "grade"]].merge(known, on="subject", how="inner")
    # each distinct (grade, area) is scored once: a national cohort has millions of results and a few dozen codes
    combos = r[["grade", "area"]].drop_duplicates()
    scored = {
        (g, a): gcse.double_award(g) if a == "combined_science" else (gcse.grade_points(g), np.nan)
        for g, a in zip(combos["grade"], combos["area"])
    }
    key = pd.MultiIndex.from_frame(r[["grade", "area"]])
    table = pd.DataFrame(list(scored.values()), index=pd.MultiIndex.from_tuples(list(scored)), columns=["f", "s"])
    looked_up = table.reindex(key)
    r = r.assign(first=looked_up["f"].to_numpy(dtype=float), second=looked_up["s"].to_numpy(dtype=float))
    r = r[r["first"].notna()]
    r = r.assign(value=r["first"] + r["second"].fillna(0))
    # a blank discount code (e.g. "Other approved qualifications": one line for many) is never discounted
    own_code = pd.Series(np.arange(len(r)), index=r.index).astype("string").radd("row:")
    r = r.assign(discount_code=r["discount_code"].astype("string").replace("", pd.NA).fillna(own_code))
    r = r.sort_values(["upn", "discount_code", "value"], ascending=[True, True, False])
    r = r.drop_duplicates(["upn", "discount_code"], keep="first")
    if gcse.ks4_parameters().get("combined_science_points", "average") == "average":  # each slot the mean
        mean = (r["first"] + r["second"]) / 2
        r = r.assign(first=mean.where(r["second"].notna(), r["first"]), second=mean)
    single = r[["upn", "subject", "area", "first"]].rename(columns={"first": "points"})
    double = r[r["area"] == "combined_science"][["upn", "subject", "area", "second"]].rename(
        columns={"second": "points"}
    )
    return pd.concat([single, double], ignore_index=True)


def attainment8(
    results: pd.DataFrame,
    upns: pd.Series | None = None,
    counted: pd.DataFrame | None = None,
    layout: slot_structure.Structure | None = None,
) -> pd.DataFrame:
    """Per pupil (``upns``, default every pupil with a result): ``english, maths, ebacc, open`` element points,
    ``a8``, ``ebacc_slots`` and ``open_slots`` filled, the points of the lowest open slot filled (``open_lowest``), and
    ``english_double`` (both Englishes taken), from the slot structure in force (``layout``: another structure, whose
    elements name the columns; ``toolkit.methods.attainment8``). ``counted``: ``counted_results(results)`` when
    already made."""
    counted = counted_results(results) if counted is None else counted
    upns = pd.Index(pd.unique(results["upn"] if upns is None else upns), name="upn")
    return slot_structure.attainment8(counted, upns, layout)


def proposal_what_if(results: pd.DataFrame, upns: pd.Series) -> pd.DataFrame:
    """Each pupil's Attainment 8 now and under the reform proposed for consultation (``ks4.yaml``
    ``attainment8_proposal``; empty when none is named): ``upn, a8, a8_proposal, empty_slots,
    empty_slots_proposal``. A proposal is not an accountability measure: no Progress 8 model exists for it."""
    name = gcse.ks4_parameters().get("attainment8_proposal")
    if not name:
        return pd.DataFrame(columns=["upn", "a8", "a8_proposal", "empty_slots", "empty_slots_proposal"])
    index = pd.Index(pd.unique(upns), name="upn")
    out = slot_structure.what_if(
        counted_results(results), index, slot_structure.structure(), slot_structure.structure(name)
    )
    return out.rename(columns=lambda c: c.replace("_other", "_proposal"))


def headline_flags(
    results: pd.DataFrame, upns: pd.Series | None = None, counted: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per pupil: English and maths at 9-4 and 9-5 (maths and either English at the grade), EBacc entry, and
    EBacc at 9-4 and 9-5 (English: both taken, either at the grade; maths; science: combined science at the grade
    in both results, or two of biology, chemistry, physics and computer science; a humanity; a language).
    ``counted``: ``counted_results(results)`` when already made."""
    counted = counted_results(results) if counted is None else counted
    upns = pd.Index(pd.unique(results["upn"] if upns is None else upns), name="upn")
    out = pd.DataFrame(index=upns)

    def best(area: str) -> pd.Series:
        return counted[counted["area"] == area].groupby("upn")["points"].max().reindex(upns)

    lang, lit, maths = best("english_language"), best("english_literature"), best("maths")
    english = pd.concat([lang, lit], axis=1).max(axis=1)
    # a double award's two grades are at most one apart, so its mean reaches a grade exactly when both grades do:
    # the thresholds are not averaged (4-4 or above for 9-4), and the mean gives the same answer
    combined = counted[counted["area"] == "combined_science"].groupby("upn")["points"].min().reindex(upns)
    separate = counted[counted["subject"].isin(SCIENCES)]
    humanity, language = best("humanities"), best("languages")
    entered_science = combined.notna() | (separate.groupby("upn").size().reindex(upns).fillna(0) >= 2)
    out["ebacc_entered"] = (
        lang.notna() & lit.notna() & maths.notna() & entered_science & humanity.notna() & language.notna()
    ).to_numpy()
    for name, grade in (
        ("4", gcse.ks4_parameters()["thresholds"]["standard_pass"]),
        ("5", gcse.ks4_parameters()["thresholds"]["strong_pass"]),
    ):
        two_sciences = separate[separate["points"] >= grade].groupby("upn").size().reindex(upns).fillna(0) >= 2
        science = (combined >= grade) | two_sciences
        out[f"eng_maths_{name}"] = ((english >= grade) & (maths >= grade)).to_numpy()
        out[f"ebacc_{name}"] = (
            out["ebacc_entered"]
            & ((english >= grade) & (maths >= grade) & science & (humanity >= grade) & (language >= grade)).to_numpy()
        )
    return out.reset_index()


# ----------------------------------------------------------------------------------------------- Progress 8
def ks2_prior(pupils: pd.DataFrame, ks2_year: int | pd.Series) -> pd.Series:
    """KS2 prior attainment: the mean of the reading and maths scaled scores (one when only one exists), a result
    code at the DfE's nominal score for the pupil's KS2 year; NaN with neither. A pupil working below the test (B)
    takes the nominal score of their teacher assessment (``ks2_ta_reading``, ``ks2_ta_maths``) where the table has
    one with a nominal score, as the DfE does (``parameters/scales/ks2_nominal_scores.csv``)."""
    years = ks2_year if isinstance(ks2_year, pd.Series) else pd.Series(ks2_year, index=pupils.index)
    columns = []
    for subject in ("reading", "maths"):
        raw = pupils[f"ks2_{subject}"].astype("string").str.strip().str.upper()
        score = ks2.scaled_score(raw)
        ta = f"ks2_ta_{subject}"
        if ta in pupils:  # B: the teacher assessment stands in for the test
            assessed = pupils[ta].astype("string").str.strip().str.upper()
            raw = raw.mask((raw == "B") & assessed.notna(), assessed)
        coded = raw.notna() & score.isna() & years.notna()
        pairs = pd.DataFrame({"code": raw[coded], "year": years[coded].astype(int)})
        lookup = {(c, y): ks2.nominal_score(c, y) for c, y in pairs.drop_duplicates().itertuples(index=False)}
        nominal = pd.Series(np.nan, index=pupils.index, dtype=float)
        values = [lookup[(c, y)] for c, y in pairs.itertuples(index=False)]
        nominal[coded] = np.array([np.nan if v is None else v for v in values], dtype=float)
        columns.append(score.fillna(nominal))
    return pd.concat(columns, axis=1).mean(axis=1)


def prior_group(prior: pd.Series, table: pd.DataFrame | None = None) -> pd.Series:
    """The model's KS2 prior attainment group of each prior (below the lowest range: the lowest group)."""
    t = model() if table is None else table
    lows = t["ks2_low"].to_numpy()
    idx = np.clip(np.searchsorted(lows, prior.to_numpy(), side="right") - 1, 0, len(t) - 1)
    groups = pd.Series(t["group"].to_numpy()[idx], index=prior.index, dtype="Int64")
    return groups.where(prior.notna())


def progress8(attainment: pd.DataFrame, prior: pd.Series, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per pupil (``attainment`` from ``attainment8``, ``prior`` aligned with it): ``ks2_prior, p8_group``, the
    estimates ``p8_estimate`` and ``est_<element>``, ``p8`` and ``p8_<element>``, ``included`` and ``reason``."""
    t = model() if table is None else table
    divisors = gcse.ks4_parameters()["divisors"]
    out = attainment.copy()
    out["ks2_prior"] = prior.to_numpy()
    out["p8_group"] = prior_group(pd.Series(out["ks2_prior"].to_numpy()), t).to_numpy()
    row = t.set_index("group").reindex(out["p8_group"].astype("float"))
    out["p8_estimate"] = row["a8"].to_numpy()
    out["p8"] = (out["a8"] - out["p8_estimate"]) / divisors["p8"]
    for element in ELEMENTS:
        out[f"est_{element}"] = row[element].to_numpy()
        out[f"p8_{element}"] = (out[element] - out[f"est_{element}"]) / divisors[element]
    minimum = p8_minimum(out["p8_group"])
    out["p8_adjusted"] = out["p8"].clip(lower=minimum)
    out["included"] = out["ks2_prior"].notna()
    out["reason"] = np.where(out["included"], "", "no KS2 reading or maths result: no prior attainment")
    return out


def p8_minimum(groups: pd.Series) -> pd.Series:
    """The DfE's minimum pupil P8 for each pupil's prior attainment group: ``p8_cap_z`` standard deviations below
    the group's mean of 0 (``p8_cap_group_sd`` per group, else the pupil-level P8 SD; ``parameters/ks4.yaml``)."""
    p = gcse.ks4_parameters()
    sd = pd.Series(float(p["sd"]["p8"]), index=groups.index)
    if p.get("p8_cap_group_sd"):
        table = parameters.load_csv(p["p8_cap_group_sd"]).astype({"group": float, "sd": float})
        sd = groups.astype(float).map(table.set_index("group")["sd"]).fillna(sd)
    return float(p["p8_cap_z"]) * sd


def school_scores(pupils: pd.DataFrame, by: str | list[str] = "school_id") -> pd.DataFrame:
    """Per school (``by``): included ``pupils``, mean ``a8``, ``p8`` (of the adjusted pupil scores, ``p8_adjusted``)
    and each ``p8_<element>`` with 95% intervals (``<score>_low``, ``<score>_high``) from the published pupil-level
    SDs, and ``p8_capped``: how many pupils count at the minimum."""
    sd, z = gcse.ks4_parameters()["sd"], gcse.ks4_parameters()["z"]
    included = pupils[pupils["included"]]
    g = included.groupby(by)
    out = g.size().rename("pupils").to_frame()
    out["a8"] = g["a8"].mean()
    for score, key in [("p8", "p8")] + [(f"p8_{e}", e) for e in ELEMENTS]:
        # the school's P8 averages the adjusted scores (extremely negative ones at the DfE's minimum)
        out[score] = g["p8_adjusted" if score == "p8" and "p8_adjusted" in included else score].mean()
        half = z * sd[key] / np.sqrt(out["pupils"])
        out[f"{score}_low"], out[f"{score}_high"] = out[score] - half, out[score] + half
    if "p8_adjusted" in included:
        out["p8_capped"] = included.assign(capped=included["p8_adjusted"] > included["p8"]).groupby(by)["capped"].sum()
    return out.reset_index()


HEADLINE_FLAGS = ("eng_maths_4", "eng_maths_5", "ebacc_entered", "ebacc_4", "ebacc_5")


def score_cohort(
    pupils: pd.DataFrame, results: pd.DataFrame, year: int, unofficial: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """A KS4 cohort scored as the DfE does for ``year``, with the policy calendar (``parameters/policy``).

    ``pupils``: one row per pupil with results (``upn, school_id, ks2_reading, ks2_maths``, optional ``ks2_year``);
    ``results``: long GCSE results. Returns per pupil (``attainment8``, ``progress8``, ``headline_flags``,
    ``school_id``, ``p8_status``), per school (``pupils, a8``, ``pct_<flag>``; with a P8 status also ``p8_pupils``,
    ``p8`` and elements with intervals) and the P8 status label ("" when the year has none and ``unofficial`` is
    False: the P8 columns are then empty and every pupil's ``reason`` says why)."""
    missing = [c for c in ("ks2_reading", "ks2_maths") if c not in pupils]
    if missing:
        raise ValueError(
            f"The pupil table has no {' or '.join(missing)} column: Progress 8 needs each pupil's KS2 reading and "
            "maths results (leave a cell blank where a pupil has none)"
        )
    entry = policy.status(policy.PROGRESS_8, year)
    official = entry.has_baseline
    cohort = pupils.reset_index(drop=True)
    counted = counted_results(results)  # once, for A8 and the flags alike
    a8 = attainment8(results, cohort["upn"], counted)
    ks2_year = cohort["ks2_year"] if "ks2_year" in cohort else year - 5
    scored = progress8(a8, ks2_prior(cohort, ks2_year))
    scored = scored.merge(headline_flags(results, cohort["upn"], counted), on="upn")
    scored.insert(1, "school_id", cohort["school_id"].astype("string").to_numpy())
    if not official and not unofficial:
        p8_columns = [c for c in scored if c.startswith(("p8", "est_"))]
        scored[p8_columns] = np.nan
        scored["included"] = False
        scored["reason"] = f"no official Progress 8 in {year}: {entry.reason}"
    status = (p8_label(year) if official else policy.label(policy.UNOFFICIAL)) if official or unofficial else ""
    scored["p8_status"] = status
    schools = school_scores(scored.assign(included=True), "school_id")[["school_id", "pupils", "a8"]]
    flags = scored.groupby("school_id")[list(HEADLINE_FLAGS)]
    schools = schools.merge((100 * flags.mean()).add_prefix("pct_").reset_index(), on="school_id")
    if status:
        p8 = school_scores(scored, "school_id").drop(columns="a8").rename(columns={"pupils": "p8_pupils"})
        schools = schools.merge(p8, on="school_id", how="left").assign(p8_status=status)
    return scored, schools, status


def p8_label(year: int) -> str:
    """How Progress 8 of ``year`` is labelled: the calendar's status ("official") when the loaded model is that
    year's (``ks4.yaml`` ``model_year``); else a projection on the loaded model, naming its year, until the DfE's table
    for that year is loaded (``toolkit reference import``)."""
    entry = policy.status(policy.PROGRESS_8, year)
    made = int(gcse.ks4_parameters()["model_year"])
    if entry.has_baseline and made != int(year):
        return f"projection on the DfE's {academic_year(made)} model"
    return policy.label(entry.status)


def model_file() -> str:
    """The Progress 8 model table in use (``ks4.yaml`` ``model``; an override may name another)."""
    return f"parameters/{gcse.ks4_parameters()['model']}"


def prior_band(prior: pd.Series) -> pd.Series:
    """Lower, middle or higher attainers at KS2 from the reading and maths average (``parameters/ks4.yaml``
    ``prior_bands``); <NA> without one."""
    bands = parameters.load_yaml("ks4.yaml")["prior_bands"]
    label = np.select(
        [prior < bands["low_below"], prior >= bands["high_from"]],
        ["Lower attainers", "Higher attainers"],
        "Middle attainers",
    )
    return pd.Series(label, index=prior.index, dtype="string").where(prior.notna())


def national_figures() -> pd.DataFrame:
    """Published national headline percentages by pupil breakdown (``parameters/ks4/national_2024.csv``: 2023/24
    revised, all state-funded): ``breakdown, pupils, pct_ebacc_entered, pct_ebacc_4, pct_ebacc_5,
    pct_eng_maths_4, pct_eng_maths_5``, plus ``source``."""
    t = parameters.load_csv(gcse.ks4_parameters()["national"])
    numeric = [c for c in t if c.startswith("pct_") or c == "pupils"]
    t[numeric] = t[numeric].apply(pd.to_numeric)
    return t


def disadvantaged_comparison(pupils: pd.DataFrame, national: pd.DataFrame) -> pd.DataFrame:
    """Disadvantaged pupils (``fsm6``) against all the school's pupils, its other pupils and national other pupils
    (the ASP "switch comparator": the DfE compares disadvantaged pupils with non-disadvantaged pupils nationally),
    per measure of a scored cohort (``score_cohort``): the percentages of ``national`` (``national_figures``) with
    their national figures, Attainment 8 and, where any pupil has one, Progress 8. Columns ``measure,
    disadvantaged, all, other, national_other, national_disadvantaged`` (percentages in percent) and
    ``disadvantaged_pupils``."""
    by_breakdown = national.set_index("breakdown")
    dis = pupils["fsm6"].astype("boolean")
    mine, others = dis.fillna(False), ~dis.fillna(True)
    measures = [("pct_eng_maths_4", 100), ("pct_eng_maths_5", 100), ("pct_ebacc_entered", 100), ("pct_ebacc_4", 100)]
    measures += [("a8", 1)] + ([("p8", 1)] if pupils["p8"].notna().any() else [])
    rows = []
    for measure, scale in measures:
        column = measure.removeprefix("pct_")
        published = measure in by_breakdown.columns
        rows.append(
            {
                "measure": measure,
                "disadvantaged": scale * pupils.loc[mine, column].mean(),
                "all": scale * pupils[column].mean(),
                "other": scale * pupils.loc[others, column].mean(),
                "national_other": by_breakdown.loc["Not disadvantaged", measure] if published else np.nan,
                "national_disadvantaged": by_breakdown.loc["Disadvantaged", measure] if published else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out.insert(1, "disadvantaged_pupils", int(mine.sum()))
    return out
