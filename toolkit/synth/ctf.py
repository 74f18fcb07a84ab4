"""Pupil tables written as Common Transfer Files, in the element structure ``toolkit.inputs.ctf`` reads (the GIAP,
MTC and Aspen writers' order; ../shared/reference/ctf/README.md) and with the assessment tuples of
``parameters/ctf/assessments.csv``: the demo trust's exports, the round-trip tests and the import benchmark.

A pupil's FSM and SEN are written as histories that give back the same flags at the file's date: FSM now as a spell
still open; FSM6 only as a spell that ended a year before; SEN as provision starting a year before.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

from toolkit.inputs.ctf import codes, mapping

OTHER_LANGUAGES = ("POL", "URD", "PAN", "SOM", "ARA", "RUM", "BEN", "POR")  # first languages of EAL pupils


@dataclass(frozen=True)
class Party:
    """A SourceSchool or DestSchool: LEA and Estab (``XXX``/``XXXX`` when it is not a school) and a name."""

    la: str
    estab: str
    name: str

    @classmethod
    def school(cls, school_id: str, name: str) -> Party:
        return cls(str(school_id)[:3], str(school_id)[3:], name)


NOBODY = Party("XXX", "XXXX", "")


def _tag(name: str, value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return f"<{name}>{escape(str(value))}</{name}>"


def _party(name: str, party: Party, academic_year: int | None = None) -> str:
    year = _tag("AcademicYear", academic_year - 1) if academic_year is not None else ""
    return f"<{name}>{_tag('LEA', party.la)}{_tag('Estab', party.estab)}{_tag('SchoolName', party.name)}{year}</{name}>"


def _columns() -> dict[str, tuple]:
    """Pupil-table column -> (stage, subject, method, component, qualifier, values) from the first row naming it."""
    table = mapping()
    first = table.drop_duplicates("column")
    return {r.column: (r.stage, r.subject, r.method, r.component, r.qualifier, r.values) for r in first.itertuples()}


def _assessment_year(column: str, row: dict) -> int:
    year, group = int(row["academic_year"]), int(row["year_group"])
    if column.startswith("eyfs_"):
        return year - group
    if column.startswith("ks1_"):
        return year - (group - 2)
    if column.startswith("ks2_") and not pd.isna(row.get("ks2_year", pd.NA)):
        return int(row["ks2_year"])
    return year - (group - 6)


def _result(kind: str, value: str, reverse: dict[str, dict[str, str]]) -> str:
    return reverse.get(kind, {}).get(str(value), str(value))


def _flag(value: object) -> bool | None:
    if value is None or (not isinstance(value, (bool, str)) and pd.isna(value)):
        return None
    return str(value).upper() in {"Y", "TRUE", "1", "YES"}


def pupil_xml(row: dict, written: date, details: bool, assessments: list[str], columns: dict, reverse: dict) -> str:
    """One ``<Pupil>`` element for a pupil-table row."""
    parts = [_tag("UPN", row["upn"]), _tag("Surname", row.get("surname")), _tag("Forename", row.get("forename"))]
    parts += [_tag("DOB", pd.Timestamp(row["dob"]).strftime("%Y-%m-%d")), _tag("Sex", row.get("gender"))]
    if details:
        nc = "R" if int(row["year_group"]) == 0 else str(int(row["year_group"]))
        languages = ""
        eal = _flag(row.get("eal"))
        if eal is not None:
            code = OTHER_LANGUAGES[zlib.crc32(str(row["upn"]).encode()) % len(OTHER_LANGUAGES)] if eal else "ENG"
            languages = f"<Languages><Type><LanguageType>F</LanguageType><Language>{code}</Language></Type></Languages>"
        parts.append(f"<BasicDetails>{_tag('NCyearActual', nc)}{languages}</BasicDetails>")
        fsm, fsm6 = _flag(row.get("fsm")), _flag(row.get("fsm6"))
        if fsm is not None or fsm6 is not None:
            spell = ""
            if fsm:
                spell = f"<FSMinstance><FSMstartDate>{written - timedelta(days=700):%Y-%m-%d}</FSMstartDate><UKcountry>ENG</UKcountry></FSMinstance>"
            elif fsm6:
                spell = (
                    f"<FSMinstance><FSMstartDate>{written - timedelta(days=1400):%Y-%m-%d}</FSMstartDate>"
                    f"<FSMendDate>{written - timedelta(days=365):%Y-%m-%d}</FSMendDate><UKcountry>ENG</UKcountry></FSMinstance>"
                )
            parts.append(f"<FSMhistory>{spell}</FSMhistory>")
        sen = row.get("sen")
        if isinstance(sen, str) and sen:
            entry = (
                f"<SEN><StartDate>{written - timedelta(days=365):%Y-%m-%d}</StartDate><SENprovision>{sen}</SENprovision></SEN>"
                if sen != "N"
                else ""
            )
            parts.append(f"<SENhistory>{entry}</SENhistory>")
    stages: dict[str, list[str]] = {}
    for column in assessments:
        value = row.get(column)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            continue
        stage, subject, method, component, qualifier, kind = columns[column]
        record = (
            f"<StageAssessment><Locale>ENG</Locale>{_tag('Year', _assessment_year(column, row))}{_tag('Subject', subject)}"
            f"{_tag('Method', method)}{_tag('Component', component)}<ResultStatus>R</ResultStatus>"
            f"{_tag('ResultQualifier', qualifier)}{_tag('Result', _result(kind, value, reverse))}</StageAssessment>"
        )
        stages.setdefault(stage, []).append(record)
    if stages:
        blocks = "".join(f"<KeyStage><Stage>{s}</Stage>{''.join(r)}</KeyStage>" for s, r in stages.items())
        parts.append(f"<StageAssessments>{blocks}</StageAssessments>")
    return "<Pupil>" + "".join(parts) + "</Pupil>"


def write_ctf(
    path: Path,
    pupils: pd.DataFrame,
    *,
    written: datetime,
    academic_year: int,
    source: Party,
    dest: Party = NOBODY,
    qualifier: str = "full",
    details: bool = True,
    assessments: bool | list[str] = True,
    supplier: str = "toolkit synth (synthetic data)",
) -> Path:
    """Write ``pupils`` (pupil-table columns) as one CTF: details and histories unless ``details`` is False (a results
    file), and the assessment columns it has (all, or those listed)."""
    columns = _columns()
    reverse = {
        kind: {v: str(k) for k, v in table.items()}
        for kind, table in codes()["values"].items()
        if "numbers" not in table
    }
    wanted = [c for c in pupils.columns if c in columns] if assessments is True else list(assessments or [])
    body = "".join(
        pupil_xml(row, written.date(), details, wanted, columns, reverse) for row in pupils.to_dict("records")
    )
    version = f"{(academic_year - 1) % 100}.0"
    header = (
        "<Header><DocumentName>Common Transfer File</DocumentName>"
        f"<CTFversion>{version}</CTFversion><DateTime>{written:%Y-%m-%dT%H:%M:%S}</DateTime>"
        f"<DocumentQualifier>{qualifier}</DocumentQualifier><SupplierID>{escape(supplier)}</SupplierID>"
        f"{_party('SourceSchool', source, academic_year)}{_party('DestSchool', dest)}</Header>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n<CTfile>{header}<CTFpupilData>{body}</CTFpupilData></CTfile>\n'
    path.write_text(text, encoding="utf-8")
    return path
