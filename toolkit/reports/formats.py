"""How a number is written in a report: percentages, signed scores, whole counts; never "-0", "nan" or "inf" (a
missing or infinite value is an empty cell)."""

from __future__ import annotations

import math
import re

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


def signed_percent(value: float) -> str:
    return "" if _missing(value) else _number(f"{value:+.0f}%")


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
