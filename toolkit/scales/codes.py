"""Looking codes up in a scale's table: every scale that turns recorded codes into points does it this way."""

from __future__ import annotations

import numpy as np
import pandas as pd


def points_of(values: pd.Series, table: dict[str, float], case: str = "upper") -> pd.Series:
    """The points of each code in ``values`` (stripped, ``case`` "upper" or "lower"; blanks and codes not in
    ``table`` NaN), float, on ``values``' index. Each distinct code is looked up once: a cohort holds thousands of
    pupils and a few dozen codes."""
    which, distinct = pd.factorize(values, use_na_sentinel=True)
    fold = str.upper if case == "upper" else str.lower
    keys = {fold(str(k)): float(v) for k, v in table.items()}
    points = np.array([keys.get(fold(str(code).strip()), np.nan) for code in distinct] + [np.nan], dtype=float)
    return pd.Series(points[which], index=values.index)  # the sentinel -1 (a missing value) takes the last: NaN
