"""Is the estimate model honest about uncertainty? The calibration study of docs/methodology.md.

On a held-out cohort (one the model was not fitted on), pupils are grouped into deciles of their predicted chance
of reaching the expected standard; in each decile the mean predicted chance is compared with the share who did.
``national_rates`` compares the mean chance at a challenge level with the cohort's observed rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.methods.estimates import EstimateModel, outcome_scale, outcome_values
from toolkit.vocabulary import COMBINED


def reached(model: EstimateModel, pupils: pd.DataFrame, measure: str, indicator: str = "expected") -> np.ndarray:
    """Per pupil: 1.0 if the pupil reached the standard in ``measure`` (a subject or combined measure), 0.0 if
    not, NaN where a result is missing."""
    subjects = COMBINED[model.stage].get(measure, (measure,))
    parts = []
    for x in subjects:
        sc = outcome_scale(model.stage, x)
        y = outcome_values(pupils, model.stage, x)
        level = sc.expected if indicator == "expected" else sc.high
        parts.append(np.where(np.isnan(y), np.nan, (y >= level).astype(float)))
    stacked = np.vstack(parts)
    return np.where(np.isnan(stacked).any(axis=0), np.nan, stacked.min(axis=0))


def measures(model: EstimateModel) -> list[str]:
    return list(model.subjects) + list(COMBINED[model.stage])


def decile_table(model: EstimateModel, pupils: pd.DataFrame, challenge=None) -> pd.DataFrame:
    """``measure, decile, pupils, predicted, observed, difference`` (percent) for deciles of the predicted chance
    of the expected standard. ``challenge=None``: national-average estimates, the right benchmark for a cohort
    that is itself national."""
    est = model.predict(pupils, challenge)
    rows = []
    for m in measures(model):
        obs = reached(model, pupils, m)
        ok = ~np.isnan(obs)
        p = est[f"{m}_p_expected"].to_numpy()[ok]
        decile = np.minimum((p * 10).astype(int), 9)
        frame = pd.DataFrame({"decile": decile, "p": p, "obs": obs[ok]})
        g = frame.groupby("decile").agg(pupils=("p", "size"), predicted=("p", "mean"), observed=("obs", "mean"))
        for d, r in g.iterrows():
            rows.append(
                {
                    "measure": m,
                    "decile": f"{10 * d}-{10 * d + 10}%",
                    "pupils": int(r["pupils"]),
                    "predicted": 100 * r["predicted"],
                    "observed": 100 * r["observed"],
                    "difference": 100 * (r["predicted"] - r["observed"]),
                }
            )
    return pd.DataFrame(rows)


def without_ks1(pupils: pd.DataFrame) -> pd.DataFrame:
    """The held-out cohort as if nobody had a KS1 result (KS1 optional): the EYFS stratum of the KS2 estimates."""
    return pupils.assign(**{c: pd.NA for c in pupils.columns if c.startswith("ks1_")})


def national_rates(model: EstimateModel, pupils: pd.DataFrame, challenge=50) -> pd.DataFrame:
    """``measure, indicator, estimated, observed, difference`` (percent): the mean of pupils' chances at
    ``challenge`` against the observed rate, for the expected and the high standard."""
    est = model.predict(pupils, challenge)
    rows = []
    for m in measures(model):
        for indicator in ("expected", "high"):
            obs = reached(model, pupils, m, indicator)
            ok = ~np.isnan(obs)
            e = 100 * est[f"{m}_p_{indicator}"].to_numpy()[ok].mean()
            o = 100 * obs[ok].mean()
            rows.append({"measure": m, "indicator": indicator, "estimated": e, "observed": o, "difference": e - o})
    return pd.DataFrame(rows)
