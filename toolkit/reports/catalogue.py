"""The report catalogue: one declaration per report. The batch plans its tasks from it (which schools get a report,
in which order reports start, which write a spreadsheet), the index takes its headings from it, and a notebook's
title and key follow from its entry.

Adding a report is a notebook, a view module and one ``Report`` here (or, from outside the package, one
``register`` call naming its notebook).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from toolkit import locations
from toolkit.vocabulary import KS1_YEARS, KS2_YEARS


def _primary(facts: dict) -> bool:
    """Pupils in Years 1-6."""
    return bool(set(facts.get("year_groups") or ()) & set(KS1_YEARS + KS2_YEARS))


def _secondary(facts: dict) -> bool:
    """Past Year 11 results, or Years 7-11 with estimates."""
    return bool(facts.get("ks4_years") or facts.get("ks4_estimates"))


def _summary(facts: dict) -> bool:
    primary = _primary(facts)
    return (primary and bool(facts.get("past_years") or 6 in (facts.get("year_groups") or ()))) or (
        _secondary(facts) and not primary
    )


def _has(fact: str) -> Callable[[dict], bool]:
    return lambda facts: bool(facts.get(fact))


ATTENDANCE_TERMS = {
    "Attendance rate": "sessions attended (present, late before the register closed, or approved educational activity) "
    "as a % of the pupil's own possible sessions, from admission to leaving",
    "Absence rate": "sessions missed (authorised and unauthorised) as a % of possible sessions; absence with no "
    "reason yet (code N) counts as unauthorised",
    "Persistent absence (PA)": "a pupil missing 10% or more of their own possible sessions; the PA rate is the % of "
    "pupils who are",
    "Severe absence": "a pupil missing 50% or more of their own possible sessions",
    "pp": "percentage points: 92.1% - 91.5% is +0.6 pp",
    "Compulsory school age": "Years 1-11, as the DfE's statistics count them; Reception and the sixth form are left out",
}
ATTENDANCE_PROVENANCE = "the DfE's definitions; national and LA: Pupil attendance in schools, 2025/26 to date"


SCHOOL_PARAMETERS = ("run_dir", "school_id", "academic_year", "year_groups", "challenge")
#: a report's options: what the pack run chooses for every school (``toolkit reports --comparator``)
OPTIONS = ("comparator",)
RUN_PARAMETERS = ("run_dir",)


@dataclass(frozen=True)
class Report:
    """One report: its name (the notebook's stem), its title, which schools get it (``applies``, from the school's
    facts in ``school.json``), when it starts in a batch (``starts``: lower first; the longest reports start first
    so none runs alone at the end), whether it writes a spreadsheet beside its PDF, whether it covers the whole run
    rather than one school, its notebook (default ``notebooks/<name>.ipynb``) and, for a report the glossary does
    not describe itself, the key's terms and the provenance line."""

    name: str
    title: str
    applies: Callable[[dict], bool] = lambda facts: False
    starts: int = 50
    spreadsheet: bool = False
    whole_run: bool = False
    notebook: Path | None = None
    terms: tuple[tuple[str, str], ...] | None = None
    provenance: str | None = None
    options: tuple[str, ...] = ()  # parameters beyond the school's own that the batch fills (OPTIONS)

    def notebook_path(self) -> Path:
        return self.notebook or locations.notebooks_dir() / f"{self.name}.ipynb"

    def parameters(self) -> tuple[str, ...]:
        """The names its notebook's parameters cell declares and the batch fills (``RUN_PARAMETERS`` for a
        whole-run report)."""
        return RUN_PARAMETERS if self.whole_run else SCHOOL_PARAMETERS + self.options


_BUILT_IN = (
    Report("summary", "Summary", _summary),
    Report(
        "profile",
        "School profile",
        _has("profile"),
        terms=(
            ("IDSR", "the inspection data summary report: the data Ofsted's inspectors bring to a school"),
            ("Disadvantaged", "eligible for free school meals in the last 6 years, or looked after (FSM6)"),
            ("SEN support / EHC plan", "special educational needs support / an education, health and care plan"),
            ("Gap in pupils", "how many more (+) or fewer (-) pupils reached the measure than the national rate gives"),
            ("pp", "percentage points: 82% - 80% is +2 pp"),
        ),
        provenance="national: the DfE's statistics releases (parameters/profile/, parameters/national/); bands "
        "among the synthetic national schools of the reference cohort",
        options=("comparator",),
    ),
    Report(
        "profile_what_if",
        "School profile what-if: not the official figure",
        lambda facts: bool(facts.get("removed_pupils")),
        terms=(
            ("What-if", "the school's figures without the pupils its remove-pupils list names; not an official figure"),
            ("Disadvantaged", "eligible for free school meals in the last 6 years, or looked after (FSM6)"),
        ),
        provenance="the school profile's measures without the pupils listed (toolkit remove-pupils)",
        options=("comparator",),
    ),
    Report("estimates", "Estimates", _primary),
    Report("targets", "Targets versus estimates", _primary, starts=3),
    Report("groups", "Pupil groups", _primary, starts=4, options=("comparator",)),
    Report("va", "Value added", _has("past_years")),
    Report("ks4_results", "KS4 results", _has("ks4_years")),
    Report("ks4_estimates", "KS4 estimates and targets", _has("ks4_estimates")),
    Report("ks5_results", "KS5 results", _has("ks5_years")),
    Report("ks2_baseline", "KS2 fine points and P8 baseline", _has("baseline_years")),
    Report(
        "statutory_checks",
        "Statutory checks",
        _has("checks_years"),
        terms=(
            (
                "GLD",
                "good level of development: the expected level in every goal of the prime areas, literacy and maths",
            ),
            ("Phonics standard", "32 or more of the 40 words read correctly (the DfE's threshold); Year 2 re-check"),
            ("Multiplication tables check", "Year 4, 25 questions; no pass mark"),
            ("pp", "percentage points: 82% - 80% is +2 pp"),
        ),
        provenance="national: the DfE's statistics releases (parameters/statutory/national.csv)",
    ),
    Report("tracking", "Tracking: steps and points", _has("tracking_term")),
    Report(
        "attendance",
        "Attendance",
        _has("attendance_year"),
        terms=tuple(ATTENDANCE_TERMS.items()),
        provenance=ATTENDANCE_PROVENANCE,
    ),
    Report("subject_leader", "Subject leader analysis", _has("subject_leader"), starts=1, spreadsheet=True),
    Report(
        "appendix",
        "Per-pupil appendix",
        lambda f: (
            _primary(f)
            or any(f.get(x) for x in ("tracking_term", "baseline_years", "ks4_estimates", "attendance_year"))
        ),
        starts=0,
        spreadsheet=True,
    ),
    Report("trust_overview", "Trust overview", starts=2, whole_run=True),
)
_ADDED: list[Report] = []


def reports() -> list[Report]:
    """Every report in pack order (the index's columns): the built-in ones, then those registered."""
    return [*_BUILT_IN, *_ADDED]


def names() -> list[str]:
    return [r.name for r in reports()]


def get(name: str) -> Report:
    """The report called ``name``; a ValueError naming the reports there are."""
    for r in reports():
        if r.name == name:
            return r
    raise ValueError(f"Unknown report {name!r}; reports are {', '.join(names())}")


def title(name: str) -> str:
    return get(name).title


def applicable(facts: dict) -> list[str]:
    """The reports a school's data supports, in pack order."""
    return [r.name for r in reports() if not r.whole_run and r.applies(facts)]


def whole_run() -> list[str]:
    """The reports of a whole run rather than of a school (``<out>/<name>.*``, linked above the index table)."""
    return [r.name for r in reports() if r.whole_run]


def register(report: Report) -> Report:
    """Add a report after the built-in ones (its name unique)."""
    if report.name in names():
        raise ValueError(f"a report called {report.name!r} exists already")
    _ADDED.append(report)
    return report


def unregister(name: str) -> None:
    """Remove a report added with ``register``."""
    _ADDED[:] = [r for r in _ADDED if r.name != name]
