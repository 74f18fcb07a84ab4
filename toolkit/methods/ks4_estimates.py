"""FFT-style KS4 estimates for Years 7-11 on the DfE's published national data (docs/methodology.md, "KS4 estimates").

- **Grade chances per subject**, conditional on the pupil taking the subject: at FFT50 they are the national grade
  shares of pupils in the same KS2 scaled-score group (the DfE's 2023/24 transition matrices,
  ``parameters/ks4/transition_2024.csv``, status published). Years 7-9 have not chosen their options, so a subject's
  chances say how a pupil would do *if* they took it.
- **Estimated Attainment 8** at FFT50 is the DfE's Progress 8 model estimate for the pupil's prior attainment group
  (``parameters/ks4/progress8_model_2023-24.csv``), independent of the subjects taken; the estimated P8 is 0.
- **Challenge**: a percentile p (FFT20 = 80, FFT5 = 95, any 1-99, or the school's own past progress) is the school at
  the p-th percentile of school Progress 8. School P8 is taken as normal with the SD ``challenge.school_p8_sd``
  (``parameters/ks4.yaml``, not published: an overridable parameter), so the estimated P8 at p is
  ``z_p x sd``, A8 rises by ten times that, and every subject's grade by the same amount on average: its cumulative
  chances are shifted on the probit scale by that many grades over the subject's within-group grade SD.
- **Own past progress**: a school's mean P8 of its past official cohorts, as a percentile of that distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from toolkit import parameters
from toolkit.methods import ks4
from toolkit.scales import gcse
from toolkit.vocabulary import year_group_number

GRADES = ("U", "1", "2", "3", "4", "5", "6", "7", "8", "9")
POINTS = np.arange(10.0)  # U = 0 ... 9 = 9
COMBINED = "Combined Science"
PAIRS = ("UU", "11", "21", "22", "32", "33", "43", "44", "54", "55", "65", "66", "76", "77", "87", "88", "98", "99")
NO_SCORE = "No scaled score"


def estimate_parameters() -> dict:
    return parameters.load_yaml("ks4.yaml")["estimates"]


def core_subjects() -> list[str]:
    """Subjects every pupil is estimated in (the rest where they have a target): ``estimates.core``."""
    return list(estimate_parameters()["core"])


def transition_groups() -> pd.DataFrame:
    """The matrices' KS2 groups: ``ks2_group, low, high, pupils`` (low NaN: below 80; both NaN: no scaled score,
    always there, with 0 pupils where the year publishes no such group; pupils: the published national count)."""
    t = parameters.load_csv(gcse.ks4_parameters()["ks2_groups"])
    t = t[t["ks2_group"] != "Total"][["ks2_group", "low", "high", "pupils"]].copy()
    if NO_SCORE not in set(t["ks2_group"]):  # a year that publishes none (2021-2023): no national pupils in it
        t.loc[len(t)] = [NO_SCORE, "", "", "0"]
    for c in ("low", "high", "pupils"):
        t[c] = pd.to_numeric(t[c].replace("", np.nan))
    return t.reset_index(drop=True)


def transition() -> pd.DataFrame:
    """National grade counts per KS2 group and subject (``g_<grade>``; combined science as ``pair_<grades>``)."""
    t = parameters.load_csv(gcse.ks4_parameters()["transition"])
    numeric = [c for c in t if c.startswith(("g_", "pair_")) or c == "entries"]
    t[numeric] = t[numeric].apply(pd.to_numeric)
    return t[t["ks2_group"] != "Total"]


def ks2_group(prior: pd.Series) -> pd.Series:
    """The matrices' KS2 group of each KS2 prior attainment (average scaled score; NaN: "No scaled score")."""
    g = transition_groups()
    out = pd.Series(NO_SCORE, index=prior.index, dtype="string")
    for row in g.itertuples():
        if np.isnan(row.high):
            continue
        low = -np.inf if np.isnan(row.low) else row.low
        out[(prior >= low) & (prior <= row.high)] = row.ks2_group
    return out


def ks2_years(pupils: pd.DataFrame) -> pd.Series:
    """The summer each pupil took (or would have taken) KS2: academic year minus (year group - 6)."""
    return pupils["academic_year"].astype(float) - (year_group_number(pupils["year_group"]).astype(float) - 6)


def distributions(subjects: list[str]) -> dict[tuple[str, str], np.ndarray]:
    """(KS2 group, subject) -> national grade shares U..9 (combined science: the mean of its two grades, per
    result), for every KS2 group (``transition_groups``). Subjects with no entries in a group fall back to that
    group's pooled GCSE shares; a group the loaded matrices lack (an older year's have no "No scaled score") to the
    national shares of the subject over all groups: ``gaps`` says which."""
    t = transition()
    grades = [f"g_{g}" for g in GRADES]
    pooled = t[t["subject"] != COMBINED].groupby("ks2_group")[grades].sum()
    everyone = t.groupby("subject")[[*grades, *(c for c in t if c.startswith("pair_"))]].sum(min_count=1)
    out = {}
    for group in dict.fromkeys([*transition_groups()["ks2_group"], *pooled.index]):
        rows = t[t["ks2_group"] == group].set_index("subject") if group in pooled.index else everyone
        for subject in subjects:
            out[(group, subject)] = _shares(rows, subject, pooled.loc[group] if group in pooled.index else None)
    return out


def _shares(rows: pd.DataFrame, subject: str, pooled: pd.Series | None) -> np.ndarray:
    """A subject's grade shares from its rows of the matrices (combined science from its pairs, each pair two
    results); its group's pooled GCSE shares, or all subjects' shares, where it has no entries."""
    grades = [f"g_{g}" for g in GRADES]
    pair_columns = [f"pair_{p}" for p in PAIRS]
    has_pairs = all(c in rows.columns for c in pair_columns)
    if subject == COMBINED and subject in rows.index and has_pairs and rows.loc[subject, pair_columns].notna().all():
        counts = np.zeros(len(GRADES))
        for p, n in zip(PAIRS, rows.loc[subject, pair_columns].to_numpy(dtype=float)):
            for g in p:
                counts[0 if g == "U" else int(g)] += n
    elif subject in rows.index and rows.loc[subject, grades].sum() > 0:
        counts = rows.loc[subject, grades].to_numpy(dtype=float)
    else:
        counts = (pooled if pooled is not None else rows[grades].sum()).to_numpy(dtype=float)
    return counts / counts.sum()


def gaps() -> list[str]:
    """What the loaded transition matrices lack, in sentences (none for the bundled 2023/24 tables)."""
    t = transition()
    file = gcse.ks4_parameters()["transition"]
    out = []
    for group in transition_groups()["ks2_group"]:
        if group not in set(t["ks2_group"]):
            out.append(
                f"The transition matrices ({file}) have no '{group}' group: its pupils are estimated from the "
                "national shares of all pupils in each subject"
            )
    if (
        COMBINED not in set(t["subject"])
        or "pair_44" not in t
        or t.loc[t["subject"] == COMBINED, "pair_44"].isna().all()
    ):
        out.append(
            f"The transition matrices ({file}) have no combined science grades: it is estimated from the KS2 "
            "group's shares over all GCSE subjects"
        )
    return out


def school_sd() -> float:
    return float(estimate_parameters()["school_p8_sd"])


def p8_at(percentile: np.ndarray | float) -> np.ndarray:
    """The Progress 8 of the school at ``percentile`` (1-99) of school P8."""
    return norm.ppf(np.clip(np.asarray(percentile, dtype=float), 1, 99) / 100) * school_sd()


def percentile_of_p8(p8: np.ndarray | float) -> np.ndarray:
    """Percentile (1-99) of a school Progress 8 score: own past progress as a challenge level."""
    return np.clip(np.round(100 * norm.cdf(np.asarray(p8, dtype=float) / school_sd())), 1, 99)


def _shifted(shares: np.ndarray, grades: np.ndarray) -> np.ndarray:
    """Shares (rows: pupils) moved up by ``grades`` (per row) on the probit scale, in units of the distribution's
    own SD, so the mean grade rises by about that many grades."""
    mean = shares @ POINTS
    sd = np.sqrt(np.maximum(shares @ POINTS**2 - mean**2, 1e-6))
    at_least = np.clip(1 - np.cumsum(shares, axis=1)[:, :-1], 0, 1)  # P(grade >= k), k = 1..9
    z = norm.ppf(np.clip(at_least, 1e-9, 1 - 1e-9)) + (grades / sd)[:, None]
    moved = np.where((at_least > 0) & (at_least < 1), norm.cdf(z), at_least)
    upper = np.concatenate([np.ones((len(shares), 1)), moved, np.zeros((len(shares), 1))], axis=1)
    return np.maximum(upper[:, :-1] - upper[:, 1:], 0)


def _per_row(level, rows: pd.DataFrame, n: int) -> np.ndarray:
    """The percentile of each (pupil, subject) row."""
    at = rows["row"].to_numpy()
    if not isinstance(level, dict):
        return np.broadcast_to(np.asarray(level, dtype=float), (n,))[at].astype(float)
    out = np.full(len(rows), 50.0)
    for subject, values in level.items():
        mine = (rows["subject"] == subject).to_numpy()
        out[mine] = np.broadcast_to(np.asarray(values, dtype=float), (n,))[at[mine]]
    return out


def estimates(pupils: pd.DataFrame, subjects: pd.DataFrame, challenges: dict[str, object]) -> pd.DataFrame:
    """Long estimates: one row per pupil, subject (``subjects``: ``upn, subject``) and challenge label.

    ``challenges``: label -> a percentile, one per pupil (aligned with ``pupils``), or a dict subject -> one per
    pupil (``toolkit.methods.challenge.per_pupil``; subjects it leaves out at 50). Returns ``upn, subject,
    challenge, percentile, ks2_group, estimate`` (expected grade points), ``grade`` (the estimate rounded to a
    grade), ``chance_<grade>`` for U..9 and ``chance_4plus, chance_5plus, chance_7plus``.
    """
    located = locate(pupils, subjects)
    parts = [located.predict(level, label) for label, level in challenges.items() if level is not None]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@dataclass(frozen=True)
class Located:
    """Pupils located once by the KS4 estimate model: each (pupil, subject) row's KS2 group and the national grade
    shares of that group in that subject, so a new challenge only shifts the shares. The interface of
    ``estimates.Located`` (``subjects``, ``predict``, ``chance_at_least``), so one what-if serves every key stage."""

    pupils: pd.DataFrame  # the pupils, index 0..n-1
    rows: pd.DataFrame  # upn, subject, row (the pupil's position in ``pupils``)
    group: np.ndarray  # each pupil's KS2 group (the transition matrices')
    base: np.ndarray | None  # each row's national grade shares U..9 (None: no rows)

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.rows["subject"]))

    def shares(self, challenge=50) -> tuple[np.ndarray, np.ndarray]:
        """Each row's percentile and its grade shares at ``challenge`` (a percentile, one per pupil, or a dict
        subject -> either)."""
        percentile = _per_row(challenge, self.rows, len(self.pupils))
        return percentile, _shifted(self.base, p8_at(percentile))

    def predict(self, challenge=50, label: str = "chosen") -> pd.DataFrame:
        """The long estimates of ``estimates`` for one challenge, labelled ``label``."""
        if self.base is None:
            return pd.DataFrame()
        percentile, shares = self.shares(challenge)
        est = shares @ POINTS
        part = pd.DataFrame(
            {
                "upn": self.rows["upn"].to_numpy(),
                "subject": self.rows["subject"].to_numpy(),
                "challenge": label,
                "percentile": percentile,
                "ks2_group": self.group[self.rows["row"].to_numpy()],
                "estimate": est,
                "grade": np.clip(np.floor(est + 0.5), 0, 9),
            }
        )
        for k, g in enumerate(GRADES):
            part[f"chance_{g}"] = shares[:, k]
        for cut in (4, 5, 7):
            part[f"chance_{cut}plus"] = shares[:, cut:].sum(axis=1)
        return part

    def chance_at_least(self, subject: str, cut: np.ndarray, challenge=50) -> np.ndarray:
        """P(grade >= cut) per pupil in ``subject`` at ``challenge`` (``cut`` in grade points, one per pupil; NaN
        where the cut is missing or the pupil is not estimated in the subject)."""
        out = np.full(len(self.pupils), np.nan)
        if self.base is None:
            return out
        _, shares = self.shares(challenge)
        mine = (self.rows["subject"] == subject).to_numpy()
        at = self.rows["row"].to_numpy()[mine]
        cuts = np.asarray(cut, dtype=float)[at]
        reach = np.array([s[int(c) :].sum() if not np.isnan(c) else np.nan for s, c in zip(shares[mine], cuts)])
        out[at] = reach
        return out


def locate(pupils: pd.DataFrame, subjects: pd.DataFrame) -> Located:
    """``pupils`` and the subjects each is estimated in (``upn, subject``) located by the KS4 model."""
    pupils = pupils.reset_index(drop=True)
    prior = ks4.ks2_prior(pupils, ks2_years(pupils))
    group = ks2_group(prior).to_numpy()
    dist = distributions(sorted(set(subjects["subject"])))
    index = pd.Series(np.arange(len(pupils)), index=pupils["upn"].to_numpy())
    rows = subjects.assign(row=subjects["upn"].map(index)).dropna(subset=["row"]).astype({"row": int})
    rows = rows[["upn", "subject", "row"]].reset_index(drop=True)
    base = np.vstack([dist[(group[r], s)] for r, s in zip(rows["row"], rows["subject"])]) if len(rows) else None
    return Located(pupils, rows, group, base)


def attainment_estimates(pupils: pd.DataFrame, challenges: dict[str, object]) -> pd.DataFrame:
    """Per pupil and challenge: ``upn, challenge, percentile, ks2_prior, p8_group, est_a8, est_p8`` (the DfE model's
    A8 for the group plus ten times the challenge's P8; NaN without a KS2 baseline)."""
    prior = ks4.ks2_prior(pupils, ks2_years(pupils))
    group = ks4.prior_group(prior)
    model_a8 = ks4.model().set_index("group")["a8"].reindex(group.astype(float)).to_numpy()
    parts = []
    for label, level in challenges.items():
        if level is None:
            continue
        percentile = np.broadcast_to(np.asarray(level, dtype=float), (len(pupils),))
        p8 = np.where(np.isnan(model_a8), np.nan, p8_at(percentile))
        parts.append(
            pd.DataFrame(
                {
                    "upn": pupils["upn"].to_numpy(),
                    "challenge": label,
                    "percentile": percentile,
                    "ks2_prior": prior.to_numpy(),
                    "p8_group": group.to_numpy(),
                    "est_a8": model_a8 + estimate_parameters()["divisor"] * p8,
                    "est_p8": p8,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def grade_points(target: pd.Series) -> pd.Series:
    """A target grade as points: 9-1 their number, U 0; anything else NaN (the loader refuses it first)."""
    text = target.astype("string").str.strip().str.upper()
    return pd.to_numeric(text.replace("U", "0"), errors="coerce").where(lambda v: v.between(0, 9))


def targets_against_estimates(targets: pd.DataFrame, chosen: pd.DataFrame) -> pd.DataFrame:
    """Each target (``upn, subject, target``) beside the estimate at the chosen challenge (``estimates`` rows of
    one label): ``estimate``, ``difference`` (target minus estimate, grades), ``chance`` (of the target grade or
    higher) and ``review``: "looks unlikely" (chance below ``targets.yaml`` ``unlikely_below``), "looks
    unambitious" (above ``unambitious_above``) or ""."""
    t = parameters.load_yaml("targets.yaml")
    merged = targets.merge(chosen, on=["upn", "subject"], how="left")
    points = grade_points(merged["target"]).to_numpy(dtype=float)
    shares = merged[[f"chance_{g}" for g in GRADES]].to_numpy(dtype=float)
    reach = np.array([s[int(p) :].sum() if not np.isnan(p) else np.nan for s, p in zip(shares, points)])
    merged["target_points"] = points
    merged["difference"] = points - merged["estimate"]
    merged["chance"] = reach
    merged["review"] = np.select(
        [reach < t["unlikely_below"], reach > t["unambitious_above"]], ["looks unlikely", "looks unambitious"], ""
    )
    return merged[["upn", "subject", "target", "target_points", "estimate", "difference", "chance", "review"]]


def own_past_progress(schools: pd.DataFrame) -> pd.DataFrame:
    """Each school's own past progress at KS4: the pupil-weighted mean P8 of its official years (``school_id,
    academic_year, p8, p8_pupils``), as a percentile of school Progress 8 (``percentile_of_p8``)."""
    official = schools.dropna(subset=["p8"]) if "p8" in schools else schools.iloc[:0]
    if official.empty:
        return pd.DataFrame(columns=["school_id", "p8", "years", "percentile"])
    g = official.assign(w=official["p8"] * official["p8_pupils"]).groupby("school_id")
    out = (g["w"].sum() / g["p8_pupils"].sum()).rename("p8").reset_index()
    out["years"] = g["academic_year"].apply(lambda y: ", ".join(str(int(v)) for v in sorted(y))).to_numpy()
    out["percentile"] = percentile_of_p8(out["p8"].to_numpy())
    return out


def expected_grades(results: pd.DataFrame, ks2_groups: pd.Series) -> pd.DataFrame:
    """Each result beside the national mean grade of pupils in the same KS2 group and subject (the DfE's transition
    matrices; combined science per result): ``results`` with ``points`` and ``expected``. ``ks2_groups``: UPN ->
    the matrices' KS2 group. Results with no result code are left out."""
    r = results.merge(gcse.subjects()[["subject", "area"]], on="subject", how="inner")
    combos = r[["grade", "area"]].drop_duplicates()
    scored = {
        (g, a): sum(gcse.double_award(g)) / 2 if a == "combined_science" else gcse.grade_points(g)
        for g, a in zip(combos["grade"], combos["area"])
    }
    points = pd.MultiIndex.from_frame(r[["grade", "area"]]).map(scored)
    r = r.assign(points=pd.to_numeric(pd.Series(points, index=r.index), errors="coerce")).dropna(subset=["points"])
    r = r.assign(ks2_group=r["upn"].map(ks2_groups).fillna(NO_SCORE))
    dist = distributions(sorted(set(r["subject"])))
    r["expected"] = [dist[(g, s)] @ POINTS for g, s in zip(r["ks2_group"], r["subject"])]
    return r
