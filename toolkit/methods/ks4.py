"""KS4: Attainment 8, Progress 8 on the DfE's published model, EBacc and English and maths (docs/methodology.md).

Inputs are long GCSE results (``upn, subject, grade``; subjects as ``parameters/ks4/gcse_subjects.csv`` spells
them) and a pupil table with KS2 reading and maths results (``ks2_reading``, ``ks2_maths``: scaled scores or codes).

**Attainment 8** (the DfE's slot rules):
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
from toolkit.scales import gcse, ks2

ELEMENTS = ("english", "maths", "ebacc", "open")
SCIENCES = ("Biology", "Chemistry", "Physics", "Computer Science")


def spec() -> dict:
    return gcse.spec()


def model(table: str | None = None) -> pd.DataFrame:
    """The Progress 8 model: ``group, ks2_low, ks2_high, a8`` and the element estimates (numbers)."""
    t = parameters.load_csv(table or spec()["model"])
    return t.drop(columns=["status", "source"], errors="ignore").apply(pd.to_numeric)


# ----------------------------------------------------------------------------------------------- results
def counted_results(results: pd.DataFrame) -> pd.DataFrame:
    """One row per counted result: ``upn, subject, area, points`` (combined science as two rows), after
    discounting (a discount code entered twice counts once, its best entry) and without no-result codes."""
    known = gcse.subjects()
    r = results[["upn", "subject", "grade"]].merge(known, on="subject", how="inner")
    pairs = [
        gcse.double_award(g) if a == "combined_science" else (gcse.grade_points(g), np.nan)
        for g, a in zip(r["grade"], r["area"])
    ]
    r = r.assign(first=[p[0] for p in pairs], second=[p[1] for p in pairs])
    r = r[r["first"].notna()]
    r = r.assign(value=r["first"] + r["second"].fillna(0))
    # a blank discount code (e.g. "Other approved qualifications": one line for many) is never discounted
    own_code = pd.Series(np.arange(len(r)), index=r.index).astype("string").radd("row:")
    r = r.assign(discount_code=r["discount_code"].astype("string").replace("", pd.NA).fillna(own_code))
    r = r.sort_values(["upn", "discount_code", "value"], ascending=[True, True, False])
    r = r.drop_duplicates(["upn", "discount_code"], keep="first")
    single = r[["upn", "subject", "area", "first"]].rename(columns={"first": "points"})
    double = r[r["area"] == "combined_science"][["upn", "subject", "area", "second"]].rename(
        columns={"second": "points"}
    )
    return pd.concat([single, double], ignore_index=True)


def _best(candidates: pd.DataFrame, slots: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each pupil's best ``slots`` candidates, and the rest."""
    ranked = candidates.sort_values(["upn", "points"], ascending=[True, False], kind="stable")
    position = ranked.groupby("upn").cumcount()
    return ranked[position < slots], ranked[position >= slots]


def attainment8(results: pd.DataFrame, upns: pd.Series | None = None) -> pd.DataFrame:
    """Per pupil (``upns``, default every pupil with a result): ``english, maths, ebacc, open`` element points,
    ``a8``, ``ebacc_slots`` and ``open_slots`` filled, the points of the lowest open slot filled (``open_lowest``), and
    ``english_double`` (both Englishes taken)."""
    counted = counted_results(results)
    upns = pd.Index(pd.unique(results["upn"] if upns is None else upns), name="upn")
    by_area = counted.groupby(["upn", "area"])["points"].max().unstack()
    lang = by_area.get("english_language", pd.Series(dtype=float)).reindex(upns)
    lit = by_area.get("english_literature", pd.Series(dtype=float)).reindex(upns)
    both = lang.notna() & lit.notna()
    higher = pd.concat([lang, lit], axis=1).max(axis=1)
    english = (higher * np.where(both, 2, 1)).fillna(0)
    maths = (2 * by_area.get("maths", pd.Series(dtype=float)).reindex(upns)).fillna(0)
    ebacc_pool = counted[counted["area"].isin(gcse.EBACC_AREAS)]
    ebacc, left = _best(ebacc_pool)
    lower = pd.DataFrame({"upn": upns[both.to_numpy()], "points": pd.concat([lang, lit], axis=1).min(axis=1)[both]})
    open_pool = pd.concat([left, counted[counted["area"] == "open"], lower], ignore_index=True)
    opened, _ = _best(open_pool[["upn", "points"]])
    out = pd.DataFrame(index=upns)
    out["english"] = english.to_numpy()
    out["maths"] = maths.to_numpy()
    out["ebacc"] = ebacc.groupby("upn")["points"].sum().reindex(upns).fillna(0).to_numpy()
    out["open"] = opened.groupby("upn")["points"].sum().reindex(upns).fillna(0).to_numpy()
    out["a8"] = out[list(ELEMENTS)].sum(axis=1)
    out["ebacc_slots"] = ebacc.groupby("upn").size().reindex(upns).fillna(0).astype(int).to_numpy()
    out["open_slots"] = opened.groupby("upn").size().reindex(upns).fillna(0).astype(int).to_numpy()
    out["open_lowest"] = opened.groupby("upn")["points"].min().reindex(upns).to_numpy()
    out["english_double"] = both.to_numpy()
    return out.reset_index()


def headline_flags(results: pd.DataFrame, upns: pd.Series | None = None) -> pd.DataFrame:
    """Per pupil: English and maths at 9-4 and 9-5 (maths and either English at the grade), EBacc entry, and
    EBacc at 9-4 and 9-5 (English: both taken, either at the grade; maths; science: combined science at the grade
    in both results, or two of biology, chemistry, physics and computer science; a humanity; a language)."""
    counted = counted_results(results)
    upns = pd.Index(pd.unique(results["upn"] if upns is None else upns), name="upn")
    out = pd.DataFrame(index=upns)

    def best(area: str) -> pd.Series:
        return counted[counted["area"] == area].groupby("upn")["points"].max().reindex(upns)

    lang, lit, maths = best("english_language"), best("english_literature"), best("maths")
    english = pd.concat([lang, lit], axis=1).max(axis=1)
    combined = counted[counted["area"] == "combined_science"].groupby("upn")["points"].min().reindex(upns)
    separate = counted[counted["subject"].isin(SCIENCES)]
    humanity, language = best("humanities"), best("languages")
    entered_science = combined.notna() | (separate.groupby("upn").size().reindex(upns).fillna(0) >= 2)
    out["ebacc_entered"] = (
        lang.notna() & lit.notna() & maths.notna() & entered_science & humanity.notna() & language.notna()
    ).to_numpy()
    for name, grade in (("4", spec()["thresholds"]["standard_pass"]), ("5", spec()["thresholds"]["strong_pass"])):
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
    code at the DfE's nominal score for the pupil's KS2 year; NaN with neither."""
    years = ks2_year if isinstance(ks2_year, pd.Series) else pd.Series(ks2_year, index=pupils.index)
    columns = []
    for subject in ("reading", "maths"):
        raw = pupils[f"ks2_{subject}"].astype("string").str.strip().str.upper()
        score = ks2.scaled_score(raw)
        nominal = [
            ks2.nominal_score(code, int(y)) if pd.notna(code) and pd.isna(s) and pd.notna(y) else np.nan
            for code, s, y in zip(raw, score, years)
        ]
        columns.append(score.fillna(pd.Series(nominal, index=pupils.index, dtype=float)))
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
    divisors = spec()["divisors"]
    out = attainment.copy()
    out["ks2_prior"] = prior.to_numpy()
    out["p8_group"] = prior_group(pd.Series(out["ks2_prior"].to_numpy()), t).to_numpy()
    row = t.set_index("group").reindex(out["p8_group"].astype("float"))
    out["p8_estimate"] = row["a8"].to_numpy()
    out["p8"] = (out["a8"] - out["p8_estimate"]) / divisors["p8"]
    for element in ELEMENTS:
        out[f"est_{element}"] = row[element].to_numpy()
        out[f"p8_{element}"] = (out[element] - out[f"est_{element}"]) / divisors[element]
    out["included"] = out["ks2_prior"].notna()
    out["reason"] = np.where(out["included"], "", "no KS2 reading or maths result: no prior attainment")
    return out


def school_scores(pupils: pd.DataFrame, by: str | list[str] = "school_id") -> pd.DataFrame:
    """Per school (``by``): included ``pupils``, mean ``a8``, ``p8`` and each ``p8_<element>`` with 95% intervals
    (``<score>_low``, ``<score>_high``) from the published pupil-level SDs."""
    sd, z = spec()["sd"], spec()["z"]
    included = pupils[pupils["included"]]
    g = included.groupby(by)
    out = g.size().rename("pupils").to_frame()
    out["a8"] = g["a8"].mean()
    for score, key in [("p8", "p8")] + [(f"p8_{e}", e) for e in ELEMENTS]:
        out[score] = g[score].mean()
        half = z * sd[key] / np.sqrt(out["pupils"])
        out[f"{score}_low"], out[f"{score}_high"] = out[score] - half, out[score] + half
    return out.reset_index()
