"""The DfE's own published model tables, read in the layouts the DfE publishes them in, and turned into the
toolkit's parameter layout (``toolkit reference import``).

- Progress 8 (the KS4 ready reckoner's ``p8_att8_splits.csv``): one row per KS2 prior attainment group, its KS2
  average scaled-score range written "59 to 82", the national averages of Attainment 8 and its elements, and the
  average EBacc and open slots filled; beside it ``p8_stdev_file_named.csv``: the pupil-level standard deviations
  of P8 and its elements, in the DfE's column order (Progress 8, English, Maths, Open, Ebacc).

Every problem is a ``PupilDataError`` naming file, row and column, as for any input.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from toolkit.inputs.load import read_table
from toolkit.inputs.problems import Problem, PupilDataError

#: The DfE's column (by how its header starts, case-insensitive) -> the toolkit's, for the P8 model table.
P8_COLUMNS = {
    "ks2 prior attainment group": "group",
    "ks2 average scaled score range": "range",
    "attainment 8 average": "a8",
    "english average": "english",
    "maths average": "maths",
    "ebacc average": "ebacc",
    "open average": "open",
    "average ebacc slots": "ebacc_slots",
    "average open slots": "open_slots",
}
#: The DfE's standard-deviation columns -> the toolkit's ``sd`` keys (``parameters/ks4.yaml``).
SD_COLUMNS = {
    "progress 8 english": "english",
    "progress 8 maths": "maths",
    "progress 8 open": "open",
    "progress 8 ebacc": "ebacc",
    "progress 8": "p8",
}
MODEL_COLUMNS = ["group", "ks2_low", "ks2_high", "a8", "english", "maths", "ebacc", "open", "ebacc_slots", "open_slots"]


def _named(columns, names: dict[str, str], path: Path) -> dict[str, str]:
    """The file's columns renamed by how each header starts (longest name first); a sentence for what is missing."""
    out = {}
    for column in columns:
        header = " ".join(str(column).split()).lower()
        for start in sorted(names, key=len, reverse=True):
            if header.startswith(start) and names[start] not in out.values():
                out[column] = names[start]
                break
    missing = [k for k, v in names.items() if v not in out.values()]
    if missing:
        raise PupilDataError(path, [Problem(f"Not the DfE's layout: no column for {', '.join(missing)}")])
    return out


def read_p8_model(path: Path | str) -> pd.DataFrame:
    """The DfE's Progress 8 model table as ``MODEL_COLUMNS`` (numbers), groups 1..n in order."""
    path = Path(path)
    frame = read_table(path, ("KS2 prior attainment group",))
    frame = frame.rename(columns=_named(frame.columns, P8_COLUMNS, path))
    ranges = frame["range"].astype("string").str.extract(r"^\s*([\d.]+)\s*to\s*([\d.]+)\s*$")
    problems = []
    bad = ranges[0].isna()
    if bad.any():
        rows = [int(i) + 2 for i in frame.index[bad]]
        problems.append(Problem("A KS2 range must be written as the DfE writes it, e.g. 59 to 82", "range", rows))
    out = pd.DataFrame({"ks2_low": pd.to_numeric(ranges[0]), "ks2_high": pd.to_numeric(ranges[1])})
    for column in ["group", *MODEL_COLUMNS[3:]]:
        values = pd.to_numeric(frame[column], errors="coerce")
        wrong = values.isna()
        if wrong.any():
            rows = [int(i) + 2 for i in frame.index[wrong]]
            problems.append(Problem(f"{column} must be a number", column, rows))
        out[column] = values
    if not problems and list(out["group"]) != list(range(1, len(out) + 1)):
        problems.append(Problem("The groups must be numbered 1, 2, 3 ... in order, one row each", "group"))
    if not problems and not (out["ks2_low"].diff().dropna() > 0).all():
        problems.append(Problem("The KS2 ranges must rise from group to group", "range"))
    if problems:
        raise PupilDataError(path, problems)
    out["group"] = out["group"].astype(int)
    return out[MODEL_COLUMNS]


def read_p8_sd(path: Path | str) -> dict[str, float]:
    """The DfE's pupil-level standard deviations of P8 and its elements (one row), by the toolkit's ``sd`` keys."""
    path = Path(path)
    frame = read_table(path, ())
    frame = frame.rename(columns=_named(frame.columns, SD_COLUMNS, path))
    if len(frame) != 1:
        raise PupilDataError(path, [Problem(f"One row of standard deviations expected, found {len(frame)}")])
    values = {k: pd.to_numeric(frame[k].iloc[0], errors="coerce") for k in SD_COLUMNS.values()}
    bad = [k for k, v in values.items() if pd.isna(v) or v <= 0]
    if bad:
        raise PupilDataError(path, [Problem("A standard deviation must be a positive number", k, [2]) for k in bad])
    return {k: float(v) for k, v in values.items()}


def model_name(year: int) -> str:
    """The parameter file of the Progress 8 model of KS4 ``year`` (its summer), e.g. ks4/progress8_model_2023-24.csv."""
    if not re.fullmatch(r"20\d\d", str(year)):
        raise ValueError(f"--year {year}: give the summer of the KS4 results, e.g. 2024")
    return f"ks4/progress8_model_{int(year) - 1}-{str(year)[2:]}.csv"
