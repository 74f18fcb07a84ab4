"""`toolkit import ctf` and `toolkit import mis`: what a school has (Common Transfer Files, MIS report exports)
turned into the data folder every other command reads (docs/importing.md)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from toolkit.cli.common import CommandError, command, say
from toolkit.inputs.problems import PupilDataError


def add(sub) -> None:
    """The commands of this module, on the `toolkit` parser's sub-parsers."""
    imp = sub.add_parser(
        "import",
        help="a school's Common Transfer Files or MIS export into a data folder",
        description="Turn what a school has into the data folder the reports read (docs/importing.md).",
    )
    kinds = imp.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    ctf = command(kinds, "ctf", _import_ctf)
    ctf.add_argument("sources", nargs="+", metavar="FILE_OR_FOLDER", help="CTF XML files, or folders of them")
    ctf.add_argument("--out", required=True, help="the data folder to write (new, or one an import wrote into)")
    ctf.add_argument(
        "--census-date",
        type=_date,
        help="the date that decides who is on roll and FSM now, YYYY-MM-DD (default: the newest file's date)",
    )
    ctf.add_argument(
        "--school",
        action="append",
        default=[],
        metavar="LAESTAB",
        help="a home school (repeat for more): only its pupils make the tables (default: the schools of "
        "schools.csv in --out, else those whose files are of the current year)",
    )
    mis = command(kinds, "mis", _import_mis)
    mis.add_argument("file", help="the MIS report export (CSV or XLSX)")
    mis.add_argument("--out", required=True, help="the data folder: its pupils.csv is added to, or written")
    mis.add_argument(
        "--profile", help="sims, arbor, bromcom, or your own mapping FILE.yaml (default: from the headers)"
    )
    mis.add_argument("--school", metavar="LAESTAB", help="the school, when the export has no DfE number column")
    mis.add_argument("--census-date", type=_date, help="the date the export is for (default: today)")
    mis.add_argument(
        "--table",
        choices=("pupils", "attendance"),
        default="pupils",
        help="pupils: a pupil list (default); attendance: an attendance summary export (sessions, or a column per "
        "register code), written as attendance.csv",
    )
    mis.add_argument("--term", choices=("autumn", "spring", "summer"), help="attendance: the term the export covers")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write it YYYY-MM-DD") from None


def _academic_year(day: date) -> int:
    return day.year + (1 if day.month >= 8 else 0)


def _home_schools(out: Path, given: list[str]) -> set[str] | None:
    from toolkit.inputs.schools import load_schools

    if given:
        return set(given)
    if (out / "schools.csv").exists():
        return set(map(str, load_schools(out / "schools.csv")["school_id"]))
    return None


def _import_ctf(args: argparse.Namespace) -> int:
    """read Common Transfer Files into a data folder

    Reads every CTF given (files, or the .xml files of folders; streaming, one pupil at a time) and writes the data
    folder the reports read: pupils.csv (on roll at the census date), ks2_<year>.csv (past Year 6), ks4_<year>.csv
    (past Year 11, beside gcse_<year>.csv), statutory_checks.csv, attendance.csv, schools.csv (when the folder
    has none), import_sources.parquet (the file and element of every value) and, when there are any,
    ctf_conflicts.csv, ctf_other_pupils.csv and ctf_other_assessments.csv. Exit status 1 with every problem named
    (file, pupil, element) and nothing written when any file has one."""
    from tqdm import tqdm

    from toolkit.inputs.ctf import Verdicts, ctf_files, read_ctf
    from toolkit.inputs.ctf_tables import assemble
    from toolkit.inputs.outputs import usable_folder
    from toolkit.intake.folder_import import owned, write_tables

    out = usable_folder(Path(args.out))
    files = ctf_files(args.sources)
    home = _home_schools(out, args.school)
    school = args.school[0] if len(args.school) == 1 else None
    verdicts = Verdicts()  # each distinct result value judged once for all the files
    read = [
        read_ctf(f, school, verdicts) for f in tqdm(files, desc="Reading CTFs", unit="file", disable=len(files) < 3)
    ]
    gcse_years = {int(p.stem.split("_")[1]) for p in out.glob("gcse_*.*") if p.stem.split("_")[1].isdigit()}
    imported = assemble(read, args.census_date, gcse_years, home)
    tables = dict(imported.tables)
    if not (out / "schools.csv").exists() or "schools.csv" in owned(out):
        tables["schools"] = _schools_table(imported)
    else:
        listed = home or set()
        named = {
            s
            for name, t in tables.items()
            if name == "pupils" or name.startswith(("ks2_", "ks4_"))
            for s in t["school_id"]
        }
        unlisted = sorted(named - listed)
        if unlisted:
            raise CommandError(
                f"{out / 'schools.csv'} does not list {', '.join(unlisted)}, whose pupils the CTFs hold: add them (nothing was written)"
            )
    written = write_tables(out, tables, "ctf")
    for notice in imported.notices:
        say(f"note: {notice}")
    pupils = tables["pupils"]
    past = sorted(n for n in tables if n.startswith(("ks2_", "ks4_")))
    say(
        f"Read {len(files)} CTF file{'s' if len(files) != 1 else ''}; census date {imported.census_date} "
        f"({imported.academic_year - 1}/{str(imported.academic_year)[2:]}): {len(pupils):,} pupils on roll in "
        f"{pupils['school_id'].nunique()} school{'s' if pupils['school_id'].nunique() != 1 else ''}"
        + (f"; past cohorts {', '.join(f'{n} ({len(tables[n]):,})' for n in past)}" if past else "")
    )
    for path in written:
        print(path)
    return 0


def _schools_table(imported):
    """schools.csv from the files' headers: DfE number, name, LA, phase (Primary when no pupil is past Year 6)."""
    import pandas as pd

    schools = imported.schools.copy()
    rolls = pd.concat(
        [
            t[["school_id", "year_group"]]
            for n, t in imported.tables.items()
            if n == "pupils" or n.startswith(("ks2_", "ks4_"))
        ]
    )
    top = rolls.assign(year_group=pd.to_numeric(rolls["year_group"])).groupby("school_id")["year_group"].max()
    schools = schools[schools["school_id"].isin(top.index)]
    schools["la"] = schools["school_id"].str[:3]
    schools["phase"] = schools["school_id"].map(top).map(lambda g: "Primary" if g <= 6 else "Secondary")
    return schools.astype("string")


def _import_mis(args: argparse.Namespace) -> int:
    """read an MIS report export into a data folder's pupil table

    Reads a SIMS, Arbor or Bromcom export (or your own layout with --profile FILE.yaml), says which column was read
    as what and which were ignored, checks it as the pupil table, and adds its columns to the folder's pupils.csv
    (matched by UPN; a value that differs from the CTF's is listed in mis_conflicts.csv, the CTF's kept) or, when
    the folder has none, writes it as pupils.csv."""
    from toolkit.inputs import load
    from toolkit.inputs.mis import read_mis
    from toolkit.inputs.outputs import usable_folder
    from toolkit.intake.folder_import import write_tables

    out = usable_folder(Path(args.out))
    census = args.census_date or date.today()
    if args.table == "attendance":
        return _import_mis_attendance(args, out, census)
    read = read_mis(args.file, args.profile, args.school, _academic_year(census))
    for line in read.report(args.file):
        say(line)
    for notice in read.notices:
        say(f"{args.file}: note: {notice}")
    frame = read.frame
    if "school_id" not in frame:
        raise CommandError(f"{args.file}: the export has no DfE number column: give the school with --school LAESTAB")
    pupils_file = out / "pupils.csv"
    problems = load.check_pupils(frame)
    if problems:
        raise PupilDataError(args.file, problems)
    if pupils_file.exists():
        current = load.read_normalised(pupils_file)
        merged, conflicts, added = _merge(current, frame)
        problems = load.check_pupils(merged)
        tables = {"pupils": merged}
        if len(conflicts):
            tables["mis_conflicts"] = conflicts
            say(
                f"note: {len(conflicts):,} values differ from pupils.csv: listed in mis_conflicts.csv (pupils.csv's kept)"
            )
        say(f"{len(frame):,} pupils in the export; added {', '.join(added) or 'no new columns'} to pupils.csv")
    else:
        tables = {"pupils": frame}
        say(f"{len(frame):,} pupils written as pupils.csv")
    if problems:
        raise PupilDataError(args.file, problems)
    for path in write_tables(out, tables, "mis"):
        print(path)
    return 0


def _import_mis_attendance(args: argparse.Namespace, out: Path, census: date) -> int:
    """An attendance summary export: placed by the profile, checked as the attendance input, written as
    attendance.csv (nothing written when anything is wrong)."""
    import tempfile

    from toolkit.inputs.attendance import load_attendance
    from toolkit.inputs.mis import read_mis_attendance
    from toolkit.intake.folder_import import write_tables

    read = read_mis_attendance(args.file, args.profile, args.school, _academic_year(census), args.term)
    for line in read.report(args.file):
        say(line)
    with tempfile.TemporaryDirectory() as tmp:
        checked = Path(tmp) / "attendance.csv"
        read.frame.to_csv(checked, index=False)
        try:
            sessions = load_attendance(checked)
        except PupilDataError as err:
            raise PupilDataError(args.file, err.problems) from None
    say(
        f"{sessions['upn'].nunique():,} pupils' attendance for {', '.join(sorted(set(sessions['term'].dropna()))) or 'the year'}"
    )
    for path in write_tables(out, {"attendance": read.frame}, "mis"):
        print(path)
    return 0


def _merge(current, export):
    """pupils.csv with the export's columns added by UPN (and its pupils not yet there appended); conflicts: every
    value that differs from pupils.csv's, which is kept."""
    import pandas as pd

    from toolkit.inputs.load import to_types

    export = export.drop_duplicates("upn", keep="first").set_index("upn")
    base = current.set_index("upn")
    shared = [c for c in export.columns if c in base.columns and c not in ("school_id", "academic_year")]
    both = base.index.intersection(export.index)
    typed_base, typed_export = to_types(base.loc[both].reset_index()), to_types(export.loc[both].reset_index())
    rows = []
    for column in shared:  # compared as the loader types them: 0 and R, 2015-03-01 and 01/03/2015 are one value
        a, b = typed_base[column].set_axis(both), typed_export[column].set_axis(both)
        differ = (a.notna() & b.notna() & (a.astype("string").str.upper() != b.astype("string").str.upper())).fillna(
            False
        )
        rows += [
            {"upn": u, "column": column, "pupils_csv": base.at[u, column], "export": export.at[u, column]}
            for u in differ[differ].index
        ]
    added = [c for c in export.columns if c not in base.columns]
    merged = base.join(export[added], how="left")
    new = export.index.difference(base.index)
    if len(new):
        merged = pd.concat([merged, export.loc[new]])
    merged = merged.reset_index().rename(columns={"index": "upn"})
    return merged, pd.DataFrame(rows, columns=["upn", "column", "pupils_csv", "export"]), added
