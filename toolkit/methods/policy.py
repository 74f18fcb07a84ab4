"""The policy calendar: whether an official measure exists for a year, on which baseline, and why not
(``parameters/policy/measures.yaml``, one row per range of years with its source).

Reports and the command line use it so that no official-looking number appears for a year that has none: a year
whose status is ``none`` is refused unless the user asks for the method anyway (``--unofficial``), and then every
output says "not an official measure".
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit import parameters

PUBLISHED, CALCULATED, NONE = "published", "calculated_not_published", "none"
UNOFFICIAL = "unofficial"  # the method applied in a year without an official measure, at the user's request
#: How each status reads in a table, chart title or CSV column.
LABELS = {
    PUBLISHED: "official",
    CALCULATED: "calculated, not published",
    NONE: "no measure this year",
    UNOFFICIAL: "not an official measure",
}
KS1_KS2, RBA_KS2, PROGRESS_8, EBACC = "ks1_ks2_progress", "rba_ks2_progress", "progress_8", "ebacc"


@dataclass(frozen=True)
class MeasureYear:
    """One measure in one year, as the calendar records it."""

    measure: str
    label: str  # e.g. "KS1-KS2 progress"
    year: int
    status: str  # PUBLISHED, CALCULATED or NONE
    baseline: str
    reason: str
    source: str

    @property
    def has_baseline(self) -> bool:
        """True where the DfE computes the measure (published, or calculated but not published)."""
        return self.status in (PUBLISHED, CALCULATED)

    def refusal(self) -> str:
        """The sentence that says there is no official measure this year, and why."""
        return f"The DfE publishes no {self.label} for {self.outcome_name()}: {self.reason}"

    def outcome_name(self) -> str:
        return f"{calendar()[self.measure]['outcome']} {self.year}"


def calendar() -> dict:
    """Measure -> ``label, outcome, rows`` from the parameter file."""
    return parameters.load_yaml("policy/measures.yaml")["measures"]


def status(measure: str, year: int) -> MeasureYear:
    """The calendar's entry for ``measure`` in ``year``; ValueError for an unknown measure or a year not covered."""
    measures = calendar()
    if measure not in measures:
        raise ValueError(f"Unknown measure {measure!r}; the calendar has {', '.join(measures)}")
    entry = measures[measure]
    for row in entry["rows"]:
        if row["from"] <= int(year) and (row["to"] is None or int(year) <= row["to"]):
            return MeasureYear(
                measure,
                entry["label"],
                int(year),
                row["status"],
                (row.get("baseline") or "").replace("{ks2}", str(int(year) - 5)),
                row.get("reason") or "",
                row["source"],
            )
    raise ValueError(
        f"The policy calendar (parameters/policy/measures.yaml) has no entry for {entry['label']} in "
        f"{year}: add one with its source"
    )


def label(state: str) -> str:
    """How a status (or ``UNOFFICIAL``) is written for a reader."""
    return LABELS[state]


def baseline_years(measure: str, years) -> list[int]:
    """Those of ``years`` in which the measure has a baseline (published or calculated), newest first."""
    return sorted((int(y) for y in years if status(measure, y).has_baseline), reverse=True)
