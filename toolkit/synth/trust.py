"""The synthetic demo trust: a few primaries (current pupils, past KS2 cohorts, tracking, subject leaders' counts) and
a secondary with a sixth form (KS4 and KS5 results, old-style KS2 levels), written as a school data folder with a
README saying no real pupil is in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit import parameters
from toolkit.scales.identifiers import make_upn
from toolkit.synth import common, names
from toolkit.synth.calibration import calibrate, draw_cohort, draw_schools, latents
from toolkit.synth.cohorts import draw_targets, outcome_columns, pupil_table
from toolkit.vocabulary import KS2_SUBJECTS


@dataclass
class DemoTrust:
    schools: pd.DataFrame
    pupils: pd.DataFrame  # current pupils: Reception to Year 6 (primaries), Years 12-13 (secondary)
    past: dict[int, pd.DataFrame]  # KS2 year -> that year's Year 6 with KS2 results
    ks5: dict[int, pd.DataFrame] = field(default_factory=dict)  # year -> that year's Year 13 A level entries
    ks2_levels: dict[int, pd.DataFrame] = field(default_factory=dict)  # year -> Years 7-11 with old KS2 levels
    tracking: pd.DataFrame | None = None  # termly steps-and-points grades (primaries)
    judgements: pd.DataFrame | None = None  # foundation-subject judgements (primaries)
    ks4: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict)  # year -> (Year 11, GCSEs)
    ks4_targets: pd.DataFrame | None = None  # Years 7-11 GCSE targets (upn, school_id, subject, target)
    attendance: pd.DataFrame | None = None  # sessions per pupil and term (toolkit.synth.attendance)
    checks: pd.DataFrame | None = None  # phonics and multiplication tables check results (toolkit.synth.checks)
    suspensions: pd.DataFrame | None = None  # this year's suspensions and exclusions (toolkit.synth.profile)
    ofsted: pd.DataFrame | None = None  # a synthetic Ofsted outcomes file (toolkit.synth.profile)


SECONDARY = {
    "school_id": "9254000",
    "school_name": "Thornbury Park School (synthetic)",
    "intake": 0.10,
    "va_ks5": 0.15,
    "sixth_form_students": 120,
    "ks4_pupils_per_year": 180,
    "p8": 0.3,  # planted: its pupils do about this much better than similar pupils nationally (Progress 8)
    "ks4_intake": 0.2,  # KS2 prior attainment of its intake, above national (weight on the standardised prior)
}


OLD_KS2_YEAR = 2016  # the last Years 7-11 who all sat old-style KS2 (levels and marks): Year 11 of 2015/16


OLD_KS2_EXCEPTIONS = (
    ("N", 5.0, "2"),
    ("N", 3.0, None),
    ("2", 15.0, "W"),
    ("2", 14.0, "1"),
    ("2", 16.0, "2"),
    ("2", 5.0, "3"),
    ("2", 30.0, "4"),
    ("2", 17.0, "4"),
)  # (level, mark, TA)


def old_ks2_cohort(
    rng: np.random.Generator, school_id: str, year: int = OLD_KS2_YEAR, per_year: int = 150
) -> pd.DataFrame:
    """Years 7-11 of a secondary school in ``year`` with old-style KS2 results (levels, test marks, teacher
    assessments), including every exception of seed 004 and, in Year 11, the seed's worked-example pupil (English
    level 4 mark 52, maths level 5 mark 88)."""
    from toolkit.methods.ks2_baseline import mark_range, thresholds

    table = thresholds()
    parts = []
    for g in range(7, 12):
        n = per_year
        female = rng.random(n) < 0.5
        fore, sur = names.pupil_names(rng, female)
        birth_start = np.full(n, year - 6 - g)
        ks2_year = year - (g - 6)
        frame = pd.DataFrame(
            {
                "upn": [
                    make_upn(int(school_id[:3]), int(school_id[3:]), int(b) + 4, 500 + k)
                    for k, b in enumerate(birth_start)
                ],
                "school_id": school_id,
                "forename": fore,
                "surname": sur,
                "dob": common.dates_of_birth(rng, rng.integers(0, 12, n), birth_start),
                "gender": np.where(female, "F", "M"),
                "year_group": g,
                "academic_year": year,
                "fsm6": rng.random(n) < 0.25,
                "ks2_year": ks2_year,
            }
        )
        general = rng.normal(0, 1, n)
        for subject, mean in (("english", 4.35), ("maths", 4.4)):
            grade = mean + 0.75 * (0.8 * general + 0.6 * rng.normal(0, 1, n))
            level = np.clip(np.floor(grade), 2, 5).astype(int)
            frac = np.clip(grade - np.floor(grade), 0, 0.999)
            mark = np.empty(n)
            for lv in (2, 3, 4, 5):
                lo, hi = mark_range(table, ks2_year, subject, lv)
                rows = level == lv
                mark[rows] = np.floor(lo + frac[rows] * (hi - lo + 1))
            level_text = level.astype(str).astype(object)
            ta = np.clip(level + rng.choice([-1, 0, 0, 0, 1], n), 1, 6).astype(str).astype(object)
            # The lowest attainers of each year carry seed 004's exceptions: level N with and without a TA, test
            # level 2 with TA W, 1, 2 and above 2 (marks below and above the level-2 range among them).
            lowest = np.argsort(grade)[: len(OLD_KS2_EXCEPTIONS)]
            for i, (lv, mk, t) in zip(lowest, OLD_KS2_EXCEPTIONS):
                level_text[i], mark[i], ta[i] = lv, mk, t
            frame[f"ks2_{subject}_level"] = level_text
            frame[f"ks2_{subject}_mark"] = mark
            frame[f"ks2_{subject}_ta"] = ta
            frame[f"ks2_{subject}_level6"] = (level == 5) & (grade > 5.7)
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    example = out.index[out["year_group"] == 11][0]  # seed 004's worked example
    out.loc[
        example,
        [
            "ks2_english_level",
            "ks2_english_mark",
            "ks2_english_ta",
            "ks2_english_level6",
            "ks2_maths_level",
            "ks2_maths_mark",
            "ks2_maths_ta",
            "ks2_maths_level6",
        ],
    ] = ["4", 52.0, "4", False, "5", 88.0, "5", False]
    out.loc[example, "ks2_year"] = year - 5
    return out


def demo_secondary(year: int, seed: int) -> tuple[dict, pd.DataFrame, dict[int, pd.DataFrame], pd.DataFrame, object]:
    """The demo trust's secondary school with a sixth form: its schools.csv row, Years 7-13 on roll in ``year``
    (Years 7-11 with KS2 results, Years 12-13 with KS4 APS), the A level entries of its three previous Year 13
    cohorts, its Years 7-11 of ``OLD_KS2_YEAR`` with old-style KS2 results (``old_ks2_cohort``) and its KS4 data
    (``toolkit.synth.ks4.school_ks4``: three past Year 11 cohorts with GCSE results, and GCSE targets). Drawn from
    its own random streams, so adding it leaves the primaries unchanged."""
    from toolkit.synth import ks4 as synth_ks4
    from toolkit.synth import ks5 as synth_ks5

    rng = np.random.default_rng([seed, 4000])
    sch = SECONDARY
    size = lambda: int(sch["sixth_form_students"] * rng.uniform(0.9, 1.1))
    current = [
        synth_ks5.sixth_form(rng, sch["school_id"], year, g, size(), sch["intake"], sch["va_ks5"])[0] for g in (12, 13)
    ]
    past = {
        ay: synth_ks5.sixth_form(rng, sch["school_id"], ay, 13, size(), sch["intake"], sch["va_ks5"])[1]
        for ay in (year - 3, year - 2, year - 1)
    }
    ks4 = synth_ks4.school_ks4(
        np.random.default_rng([seed, 4500]),
        sch["school_id"],
        year,
        sch["ks4_pupils_per_year"],
        sch["p8"],
        sch["ks4_intake"],
        [year - 3, year - 2, year - 1],
    )
    row = {
        "school_id": sch["school_id"],
        "school_name": sch["school_name"],
        "la": 925,
        "phase": "Secondary",
        "trust": "Synthetic Demo Trust",
        "synthetic": True,
        "sixth_form": True,
        "intake": sch["intake"],
        "va_ks5": sch["va_ks5"],
        "p8": sch["p8"],
    }
    on_roll = pd.concat([ks4.current, *current], ignore_index=True)
    return row, on_roll, past, old_ks2_cohort(rng, sch["school_id"]), ks4


def withhold_ks1(pupils: pd.DataFrame, year: int, demo: dict, rng: np.random.Generator) -> pd.DataFrame:
    """The KS1 results real pupils have: none for cohorts whose KS1 year was cancelled (KS2 2024 and 2025), and
    none for the pupils of a school and year group that did not assess KS1 once it was optional (from 2024; a
    share ``ks1_opt_out_share`` of schools per year group). Pupils in ``year`` are in Year ``g``: KS1 in
    ``year - (g - 2)``; past Year 6 cohorts of KS2 year ``ay``: KS1 in ``ay - 4``."""
    out = pupils.copy()
    g = out["year_group"].astype(int).to_numpy()
    ay = out["academic_year"].astype(int).to_numpy()
    ks1_year = ay - (g - 2)
    cancelled = np.isin(ks1_year, demo["ks1_cancelled_years"])
    optional = (g >= 3) & (ks1_year >= demo["ks1_optional_from"]) & (ay == year)
    keys = pd.DataFrame({"school": out["school_id"].astype(str), "g": g})[optional].drop_duplicates()
    opted_out = keys[rng.random(len(keys)) < demo["ks1_opt_out_share"]]
    out_key = pd.MultiIndex.from_frame(pd.DataFrame({"school": out["school_id"].astype(str), "g": g}))
    withheld = cancelled | (optional & out_key.isin(pd.MultiIndex.from_frame(opted_out)))
    for col in (c for c in out.columns if c.startswith("ks1_")):
        out.loc[withheld, col] = pd.NA
    return out


def demo_trust(n_schools: int, year: int, seed: int, secondary: bool = True) -> DemoTrust:
    """A synthetic trust: ``n_schools`` primaries with Reception-Year 6 in academic year ``year`` (by its summer)
    and past KS2 cohorts (``demo.past_ks2_cohorts`` in parameters/synth.yaml) for value added and own past
    progress, with the KS1 results real schools have (``withhold_ks1``), plus (unless
    ``secondary`` is False) a secondary school with a sixth form (``demo_secondary``)."""
    if n_schools < 1:
        raise ValueError("--schools must be at least 1")
    model = parameters.load_yaml("synth.yaml")
    chars = parameters.load_yaml("national/characteristics.yaml")
    cal = calibrate(year - 1)
    rng = np.random.default_rng(seed)
    schools = draw_schools(rng, n_schools, model, chars)
    ids = common.school_ids(rng, n_schools, las=[925])
    # A school keeps roughly its size from year to year: 1, 2 or 3 forms of entry, or a small village school.
    form = rng.choice([15, 30, 30, 45, 60, 90], n_schools)
    demo = model["demo"]
    past_years = [year - k for k in range(1, demo["past_ks2_cohorts"] + 1)]
    cohorts = [(g, year) for g in range(7)] + [(6, ay) for ay in past_years]
    parts = []
    for g, ay in cohorts:
        sizes = np.clip(np.round(form * rng.uniform(0.85, 1.0, n_schools)), 10, 90).astype(int)
        school = np.repeat(np.arange(n_schools), sizes)
        c = draw_cohort(rng, school, schools, chars)
        lat = latents(c, schools, model, cal.effects)
        stage = 3 if ay < year else (2 if g >= 3 else 1 if g >= 1 else 0)
        n = len(school)
        table = pupil_table(rng, c, lat, cal, model, ids, np.full(n, g), np.full(n, ay), np.full(n, stage))
        if ay == year:
            would_be = outcome_columns(c, lat, cal, model, np.full(n, 3))
            table = pd.concat([table, draw_targets(rng, would_be, np.full(n, g), model)], axis=1)
        parts.append(table)
    everyone = withhold_ks1(pd.concat(parts, ignore_index=True), year, demo, np.random.default_rng([seed, 5000]))
    current = everyone[everyone["academic_year"] == year].reset_index(drop=True)
    current = current.drop(columns=[c for c in current.columns if c.startswith("ks2_")])
    past = {
        ay: everyone[everyone["academic_year"] == ay]
        .reset_index(drop=True)
        .drop(columns=[c for c in everyone.columns if c.startswith("target_")])
        for ay in sorted(past_years)
    }
    school_frame = pd.DataFrame(
        {
            "school_id": ids,
            "school_name": names.school_names(n_schools),
            "la": 925,
            "phase": "Primary",
            "trust": "Synthetic Demo Trust",
            "synthetic": True,
            "sixth_form": False,
            "intake": schools.intake,
            **{f"va_{s}": schools.va[s] for s in KS2_SUBJECTS},
        }
    )
    from toolkit.synth import assessment as synth_assessment
    from toolkit.synth.checks import demo_checks

    arng = np.random.default_rng([seed, 3000])  # its own stream: the pupils above are unchanged
    records = synth_assessment.tracking_records(arng, current, year)
    judged = synth_assessment.judgements(arng, current, year)
    if not secondary:
        trust = DemoTrust(school_frame, current, past, tracking=records, judgements=judged)
        trust.attendance = demo_attendance(trust, year, seed)
        trust.checks = demo_checks(np.random.default_rng([seed, 5000]), current, year)
        return _with_profile_inputs(trust, year, seed)
    row, secondary_pupils, ks5_past, old_ks2, ks4 = demo_secondary(year, seed)
    school_frame = pd.concat([school_frame, pd.DataFrame([row])], ignore_index=True)
    shared = {c: t for c, t in current.dtypes.items() if c in secondary_pupils and c != "dob"}
    current = pd.concat([current, secondary_pupils.astype(shared)], ignore_index=True)
    trust = DemoTrust(
        school_frame, current, past, ks5_past, {OLD_KS2_YEAR: old_ks2}, records, judged, ks4.past, ks4.targets
    )
    trust.attendance = demo_attendance(trust, year, seed)
    primaries = current[
        current["school_id"]
        .astype(str)
        .isin(school_frame.loc[school_frame["phase"] == "Primary", "school_id"].astype(str))
    ]
    trust.checks = demo_checks(np.random.default_rng([seed, 5000]), primaries, year)
    return _with_profile_inputs(trust, year, seed)


def _with_profile_inputs(trust: DemoTrust, year: int, seed: int) -> DemoTrust:
    """Entry dates on the pupil table and this year's suspensions (``toolkit.synth.profile``), on their own random
    stream: every other table is unchanged."""
    from toolkit.synth import profile

    rng = np.random.default_rng([seed, 6000])
    trust.pupils = trust.pupils.assign(entry_date=profile.entry_dates(rng, trust.pupils, year))
    phases = trust.schools.set_index(trust.schools["school_id"].astype(str))["phase"]
    trust.suspensions = profile.suspensions(rng, trust.pupils, phases, year)
    trust.ofsted = profile.ofsted_outcomes(rng, trust.schools, year)
    return trust


def demo_attendance(trust: DemoTrust, year: int, seed: int) -> pd.DataFrame:
    """Sessions per term for the pupils on roll (last year's three terms for those who were at the school, this
    year's autumn term), and last year's Year 6 and Year 11 (who have left; their attendance beside their
    results), calibrated to the DfE's national rates by phase (``toolkit.synth.attendance``). Its own random
    stream: every other table is unchanged."""
    from toolkit.synth import attendance as synth_attendance

    rng = np.random.default_rng([seed, 4000])
    last = [(year - 1, t) for t in synth_attendance.TERMS]
    phases = trust.schools.set_index(trust.schools["school_id"].astype(str))["phase"]
    parts = []
    leavers = []
    if year - 1 in trust.past:  # last year's Year 6: attainment from their KS2 reading and maths scores
        cohort = trust.past[year - 1]
        scores = cohort[["ks2_reading", "ks2_maths"]].apply(pd.to_numeric, errors="coerce").mean(axis=1)
        leavers.append(cohort.assign(z=((scores - scores.mean()) / scores.std()).fillna(0).to_numpy()))
    if year - 1 in trust.ks4:  # last year's Year 11: from their mean GCSE grade
        cohort, results = trust.ks4[year - 1]
        grade = pd.to_numeric(results["grade"], errors="coerce").groupby(results["upn"]).mean()
        mean = cohort["upn"].map(grade)
        leavers.append(cohort.assign(z=((mean - mean.mean()) / mean.std()).fillna(0).to_numpy()))
    # each school's own absence, beyond its intake: a lognormal multiplier (not_published: a spread of 15%)
    effects = dict(zip(phases.index, np.exp(rng.normal(0, 0.15, len(phases))), strict=True))
    for who, periods in ((trust.pupils, None), *((f, last) for f in leavers)):
        who = who.assign(school_id=who["school_id"].astype(str))
        for school, pupils in who.groupby("school_id"):
            phase, effect = phases.get(school, "Primary"), effects.get(school, 1.0)
            if periods is None:  # on roll: last year if they were here (not Reception, not Year 7 or 12 joiners)
                joined = pupils["year_group"].astype(int).isin([0, 7, 12] if phase == "Secondary" else [0])
                parts.append(synth_attendance.attendance(rng, pupils[~joined], phase, last, effect))
                parts.append(synth_attendance.attendance(rng, pupils, phase, [(year, "autumn")], effect))
            else:
                z = pupils.pop("z").to_numpy()
                parts.append(synth_attendance.attendance(rng, pupils, phase, periods, effect, z))
    return pd.concat(parts, ignore_index=True)


README_TEXT = """# Synthetic demo trust (NOT REAL PUPILS)

Every pupil, name, UPN and school here was generated by `toolkit synth schools`; surnames such as Mockford or
Sampleton say so on every page. Results follow a model calibrated to published national figures
(docs/synthetic_data.md). Files:

- schools.csv: the schools, with the value added planted in each (latent SD units)
- pupils.csv: pupils on roll in {year_label}: Reception to Year 6 in the primaries (EYFS from Year 1, KS1 from
  Year 3, except where a school did not assess the optional KS1 of 2024 on); Years 7-11 in the secondary school
  with their KS2 results, and Years 12 and 13 with their KS4 average point score
- ks2_<year>.csv: the Year 6 of each of the previous five years, with KS2 results (the 2024 and 2025 cohorts have
  no KS1 results: KS1 2020 and 2021 were cancelled, so there is no official progress measure for them)
- ks5_<year>.csv: the secondary school's Year 13 of each of the three previous years, one row per A level or AS
  entry with its grade
- tracking.csv: termly steps-and-points grades (reading, writing, maths) of the primaries' pupils: last year's
  three terms and this year's autumn
- subject_judgements.csv: emerging / expected / exceeding in the foundation subjects (science and PE by
  programme of study), one row per pupil, subject and programme
- ks4_<year>.csv and gcse_<year>.csv: the secondary school's Year 11 of each of the three previous years (KS2
  results; none for 2025 and 2026, whose KS2 tests of 2020 and 2021 were cancelled) and their GCSE results
- ks4_targets.csv: GCSE targets of the secondary school's Years 7-11 (Years 10-11 in their option subjects, Years
  7-9 in the core subjects)
- suspensions.csv: this year's suspensions and permanent exclusions, one row per pupil with any
- ofsted_outcomes.csv: a made-up Ofsted outcomes file (report-card grades per evaluation area) in the layout the
  trust overview reads; every grade in it is invented, not a prediction
- ks2_levels_<year>.csv: the secondary school's Years 7-11 of 2015/16 with old-style KS2 results (levels, test marks,
  teacher assessments) for the fine-points and Progress 8 baseline report
"""


def write_trust(trust: DemoTrust, out: Path, year: int, exports: bool = False) -> list[Path]:
    """Write the demo trust as CSV pupil tables (the same format a school would supply); with ``exports``, its
    pupils, past Year 6s and past Year 11s as CTFs and an MIS export instead (``toolkit.synth.exports``)."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "schools.csv"]
    trust.schools.to_csv(written[0], index=False, float_format="%.5f")
    if exports:
        from toolkit.synth.exports import write_exports, written_before

        for stale in written_before(out):  # this synthetic folder's own earlier tables: import writes them now
            stale.unlink()
        written += write_exports(trust, out, year)
    else:
        written.append(out / "pupils.csv")
        _to_csv(trust.pupils, written[-1])
    for ay, frame in trust.past.items() if not exports else ():
        written.append(out / f"ks2_{ay}.csv")
        _to_csv(frame, written[-1])
    for ay, frame in trust.ks5.items():
        written.append(out / f"ks5_{ay}.csv")
        _to_csv(frame, written[-1])
    for ay, frame in trust.ks2_levels.items():
        written.append(out / f"ks2_levels_{ay}.csv")
        _to_csv(frame, written[-1])
    for ay, (pupils, results) in trust.ks4.items():
        if not exports:
            written.append(out / f"ks4_{ay}.csv")
            _to_csv(pupils, written[-1])
        written.append(out / f"gcse_{ay}.csv")
        results.to_csv(written[-1], index=False)
    for name, frame in (
        ("tracking.csv", trust.tracking),
        ("subject_judgements.csv", trust.judgements),
        ("ks4_targets.csv", trust.ks4_targets),
        ("attendance.csv", trust.attendance),
        ("statutory_checks.csv", trust.checks),
        ("suspensions.csv", trust.suspensions),
    ):
        if frame is not None:
            written.append(out / name)
            frame.to_csv(written[-1], index=False)
    if trust.ofsted is not None and len(trust.ofsted):  # as Ofsted's files come: a title block above the header
        written.append(out / "ofsted_outcomes.csv")
        title = "Synthetic Ofsted outcomes (NOT REAL: made up for the demo trust by toolkit synth schools)\n\n"
        written[-1].write_text(title + trust.ofsted.to_csv(index=False), encoding="utf-8")
    (out / "README.md").write_text(README_TEXT.format(year_label=f"{year - 1}/{str(year)[2:]}"))
    return written + [out / "README.md"]


def _to_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    if "dob" in out:
        out["dob"] = pd.to_datetime(out["dob"]).dt.strftime("%Y-%m-%d")
    if "ks2_year" in out:
        out["ks2_year"] = pd.to_numeric(out["ks2_year"]).astype("Int64")
    for col in ("fsm", "fsm6", "eal", "target_reviewed", "ks2_english_level6", "ks2_maths_level6"):
        if col in out:
            out[col] = out[col].map({True: "Y", False: "N"})
    out.to_csv(path, index=False)
