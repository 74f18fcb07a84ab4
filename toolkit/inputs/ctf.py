"""Common Transfer Files (CTF XML) read one pupil at a time: the header, and each pupil's details, free school meal
and SEN histories, first language, attendance summaries and assessment records as long tables.

What is read and why is in ``../shared/reference/ctf/README.md`` and ``parameters/ctf/`` (``codes.yaml``: codes and
rules; ``assessments.csv``: which assessment record is which pupil-table column, each marked published (verified) or unverified).
The parse is streaming (``defusedxml``'s ``iterparse``: one ``<Pupil>`` in memory at a time) and safe: a DTD, an
entity or an external reference is refused before anything is expanded or fetched. Element names are matched in
any case; empty optional elements read as absent; a UTF-8 BOM and a declared ISO-8859-1 encoding are read as the
file says. Every problem is a sentence naming the file, the pupil (UPN, or position when it has none) and the element;
``toolkit.inputs.ctf_tables`` merges the files and writes nothing when any file has one.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as safe_xml
import pandas as pd

from toolkit import parameters
from toolkit.inputs import schema
from toolkit.scales.identifiers import upn_reason

ASSESSMENT_COLUMNS = ("locale", "year", "stage", "subject", "method", "component", "status", "qualifier", "result")
MAPPING_KEYS = ("stage", "subject", "method", "component", "qualifier")


@dataclass
class CtfFile:
    """One CTF as read: its header facts and long tables (one row per pupil, spell, year or assessment record; every
    table has ``position``, the pupil's place in the file from 1, and ``upn``)."""

    path: Path
    version: str
    written: datetime
    academic_year: int  # named by its summer (2026 = 2025/26)
    qualifier: str  # full | partial
    school_id: str | None  # LAESTAB the pupils were at when it was written (codes.yaml school_from)
    dest_id: str | None  # DestSchool's LAESTAB, when it is a school
    school_name: str | None
    pupils: pd.DataFrame
    fsm: pd.DataFrame  # upn, start, end, country
    sen: pd.DataFrame  # upn, start, end, provision
    attendance: pd.DataFrame  # upn, year, possible, authorised, unauthorised, lea, estab
    results: pd.DataFrame  # the assessment records a column takes: upn, column, year, value, stage, index
    other_assessments: pd.DataFrame  # the records no column takes (other stages, subjects, locales), as read
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


class CtfError(ValueError):
    """CTF files that cannot be imported; ``problems`` lists every sentence. Nothing was written."""

    SHOWN = 200

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[: self.SHOWN]
        lines = [
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found in the CTF files; nothing was written."
        ]
        lines += [f"  - {p}" for p in shown]
        if len(problems) > len(shown):
            lines.append(f"  ... and {len(problems) - len(shown)} more")
        super().__init__("\n".join(lines))

    def __reduce__(self):
        return type(self), (self.problems,)


def codes() -> dict:
    """``parameters/ctf/codes.yaml``."""
    return parameters.load_yaml("ctf/codes.yaml")


def mapping() -> pd.DataFrame:
    """``parameters/ctf/assessments.csv``: which (stage, subject, method, component, qualifier) is which column; a
    blank key matches any value."""
    table = parameters.load_csv("ctf/assessments.csv")
    for key in MAPPING_KEYS:
        table[key] = table[key].str.strip().str.upper()
    return table


_NAMES: dict[object, str] = {}


def _name(tag: object) -> str:
    """An element's name without namespace, in lower case (names are matched in any case)."""
    name = _NAMES.get(tag)
    if name is None:
        name = _NAMES[tag] = (tag if isinstance(tag, str) else "").rsplit("}", 1)[-1].lower()
    return name


def _kids(element: ET.Element) -> dict[str, list[ET.Element]]:
    out: dict[str, list[ET.Element]] = {}
    for child in element:
        out.setdefault(_name(child.tag), []).append(child)
    return out


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


def _first(kids: dict[str, list[ET.Element]], name: str) -> ET.Element | None:
    found = kids.get(name)
    return found[0] if found else None


def _path_text(element: ET.Element | None, *names: str) -> str | None:
    for name in names:
        if element is None:
            return None
        element = _first(_kids(element), name)
    return _text(element)


def _date(value: str | None) -> date | None:
    """``yyyy-MM-dd`` (a time after it allowed); None for blank; ValueError for anything else."""
    if value is None:
        return None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})([T ].*)?", value)
    if not match:
        raise ValueError(value)
    return date.fromisoformat(match.group(1))


def laestab(element: ET.Element | None) -> str | None:
    """The 7-digit DfE number of a SourceSchool or DestSchool element, or None when it is not a school (XXX/XXXX,
    MMM/MMMM, blank)."""
    if element is None:
        return None
    la, estab = _path_text(element, "lea"), _path_text(element, "estab")
    if la and estab and re.fullmatch(r"\d{3}", la) and re.fullmatch(r"\d{4}", estab):
        return la + estab
    return None


class _Pupils:
    """Rows of a file's long tables, appended as each ``<Pupil>`` ends."""

    def __init__(self, path: Path):
        self.path = path
        self.rules = codes()
        self.nc_years = {str(k): v for k, v in self.rules["nc_years"].items()}
        self.nc_other = {str(v) for v in self.rules["nc_years_other"]}
        self.pupils: list[dict] = []
        self.fsm: list[tuple] = []
        self.sen: list[tuple] = []
        self.attendance: list[tuple] = []
        self.assessments: list[tuple] = []
        self.problems: list[str] = []
        self.seen: dict[str, int] = {}

    def problem(self, position: int, upn: str | None, element: str, sentence: str) -> None:
        who = f"pupil {position} (UPN {upn})" if upn else f"pupil {position} (no UPN)"
        self.problems.append(f"{self.path.name}, {who}, element {element}: {sentence}")

    def date(self, position: int, upn: str | None, element: str, value: str | None) -> date | None:
        try:
            return _date(value)
        except ValueError:
            self.problem(position, upn, element, f"'{value}' is not a date (yyyy-mm-dd)")
            return None

    def add(self, pupil: ET.Element, position: int) -> None:
        kids = _kids(pupil)
        upn = _text(_first(kids, "upn"))
        upn = upn.replace(" ", "").upper() if upn else None
        if upn is None:
            self.problem(position, None, "Pupil/UPN", "the pupil has no UPN, so cannot be matched with other files")
        elif (reason := upn_reason(upn)) is not None:
            self.problem(position, upn, "Pupil/UPN", f"{reason[0]} ({reason[1]})")
        elif upn in self.seen:
            self.problem(
                position,
                upn,
                "Pupil/UPN",
                f"the same pupil appears twice in this file (pupils {self.seen[upn]} and {position})",
            )
        else:
            self.seen[upn] = position
        details = _first(kids, "basicdetails")
        dkids = _kids(details) if details is not None else {}
        sex = _text(_first(kids, "sex")) or _text(_first(kids, "gender")) or _text(_first(dkids, "sex"))
        sex_code = sex.upper()[:1] if sex and sex.upper() in {"M", "F", "MALE", "FEMALE"} else None
        if sex is not None and sex_code is None:
            self.problem(position, upn, "Pupil/Sex", f"'{sex}' is not a sex code (M or F)")
        nc = _text(_first(dkids, "ncyearactual")) or _text(_first(kids, "ncyearactual"))
        nc_code = nc.upper().removeprefix("Y") if nc else None
        if nc_code and nc_code.lstrip("0").isdigit():
            nc_code = nc_code.lstrip("0")
        if nc_code is not None and nc_code not in self.nc_years and nc_code not in self.nc_other:
            self.problem(
                position,
                upn,
                "Pupil/BasicDetails/NCyearActual",
                f"'{nc}' is not a national curriculum year (R, 1-14, N1, N2 or X)",
            )
        dob_text = _text(_first(kids, "dob")) or _text(_first(dkids, "dob"))
        dob = self.date(position, upn, "Pupil/DOB", dob_text)
        language = None
        for kind in _kids(_first(dkids, "languages") or ET.Element("x")).get("type", []):
            tkids = _kids(kind)
            if (_text(_first(tkids, "languagetype")) or "").upper() == self.rules["first_language"][
                "first_language_type"
            ]:
                language = (_text(_first(tkids, "language")) or "").upper()
        self.pupils.append(
            {
                "position": position,
                "upn": upn,
                "surname": _text(_first(kids, "surname")),
                "forename": _text(_first(kids, "forename")),
                "preferred_surname": _text(_first(dkids, "preferredsurname")),
                "preferred_forename": _text(_first(dkids, "preferredforename")),
                "dob": dob,
                "gender": sex_code,
                "nc_year": nc_code,
                "first_language": language,
                "has_fsm_history": "fsmhistory" in kids,
                "has_sen_history": "senhistory" in kids,
            }
        )
        self._fsm(kids, position, upn)
        self._sen(kids, position, upn)
        self._attendance(kids, position, upn)
        self._assessments(kids, position, upn)

    def _dated(self, kids, position, upn, history: str, entry: str, start_tag: str, end_tag: str):
        """Each entry of a dated history (FSM spells, SEN provision): its children, start, end and where it is."""
        block = _first(kids, history.lower())
        if block is None:
            return
        for i, item in enumerate(_kids(block).get(entry.lower(), []), 1):
            ikids = _kids(item)
            where = f"Pupil/{history}/{entry}[{i}]"
            start = self.date(position, upn, f"{where}/{start_tag}", _text(_first(ikids, start_tag.lower())))
            end = self.date(position, upn, f"{where}/{end_tag}", _text(_first(ikids, end_tag.lower())))
            yield ikids, start, end, where

    def _fsm(self, kids, position, upn) -> None:
        for skids, start, end, where in self._dated(
            kids, position, upn, "FSMhistory", "FSMinstance", "FSMstartDate", "FSMendDate"
        ):
            if start is None and _text(_first(skids, "fsmstartdate")) is None:
                self.problem(position, upn, f"{where}/FSMstartDate", "a free school meal spell has no start date")
            self.fsm.append((position, upn, start, end, _text(_first(skids, "ukcountry"))))

    def _sen(self, kids, position, upn) -> None:
        for skids, start, end, where in self._dated(kids, position, upn, "SENhistory", "SEN", "StartDate", "EndDate"):
            provision = (_text(_first(skids, "senprovision")) or "").upper() or None
            if provision not in schema.SEN_CODES:
                self.problem(
                    position,
                    upn,
                    f"{where}/SENprovision",
                    f"'{provision or ''}' is not an SEN provision code (N, K or E)",
                )
            self.sen.append((position, upn, start, end, provision))

    def _attendance(self, kids, position, upn) -> None:
        block = _first(kids, "attendance")
        if block is None:
            return
        for i, year in enumerate(_kids(block).get("yeardata", []), 1):
            ykids = _kids(year)
            where = f"Pupil/Attendance/YearData[{i}]"
            values = {}
            for name, tag in (
                ("year", "year"),
                ("possible", "sessionspossible"),
                ("authorised", "sessionsauthorised"),
                ("unauthorised", "sessionsunauthorised"),
            ):
                text = _text(_first(ykids, tag))
                if text is not None and not text.isdigit():
                    self.problem(position, upn, f"{where}/{_SPELLING[tag]}", f"'{text}' is not a whole number")
                    text = None
                values[name] = int(text) if text is not None else None
            if values["year"] is None:
                self.problem(position, upn, f"{where}/Year", "an attendance year has no Year")
                continue
            self.attendance.append(
                (
                    position,
                    upn,
                    values["year"],
                    values["possible"],
                    values["authorised"],
                    values["unauthorised"],
                    _text(_first(ykids, "lea")),
                    _text(_first(ykids, "estab")),
                )
            )

    def _assessments(self, kids, position, upn) -> None:
        block = _first(kids, "stageassessments")
        if block is None:
            return
        for stage_element in _kids(block).get("keystage", []):
            skids = _kids(stage_element)
            stage = (_text(_first(skids, "stage")) or "").upper()
            for index, record in enumerate(skids.get("stageassessment", []), 1):  # its place in its KeyStage
                found = {}
                for child in record:
                    name = _NAMES.get(child.tag) or _name(child.tag)
                    if name not in found:
                        found[name] = (child.text or "").strip()
                values = [found.get(tag, "") for tag in _RECORD_TAGS]
                values[:-1] = [v.upper() for v in values[:-1]]
                self.assessments.append((position, upn, index, *values[:2], stage, *values[2:]))

    def frames(self) -> dict[str, pd.DataFrame]:
        return {
            "pupils": pd.DataFrame(self.pupils, columns=list(_PUPIL_COLUMNS)),
            "fsm": pd.DataFrame(self.fsm, columns=["position", "upn", "start", "end", "country"]),
            "sen": pd.DataFrame(self.sen, columns=["position", "upn", "start", "end", "provision"]),
            "attendance": pd.DataFrame(
                self.attendance,
                columns=["position", "upn", "year", "possible", "authorised", "unauthorised", "lea", "estab"],
            ),
            "assessments": pd.DataFrame(self.assessments, columns=["position", "upn", "index", *ASSESSMENT_COLUMNS]),
        }


_RECORD_TAGS = ("locale", "year", "subject", "method", "component", "resultstatus", "resultqualifier", "result")
_SPELLING = {
    "sessionspossible": "SessionsPossible",
    "sessionsauthorised": "SessionsAuthorised",
    "sessionsunauthorised": "SessionsUnauthorised",
    "year": "Year",
}
_PUPIL_COLUMNS = (
    "position",
    "upn",
    "surname",
    "forename",
    "preferred_surname",
    "preferred_forename",
    "dob",
    "gender",
    "nc_year",
    "first_language",
    "has_fsm_history",
    "has_sen_history",
)


def _academic_year(header: dict[str, list[ET.Element]], written: datetime) -> int:
    """The file's academic year named by its summer: SourceSchool/AcademicYear is the start year (2024 = 2024/25);
    without it, the date written (from 1 August a CTF belongs to the next year, as the version numbers do)."""
    start = _path_text(_first(header, "sourceschool"), "academicyear")
    if start and re.fullmatch(r"\d{4}", start):
        return int(start) + 1
    return written.year + (1 if written.month >= 8 else 0)


class _RootReached(Exception):
    """The prolog ended (the root element began) without a DTD."""


class _StopAtRoot:
    root: str | None = None

    def start(self, tag, attrs):
        self.root = tag
        raise _RootReached

    def end(self, tag):
        pass

    def data(self, text):
        pass

    def close(self):
        pass


def _refuse_a_dtd(source, chunk: int = 1 << 14) -> str | None:
    """Read the file's prolog with defusedxml, which raises on a DTD, an entity declaration or an external
    reference (``forbid_dtd``). A DTD can only come before the root element, so once the root begins, the rest may
    be parsed by the standard library's C parser with nothing left to expand or fetch. Returns the root element's
    name (None for a file with no element)."""
    target = _StopAtRoot()
    guard = safe_xml.DefusedXMLParser(target=target, forbid_dtd=True)
    try:
        while block := source.read(chunk):
            guard.feed(block)
        guard.close()
    except _RootReached:
        pass
    return target.root


def read_ctf(path: Path | str, school: str | None = None, verdicts: Verdicts | None = None) -> CtfFile:
    """Read one CTF. Problems (malformed XML, not a CTF, a refused DTD or entity, bad values) are in ``problems``,
    each a sentence naming the file, the pupil and the element; ``school`` (a DfE number) is where the pupils were
    when neither SourceSchool nor DestSchool is a school. ``verdicts``: one ``Verdicts`` shared by the files of an
    import, so each distinct result value is judged once."""
    path = Path(path)
    state = _Pupils(path)
    header: dict[str, list[ET.Element]] = {}
    root_seen = False
    position = 0
    try:
        with open(path, "rb") as source:
            root = _refuse_a_dtd(source)  # defusedxml on the prolog; the body by the C parser, which meets no DTD
            if root is not None:
                root_seen = True
                if _name(root) != codes()["root"].lower():
                    return _refused(path, f"not a Common Transfer File: its root element is <{root}>, not <CTfile>")
            source.seek(0)
            names = _NAMES
            for _event, element in ET.iterparse(source, events=("end",)):
                name = names.get(element.tag) or _name(element.tag)
                if name == "pupil":  # a CTF has <Pupil> only in CTFpupilData
                    position += 1
                    state.add(element, position)
                    element.clear()
                elif name == "header":
                    header = _kids(element)
    except ET.ParseError as err:
        line, column = getattr(err, "position", (0, 0))
        reason = str(err).split(":")[0]
        if not root_seen and path.stat().st_size == 0:
            return _refused(path, "the file is empty")
        return _refused(
            path, f"not well-formed XML at line {line}, column {column + 1} ({reason}): the file is damaged or not XML"
        )
    except (defusedxml.DTDForbidden, defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden) as err:
        kind = type(err).__name__.removesuffix("Forbidden")
        return _refused(
            path,
            f"refused: the file declares a {'DTD' if kind == 'DTD' else kind.lower() + ' entity' if kind != 'ExternalReference' else 'reference to an outside resource'}, "
            "which a CTF never has; nothing was expanded or fetched",
        )
    except UnicodeDecodeError as err:
        return _refused(path, f"the text is not in the encoding the file declares ({err.reason})")
    if not header:
        return _refused(path, "not a Common Transfer File: it has no <Header>")
    version = (
        _path_text(
            _first(header, "ctfversion"),
        )
        or ""
    )
    written_text = _text(_first(header, "datetime"))
    try:
        written = datetime.fromisoformat(written_text) if written_text else None
    except ValueError:
        written = None
    if written is None:
        return _refused(
            path, f"element Header/DateTime: '{written_text or ''}' is not a date and time (yyyy-mm-ddThh:mm:ss)"
        )
    major = re.match(r"(\d+)", version)
    notices = []
    if not major:
        notices.append(f"{path.name}: no CTFversion in the header; read as the current layout")
    elif int(major.group(1)) < codes()["oldest_version"]:
        return _refused(
            path, f"CTF version {version} is older than any this toolkit reads (CTF {codes()['oldest_version']} on)"
        )
    frames = state.frames()
    results, other, problems, said = map_assessments(frames.pop("assessments"), path.name, verdicts)
    state.problems += problems
    notices += [f"{path.name}: {n}" for n in said]
    if position == 0:
        notices.append(f"{path.name}: the file has no pupils")
    qualifier = (_text(_first(header, "documentqualifier")) or "full").lower()
    source_school, dest_school = _first(header, "sourceschool"), _first(header, "destschool")
    found = {"destschool": laestab(dest_school), "sourceschool": laestab(source_school)}
    school_id = next((found[s.lower()] for s in codes()["school_from"] if found[s.lower()]), None) or school
    if school_id is None:
        state.problems.append(
            f"{path.name}, element Header/SourceSchool: neither SourceSchool nor DestSchool is a school (LEA 3 digits, "
            "Estab 4 digits), so the pupils belong to no school: give the school with --school"
        )
    named = source_school if school_id and school_id == found["sourceschool"] else dest_school
    return CtfFile(
        path,
        version,
        written,
        _academic_year(header, written),
        qualifier,
        school_id,
        found["destschool"],
        _path_text(named, "schoolname") if named is not None else None,
        *frames.values(),
        results,
        other,
        problems=state.problems,
        notices=notices,
    )


def element(stage: object, index: object) -> str:
    """Where an assessment record is in its pupil: its KeyStage and its place there."""
    return f"Pupil/StageAssessments/KeyStage[{stage}]/StageAssessment[{index}]"


def map_assessments(
    records: pd.DataFrame, name: str, verdicts: Verdicts | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """One file's assessment records -> (results: upn, position, column, year, value, stage, index; the records no
    column takes; problems; notices). ``name``: the file's, for the sentences. A record whose stage is neither used
    (assessments.csv) nor known (codes.yaml other_stages) is a problem; so is a value its column does not allow."""
    rules, table = codes(), mapping()
    problems: list[str] = []
    notices: list[str] = []
    locale_ok = records["locale"].isin(["", *rules["locales_used"]])
    elsewhere = records[~locale_ok]
    if len(elsewhere):
        notices.append(
            f"{len(elsewhere):,} assessment records in another locale ({', '.join(sorted(elsewhere['locale'].unique()))}: "
            "not England's assessments) left out of the tables; they are in ctf_other_assessments.csv"
        )
    records = records[locale_ok]
    known_stages = set(table["stage"]) | {s.upper() for s in rules["other_stages"]}
    unknown = records[~records["stage"].isin(known_stages)]
    for row in unknown.itertuples():
        problems.append(
            f"{name}, pupil {row.position} (UPN {row.upn}), element {element(row.stage, row.index)}/../Stage: "
            f"'{row.stage}' is not a key stage this toolkit knows (parameters/ctf/codes.yaml other_stages lists the "
            "ones it keeps unused)"
        )
    records = records[records["stage"].isin(known_stages)]
    column = pd.Series(pd.NA, index=records.index, dtype="string")
    kind = pd.Series(pd.NA, index=records.index, dtype="string")
    patterns = table.assign(pattern=table[list(MAPPING_KEYS)].ne("").apply(tuple, axis=1))
    for pattern, group in patterns.groupby("pattern", sort=False):  # one join per pattern of keys a rule gives
        keys = [k for k, given in zip(MAPPING_KEYS, pattern, strict=True) if given]
        found = records[keys].rename_axis("row").reset_index()
        found = found.merge(group.drop_duplicates(keys)[[*keys, "column", "values"]], on=keys).set_index("row")
        first = found.index[column[found.index].isna().to_numpy()]
        column[first] = found.loc[first, "column"]
        kind[first] = found.loc[first, "values"]
    mapped = records[column.notna()].assign(column=column[column.notna()], kind=kind[column.notna()])
    other = pd.concat([elsewhere, records[column.isna()]])
    upper = mapped["result"].str.strip().str.upper()
    verdict = verdicts or Verdicts()
    out = verdict.of(mapped["column"], mapped["kind"], upper)
    ok = out.notna()
    for row in mapped[~ok].itertuples():
        problems.append(
            f"{name}, pupil {row.position} (UPN {row.upn}), element {element(row.stage, row.index)}/Result: "
            f"'{row.result}' is not a result {row.column} allows ({_allowed(str(row.kind), str(row.column))})"
        )
    year = pd.to_numeric(mapped["year"], errors="coerce").astype("Int64")
    result = pd.DataFrame(
        {
            "upn": mapped["upn"],
            "position": mapped["position"].astype("int32"),
            "column": mapped["column"].astype(pd.CategoricalDtype(list(dict.fromkeys(table["column"])))),
            "year": year.astype("Int16"),
            "value": out,
            "stage": mapped["stage"].astype(pd.CategoricalDtype(sorted(known_stages))),
            "index": mapped["index"].astype("int16"),
        }
    )[ok]  # categories fixed by the parameter files, so every file's results stack without spelling them out
    return result, other, problems, notices


class Verdicts:
    """What each result value written in a CTF reads as in its column (None: not allowed), judged once per distinct
    (column, value) however many files and pupils carry it: the rules of ``codes.yaml`` ``values`` or, for the
    pupil-table columns, ``toolkit.inputs.schema``. One instance serves one import."""

    def __init__(self):
        self.rules = codes()["values"]
        self.known: dict[tuple[str, str], str | None] = {}

    def _judge(self, column: str, kind: str, values: list[str]) -> list[str | None]:
        rule = self.rules.get(kind)
        if rule is not None and "numbers" not in rule:
            lookup = {str(k).upper(): str(v) for k, v in rule.items()}
            return [lookup.get(v) for v in values]
        if rule is not None:
            low, high = rule["numbers"]
            codes_ = {str(c).upper() for c in rule["codes"]}
            return [v if v in codes_ or (v.isdigit() and low <= int(v) <= high) else None for v in values]
        allowed = schema.value_check(column)(pd.Series(values, dtype="string")).fillna(False).astype(bool)
        return [v if ok and v else None for v, ok in zip(values, allowed, strict=True)]

    def of(self, columns: pd.Series, kinds: pd.Series, values: pd.Series) -> pd.Series:
        """The value each (column, kind, upper-case result) reads as, <NA> where it is not allowed."""
        keys = pd.DataFrame({"column": columns.astype("string"), "kind": kinds, "value": values})
        distinct = keys.drop_duplicates()
        new = [(c, v) not in self.known for c, v in zip(distinct["column"], distinct["value"], strict=True)]
        unseen = distinct.loc[pd.Series(new, index=distinct.index, dtype=bool)]
        for (column, kind), group in unseen.groupby(["column", "kind"]):
            values_ = group["value"].fillna("").tolist()
            self.known.update(
                zip(((column, v) for v in group["value"]), self._judge(column, kind, values_), strict=True)
            )
        read = pd.Series(
            [self.known.get((c, v)) for c, v in zip(distinct["column"], distinct["value"], strict=True)], dtype="string"
        )
        lookup = distinct.assign(read=read.to_numpy())
        return keys.merge(lookup, on=["column", "kind", "value"], how="left")["read"].set_axis(values.index)


def _allowed(kind: str, column: str) -> str:
    rules = codes()["values"]
    if kind in rules and "numbers" in rules[kind]:
        low, high = rules[kind]["numbers"]
        listed = ", ".join(map(str, rules[kind]["codes"]))
        return f"a whole number {low}-{high}" + (f" or {listed}" if listed else "")
    if kind in rules:
        return ", ".join(str(k) for k in rules[kind])
    field = schema.FIELD_BY_NAME.get(column)
    return field.rule if field and field.rule else "see docs/data_model.md"


def _refused(path: Path, sentence: str) -> CtfFile:
    empty = _Pupils(path).frames()
    records = empty.pop("assessments")
    results = map_assessments(records, path.name)[0]
    return CtfFile(
        path,
        "",
        datetime.min,
        0,
        "",
        None,
        None,
        None,
        *empty.values(),
        results,
        records,
        problems=[f"{path.name}: {sentence}"],
    )


def ctf_files(sources: list[Path | str]) -> list[Path]:
    """The CTF files named: each file as given, each folder's ``*.xml`` files (any case, not in sub-folders),
    sorted by name; FileNotFoundError for a path that is not there or a folder with none."""
    found: list[Path] = []
    for source in map(Path, sources):
        if not source.exists():
            raise FileNotFoundError(f"{source}: no such file or folder")
        if source.is_dir():
            inside = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() == ".xml")
            if not inside:
                raise FileNotFoundError(f"{source}: no .xml files in this folder (a CTF is an XML file)")
            found += inside
        else:
            found.append(source)
    return found
