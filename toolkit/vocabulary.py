"""The domain's words, defined once: key stages, subjects, year groups and the key stage each belongs to, labels,
and the named challenge levels. Everything else imports these rather than typing the lists again."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from toolkit import parameters

# Key stages the toolkit estimates (current pupils) and the year groups in them.
KS1_YEARS = (1, 2)
KS2_YEARS = (3, 4, 5, 6)
STAGE_OF_YEAR = {**dict.fromkeys(KS1_YEARS, "ks1"), **dict.fromkeys(KS2_YEARS, "ks2")}

KS1_SUBJECTS = ("reading", "writing", "maths")  # KS1 teacher assessment
KS2_TEST_SUBJECTS = ("reading", "maths", "gps")  # KS2 tests (scaled scores)
KS2_SUBJECTS = ("reading", "writing", "maths", "gps")  # tests and writing TA
SUBJECTS = {"ks2": KS2_SUBJECTS, "ks1": KS1_SUBJECTS}
#: Combined measures: a pupil reaches one when they reach it in every subject listed.
COMBINED = {"ks2": {"rm": ("reading", "maths"), "rwm": KS1_SUBJECTS}, "ks1": {"rwm": KS1_SUBJECTS}}
TARGET_SUBJECTS = KS2_SUBJECTS  # target_<subject> columns of the pupil table
OLD_KS2_SUBJECTS = ("english", "maths")  # pre-2016 KS2 levels and marks (fine points, seed 004)

SUBJECT_LABELS = {
    "reading": "Reading",
    "writing": "Writing",
    "maths": "Mathematics",
    "gps": "Grammar, punctuation and spelling",
    "rm": "Reading and maths",
    "rwm": "Reading, writing and maths",
}
#: The same, short: chart labels.
SHORT_LABELS = {"reading": "Reading", "writing": "Writing", "maths": "Maths", "gps": "GPS", "rm": "R&M", "rwm": "RWM"}

# Challenge levels: FFT50 / FFT20 / FFT5 are percentiles of school value added (parameters/estimates.yaml).
OWN = "own_past_progress"


def academic_year(summer: int) -> str:
    """The academic year that ends in the summer ``summer``: 2024 -> "2023/24"."""
    return f"{int(summer) - 1}/{str(int(summer))[2:]}"


def year_group_number(values: pd.Series) -> pd.Series:
    """Year groups as numbers: Reception (R) is 0, Years 1-13 their number; anything else <NA>."""
    return pd.to_numeric(values.astype("string").str.strip().str.upper().replace("R", "0"), errors="coerce")


def named_challenges() -> dict[str, int]:
    """FFT50, FFT20, FFT5 -> the percentile of school value added each stands for."""
    return dict(parameters.load_yaml("estimates.yaml")["named_challenges"])


def percentile_of(level) -> float | str:
    """50 for FFT50, 80 for FFT20, 95 for FFT5, a number for a percentile, ``OWN`` for own past progress."""
    named = named_challenges()
    text = str(level).strip()
    if text.upper() in named:
        return float(named[text.upper()])
    if text.lower() in (OWN, "own", "own past progress"):
        return OWN
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"'{level}' is not a challenge level: give FFT50, FFT20, FFT5, own_past_progress or a percentile from 1 to 99"
        ) from None
    if not 1 <= value <= 99:
        raise ValueError(f"challenge {level} is outside 1-99")
    return value


def challenge_definition(level) -> str:
    """One line saying what a challenge level asks of pupils (for the dashboard and presenters)."""
    p = percentile_of(level)
    label = challenge_label(level)
    if p == OWN:
        return f"{label}: the progress this school's own pupils made in its recent cohorts, as a percentile"
    if p == 50:
        return f"{label}: the progress made in an average school (the 50th percentile of value added nationally)"
    return (
        f"{label}: the progress made in a school at the {p:g}th percentile of value added nationally "
        f"({100 - p:g}% of schools make more)"
    )


def challenge_label(level) -> str:
    """How a level is written in reports: FFT50, FFT20, FFT5, own past progress, or 'percentile 70'."""
    p = percentile_of(level)
    if p == OWN:
        return "own past progress"
    named = {float(v): k for k, v in named_challenges().items()}
    return named.get(p, f"percentile {p:g}")


@dataclass(frozen=True)
class Challenge:
    """A challenge level, parsed once where it enters (a command's option, the batch, a prepared run): the
    ``percentile`` of school value added it stands for (FFT50 = 50, FFT20 = 80, FFT5 = 95, or 1-99), or None for the
    school's own past progress (``own``). ``text`` is the level as given ("FFT20", "70", "own_past_progress"): what
    a report's parameters and facts record."""

    text: str
    percentile: float | None

    @classmethod
    def parse(cls, level) -> Challenge:
        """The level as a Challenge; a ValueError in one sentence for anything that is not one."""
        if isinstance(level, Challenge):
            return level
        p = percentile_of(level)
        return cls(str(level).strip(), None if p == OWN else float(p))

    @property
    def own(self) -> bool:
        return self.percentile is None

    @property
    def label(self) -> str:
        return challenge_label(self.text)

    def __str__(self) -> str:
        return self.text
