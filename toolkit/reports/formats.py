"""How a number is written in a report: percentages, signed scores, whole counts; never "-0", "nan" or "inf" (a
missing or infinite value is an empty cell)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

NEGATIVE_ZERO = re.compile(r"^[+\-\u2212](0(?:\.0+)?)(%?)$")


def _number(text: str) -> str:
    """A formatted number as a reader should see it: no sign on a value that rounds to zero (never "-0", "-0.00"
    or "+0%")."""
    return NEGATIVE_ZERO.sub(r"\1\2", text)


def _missing(value) -> bool:
    try:
        return pd.isna(value) or not math.isfinite(float(value))
    except (TypeError, ValueError):
        return pd.isna(value)


def percent(value: float, digits: int = 0) -> str:
    return "" if _missing(value) else _number(f"{value:.{digits}f}%")


def signed_pp(value: float, digits: int = 1) -> str:
    """A difference of two percentages, in percentage points: "+2.9 pp" (``digits`` 0: "+3 pp")."""
    return "" if _missing(value) else _number(f"{value:+.{digits}f}") + "\u00a0pp"  # never "-21" and "pp" apart


GOOD, BAD, SAME = "good", "bad", "same"
#: Words that open a cell (a change or a comparison with national) -> the marker that colours it.
MARKERS = {"▲": GOOD, "▼": BAD, "►": SAME, "significantly above": GOOD, "significantly below": BAD, "in line": SAME}


def marked(text: str) -> str | tuple[str, str]:
    """A change or significance in words, with the marker its opening words call for (``MARKERS``); other text as
    it is."""
    if not isinstance(text, str):
        return "" if _missing(text) else str(text)
    marker = next((m for start, m in MARKERS.items() if text.startswith(start)), None)
    return (text, marker) if marker else text


def significance(low, high, against: str = ""):
    """A score's 95% interval against 0 in words: "significantly above" (the whole interval above 0), "significantly
    below", else "in line"; ``against`` (" national") is named: "in line with national". Scalars give a string,
    Series or arrays an array."""
    words = np.select(
        [np.asarray(low) > 0, np.asarray(high) < 0],
        [f"significantly above{against}", f"significantly below{against}"],
        f"in line with{against}" if against else "in line",
    )
    return str(words) if words.ndim == 0 else words


def pupils_gap(value: float) -> str:
    """A gap counted in pupils of a group: whole pupils ("+3", "-2"), and "under 1" for less than one pupil (never
    "-0.9 pupils")."""
    if _missing(value):
        return ""
    return "under 1" if abs(value) < 1 else _number(f"{value:+.0f}")


def difference_in_units(a: float, b: float, in_points: bool = False, digits: int = 1) -> str:
    """``a`` minus ``b`` as printed with ``digits`` decimals, with its unit: "+0.5 pp" for two percentages, "-0.6
    points" for two scores (``in_points``)."""
    if _missing(a) or _missing(b):
        return ""
    change = as_shown(a, digits) - as_shown(b, digits)
    return _number(f"{change:+.{digits}f}") + ("\u00a0points" if in_points else "\u00a0pp")


def as_shown(value: float, digits: int = 1) -> float:
    """``value`` as a report prints it with ``digits`` decimals, so that a difference printed beside its two figures
    is the difference of the figures printed (38.5 - 62.1 is -23.6, never -23.7)."""
    return value if _missing(value) else float(f"{value:.{digits}f}")


def one_decimal(value: float) -> str:
    return "" if _missing(value) else _number(f"{value:.1f}")


def signed(value: float) -> str:
    return "" if _missing(value) else _number(f"{value:+.2f}")


def signed_one_decimal(value: float) -> str:
    return "" if _missing(value) else _number(f"{value:+.1f}")


def two_decimals(value: float) -> str:
    return "" if _missing(value) else _number(f"{value:.2f}")


def whole(value) -> str:
    return "" if _missing(value) else f"{int(value)}"
