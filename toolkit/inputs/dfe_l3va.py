"""The DfE's level 3 value added model, as its 16-18 ready reckoner publishes it (the workbook
``<year>A_l3va_step5_outputs.xlsx``), turned into the toolkit's parameter tables (``toolkit reference import
--kind l3va``).

Sheet ``national_bands``: one row per cohort, qualification and subject, ``x_0`` ... ``x_21`` points of KS4 prior
attainment and ``y_0`` ... ``y_21`` the national estimated points there, ``number_of_cases`` the national entries.
Sheet ``subject_variance``: the pupil-level SD per qualification and subject (``sd_suqu``), for intervals. The
toolkit reads the A level cohort's GCE A level rows and its AS rows (AS not continued to A level) into the layout of
``parameters/ks5/l3va_a_level_2025.csv`` and ``l3va_as_level_2025.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.inputs.problems import Problem, PupilDataError

COHORT = "A level"
#: The toolkit's qualification -> the DfE's qualification_name in the workbook.
QUALIFICATIONS = {"A level": "GCE A level", "AS": "GCE AS level (Not continued to A2)"}
POINTS = [f"x_{i}" for i in range(22)] + [f"y_{i}" for i in range(22)]
COLUMNS = ["qual_id", "subject", *POINTS, "number_of_cases", "sd"]


def _sheet(book: pd.ExcelFile, path: Path, name: str, needed: list[str]) -> pd.DataFrame:
    if name not in book.sheet_names:
        raise PupilDataError(path, [Problem(f"No sheet '{name}': not the DfE's L3VA step 5 workbook")])
    frame = pd.read_excel(book, sheet_name=name, dtype={"qual_id": "string"})
    missing = [c for c in needed if c not in frame]
    if missing:
        raise PupilDataError(path, [Problem(f"Sheet '{name}' has no column {', '.join(missing)}")])
    return frame


def read_l3va(path: Path | str) -> dict[str, pd.DataFrame]:
    """The workbook's national curves with their SDs: the toolkit's qualification -> ``COLUMNS`` (subjects in the
    workbook's order). Every number is checked; a curve whose prior attainment falls back is a sentence."""
    path = Path(path)
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception:  # openpyxl's several errors for a file that is not a workbook
        raise PupilDataError(
            path, [Problem("Not a readable Excel workbook (damaged, renamed or another format)")]
        ) from None
    named = ["qual_id", "cohort_name", "qualification_name", "subject_name", *POINTS, "number_of_cases"]
    bands = _sheet(book, path, "national_bands", named)
    variance = _sheet(book, path, "subject_variance", ["qual_id", "cohort_name", "sd_suqu"])
    sd = variance[variance["cohort_name"].eq(COHORT)].drop_duplicates("qual_id").set_index("qual_id")["sd_suqu"]
    out, problems = {}, []
    for ours, theirs in QUALIFICATIONS.items():
        rows = bands[bands["cohort_name"].eq(COHORT) & bands["qualification_name"].eq(theirs)]
        table = rows.rename(columns={"subject_name": "subject"}).assign(sd=rows["qual_id"].map(sd))[COLUMNS]
        numbers = table[[*POINTS, "number_of_cases", "sd"]].apply(pd.to_numeric, errors="coerce")
        for column in numbers:
            bad = numbers[column].isna()
            if bad.any():
                rows_ = [int(i) + 2 for i in table.index[bad]]
                what = "has no SD in subject_variance" if column == "sd" else "must be a number"
                problems.append(Problem(f"{theirs}: {column} {what}", column, rows_))
        falls = (numbers[[f"x_{i}" for i in range(22)]].diff(axis=1).iloc[:, 1:] < 0).any(axis=1)
        if falls.any():
            problems.append(
                Problem(
                    f"{theirs}: the prior attainment points must rise from x_0 to x_21",
                    "x_0",
                    [int(i) + 2 for i in table.index[falls]],
                )
            )
        out[ours] = table.assign(**numbers)
    if not problems and out["A level"].empty:
        problems.append(Problem(f"No {QUALIFICATIONS['A level']} rows of the {COHORT} cohort in national_bands"))
    if problems:
        raise PupilDataError(path, problems)
    return out


def names(year: int) -> dict[str, str]:
    """The parameter files of the L3VA model of A level results ``year`` (its summer), by qualification."""
    return {"A level": f"ks5/l3va_a_level_{year}.csv", "AS": f"ks5/l3va_as_level_{year}.csv"}
