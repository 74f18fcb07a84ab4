"""Synthetic KS4 -> KS5 students: GCSE average point scores and A level / AS entries with grades.

Model (``parameters/synth.yaml``, section ``ks5``): each student has a latent prior attainment a (school intake +
noise); their KS4 APS is a linear map of a, clipped to the 9-1 range. Students choose 2-4 A levels (popularity
weights tilted towards subjects that suit their attainment; Further Mathematics as an extra for strong
mathematicians) and sometimes an AS. Each entry's latent outcome is prior_weight x a + subject difficulty + gender
and disadvantage effects + the school's planted value added (common + departmental) + noise; grade boundaries on
it are quantiles of a fixed calibration sample chosen so the national A level grade shares equal the published
ones (``parameters/national/a_level.csv``). Deterministic for a seed; every name is synthetic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from toolkit import parameters
from toolkit.methods import ks5
from toolkit.scales.identifiers import make_upn
from toolkit.synth import common, names

KIND = "synthetic KS5 cohort"  # what its output file is (``inputs.outputs``: written marked as such)

A_LEVEL_GRADES = ("U", "E", "D", "C", "B", "A", "A*")  # lowest first: index = number of cuts passed


def model() -> dict:
    return parameters.load_yaml("synth.yaml")["ks5"]


def grade_targets() -> dict[str, float]:
    """Share of A level entries at or above each grade (E ... A*), in [0, 1]: published where
    ``national/a_level.csv`` has the figure; B and D midway between their neighbours on the normal-quantile scale."""
    pub = ks5.national_figures()
    pub = pub[(pub["subject"] == ks5.overall_label()) & pub["value"].notna()].set_index("measure")["value"]
    share = {"A*": pub["pct_a_star"], "A": pub["pct_a_star_a"], "C": pub["pct_a_star_c"], "E": pub["pct_a_star_e"]}
    share = {g: v / 100 for g, v in share.items()}
    z = {g: stats.norm.ppf(v) for g, v in share.items()}
    share["B"] = float(stats.norm.cdf((z["A"] + z["C"]) / 2))
    share["D"] = float(stats.norm.cdf((z["C"] + z["E"]) / 2))
    return {g: share[g] for g in A_LEVEL_GRADES[1:]}


def draw_students(rng: np.random.Generator, school: np.ndarray, intake: np.ndarray, m: dict) -> pd.DataFrame:
    n = len(school)
    prior = intake[school] + rng.normal(0, np.sqrt(max(1 - m["intake_sd"] ** 2, 0.1)), n)
    aps = np.clip(m["ks4_aps_mean"] + m["ks4_aps_sd"] * prior, m["ks4_aps_min"], m["ks4_aps_max"]).round(2)
    return pd.DataFrame(
        {
            "school": school,
            "prior": prior,
            "ks4_aps": aps,
            "female": rng.random(n) < m["female_rate"],
            "disadvantaged": rng.random(n) < m["disadvantaged_rate"],
        }
    )


def draw_entries(rng: np.random.Generator, students: pd.DataFrame, m: dict) -> pd.DataFrame:
    """Which qualifications each student takes: ``student, qualification, subject, difficulty``."""
    subjects = list(m["subjects"])
    n = len(students)
    counts = rng.choice(list(m["a_levels"]), n, p=list(m["a_levels"].values()))
    weight = np.log([m["subjects"][s]["weight"] for s in subjects])
    tilt = np.array([m["subjects"][s]["tilt"] for s in subjects])
    # Gumbel top-k: each student's k most preferred subjects, preference = log weight + tilt x prior + Gumbel noise.
    score = weight + np.outer(students["prior"].to_numpy(), tilt) + rng.gumbel(size=(n, len(subjects)))
    order = np.argsort(-score, axis=1)
    rows = [(i, "A level", subjects[j]) for i in range(n) for j in order[i, : counts[i]]]
    chosen = pd.DataFrame(rows, columns=["student", "qualification", "subject"])
    fm = m["further_maths"]
    takes_maths = chosen.loc[chosen["subject"] == "Mathematics", "student"].to_numpy()
    strong = takes_maths[
        (students["prior"].to_numpy()[takes_maths] > fm["min_prior_z"]) & (rng.random(len(takes_maths)) < fm["share"])
    ]
    extra = [pd.DataFrame({"student": strong, "qualification": "A level", "subject": "Further Mathematics"})]
    for subject, share in m["as_levels"].items():
        who = np.flatnonzero(rng.random(n) < share)
        if subject in subjects:  # no AS in a subject already taken as an A level
            who = np.setdiff1d(who, chosen.loc[chosen["subject"] == subject, "student"].to_numpy())
        extra.append(pd.DataFrame({"student": who, "qualification": "AS", "subject": subject}))
    out = pd.concat([chosen, *extra], ignore_index=True).sort_values(["student", "qualification", "subject"])
    difficulty = {**{s: v["difficulty"] for s, v in m["subjects"].items()}, "Further Mathematics": fm["difficulty"]}
    out["difficulty"] = out["subject"].map(difficulty).fillna(0.0).astype(float)
    return out.reset_index(drop=True)


def latent_outcome(
    rng: np.random.Generator,
    entries: pd.DataFrame,
    students: pd.DataFrame,
    school_va: np.ndarray,
    m: dict,
    shifts: dict[str, float] | None = None,
) -> np.ndarray:
    """Each entry's latent outcome; ``shifts``: per-subject latent shifts (default the calibrated ones,
    ``subject_shifts``; {} for none)."""
    shifts = subject_shifts() if shifts is None else shifts
    st = students.iloc[entries["student"].to_numpy()]
    school = st["school"].to_numpy()
    dept = rng.normal(0, m["department_sd"], (len(school_va), 32))  # per school and subject slot
    slot = pd.factorize(entries["subject"])[0] % 32
    rho = m["prior_weight"]
    return (
        rho * st["prior"].to_numpy()
        + entries["difficulty"].to_numpy()
        + school_va[school]
        + dept[school, slot]
        + m["female"] * st["female"].to_numpy()
        + m["disadvantaged"] * st["disadvantaged"].to_numpy()
        + rng.normal(0, np.sqrt(1 - rho**2), len(entries))
        + entries["subject"].map(shifts).fillna(0.0).to_numpy(dtype=float)
    )


def _sixth_form_sizes(rng: np.random.Generator, students: int, m: dict) -> np.ndarray:
    return common.lognormal_sizes(
        rng,
        students,
        m["sixth_form_size_median"],
        m["sixth_form_size_log_sd"],
        m["sixth_form_size_min"],
        m["sixth_form_size_max"],
        spare=(1.4, 5),
    )


@functools.cache
def _calibration() -> tuple[tuple[float, ...], dict[str, float]]:
    """Latent grade boundaries (E, D, C, B, A, A* for A levels) and a latent shift per subject, solved together on
    a fixed calibration sample: the boundaries give the published national grade shares (``grade_targets``), and
    each subject's shift makes its mean points equal those the DfE's published level 3 value added model expects
    for the same KS4 prior attainment (``Level3ValueAdded.published``): scored on the DfE's own curves, the
    synthetic nation has value added 0 in every subject the model covers, as the real one does."""
    from toolkit.methods.value_added import Level3ValueAdded

    m = model()
    rng = np.random.default_rng(m["calibration_seed"])
    y, entries = _draw(rng, int(m["calibration_entries"] / 3.2), m, shifts={})
    a_level = (entries["qualification"] == "A level").to_numpy()
    aps = entries.attrs["students"]["ks4_aps"].to_numpy()[entries["student"].to_numpy()]
    subject = entries["subject"].to_numpy()
    published = Level3ValueAdded.published()
    expected = np.full(len(entries), np.nan)
    for name in np.unique(subject[a_level]):
        rows = a_level & (subject == name)
        expected[rows] = published.expected_points("A level", name, aps[rows])
    shift = {name: 0.0 for name in np.unique(subject)}
    targets = list(grade_targets().values())

    def cuts_of(values: np.ndarray) -> np.ndarray:
        return np.array([np.quantile(values[a_level], 1 - share) for share in targets])

    for _ in range(m["calibration_rounds"]):
        shifted = y + np.array([shift[x] for x in subject])
        cuts = cuts_of(shifted)
        for name in np.unique(subject[a_level & ~np.isnan(expected)]):
            rows = a_level & (subject == name)
            want = expected[rows].mean()
            lo, hi = -3.0, 3.0
            for _ in range(40):
                mid = (lo + hi) / 2
                points = 10.0 * np.searchsorted(cuts, shifted[rows] + mid, side="right")
                lo, hi = (mid, hi) if points.mean() < want else (lo, mid)
            shift[name] += (lo + hi) / 2
    final = cuts_of(y + np.array([shift[x] for x in subject]))
    return tuple(float(c) for c in final), shift


def grade_cuts() -> tuple[float, ...]:
    """Latent boundaries of E, D, C, B, A, A* for A levels (``_calibration``). AS grades use the same boundaries,
    without A*."""
    return _calibration()[0]


def subject_shifts() -> dict[str, float]:
    """Each subject's latent shift that puts it on the DfE's published value added curve (``_calibration``)."""
    return _calibration()[1]


def grades_of(y: np.ndarray, qualification: pd.Series) -> np.ndarray:
    idx = np.searchsorted(np.asarray(grade_cuts()), y, side="right")
    grade = np.asarray(A_LEVEL_GRADES, dtype=object)[idx]
    return np.where((qualification.to_numpy() == "AS") & (grade == "A*"), "A", grade)


def _draw(
    rng: np.random.Generator,
    students: int,
    m: dict,
    school_va_sd: float | None = None,
    shifts: dict[str, float] | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    sizes = _sixth_form_sizes(rng, students, m)
    n_schools = len(sizes)
    intake = rng.normal(0, m["intake_sd"], n_schools)
    va = rng.normal(0, m["va_sd"] if school_va_sd is None else school_va_sd, n_schools)
    stu = draw_students(rng, np.repeat(np.arange(n_schools), sizes), intake, m)
    entries = draw_entries(rng, stu, m)
    y = latent_outcome(rng, entries, stu, va, m, shifts)
    entries.attrs.update(students=stu, intake=intake, va=va, sizes=sizes)
    return y, entries


def _upns(school_ids: np.ndarray, school: np.ndarray, issue_year: int) -> list[str]:
    serial = pd.Series(school).groupby(school).cumcount().to_numpy() + 1
    return [
        make_upn(int(school_ids[s][:3]), int(school_ids[s][3:]), issue_year, int(k)) for s, k in zip(school, serial)
    ]


@dataclass
class NationalKs5:
    entries: pd.DataFrame  # one row per student and qualification (toolkit.methods.ks5 entries table)
    schools: pd.DataFrame  # school_id, students, intake, va (planted, latent SD units)


def national_ks5(students: int, year: int, seed: int, school_ids: np.ndarray | None = None) -> NationalKs5:
    """A synthetic national cohort of ``students`` finishing 16-18 study in ``year`` (by its summer)."""
    if students < 1:
        raise ValueError("--students must be at least 1")
    m = model()
    rng = np.random.default_rng(seed)
    y, entries = _draw(rng, students, m)
    stu, sizes = entries.attrs["students"], entries.attrs["sizes"]
    if school_ids is None:
        school_ids = common.school_ids(rng, len(sizes))
    upn = np.asarray(_upns(school_ids, stu["school"].to_numpy(), year - 15), dtype=object)
    s = entries["student"].to_numpy()
    out = pd.DataFrame(
        {
            "upn": upn[s],
            "school_id": school_ids[stu["school"].to_numpy()[s]],
            "gender": np.where(stu["female"].to_numpy()[s], "F", "M"),
            "fsm6": stu["disadvantaged"].to_numpy()[s],
            "ks4_aps": stu["ks4_aps"].to_numpy()[s],
            "qualification": entries["qualification"],
            "subject": entries["subject"],
            "grade": grades_of(y, entries["qualification"]),
            "academic_year": year,
        }
    )
    out = out.astype(
        {
            "upn": "string",
            "school_id": "string",
            "gender": "string",
            "qualification": "string",
            "subject": "string",
            "grade": "string",
            "fsm6": "boolean",
        }
    )
    schools = pd.DataFrame(
        {"school_id": school_ids, "students": sizes, "intake": entries.attrs["intake"], "va": entries.attrs["va"]}
    )
    return NationalKs5(out, schools)


def sixth_form(
    rng: np.random.Generator, school_id: str, year: int, year_group: int, students: int, intake: float, va: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One school's Year 12 or 13 in ``year``: the students (pupil-table columns, with ``ks4_aps``) and the
    entries with the grades they get (or would get) at the end of Year 13 (``toolkit.methods.ks5`` entries with names)."""
    m = model()
    stu = draw_students(rng, np.zeros(students, dtype=int), np.array([intake]), m)
    entries = draw_entries(rng, stu, m)
    y = latent_outcome(rng, entries, stu, np.array([va]), m)
    fore, sur = names.pupil_names(rng, stu["female"].to_numpy())
    month = rng.integers(0, 12, students)
    pupils = pd.DataFrame(
        {
            "upn": _upns(np.array([school_id]), np.zeros(students, dtype=int), year - 2 - year_group),
            "school_id": school_id,
            "forename": fore,
            "surname": sur,
            "dob": common.dates_of_birth(rng, month, np.full(students, year - 6 - year_group)),
            "gender": np.where(stu["female"], "F", "M"),
            "year_group": year_group,
            "academic_year": year,
            "fsm": stu["disadvantaged"].to_numpy() & (rng.random(students) < 0.6),
            "fsm6": stu["disadvantaged"].to_numpy(),
            "eal": rng.random(students) < 0.15,
            "sen": np.where(rng.random(students) < 0.08, "K", "N"),
            "ks4_aps": stu["ks4_aps"].to_numpy(),
        }
    )
    s = entries["student"].to_numpy()
    results = pupils.iloc[s][["upn", "school_id", "forename", "surname", "gender", "fsm6", "ks4_aps"]].reset_index(
        drop=True
    )
    results["qualification"] = entries["qualification"].to_numpy()
    results["subject"] = entries["subject"].to_numpy()
    results["grade"] = grades_of(y, entries["qualification"])
    results["academic_year"] = year
    return pupils, results
