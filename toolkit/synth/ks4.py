"""A synthetic national KS4 cohort: pupils with KS2 reading and maths scaled scores and their GCSE results, drawn
so that each subject's grade shares within each KS2 scaled-score group are the DfE's published national transition
matrices (``parameters/ks4/transition_2024.csv``, 2023/24, all state-funded) and the KS2 groups have the published
sizes (``parameters/ks4/ks2_groups_2024.csv``). Every pupil is synthetic.

How a pupil's grades hang together (not published, ``parameters/ks4.yaml`` ``synth``): a subject's grade is the
group's published grade distribution read at the normal quantile of
``z = within * s + ability * u + (1 - within^2 - ability^2)^0.5 * e``, where ``s`` is the pupil's KS2 average
standardised within its group, ``u`` the pupil's general attainment (shared by their subjects) and ``e`` the
subject's own noise; a subject is entered at its published rate, through a latent shared by the pupil's subjects
(``entries``: a pupil who takes one subject tends to take the others). The marginals stay the published ones whatever the weights; the weights set how strongly a
pupil's subjects agree and how grades rise within a group, which is what Attainment 8 per prior attainment group
(and so Progress 8 against the DfE's model) depends on. ``toolkit.studies`` checks them against the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from toolkit import parameters
from toolkit.methods import ks4_estimates
from toolkit.scales import make_upn
from toolkit.synth.common import school_ids

KIND = "synthetic KS4 cohort"  # what its output file is (``inputs.outputs``: written marked as such)

GRADES = ["U", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
PAIRS = ["UU", "11", "21", "22", "32", "33", "43", "44", "54", "55", "65", "66", "76", "77", "87", "88", "98", "99"]
TRIPLE = ("Biology", "Chemistry", "Physics")


def groups() -> pd.DataFrame:
    """The KS2 scaled-score groups with bounds and national pupils (the published Total breakdown)."""
    return ks4_estimates.transition_groups()


def transition() -> pd.DataFrame:
    return ks4_estimates.transition()


def weights() -> tuple[float, float, float]:
    w = parameters.load_yaml("ks4.yaml")["synth"]
    return float(w["within_group"]), float(w["ability"]), float(w["entries"])


@dataclass
class NationalKs4:
    pupils: pd.DataFrame  # upn, school_id, forename, surname, dob, gender, year_group, academic_year, ks2_*
    results: pd.DataFrame  # upn, school_id, subject, grade


def _ks2_scores(rng: np.random.Generator, group: pd.Series, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reading and maths results (text: a scaled score, or a code) and the position within the group (0-1)."""
    lo, hi = group["low"], group["high"]
    if np.isnan(hi):  # no scaled score
        return np.full(n, None, dtype=object), np.full(n, None, dtype=object), rng.random(n)
    if np.isnan(lo):  # less than 80: working below the test (nominal score 79)
        return np.full(n, "B", dtype=object), np.full(n, "B", dtype=object), rng.random(n)
    steps = np.arange(lo, hi + 0.25, 0.5)
    average = rng.choice(steps, size=n)
    reading = np.clip(np.round(average + rng.normal(0, 4, n)), 80, 120)
    maths = 2 * average - reading
    out_of_range = (maths < 80) | (maths > 120)
    maths = np.where(out_of_range, np.round(average), maths)
    reading = np.where(out_of_range, 2 * average - maths, reading)
    position = (average - lo + 0.25) / (hi - lo + 0.5)
    return reading.astype(int).astype(str).astype(object), maths.astype(int).astype(str).astype(object), position


def _quantile(table_counts: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Index into the ordered outcomes at the normal quantile of ``z`` (counts: the published distribution)."""
    cdf = np.cumsum(table_counts) / table_counts.sum()
    return np.minimum(np.searchsorted(cdf, norm.cdf(z), side="right"), len(table_counts) - 1)


OTHER = "Other approved qualifications"


def _areas() -> dict[str, str]:
    from toolkit.scales import gcse

    return gcse.subjects().set_index("subject")["area"].to_dict()


def _enters(rng: np.random.Generator, shared: np.ndarray, together: float, p: float) -> np.ndarray:
    """Who enters a subject taken by a share ``p`` of the group, through a latent ``together``-correlated with the
    pupil's ``shared`` one (0: independent entries)."""
    own = together * shared + np.sqrt(1 - together**2) * rng.normal(size=len(shared))
    return own < norm.ppf(min(max(p, 1e-9), 1 - 1e-9))


def _other_qualifications(
    rng: np.random.Generator, cohort: pd.DataFrame, gcse_results: pd.DataFrame, t: pd.DataFrame, year: int
) -> pd.DataFrame:
    """Non-GCSE qualifications that count in the open slots (technical awards and the like; the transition matrices
    cover GCSEs only), calibrated to the DfE's Progress 8 model: within each of the model's prior attainment groups,
    the pupils' empty open slots are offered one qualification each, graded from their KS2 group's pooled GCSE
    distribution at their own attainment, and the share taken (then, if every slot is not enough, the grades) is
    solved so that the group's mean Attainment 8 is the model's estimate. The model is what every school is scored
    against, so a synthetic cohort that missed it would give every demo school a built-in Progress 8 bias."""
    from toolkit.methods.ks4 import attainment8, ks2_prior, model, prior_group

    frame = gcse_results.assign(upn=gcse_results["pupil"].astype(str))
    gcse_a8 = attainment8(frame, cohort.index.astype(str))
    # candidates: one per empty open slot; a pupil whose open slots are full gets one that counts only by what it
    # scores above their lowest open slot (it would replace that GCSE)
    empty = np.clip(3 - gcse_a8["open_slots"].to_numpy(), 0, 3)
    per_pupil = np.maximum(empty, 1)
    pupil = np.repeat(np.arange(len(cohort)), per_pupil)
    floor = np.where(empty[pupil] > 0, 0.0, gcse_a8["open_lowest"].fillna(0).to_numpy()[pupil])
    prior = ks2_prior(cohort, year - 5)
    group = prior_group(prior).to_numpy(dtype=float)
    target = model().set_index("group")["a8"]
    pooled = t[t["subject"] != "Combined Science"].groupby("ks2_group")[[f"g_{x}" for x in GRADES]].sum()
    z = cohort["z"].to_numpy()[pupil] + 0.6 * rng.normal(size=len(pupil))
    taken_draw = rng.random(len(pupil))
    ks2_group = cohort["ks2_group"].to_numpy()[pupil]
    cdfs = {g: np.cumsum(pooled.loc[g].to_numpy(dtype=float)) / pooled.loc[g].sum() for g in pooled.index}

    def points(rows: np.ndarray, shift: float) -> np.ndarray:
        out = np.empty(len(rows))
        for g in np.unique(ks2_group[rows]):
            at = ks2_group[rows] == g
            idx = np.searchsorted(cdfs[g], norm.cdf(z[rows][at] + shift), side="right")
            out[at] = np.minimum(idx, len(GRADES) - 1)  # index = points (U = 0 ... 9 = 9)
        return np.maximum(out - floor[rows], 0)  # what it adds to Attainment 8

    keep = np.zeros(len(pupil), dtype=bool)
    shifts = np.zeros(len(pupil))
    slot_group = group[pupil]
    for g in np.unique(group[~np.isnan(group)]):
        mine = group == g
        rows = np.flatnonzero(slot_group == g)
        needed = (target.get(int(g), np.nan) - gcse_a8["a8"].to_numpy()[mine].mean()) * mine.sum()
        if not len(rows) or not needed > 0:
            continue
        base = points(rows, 0.0)
        order = np.argsort(taken_draw[rows])
        if base.sum() >= needed:  # take the first k draws, k the smallest reaching the need
            k = int(np.searchsorted(np.cumsum(base[order]), needed)) + 1
            keep[rows[order[:k]]] = True
            continue
        lo, hi = 0.0, 4.0  # every slot taken: raise the grades until the need is met
        for _ in range(30):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if points(rows, mid).sum() < needed else (lo, mid)
        keep[rows] = True
        shifts[rows] = hi
    pupil, z, shifts = pupil[keep], z[keep], shifts[keep]
    ks2_group = ks2_group[keep]
    grades = np.empty(len(pupil), dtype=object)
    for g in np.unique(ks2_group):
        at = ks2_group == g
        idx = np.minimum(np.searchsorted(cdfs[g], norm.cdf(z[at] + shifts[at]), side="right"), len(GRADES) - 1)
        grades[at] = np.array(GRADES)[idx]
    return pd.DataFrame({"pupil": pupil, "subject": OTHER, "grade": grades})


def _one_of_area(
    rng: np.random.Generator, shared: np.ndarray, together: float, shares: pd.Series, overlap: float
) -> dict[str, np.ndarray]:
    """Entries in an EBacc area where pupils mostly take one subject (humanities, languages): who takes the area
    (through the shared latent), which subject (by share), and a second subject for a share ``overlap`` of takers,
    so that each subject's entry rate is its published one."""
    total = float(shares.sum())
    p_any = min(0.999, total / (1 + overlap))
    takers = _enters(rng, shared, together, p_any)
    weights = (shares / total).to_numpy()
    pick = rng.choice(len(shares), size=len(shared), p=weights)
    out = {}
    for k, (subject, p) in enumerate(shares.items()):
        first = takers & (pick == k)
        extra = max(0.0, p - p_any * weights[k]) / max(1e-9, p_any * (1 - weights[k]))
        out[subject] = first | (takers & (pick != k) & (rng.random(len(shared)) < extra))
    return out


def national_ks4(pupils: int, year: int, seed: int) -> NationalKs4:
    """``pupils`` synthetic pupils finishing KS4 in ``year`` (by its summer), with KS2 in ``year - 5``."""
    if pupils < 1:
        raise ValueError("--pupils must be at least 1")
    rng = np.random.default_rng(seed)
    g = groups()
    share = g["pupils"] / g["pupils"].sum()
    counts = rng.multinomial(pupils, share.to_numpy())
    within, ability, together = weights()
    overlap = float(parameters.load_yaml("ks4.yaml")["synth"]["area_overlap"])
    noise = np.sqrt(max(0.0, 1 - within**2 - ability**2))
    t = transition()
    frames, results = [], []
    schools = school_ids(rng, max(1, pupils // 180), las=[925, 926, 928, 929, 931])
    for gi, n in enumerate(counts):
        if n == 0:
            continue
        group = g.iloc[gi]
        reading, maths, position = _ks2_scores(rng, group, n)
        s = norm.ppf(np.clip(position, 0.005, 0.995))
        u = rng.normal(size=n)
        v = rng.normal(size=n)  # how many subjects the pupil takes: entries hang together

        school = rng.integers(0, len(schools), size=n)
        frame = pd.DataFrame(
            {
                "school": school,
                "ks2_reading": reading,
                "ks2_maths": maths,
                "ks2_group": group["ks2_group"],
                "z": within * s + ability * u,
            }
        )
        frames.append(frame)
        rows = t[t["ks2_group"] == group["ks2_group"]].set_index("subject")
        pupils_in_group = group["pupils"]
        p_triple = rows.loc["Biology", "entries"] / pupils_in_group if "Biology" in rows.index else 0.0
        p_combined = (
            rows.loc["Combined Science", "entries"] / pupils_in_group if "Combined Science" in rows.index else 0
        )
        science = _enters(rng, v, together, min(1.0, p_triple + p_combined))  # some science, then which
        triple = science & (rng.random(n) < p_triple / max(1e-9, p_triple + p_combined))
        language = np.zeros(n, dtype=bool)
        area = rows.index.map(_areas())
        one_of = {}
        for name in ("humanities", "languages"):
            shares = (rows["entries"][area == name] / pupils_in_group).clip(upper=1.0)
            one_of.update(_one_of_area(rng, v, together, shares, overlap))
        for subject, row in rows.iterrows():
            p = min(1.0, row["entries"] / pupils_in_group)
            if subject in TRIPLE:
                entered = triple
            elif subject == "Combined Science":
                entered = science & ~triple
            elif subject == "English Literature":  # taken with English language, as schools teach them
                p_language = rows.loc["English Language", "entries"] / pupils_in_group
                entered = language & (rng.random(n) < min(1.0, p / max(1e-9, p_language)))
            else:
                entered = one_of[subject] if subject in one_of else _enters(rng, v, together, p)
            if subject == "English Language":
                language = entered
            if not entered.any():
                continue
            z = within * s[entered] + ability * u[entered] + noise * rng.normal(size=int(entered.sum()))
            if subject == "Combined Science":
                dist = row[[f"pair_{x}" for x in PAIRS]].to_numpy(dtype=float)
                grades = np.array(PAIRS)[_quantile(dist, z)]
                grades = np.array([x if x == "UU" else f"{x[0]}-{x[1]}" for x in grades], dtype=object)
                grades = np.where(grades == "UU", "U", grades)
            else:
                dist = row[[f"g_{x}" for x in GRADES]].to_numpy(dtype=float)
                grades = np.array(GRADES)[_quantile(dist, z)]
            results.append(
                pd.DataFrame(
                    {
                        "pupil": np.flatnonzero(entered) + sum(len(f) for f in frames[:-1]),
                        "subject": subject,
                        "grade": grades,
                    }
                )
            )
    cohort = pd.concat(frames, ignore_index=True)
    gcse_results = pd.concat(results, ignore_index=True)
    results.append(_other_qualifications(rng, cohort, gcse_results, t, year))
    cohort["school_id"] = schools[cohort["school"].to_numpy()]
    serial = cohort.groupby("school").cumcount().to_numpy() + 1
    cohort["upn"] = [
        make_upn(int(s[:3]), int(s[3:]), year - 12, int(k) % 1000) for s, k in zip(cohort["school_id"], serial)
    ]
    born = year - 16
    pupils_out = pd.DataFrame(
        {
            "upn": cohort["upn"],
            "school_id": cohort["school_id"],
            "forename": "Pupil",
            "surname": [f"Synthetic{i:06d}" for i in range(len(cohort))],
            "dob": pd.to_datetime(f"{born - 1}-09-01") + pd.to_timedelta(rng.integers(0, 365, len(cohort)), unit="D"),
            "gender": rng.choice(["F", "M"], size=len(cohort)),
            "year_group": 11,
            "academic_year": year,
            "ks2_year": year - 5,
            "ks2_reading": cohort["ks2_reading"],
            "ks2_maths": cohort["ks2_maths"],
        }
    )
    entries = pd.concat(results, ignore_index=True)
    entries.insert(0, "upn", cohort["upn"].to_numpy()[entries["pupil"].to_numpy()])
    entries.insert(1, "school_id", cohort["school_id"].to_numpy()[entries["pupil"].to_numpy()])
    return NationalKs4(pupils_out, entries.drop(columns="pupil"))


@dataclass
class SchoolKs4:
    current: pd.DataFrame  # Years 7-11 on roll: pupil-table columns with ks2_reading, ks2_maths
    targets: pd.DataFrame  # upn, school_id, subject, target (Years 10-11: their option subjects; 7-9: the core)
    past: dict[int, tuple[pd.DataFrame, pd.DataFrame]]  # KS4 year -> (Year 11 pupils, their GCSE results)


def _tilted_sample(rng: np.random.Generator, national: NationalKs4, n: int, tilt: float, intake: float) -> pd.Index:
    """``n`` pupils of a national cohort drawn with weights exp(tilt x P8 + intake x standardised KS2 prior): a school
    whose pupils do better than similar pupils nationally (tilt > 0), with a stronger or weaker intake."""
    from toolkit.methods.ks4 import attainment8, ks2_prior, progress8

    p = national.pupils
    prior = ks2_prior(p, p["ks2_year"])
    scored = progress8(attainment8(national.results, p["upn"]), prior)
    p8 = scored["p8"].fillna(0).to_numpy()
    s = ((prior - prior.mean()) / prior.std()).fillna(-1).to_numpy()
    w = np.exp(tilt * p8 + intake * s)
    return pd.Index(rng.choice(len(p), size=n, replace=False, p=w / w.sum()))


def _as_school(
    rng: np.random.Generator, pupils: pd.DataFrame, school_id: str, year: int, year_group: int, serial_from: int
) -> pd.DataFrame:
    """National pupils renamed as one school's: names, UPNs, dates of birth and characteristics (disadvantage more
    likely with lower KS2 prior attainment)."""
    from toolkit.methods.ks4 import ks2_prior
    from toolkit.synth import names
    from toolkit.synth.common import dates_of_birth

    n = len(pupils)
    female = (pupils["gender"] == "F").to_numpy()
    fore, sur = names.pupil_names(rng, female)
    prior = ks2_prior(pupils, pupils["ks2_year"]).fillna(95).to_numpy()
    disadvantaged = rng.random(n) < 1 / (1 + np.exp((prior - 98) / 6))
    out = pupils.reset_index(drop=True).copy()
    out["upn"] = [
        make_upn(int(school_id[:3]), int(school_id[3:]), year - year_group + 6, serial_from + k) for k in range(n)
    ]
    out["school_id"] = school_id
    out["forename"], out["surname"] = fore, sur
    out["dob"] = dates_of_birth(rng, rng.integers(0, 12, n), np.full(n, year - 6 - year_group))
    out["year_group"] = year_group
    out["academic_year"] = year
    out["ks2_year"] = year - (year_group - 6)
    out["fsm6"] = disadvantaged
    out["fsm"] = disadvantaged & (rng.random(n) < 0.6)
    out["eal"] = rng.random(n) < 0.15
    out["sen"] = np.where(rng.random(n) < 0.12, "K", np.where(rng.random(n) < 0.03, "E", "N"))
    return out


def school_ks4(
    rng: np.random.Generator, school_id: str, year: int, per_year: int, p8: float, intake: float, past_years: list[int]
) -> SchoolKs4:
    """A secondary school's Years 7-11 in ``year`` and its past Year 11 cohorts with GCSE results, drawn from
    synthetic national cohorts (``national_ks4``) so that they carry the national relationships, tilted so that the
    school's pupils do about ``p8`` better than similar pupils nationally. Cohorts whose KS2 tests were cancelled
    (KS2 2020 and 2021: KS4 2025 and 2026) have no KS2 results, as real pupils do."""
    from toolkit.methods import policy

    tilt = p8 / 2  # exp(tilt x P8) weights move the mean P8 by about tilt x var(P8), var about 2
    current, targets, past = [], [], {}
    for ay in past_years:
        national = national_ks4(per_year * 8, ay, int(rng.integers(1 << 31)))
        chosen = _tilted_sample(rng, national, per_year, tilt, intake)
        pupils = _as_school(rng, national.pupils.iloc[chosen], school_id, ay, 11, 1)
        renamed = dict(zip(national.pupils["upn"].iloc[chosen], pupils["upn"]))
        results = national.results[national.results["upn"].isin(renamed)].copy()
        results["upn"] = results["upn"].map(renamed)
        results["school_id"] = school_id
        if not policy.status(policy.PROGRESS_8, ay).has_baseline:  # no KS2 tests that summer
            pupils[["ks2_reading", "ks2_maths"]] = None
        past[ay] = (pupils, results.assign(academic_year=ay).reset_index(drop=True))
    national = national_ks4(per_year * 5 * 8, year, int(rng.integers(1 << 31)))  # one draw for Years 7-11
    chosen_all = _tilted_sample(rng, national, per_year * 5, tilt, intake)
    for g in range(7, 12):
        chosen = chosen_all[(g - 7) * per_year : (g - 6) * per_year]
        pupils = _as_school(rng, national.pupils.iloc[chosen], school_id, year, g, 1)
        renamed = dict(zip(national.pupils["upn"].iloc[chosen], pupils["upn"]))
        results = national.results[national.results["upn"].isin(renamed)]
        subjects = results[results["subject"] != OTHER] if g >= 10 else None
        if subjects is None:  # Years 7-9 have not chosen options: targets in the core subjects
            from toolkit.methods.ks4_estimates import core_subjects

            core = [s for s in core_subjects() if s in set(results["subject"])]
            subjects = results[results["subject"].isin(core)]
        grade = subjects["grade"].astype(str).str[0].replace("U", "0").astype(int)
        aim = np.clip(grade + rng.choice([0, 1, 1, 2], size=len(grade)) - (rng.random(len(grade)) < 0.15), 1, 9)
        targets.append(
            pd.DataFrame(
                {
                    "upn": subjects["upn"].map(renamed).to_numpy(),
                    "school_id": school_id,
                    "subject": subjects["subject"].to_numpy(),
                    "target": aim.astype(str).to_numpy(),
                }
            )
        )
        current.append(pupils)
    keep = [
        "upn",
        "school_id",
        "forename",
        "surname",
        "dob",
        "gender",
        "year_group",
        "academic_year",
        "fsm",
        "fsm6",
        "eal",
        "sen",
        "ks2_year",
        "ks2_reading",
        "ks2_maths",
    ]
    return SchoolKs4(
        pd.concat(current, ignore_index=True)[keep],
        pd.concat(targets, ignore_index=True),
        {ay: (p[keep], r[["upn", "school_id", "subject", "grade", "academic_year"]]) for ay, (p, r) in past.items()},
    )
