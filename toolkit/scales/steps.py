"""Steps-and-points grades (seed 003): year + step (C, B, A), two points a step, six a year.

``3A`` is the age-related expectation for Year 3. A grade between two steps is written ``3B+`` (or ``3B/3A``)
and is worth one point more than ``3B``. Table: ``parameters/scales/steps_points.yaml``.
"""

from __future__ import annotations

import re

from toolkit import parameters

_GRADE = re.compile(r"^\s*(\d+)\s*([A-Za-z])\s*(\+|/\s*\d+\s*[A-Za-z])?\s*$")


def _spec() -> dict:
    return parameters.load_yaml("scales/steps_points.yaml")


def grade_points(grade: str) -> int:
    """Points of a grade such as ``"3A"`` (default 23) or ``"3B+"`` (22)."""
    s = _spec()
    m = _GRADE.match(str(grade))
    steps = [x.upper() for x in s["steps"]]
    if not m or m.group(2).upper() not in steps:
        raise ValueError(f"{grade!r} is not a grade: write year then step, such as 3C, 3B, 3A (or 3B+ between steps)")
    year, step = int(m.group(1)), steps.index(m.group(2).upper())
    if not s["first_year"] <= year <= s["last_year"]:
        raise ValueError(f"{grade!r}: year {year} is outside years {s['first_year']}-{s['last_year']}")
    points = s["first_grade_points"] + ((year - s["first_year"]) * len(steps) + step) * s["points_per_step"]
    between = m.group(3)
    if between:
        if between != "+" and grade_points(between.lstrip("/").strip()) != points + s["points_per_step"]:
            raise ValueError(f"{grade!r}: a 'between' grade must name two neighbouring steps, such as 3B/3A")
        points += 1
    return points


def points_grade(points: int) -> str:
    """Grade of a points value: ``points_grade(23) == "3A"``; odd steps in between give ``"3B+"``."""
    s = _spec()
    steps = s["steps"]
    offset = int(points) - s["first_grade_points"]
    top = (s["last_year"] - s["first_year"] + 1) * len(steps) * s["points_per_step"]
    if offset < 0 or offset >= top:
        raise ValueError(f"{points} points is outside the grade scale")
    index, extra = divmod(offset, s["points_per_step"])
    year, step = divmod(index, len(steps))
    return f"{s['first_year'] + year}{steps[step]}" + (s["between_suffix"] if extra else "")


def progress_points(start: str, end: str) -> int:
    """Progress in points from grade ``start`` to grade ``end`` (6 a year is expected, 7 or more is good)."""
    return grade_points(end) - grade_points(start)


def age_related_expectation(year_group: int) -> str:
    """The grade a pupil should reach by the end of ``year_group``: the year's third step (e.g. ``"4A"``)."""
    return f"{year_group}{_spec()['steps'][-1]}"
