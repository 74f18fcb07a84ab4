"""The demo trust as a school has it: Common Transfer Files and an MIS export (``toolkit synth schools
--exports``), so that ``make demo`` builds its data folder through ``toolkit import`` as a real school would.

Under ``<out>/exports/``:

- ``ctf/<LAESTAB>_CTF_roll_<year>.xml``: each school's own export of its pupils on roll at the autumn census (the
  primaries' Year 3 and the secondary's Year 7 without their earlier results, which come from the transfer files);
- ``ctf/<from>_CTF_<to>_<year>.xml``: transfer CTFs from the infant and feeder schools the current
  Year 3s and Year 7s came from (EYFS and KS1; KS2), written the July before they joined;
- ``ctf/<LAESTAB>_CTF_leavers_<year>.xml``: each past Year 6 (and the secondary's past Year 11) as its school sent
  it on in July; the last Year 6 without test scores, which arrive in
- ``ctf/<LAESTAB>_KS2_results_<year>.xml``: the STA's KS2 results file (a partial CTF, results only);
- ``mis/arbor_export_<year>.csv``: an Arbor-style export with the pupils' targets and the sixth form's KS4 average
  point score, which no CTF carries.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from toolkit.synth.ctf import NOBODY, Party, write_ctf

CENSUS = (10, 1)  # the autumn census day (month, day) the roll exports are written on
LEAVING = (7, 10)  # the July day leavers' and transfer files are written on
KS2_TESTS = ["ks2_reading", "ks2_maths", "ks2_gps"]
STA = Party("XXX", "XXXX", "Standards and Testing Agency")
MIS_HEADERS = {  # pupil-table column -> the Arbor-style header written (parameters/mis/arbor.yaml reads them back)
    "upn": "UPN",
    "school_id": "DfE number",
    "forename": "Legal first name",
    "surname": "Legal last name",
    "dob": "Date of birth",
    "gender": "Gender",
    "year_group": "Year group",
    "target_reading": "Reading target",
    "target_writing": "Writing target",
    "target_maths": "Maths target",
    "target_gps": "GPS target",
    "target_reviewed": "Targets reviewed",
    "ks4_aps": "KS4 average point score",
    "entry_date": "Start date",
}
CTF_CARRIES = (
    "target_",
    "ks4_aps",
    "entry_date",
)  # columns of the pupil table a CTF does not carry (the MIS export does)


def _without(frame: pd.DataFrame, prefixes: tuple[str, ...]) -> pd.DataFrame:
    return frame.drop(columns=[c for c in frame.columns if c.startswith(prefixes)])


def _feeder(school_id: str, k: int, kind: str) -> Party:
    return Party(
        str(school_id)[:3], f"{8000 + 10 * (int(str(school_id)[3:]) % 100) + k:04d}", f"{kind} {k + 1} (synthetic)"
    )


def write_exports(trust, out: Path, year: int) -> list[Path]:
    """Write the trust's (a ``toolkit.synth.trust.DemoTrust``) pupils, past Year 6s and past Year 11s as CTFs and an MIS export under ``out/exports``."""
    ctf, mis = out / "exports" / "ctf", out / "exports" / "mis"
    written: list[Path] = []
    names = dict(zip(trust.schools["school_id"].astype(str), trust.schools["school_name"], strict=True))
    census = datetime(year - 1, *CENSUS, 9, 0)
    pupils = trust.pupils.assign(school_id=trust.pupils["school_id"].astype(str))
    roll_columns = _without(pupils, CTF_CARRIES)
    for school_id, group in roll_columns.groupby("school_id"):
        me = Party.school(school_id, names[school_id])
        group = group.dropna(axis=1, how="all")
        joiners = group["year_group"].astype(int) == (3 if names_primary(group) else 7)
        arrived = _without(group[joiners], ("eyfs_", "ks1_", "ks2_"))
        roll = pd.concat([group[~joiners], arrived], ignore_index=True)
        written.append(
            write_ctf(ctf / f"{school_id}_CTF_roll_{year}.xml", roll, written=census, academic_year=year, source=me)
        )
        left = group[joiners]
        feeders = 2 if names_primary(group) else 4
        kind = "Infant School" if names_primary(group) else "Feeder Primary School"
        previous = left.assign(year_group=left["year_group"].astype(int) - 1, academic_year=year - 1)
        for k in range(feeders):
            part = previous.iloc[k::feeders]
            source = _feeder(school_id, k, kind)
            path = ctf / f"{source.la}{source.estab}_CTF_{school_id}_{year - 1}.xml"  # the DfE's SOURCE_CTF_DEST naming
            july = datetime(year - 1, *LEAVING, 12, 0)
            written.append(write_ctf(path, part, written=july, academic_year=year - 1, source=source, dest=me))
    last = max(trust.past)
    for ks2_year, cohort in trust.past.items():
        cohort = cohort.assign(school_id=cohort["school_id"].astype(str))
        for school_id, group in cohort.groupby("school_id"):
            me = Party.school(school_id, names[school_id])
            july = datetime(ks2_year, *LEAVING, 12, 0)
            group = group.dropna(axis=1, how="all")
            sent = _without(group, tuple(KS2_TESTS)) if ks2_year == last else group
            written.append(
                write_ctf(
                    ctf / f"{school_id}_CTF_leavers_{ks2_year}.xml",
                    sent,
                    written=july,
                    academic_year=ks2_year,
                    source=me,
                )
            )
            if ks2_year == last:
                results = group[
                    ["upn", "surname", "forename", "dob", "gender", "year_group", "academic_year", *KS2_TESTS]
                ]
                written.append(
                    write_ctf(
                        ctf / f"{school_id}_KS2_results_{ks2_year}.xml",
                        results,
                        written=datetime(ks2_year, 7, 7, 8, 0),
                        academic_year=ks2_year,
                        source=STA,
                        dest=me,
                        qualifier="partial",
                        details=False,
                        supplier="Standards and Testing Agency (synthetic)",
                    )
                )
    for ks4_year, (year11, _results) in trust.ks4.items():
        year11 = year11.assign(school_id=year11["school_id"].astype(str))
        for school_id, group in year11.groupby("school_id"):
            me = Party.school(school_id, names[school_id])
            july = datetime(ks4_year, *LEAVING, 12, 0)
            written.append(
                write_ctf(
                    ctf / f"{school_id}_CTF_leavers_{ks4_year}.xml",
                    group.dropna(axis=1, how="all"),
                    written=july,
                    academic_year=ks4_year,
                    source=me,
                    dest=NOBODY,
                )
            )
    written.append(_mis_export(pupils, mis / f"arbor_export_{year}.csv"))
    return written


def written_before(out: Path) -> list[Path]:
    """The pupil tables an earlier ``synth schools`` without ``--exports`` wrote into ``out`` (a synthetic trust's
    folder), which ``toolkit import`` would otherwise refuse to replace: those the import did not write."""
    import json
    import re

    manifest = out / "import.json"
    imported = set(json.loads(manifest.read_text()).get("files", {})) if manifest.exists() else set()
    tables = [p for p in out.glob("*.csv") if re.fullmatch(r"(pupils|ks2_\d{4}|ks4_\d{4})\.csv", p.name)]
    return [p for p in tables if p.name not in imported]


def names_primary(group: pd.DataFrame) -> bool:
    return int(group["year_group"].astype(int).max()) <= 6


def _mis_export(pupils: pd.DataFrame, path: Path) -> Path:
    """The columns no CTF carries (targets, the sixth form's KS4 APS), with the pupils' details, as an Arbor-style
    CSV: headers as Arbor names them, Male/Female, "Year 6" and "Reception", dates as dd/mm/yyyy, Yes/No, and a
    registration group column no report uses."""
    wanted = [c for c in MIS_HEADERS if c in pupils.columns]
    carried = [c for c in wanted if c.startswith(CTF_CARRIES)]
    rows = pupils[pupils[carried].notna().any(axis=1)][wanted].copy()
    rows["gender"] = rows["gender"].map({"F": "Female", "M": "Male"})
    group = rows["year_group"].astype(int)
    rows["year_group"] = group.map(lambda g: "Reception" if g == 0 else f"Year {g}")
    for column in ("dob", "entry_date"):
        if column in rows:
            rows[column] = pd.to_datetime(rows[column]).dt.strftime("%d/%m/%Y")
    if "target_reviewed" in rows:
        rows["target_reviewed"] = rows["target_reviewed"].map({True: "Yes", False: "No", "Y": "Yes", "N": "No"})
    rows.insert(len(rows.columns), "Registration group", group.astype(str) + "A")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows.rename(columns=MIS_HEADERS).to_csv(path, index=False)
    return path
