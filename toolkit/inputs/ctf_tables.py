"""Several CTFs merged into the tables of a school data folder (docs/importing.md).

A pupil present in several files is one pupil: details (names, date of birth, sex, year) from the newest file that
has each; free school meal spells from every file; SEN from the newest file with an SEN history; assessment records
keyed by column (stage, subject, component) and year, the same value in two files kept once and two different values
listed as a conflict (and left blank), never resolved silently. The tables:

- ``pupils``: pupils on roll in the current academic year (the census date's), in the school of the newest file;
- ``ks2_<year>``: each past year's Year 6 with KS2 results, in the school they were in;
- ``ks4_<year>``: each past year's Year 11 with KS2 results (written when ``gcse_<year>.csv`` is beside them);
- ``statutory_checks``: phonics marks and outcomes and multiplication tables check scores, one row per pupil,
  check and year; ``attendance``: sessions possible, present, authorised and unauthorised per pupil, home school and
  year (``toolkit.inputs.attendance``'s layout; other schools' years in ``ctf_other_attendance``);
- ``ctf_other_pupils``, ``ctf_other_assessments``, ``ctf_conflicts``: what no table takes, and why;
- ``sources``: for every value written, the file and the element it came from.

FSM now: a free school meal spell covering the date; FSM6 (disadvantaged): a spell at any time in the six years to it.
The date is the census date for pupils on roll, and for a past cohort the date its newest file was written (at most
the census date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from pandas.api.types import union_categoricals

from toolkit.inputs import schema
from toolkit.inputs.ctf import CtfError, CtfFile, codes, element

DETAILS = {  # pupil-table column -> (column of the files' pupils table, the element it comes from)
    "forename": ("forename", "Pupil/Forename"),
    "surname": ("surname", "Pupil/Surname"),
    "dob": ("dob", "Pupil/DOB"),
    "gender": ("gender", "Pupil/Sex"),
    "first_language": ("first_language", "Pupil/BasicDetails/Languages"),
}
WIDE_PREFIXES = ("eyfs_", "ks1_", "ks2_")
CHECKS = {"phonics_mark": ("phonics", "mark"), "phonics_outcome": ("phonics", "outcome"), "mtc_score": ("mtc", "mark")}
FSM6_YEARS = 6
KS4_PRIOR = ("ks2_reading", "ks2_maths")  # always in a past Year 11's table


@dataclass
class Imported:
    """What the CTFs became: tables by name (``pupils``, ``ks2_2025`` ...), the sentences to show, the facts."""

    tables: dict[str, pd.DataFrame]
    notices: list[str] = field(default_factory=list)
    census_date: date | None = None
    academic_year: int | None = None
    files: int = 0
    schools: pd.DataFrame | None = None


def _files_table(files: list[CtfFile]) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "file": [f.path.name for f in files],
            "written": [f.written for f in files],
            "academic_year": [f.academic_year for f in files],
            "qualifier": [f.qualifier for f in files],
            "school_id": [f.school_id for f in files],
            "school_name": [f.school_name for f in files],
        }
    )
    order = table.sort_values(["written", "file"]).index
    table.loc[order, "rank"] = range(len(table))
    table["rank"] = table["rank"].astype(int)
    return table


def _stack(files: list[CtfFile], name: str) -> pd.DataFrame:
    frames = [getattr(f, name).assign(file_id=i) for i, f in enumerate(files) if len(getattr(f, name))]
    if not frames:
        return getattr(files[0], name).assign(file_id=pd.Series(dtype="int64"))
    return pd.concat(frames, ignore_index=True)


def _newest(values: pd.DataFrame, column: str, ranks: pd.Series) -> pd.DataFrame:
    """Per UPN the value of ``column`` from the newest file that has one: upn, value, file_id."""
    have = values[values[column].notna()][["upn", column, "file_id"]]
    have = have.assign(rank=have["file_id"].map(ranks)).sort_values("rank")
    return have.groupby("upn").tail(1).set_index("upn")[[column, "file_id"]]


def _year_group(dob: pd.Series, academic_year: pd.Series) -> pd.Series:
    """The year group a pupil born on ``dob`` is in during ``academic_year`` (named by its summer)."""
    born = pd.to_datetime(dob)
    start = born.dt.year - (born.dt.month < 9).astype(int)
    return (academic_year - 6 - start).astype("Int64")


def _fsm(rows: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    """fsm and fsm6 (booleans) for each row (upn, asof), from the FSM spells."""
    joined = rows[["upn", "asof"]].reset_index().merge(spells[["upn", "start", "end"]], on="upn", how="inner")
    asof = pd.to_datetime(joined["asof"])
    start, end = pd.to_datetime(joined["start"]), pd.to_datetime(joined["end"])
    began = start.isna() | (start <= asof)
    now = began & (end.isna() | (end >= asof))
    six = began & (end.isna() | (end >= asof - pd.DateOffset(years=FSM6_YEARS)))
    flags = joined.assign(fsm=now, fsm6=six).groupby("index")[["fsm", "fsm6"]].any()
    return flags.reindex(rows.index).fillna(False).astype(bool)


def _sen(rows: pd.DataFrame, entries: pd.DataFrame, ranks: pd.Series) -> pd.Series:
    """SEN provision (N/K/E) at each row's date, from the newest file with an SEN history for that pupil."""
    if entries.empty:
        return pd.Series(pd.NA, index=rows.index, dtype="string")
    entries = entries.assign(rank=entries["file_id"].map(ranks))
    newest = entries.groupby("upn")["rank"].transform("max")
    entries = entries[entries["rank"] == newest]
    joined = rows[["upn", "asof"]].reset_index().merge(entries, on="upn", how="inner")
    asof = pd.to_datetime(joined["asof"])
    start, end = pd.to_datetime(joined["start"]), pd.to_datetime(joined["end"])
    current = joined[(start.isna() | (start <= asof)) & (end.isna() | (end >= asof))]
    current = current.assign(order=pd.to_datetime(current["start"])).sort_values("order", na_position="first")
    provision = current.groupby("index")["provision"].last()
    has_history = rows["upn"].isin(entries["upn"])
    out = provision.reindex(rows.index).astype("string")
    return out.mask(has_history & out.isna(), "N")


def _conflicts(values: pd.DataFrame, keys: list[str], names: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values kept once per key, conflicts: every differing value of a key with its file)."""
    distinct = values.drop_duplicates([*keys, "value"])
    counts = distinct.groupby(keys)["value"].transform("size")
    clash = distinct[counts > 1]
    conflicts = clash.assign(file=clash["file_id"].map(names))
    keep = values.drop_duplicates(keys, keep="last")
    clashing_keys = pd.MultiIndex.from_frame(clash[keys].drop_duplicates())
    kept = keep[~pd.MultiIndex.from_frame(keep[keys]).isin(clashing_keys)]
    return kept, conflicts


def assemble(
    files: list[CtfFile], census: date | None = None, gcse_years: set[int] | None = None, home: set[str] | None = None
) -> Imported:
    """The data folder's tables from CTFs read by ``toolkit.inputs.ctf.read_ctf``; ``CtfError`` with every problem
    (nothing assembled) when any file has one. ``census``: the date that decides who is on roll and FSM now
    (default: the newest file's date). ``gcse_years``: the years whose past Year 11 may be written (their GCSE
    results are beside them). ``home``: the schools whose pupils make the tables (default: those with a file of
    the current academic year, else every school of the files); a pupil seen only at another school is history."""
    problems = [p for f in files for p in f.problems]
    notices = [n for f in files for n in f.notices]
    usable = [f for f in files if f.school_id is not None]
    if not usable and not problems:
        problems.append("no file names a school the pupils belong to")
    if not usable:
        raise CtfError(problems)
    info = _files_table(usable)
    names, ranks = info["file"], info["rank"]
    pupils = _stack(usable, "pupils")
    mapped = _stack(usable, "results")
    other_assessments = _stack(usable, "other_assessments")
    if problems:
        raise CtfError(problems)
    newest_file = info.loc[info["rank"].idxmax()]
    census = census or newest_file["written"].date()
    current_year = census.year + (1 if census.month >= 8 else 0)

    # Enrolments: which school each pupil was in, in which year and NC year (one per file).
    enrol = pupils[["upn", "nc_year", "file_id"]].assign(
        school_id=pupils["file_id"].map(info["school_id"]),
        academic_year=pupils["file_id"].map(info["academic_year"]),
        written=pupils["file_id"].map(info["written"]),
        rank=pupils["file_id"].map(ranks),
    )
    details = pd.DataFrame(index=pd.Index(pupils["upn"].unique(), name="upn"))
    detail_files = {}
    for column, (source, _element_name) in DETAILS.items():
        newest = _newest(pupils, source, ranks)
        details[column] = newest[source].reindex(details.index)
        detail_files[column] = newest["file_id"].reindex(details.index)
    nc_map = {str(k): v for k, v in codes()["nc_years"].items()}
    enrol["year_group"] = enrol["nc_year"].map(nc_map).astype("Int64")
    guessed = enrol["nc_year"].isna()
    enrol.loc[guessed, "year_group"] = _year_group(
        enrol.loc[guessed, "upn"].map(details["dob"]), enrol.loc[guessed, "academic_year"]
    )
    enrol = enrol.sort_values("rank")
    if not home:
        home = set(enrol.loc[enrol["academic_year"] == current_year, "school_id"]) or set(enrol["school_id"])
    enrol_all, enrol = enrol, enrol[enrol["school_id"].isin(home)]

    tables: dict[str, pd.DataFrame] = {}
    in_year = enrol[(enrol["academic_year"] == current_year)]
    on_roll = in_year[in_year["year_group"].between(0, 13)].groupby("upn").tail(1)
    rows = {"pupils": on_roll.assign(asof=census)}
    past = enrol[(enrol["academic_year"] < current_year)]
    for year_group, stem in ((6, "ks2"), (11, "ks4")):
        cohort = past[past["year_group"] == year_group].groupby(["upn", "academic_year"]).tail(1)
        for year, group in cohort.groupby("academic_year"):
            if stem == "ks4" and int(year) not in (gcse_years or set()):
                continue
            asof = min(group["written"].max().date(), census)
            rows[f"{stem}_{int(year)}"] = group.assign(asof=asof)
    placed = pd.concat([r["upn"] for r in rows.values()])
    left = enrol_all[~enrol_all["upn"].isin(placed)].groupby("upn").tail(1)
    left = left.assign(elsewhere=~left["upn"].isin(enrol["upn"]))

    kept, conflicts = _conflicts(mapped, ["upn", "column", "year"], names)
    latest = kept.sort_values("year").groupby(["upn", "column"]).tail(1)
    wide = latest[latest["column"].str.startswith(WIDE_PREFIXES)]
    wide_values = wide.pivot(index="upn", columns="column", values="value")
    pairs = wide[["stage", "index"]].drop_duplicates()
    pairs = pairs.assign(element=[element(a, b) for a, b in zip(pairs["stage"], pairs["index"], strict=True)])
    wide_sources = wide[["upn", "column", "file_id", "stage", "index"]].merge(pairs, on=["stage", "index"])
    wide_sources = wide_sources.assign(
        file=pd.Categorical.from_codes(wide_sources["file_id"], categories=names.tolist()),
        element=wide_sources["element"].astype("category"),
    )[["upn", "column", "file", "element"]]
    ks2_year = wide[wide["column"].isin(["ks2_reading", "ks2_maths", "ks2_gps"])].groupby("upn")["year"].max()
    spells = _stack(usable, "fsm")
    sen_entries = _stack(usable, "sen")
    fsm_files = spells.groupby("upn")["file_id"].agg(lambda s: "; ".join(sorted(set(names[s]))))
    sen_files = sen_entries.groupby("upn")["file_id"].agg(lambda s: "; ".join(sorted(set(names[s]))))
    said = pupils.assign(full=pupils["file_id"].map(info["qualifier"]) == "full")
    known_fsm = said[said["has_fsm_history"] | said["full"]].groupby("upn").size().index
    known_sen = said[said["has_sen_history"] | said["full"]].groupby("upn").size().index
    language = codes()["first_language"]

    sources = []
    if rows["pupils"].empty:
        notices.append(
            f"no pupil is on roll in {current_year - 1}/{str(current_year)[2:]} (the census date's year), so no pupils.csv was written"
        )
    for name, frame in rows.items():
        if frame.empty:
            continue
        table = frame[["upn", "school_id", "year_group", "academic_year", "asof", "file_id"]].reset_index(drop=True)
        for column in ("forename", "surname", "dob", "gender"):
            table[column] = table["upn"].map(details[column])
        flags = _fsm(table, spells)
        table["fsm"] = flags["fsm"].map({True: "Y", False: "N"}).where(table["upn"].isin(known_fsm))
        table["fsm6"] = flags["fsm6"].map({True: "Y", False: "N"}).where(table["upn"].isin(known_fsm))
        first = table["upn"].map(details["first_language"]).astype("string").fillna("")
        table["eal"] = (
            pd.Series("Y", index=table.index)
            .mask(first.isin(language["not_eal"]), "N")
            .mask(first.isin(language["unknown"]), pd.NA)
        )
        sen = _sen(table, sen_entries, ranks)
        table["sen"] = sen.mask(sen.isna() & table["upn"].isin(known_sen), "N")
        prefixes = ("ks2_",) if name.startswith("ks4_") else WIDE_PREFIXES
        for column in [c for c in wide_values.columns if c.startswith(prefixes)]:
            table[column] = table["upn"].map(wide_values[column])
        if not name.startswith("ks2_"):  # a past Year 6's KS2 year is the table's
            table["ks2_year"] = table["upn"].map(ks2_year)
        if name.startswith("ks4_"):  # Progress 8 needs the columns, blank where KS2 was cancelled or not taken
            for column in KS4_PRIOR:
                table[column] = table[column] if column in table else pd.NA
        blank = [
            c
            for c in table.columns
            if c.startswith(WIDE_PREFIXES)
            and table[c].isna().all()
            and not (name.startswith("ks4_") and c in KS4_PRIOR)
        ]
        table = table.drop(columns=blank)
        table["dob"] = pd.to_datetime(table["dob"]).dt.strftime("%Y-%m-%d")
        ordered = [f.name for f in schema.FIELDS if f.name in table.columns]
        sources.append(_sources(name, table, ordered, detail_files, names, fsm_files, sen_files, wide_sources))
        tables[name] = (
            table[ordered].astype("string").sort_values(["school_id", "year_group", "upn"]).reset_index(drop=True)
        )

    checks = kept[kept["column"].isin(CHECKS)]
    if len(checks):
        results = _checks(checks, enrol_all, info)
        ours = results["school_id"].isin(home).fillna(False).to_numpy(dtype=bool)
        if ours.any():
            tables["statutory_checks"] = results[ours].reset_index(drop=True)
        if (~ours).any():  # taken at another school, or where no CTF says: history, not this school's results
            tables["ctf_other_checks"] = results[~ours].reset_index(drop=True)
            notices.append(
                f"{int((~ours).sum()):,} check results taken at other schools (or where no CTF says) kept in "
                "ctf_other_checks.csv, not in statutory_checks.csv"
            )
    attendance = _stack(usable, "attendance")
    if len(attendance):
        sessions, attendance_conflicts = _attendance(attendance, info, names)
        ours = sessions["school_id"].isin(home)
        tables["attendance"] = sessions[ours].reset_index(drop=True)
        if (~ours).any():
            tables["ctf_other_attendance"] = sessions[~ours].reset_index(drop=True)
            notices.append(
                f"{int((~ours).sum()):,} attendance years at other schools (pupils' history before they joined) kept in "
                "ctf_other_attendance.csv, not in attendance.csv"
            )
        conflicts = pd.concat([conflicts, attendance_conflicts], ignore_index=True)
    if len(left):
        tables["ctf_other_pupils"] = _others(left, enrol, details, current_year)
        notices.append(
            f"{len(left):,} pupils are neither on roll in {current_year - 1}/{str(current_year)[2:]} nor a past Year 6 "
            "or Year 11 the folder can hold: listed in ctf_other_pupils.csv with the reason"
        )
    if len(other_assessments):
        tables["ctf_other_assessments"] = other_assessments.assign(file=other_assessments["file_id"].map(names)).drop(
            columns=["file_id"]
        )
        notices.append(
            f"{len(other_assessments):,} assessment records no report uses (other stages, subjects or locales) kept "
            "in ctf_other_assessments.csv"
        )
    if len(conflicts):
        tables["ctf_conflicts"] = conflicts.drop(columns=[c for c in ("file_id", "position") if c in conflicts])
        notices.append(
            f"{conflicts.groupby(['upn', 'column']).ngroups:,} values differ between files (listed in "
            "ctf_conflicts.csv and left blank): correct the wrong file and import again"
        )
    tables["sources"] = _concat_categories(sources)
    schools = info.sort_values("rank").groupby("school_id").tail(1)[["school_id", "school_name"]]
    return Imported(tables, notices, census, current_year, len(usable), schools.reset_index(drop=True))


def _sources(name, table, ordered, detail_files, names, fsm_files, sen_files, wide_sources) -> pd.DataFrame:
    """Long: table, upn, column, file, element for every value of ``table`` (categoricals, so 600,000 pupils'
    values stay small)."""
    parts = []
    own_file = table["file_id"].map(names)
    wide = [c for c in ordered if c.startswith(WIDE_PREFIXES) and c != "ks2_year"]
    for column in [c for c in ordered if c not in wide]:
        if column in ("school_id", "academic_year"):
            file, where = own_file, "Header/SourceSchool"
        elif column == "upn":
            file, where = own_file, "Pupil/UPN"
        elif column in detail_files:
            file, where = table["upn"].map(detail_files[column]).map(names), DETAILS[column][1]
        elif column == "year_group":
            file, where = own_file, "Pupil/BasicDetails/NCyearActual (or DOB where it has none)"
        elif column in ("fsm", "fsm6"):
            file, where = table["upn"].map(fsm_files), "Pupil/FSMhistory"
        elif column == "sen":
            file, where = table["upn"].map(sen_files), "Pupil/SENhistory"
        elif column == "eal":
            file, where = table["upn"].map(detail_files["first_language"]).map(names), DETAILS["first_language"][1]
        else:  # ks2_year
            file, where = pd.Series("the files of its KS2 test results", index=table.index), "StageAssessment/Year"
        present = table[column].notna()
        parts.append(
            pd.DataFrame(
                {"table": name, "upn": table["upn"][present], "column": column, "file": file[present], "element": where}
            )
        )
    taken = wide_sources[wide_sources["upn"].isin(table["upn"]) & wide_sources["column"].isin(wide)]
    parts.append(taken.assign(table=name)[["table", "upn", "column", "file", "element"]])
    return _concat_categories(parts)


def _category(values: pd.Series) -> pd.Categorical:
    """``values`` as a categorical of text (a categorical's codes kept, not its values spelt out)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return pd.Categorical.from_codes(values.cat.codes, categories=values.cat.categories.astype("string"))
    return pd.Categorical(values.astype("string"))


def _concat_categories(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of the same columns stacked, every column a categorical (the union of their categories)."""
    return pd.DataFrame({c: union_categoricals([_category(p[c]) for p in parts]) for c in parts[0].columns})


def _checks(checks: pd.DataFrame, enrol: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """One row per pupil, check and year: mark (or score) and outcome, and the school the pupil was in that year
    when a CTF shows it, else the school of the file that carries the result (a school's own export carries its
    pupils' earlier checks; a transfer, the school they left)."""
    column = checks["column"].astype("string")
    kind = column.map(lambda c: CHECKS[c][0])
    part = column.map(lambda c: CHECKS[c][1])
    long = checks.assign(check=kind, part=part)
    wide = long.pivot_table(
        index=["upn", "check", "year"], columns="part", values="value", aggfunc="first"
    ).reset_index()
    where = enrol.groupby(["upn", "academic_year"])["school_id"].last()
    carried = (
        long.assign(school=long["file_id"].map(info["school_id"])).groupby(["upn", "check", "year"])["school"].last()
    )
    wide["school_id"] = [
        where.get((u, y)) or carried.get((u, c, y))
        for u, c, y in zip(wide["upn"], wide["check"], wide["year"], strict=True)
    ]
    wide = wide.rename(columns={"year": "academic_year"})
    for column in ("mark", "outcome"):
        if column not in wide:
            wide[column] = pd.NA
    return wide[["upn", "school_id", "check", "academic_year", "mark", "outcome"]].astype("string")


def _attendance(attendance: pd.DataFrame, info: pd.DataFrame, names: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sessions per pupil, school and academic year (named by its summer; the CTF's Year is the start year)."""
    school = (attendance["lea"].fillna("") + attendance["estab"].fillna("")).where(
        attendance["lea"].notna() & attendance["estab"].notna()
    )
    table = attendance.assign(
        school_id=school.fillna(attendance["file_id"].map(info["school_id"])),
        academic_year=attendance["year"] + 1,
        value=attendance[["possible", "authorised", "unauthorised"]].astype("string").agg("/".join, axis=1),
    )
    kept, conflicts = _conflicts(table.assign(column="attendance"), ["upn", "school_id", "academic_year"], names)
    # The attendance input's layout (toolkit.inputs.attendance): a year's summary does not tell approved educational
    # activity from presence, so present holds both (the attendance rate is the same either way).
    out = kept.assign(term=pd.NA, present=kept["possible"] - kept["authorised"] - kept["unauthorised"])
    out = out[["upn", "school_id", "academic_year", "term", "possible", "present", "authorised", "unauthorised"]]
    conflicts = conflicts.assign(year=conflicts["academic_year"])[["upn", "column", "year", "value", "file"]]
    return out.astype("string").sort_values(["school_id", "upn", "academic_year"]).reset_index(drop=True), conflicts


def _others(left: pd.DataFrame, enrol: pd.DataFrame, details: pd.DataFrame, current_year: int) -> pd.DataFrame:
    """Pupils no table holds, with why."""
    reason = pd.Series("last seen in a past year, not in Year 6 or Year 11", index=left.index)
    reason = reason.mask(
        left["elsewhere"], "seen only at another school (" + left["school_id"] + "): that school's history"
    )
    reason = reason.mask(
        left["year_group"].isna(),
        "national curriculum year outside Reception to Year 13 (" + left["nc_year"].fillna("none") + ")",
    )
    reason = reason.mask(
        (left["year_group"] == 11) & (left["academic_year"] < current_year),
        "a past Year 11: written as ks4_<year>.csv only when gcse_<year>.csv is in the folder",
    )
    return pd.DataFrame(
        {
            "upn": left["upn"],
            "school_id": left["school_id"],
            "surname": left["upn"].map(details["surname"]),
            "forename": left["upn"].map(details["forename"]),
            "last_academic_year": left["academic_year"],
            "last_nc_year": left["nc_year"],
            "reason": reason,
        }
    ).astype("string")
