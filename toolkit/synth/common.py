"""Helpers every synthetic generator shares: group sizes, dates of birth, DfE numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd


def lognormal_sizes(
    rng: np.random.Generator,
    total: int,
    median: float,
    log_sd: float,
    lo: int,
    hi: int,
    spare: tuple[float, int] = (1.3, 10),
) -> np.ndarray:
    """Sizes (log-normal around ``median``, clipped to [lo, hi]) of as many groups as it takes to hold ``total``
    (the last one trimmed); ``spare`` sets how many are drawn (total / median x a + b), which fixes the random
    stream a seed gives."""
    est = int(total / median * spare[0]) + spare[1]
    sizes = np.clip(np.round(np.exp(rng.normal(np.log(median), log_sd, est))), lo, hi).astype(int)
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, total)) + 1
    sizes = sizes[:k]
    sizes[-1] -= cum[k - 1] - total
    return sizes[sizes > 0]


def dates_of_birth(rng: np.random.Generator, month: np.ndarray, birth_year_start: np.ndarray) -> np.ndarray:
    """Dates for month index 0 (September) .. 11 (August) of the academic year starting in ``birth_year_start``."""
    cal_month = (month + 8) % 12 + 1
    year = birth_year_start + (month >= 4)
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": cal_month, "day": 1}))
    days = first.dt.days_in_month.to_numpy()
    return (first + pd.to_timedelta(np.floor(rng.random(len(month)) * days), unit="D")).to_numpy()


def school_ids(rng: np.random.Generator, n: int, las: list[int] | None = None) -> np.ndarray:
    from stdnum.gb import upn as stdnum_upn

    known = sorted(getattr(stdnum_upn, "_la_numbers", range(800, 950)))
    las = las or known
    la = np.asarray(las)[np.arange(n) % len(las)]
    estab = 2000 + np.arange(n) // len(las)
    return np.array([f"{a:03d}{e:04d}" for a, e in zip(la, estab)], dtype=object)
