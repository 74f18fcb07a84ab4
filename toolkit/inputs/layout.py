"""What a results template looks like: its columns, in a fixed order, and the results each subject allows
(``parameters/intake/subjects.yaml``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from toolkit import parameters
from toolkit.scales import ks1, ks2

KEYSTAGES = ("ks2", "ks1", "ks5")
RESULTS, LISTS, GUIDANCE, ABOUT = "Results", "Lists", "Guidance", "About"  # the template's sheets
UNGRADED_LOOKALIKES = ("F", "X")  # what people type when they mean U


@dataclass(frozen=True)
class Subject:
    column: str
    kind: str  # ks2_test, ks2_writing, ks1_ta, "A level", "AS"
    field: str | None = None  # the pupil-table column it fills (KS1, KS2)

    @property
    def subject(self) -> str:
        """The subject without its qualification: "A level Mathematics" -> "Mathematics" (KS5 entries)."""
        return self.column[len(self.kind) :].strip() if self.column.startswith(self.kind) else self.column

    def allowed(self) -> list[str]:
        """Every result this subject's cells may hold (the template's drop-down)."""
        if self.kind == "ks2_test":
            return [str(s) for s in range(80, 121)] + sorted(ks2.test_codes())
        if self.kind == "ks2_writing":
            return list(ks2.writing_codes()["code"])
        if self.kind == "ks1_ta":
            return sorted(ks1.allowed_codes())
        grades = parameters.load_csv("scales/a_level_points.csv")
        return list(grades.loc[grades["qualification"] == self.kind, "grade"])


def template_subjects() -> dict:
    return parameters.load_yaml("intake/subjects.yaml")


def pupil_columns() -> list[str]:
    return list(template_subjects()["pupil_columns"])


def subjects(keystage: str) -> list[Subject]:
    if keystage not in KEYSTAGES:
        raise ValueError(f"Unknown key stage {keystage!r}; templates exist for {', '.join(KEYSTAGES)}")
    return [
        Subject(s["column"], s["kind"], s.get("field")) for s in template_subjects()["keystages"][keystage]["subjects"]
    ]


def columns(keystage: str) -> list[str]:
    return pupil_columns() + [s.column for s in subjects(keystage)]


def year_of(keystage: str) -> int:
    return int(template_subjects()["keystages"][keystage]["year"])


def fingerprint(rows: list[list]) -> str:
    """A hash of the cell values: a template uploaded unchanged has the fingerprint it was written with."""
    text = json.dumps([["" if v is None else str(v) for v in r] for r in rows if any(v not in (None, "") for v in r)])
    return hashlib.sha256(text.encode()).hexdigest()
