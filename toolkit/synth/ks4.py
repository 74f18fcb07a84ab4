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
from toolkit.scales import make_upn
from toolkit.synth.common import school_ids

GRADES = ["U", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
PAIRS = ["UU", "11", "21", "22", "32", "33", "43", "44", "54", "55", "65", "66", "76", "77", "87", "88", "98", "99"]
TRIPLE = ("Biology", "Chemistry", "Physics")


def groups() -> pd.DataFrame:
    """The KS2 scaled-score groups with bounds and national pupils (the published Total breakdown)."""
    t = parameters.load_csv("ks4/ks2_groups_2024.csv")
    t = t[t["ks2_group"] != "Total"].copy()
    for c in ("low", "high", "pupils"):
        t[c] = pd.to_numeric(t[c].replace("", np.nan))
    return t.reset_index(drop=True)


def transition() -> pd.DataFrame:
    t = parameters.load_csv("ks4/transition_2024.csv")
    numeric = [c for c in t if c.startswith(("g_", "pair_")) or c == "entries"]
    t[numeric] = t[numeric].apply(pd.to_numeric)
    return t


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


def _enters(rng: np.random.Generator, shared: np.ndarray, together: float, p: float) -> np.ndarray:
    """Who enters a subject taken by a share ``p`` of the group, through a latent ``together``-correlated with the
    pupil's ``shared`` one (0: independent entries)."""
    own = together * shared + np.sqrt(1 - together**2) * rng.normal(size=len(shared))
    return own < norm.ppf(min(max(p, 1e-9), 1 - 1e-9))


def _other_qualifications(
    rng: np.random.Generator, cohort: pd.DataFrame, gcse_results: pd.DataFrame, t: pd.DataFrame
) -> pd.DataFrame:
    """Non-GCSE qualifications that count in the open slots (technical awards and the like; the transition matrices
    cover GCSEs only): a pupil whose GCSEs leave open slots empty takes one per empty slot with probability
    ``synth.other_rate``, graded from their KS2 group's pooled GCSE distribution at their own attainment."""
    from toolkit.methods.ks4 import attainment8

    rate = float(parameters.load_yaml("ks4.yaml")["synth"]["other_rate"])
    frame = gcse_results.assign(upn=gcse_results["pupil"].astype(str))
    slots = attainment8(frame, cohort.index.astype(str))["open_slots"].to_numpy()
    empty = np.clip(3 - slots, 0, 3)
    takes = rng.binomial(empty, rate)
    pupil = np.repeat(np.arange(len(cohort)), takes)
    pooled = t[t["subject"] != "Combined Science"].groupby("ks2_group")[[f"g_{x}" for x in GRADES]].sum()
    grades = np.empty(len(pupil), dtype=object)
    z = cohort["z"].to_numpy()[pupil] + np.sqrt(max(0.0, 1 - 0.64)) * rng.normal(size=len(pupil))
    for group, rows in pd.Series(np.arange(len(pupil))).groupby(cohort["ks2_group"].to_numpy()[pupil]):
        dist = pooled.loc[group].to_numpy(dtype=float)
        grades[rows.to_numpy()] = np.array(GRADES)[_quantile(dist, z[rows.to_numpy()])]
    return pd.DataFrame({"pupil": pupil, "subject": OTHER, "grade": grades})


def national_ks4(pupils: int, year: int, seed: int) -> NationalKs4:
    """``pupils`` synthetic pupils finishing KS4 in ``year`` (by its summer), with KS2 in ``year - 5``."""
    if pupils < 1:
        raise ValueError("--pupils must be at least 1")
    rng = np.random.default_rng(seed)
    g = groups()
    share = g["pupils"] / g["pupils"].sum()
    counts = rng.multinomial(pupils, share.to_numpy())
    within, ability, together = weights()
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
        triple = _enters(rng, v, together, p_triple)
        language = np.zeros(n, dtype=bool)
        for subject, row in rows.iterrows():
            p = min(1.0, row["entries"] / pupils_in_group)
            if subject in TRIPLE:
                entered = triple
            elif subject == "Combined Science":
                entered = ~triple & _enters(rng, v, together, min(1.0, p / max(1e-9, 1 - p_triple)))
            elif subject == "English Literature":  # taken with English language, as schools teach them
                p_language = rows.loc["English Language", "entries"] / pupils_in_group
                entered = language & (rng.random(n) < min(1.0, p / max(1e-9, p_language)))
            else:
                entered = _enters(rng, v, together, p)
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
    results.append(_other_qualifications(rng, cohort, gcse_results, t))
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
