"""The key every report starts with: what each measure, band, code and column means, and where the numbers come
from. Short, on page 1, in words a head teacher and governors use."""

from __future__ import annotations

from toolkit import __version__
from toolkit.methods import targets
from toolkit.reports import catalogue

CHALLENGE = (
    "FFT50 / FFT20 / FFT5",
    "estimates at the progress made in schools at the 50th / 80th / 95th percentile of value added nationally "
    "(average / high / very high challenge)",
)
OWN = (
    "Own past progress",
    "the school's own value added in its three most recent cohorts with a KS1 baseline (weighted 3:2:1) as a "
    "percentile, used as its challenge level",
)
BANDS = (
    "Bands B, W, N, A",
    "B below the standard of the test (scaled score below 80, or working below it), W working towards (80-99, WTS), "
    "N the national standard (100-109, EXS), A above (110-120, GDS); W-, W, W+ ... A+ split a band in three",
)
KS1_CODES = (
    "KS1 codes",
    "PKF/PK1-PK4 pre-key-stage standards, WTS working towards, EXS expected standard, GDS greater depth",
)
CHANCE = (
    "Chance",
    "the share of similar pupils nationally (same prior attainment, gender and month of birth) who reached it",
)
GROUPS = (
    "Pupil groups",
    "PP/FSM6 disadvantaged (free school meals in the last six years); FSM eligible now; EAL English as an additional "
    "language; SEN K support, E EHC plan; HML high/middle/low prior attainment (national thirds of KS1 points)",
)
VA = (
    "Value added (VA)",
    "the average of pupils' results minus what similar pupils nationally achieved: scaled-score points (reading, "
    "maths, GPS), writing TA points, and percentage points for combined measures (RWM, R&M)",
)
CI = (
    "95% confidence interval",
    "the range the score would fall in with 95% confidence; wholly above 0 is significantly above national, wholly "
    "below 0 significantly below, otherwise in line",
)
PP = ("pp", "percentage points: the difference between two percentages (65% - 60% is +5 pp)")
STATUS = (
    "Measure status",
    "official (published by the DfE), calculated but not published, or no measure this year (KS2 2024 and 2025 "
    "have no KS1 baseline)",
)


def _review() -> tuple[str, str]:
    spec = targets.target_parameters()
    return (
        "Unlikely / unambitious",
        f"a target fewer than {100 * spec['unlikely_below']:.0f}% of similar pupils reach at the school's challenge "
        f"level / one more than {100 * spec['unambitious_above']:.0f}% reach",
    )


KS4_PUPIL = (
    "Estimated A8 / P8, grade",
    "at the school's challenge level: the DfE model's A8 for similar pupils (plus the challenge), the Progress 8 "
    "it stands for, and the expected GCSE grade (9-1, U 0)",
)
PRIMARY_ONLY = {BANDS, KS1_CODES}


def secondary_only(reports: list[str] | None) -> bool:
    """A school whose reports are KS4 ones and no primary ones (its summary is a KS4 summary)."""
    r = set(reports or [])
    return bool({"ks4_results", "ks4_estimates"} & r) and not ({"estimates", "targets"} & r)


PERSISTENT = (
    "Persistent absence",
    "a pupil missing 10% or more of their own possible sessions (the DfE's measure); attendance: sessions attended "
    "as a % of possible sessions, Years 1-11",
)


def terms(report: str, reports: list[str] | None = None) -> list[tuple[str, str]]:
    """(term, meaning) rows for a report (a ``catalogue`` name). ``reports``: the school's reports; the appendix
    explains only the terms of the tables it holds (primary, KS4). A report that brings its own terms keeps them."""
    own = catalogue.get(report).terms
    if own is not None:
        return list(own)
    by_report = {
        "summary": [
            VA,
            CI,
            STATUS,
            CHALLENGE,
            (
                "Gap",
                "a group's % minus the rest's, in percentage points (pp: 62% - 60% is +2 pp), and as pupils of the "
                "group; smaller than one pupil reads 'in line'",
            ),
        ],
        "estimates": [
            CHALLENGE,
            OWN,
            BANDS,
            CHANCE,
            KS1_CODES,
            (
                "LANG, LIT, MAT, PSE",
                "EYFS areas: communication and language, literacy, mathematics, "
                "personal, social and emotional development (goals at the expected level, 0-1)",
            ),
        ],
        "targets": [
            CHALLENGE,
            OWN,
            BANDS,
            _review(),
            (
                "Aggregated target",
                "the estimated % of the year group reaching the standard if every pupil "
                "reached their target, using each pupil's chance",
            ),
        ],
        "groups": [
            GROUPS,
            CHALLENGE,
            (
                "Gap",
                "the group's figure minus the rest of the year group's, in percentage points (pp: 62% - 60% is +2 pp)",
            ),
        ],
        "va": [
            VA,
            CI,
            STATUS,
            (
                "DfE / FFT",
                "DfE: the DfE's progress method (prior attainment groups); FFT: "
                "FFT-style value added (prior attainment, gender, month of birth)",
            ),
            ("PAG", "prior attainment group: pupils with the same KS1 average point score nationally"),
            GROUPS,
        ],
        "ks5_results": [
            ("APS per entry", "average points per A level entry (A* 60, A 50 ... E 10, U 0; AS half)"),
            ("% A*-A ... % A*-E", "share of entries at those grades"),
            (
                "VA (grades)",
                "level 3 value added: grades above or below the national estimate for the "
                "student's KS4 average point score",
            ),
            CI,
            (
                "National model",
                "DfE published: the DfE's own 2024/25 curve for the subject; fitted: bands fitted on the synthetic "
                "national reference where the DfE publishes none (AS)",
            ),
        ],
        "ks4_results": [
            (
                "Attainment 8 (A8)",
                "the best eight qualifications in the DfE's slots (English and maths twice; "
                "three EBacc, three open), points 9-1, U 0; maximum 90",
            ),
            (
                "Progress 8 (P8)",
                "A8 minus the national average A8 of pupils with the same KS2 prior attainment, "
                "divided by 10: grades per slot above or below similar pupils nationally",
            ),
            ("E&M 9-4 / 9-5", "grade 4 (5) or above in English (language or literature) and maths"),
            (
                "EBacc",
                "English, maths, two sciences, a humanity and a language; entered, and at 9-4 / 9-5. Withdrawn as an "
                "accountability measure from 2026: entry is then a curriculum figure",
            ),
            CI,
            ("Residual", "the school's average grade in a subject minus that of similar pupils nationally"),
            ("Disadvantaged", "free school meals in the last six years, looked after or adopted from care"),
            PP,
        ],
        "ks4_estimates": [
            CHALLENGE,
            (
                "Own past progress",
                "the school's own Progress 8 in its past official years, as a percentile of "
                "school Progress 8, used as its challenge level",
            ),
            (
                "Estimated A8 / P8",
                "the DfE model's A8 for similar pupils, plus ten times the Progress 8 of the "
                "challenge; P8 in grades per slot",
            ),
            (
                "Chance 9-4",
                "the share of similar pupils nationally (same KS2 group, taking the subject) at grade 4 "
                "or above, moved by the challenge",
            ),
            _review(),
        ],
        "ks2_baseline": [
            (
                "Fine points",
                "6 x (level + position of the mark within the level's mark range), rounded to 2 decimals before x 6",
            ),
            ("Fine level", "4B = 26-27.99 fine points, 4A = 28-29.99, ..."),
            ("P8 baseline", "mean of English and maths fine points / 6, to 1 decimal"),
        ],
        "tracking": [
            (
                "Steps and points",
                "each year has steps C, B, A (3C = Year 3 beginning); a step is 3 points, a half step (3B+) 1.5",
            ),
            ("Expected / good progress", "6 / 7 points a year"),
            ("ARE", "age-related expectation: the year's step for the term"),
        ],
        "subject_leader": [
            ("Emerging / expected / exceeding", "teachers' judgements per foundation subject, scored -1 / 0 / +1"),
            ("High", "an average at least a quarter step above expected with at most 20% emerging"),
        ],
        "trust_overview": [
            ("RWM", "reading, writing and maths: the % of pupils at the expected standard in all three"),
            VA,
            CI,
            (
                "Disadvantaged gap",
                "the disadvantaged pupils' % RWM minus the rest's, in percentage points (pp) and pupils",
            ),
            CHALLENGE,
            (
                "Aggregated target",
                "the estimated % of Year 6 reaching the standard if every pupil reached their target",
            ),
        ],
        "appendix": [
            BANDS,
            CHANCE,
            KS1_CODES,
            ("Flags", "PP disadvantaged (FSM6), EAL English as an additional language, SEN support, EHCP EHC plan"),
            ("HML", "high/middle/low prior attainment (national thirds of KS1 points)"),
            (
                "LANG, LIT, MAT, PSE",
                "EYFS areas: communication and language, literacy, mathematics, "
                "personal, social and emotional development (goals at the expected level, 0-1)",
            ),
            _review(),
        ],
    }
    attendance = [PERSISTENT] if report == "summary" and "attendance" in (reports or []) else []
    if report == "summary" and secondary_only(reports):
        return by_report["ks4_results"] + [CHALLENGE] + attendance
    rows = by_report.get(report, []) + attendance
    if report == "appendix" and reports is not None:
        primary = bool({"estimates", "targets"} & set(reports))
        if not primary:
            rows = [r for r in rows if r not in PRIMARY_ONLY and not r[0].startswith(("LANG", "HML", "Chance"))]
        if "ks4_estimates" in reports:
            rows = rows + [
                KS4_PUPIL,
                ("HML", "higher/middle/lower prior attainment: KS2 average 110+, 100-109.5, below 100"),
            ]
    return rows


def provenance(report: str, national: dict, reports: list[str] | None = None) -> str:
    """Where the report's comparisons come from (a published DfE table, or a model fitted on the reference cohort),
    the national reference and the toolkit version."""
    own = catalogue.get(report).provenance
    if own is not None:
        return f"{own}; toolkit {__version__}"
    reference = f"{national.get('reference_file')} (KS2 {national.get('reference_year')})"
    fitted = {
        "summary": f"DfE progress with national means fitted on {reference}; estimates fitted on the same cohort; "
        "national attainment from it",
        "estimates": f"estimates: a model fitted on the national reference cohort {reference}",
        "targets": f"estimates: a model fitted on the national reference cohort {reference}",
        "groups": f"estimates: a model fitted on the national reference cohort {reference}",
        "va": f"DfE progress: the DfE's method with national means fitted on {reference} (no DfE table is "
        "published for these cohorts); FFT-style: a model fitted on the same cohort",
        "ks5_results": "national A level figures from parameters/national/a_level.csv (published); A level value "
        "added on the DfE's published 2024/25 model (parameters/ks5/), AS on bands fitted on "
        f"{national.get('ks5_reference_file')}",
        "ks4_results": "the DfE's published Progress 8 model 2023/24 and KS2-KS4 transition matrices 2023/24 "
        "(parameters/ks4/); national figures 2023/24 revised",
        "ks4_estimates": "the DfE's published Progress 8 model and KS2-KS4 transition matrices 2023/24 "
        "(parameters/ks4/); challenge: school Progress 8 spread, a documented parameter (parameters/ks4.yaml)",
        "ks2_baseline": "fine points by the published formula (seed 004); mark ranges from "
        "parameters/scales/ks2_level_thresholds.csv",
        "tracking": "the school's own termly grades; no national comparison",
        "subject_leader": "the school's own judgements; no national comparison",
        "trust_overview": f"as in each school's summary: DfE progress with national means fitted on {reference}; "
        "estimates fitted on the same cohort",
        "appendix": f"estimates: a model fitted on the national reference cohort {reference}; fine points by the "
        "published formula (seed 004); tracking: the school's own grades",
    }
    if report == "summary" and secondary_only(reports):
        report = "ks4_results"
    return f"{fitted.get(report, '')}; toolkit {__version__}"
