"""`toolkit template`, `validate`, `upload`, `uploads`: results templates and the upload history."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from toolkit.cli.common import CommandError, command, say


def add(sub) -> None:
    """The commands of this module, on the `toolkit` parser's sub-parsers."""
    tpl = command(sub, "template", _template)
    tpl.add_argument("--school", required=True, help="DfE number")
    tpl.add_argument("--keystage", required=True, choices=("ks2", "ks1", "ks5"))
    tpl.add_argument("--data", default="outputs/demo/data/trust", help="school data folder (schools.csv, pupils.csv)")
    tpl.add_argument("--out", required=True, help="output .xlsx")

    val = command(sub, "validate", _validate)
    val.add_argument("file", help="the filled template (.xlsx)")

    up = command(sub, "upload", _upload)
    up.add_argument("file")
    up.add_argument("--by", required=True, help="who is uploading")
    up.add_argument("--data", default="outputs/demo/data/trust", help="data folder holding the upload history")

    ups = command(sub, "uploads", _uploads)
    ups.add_argument("--school", help="DfE number")
    ups.add_argument("--hide-inactive", action="store_true", help="only uploads being processed or analysed")
    ups.add_argument("--delete", type=int, metavar="ID", help="delete an upload (its history row stays)")
    ups.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild a damaged upload history from the uploaded files kept in DATA/uploads",
    )
    ups.add_argument("--data", default="outputs/demo/data/trust", help="data folder holding the upload history")


def _template(args: argparse.Namespace) -> int:
    """an Excel results template pre-populated with a school's pupils

    Write an .xlsx results template for one school and key stage: its pupils, one column per subject in a fixed
    order, a drop-down of allowed results on every result cell, and a Guidance sheet."""
    from toolkit.inputs import layout, load_pupils, outputs
    from toolkit.inputs.partitions import by_school, data_file
    from toolkit.inputs.schools import load_schools
    from toolkit.intake.template import write_template

    data = Path(args.data)
    pupils_file = data_file(data, "pupils") or data / "pupils.csv"
    outputs.output_file(args.out, "results template", ".xlsx", inputs=[data / "schools.csv", pupils_file])
    schools = load_schools(data / "schools.csv")
    pupils = by_school(load_pupils, pupils_file, [args.school])
    school = schools[schools["school_id"] == args.school]
    if school.empty:
        raise CommandError(f"{data / 'schools.csv'}: no school {args.school}")
    year = layout.year_of(args.keystage)
    mine = pupils[(pupils["school_id"] == args.school) & (pupils["year_group"].astype("string") == str(year))]
    out = write_template(school.iloc[0].to_dict(), mine, args.keystage, Path(args.out))
    say(f"Template for {args.school} {args.keystage.upper()} with {len(mine)} pupils: {out}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    """check a filled results template

    List every problem in a filled template, grouped by kind with all its rows, and write them to FILE_errors.xlsx
    beside it."""
    from toolkit.inputs.results import validate
    from toolkit.intake.error_list import write_error_list

    check = validate(Path(args.file))
    if check.ok:
        print(check.report())
        return 0
    print(check.report(), file=sys.stderr)
    say(f"Error list: {write_error_list(check)}")
    return 1


def _upload(args: argparse.Namespace) -> int:
    """validate and store a filled template in the upload history

    Validate, then store the file (content-addressed) and a row in the upload history (SQLite in the data folder).
    The latest valid upload for a school and key stage is the one analysed; earlier ones become 'overwritten'."""
    from toolkit.intake.error_list import write_error_list
    from toolkit.intake.uploads import UploadStore

    upload_id, check = UploadStore(Path(args.data)).upload(Path(args.file), args.by)
    if not check.ok:
        print(check.report(), file=sys.stderr)
        say(f"Upload {upload_id} recorded as 'upload error'. Error list: {write_error_list(check)}")
        return 1
    say(f"Upload {upload_id}: {check.pupils} pupils, {check.keystage.upper()} for {check.school_id}; reports available")
    return 0


def _uploads(args: argparse.Namespace) -> int:
    """the upload history

    List uploads, newest last."""
    from toolkit.intake.uploads import UploadStore, rebuild

    if args.rebuild:
        moved, count = rebuild(Path(args.data))
        say(
            f"Upload history rebuilt from {count} kept file(s)"
            + (f"; the damaged history is kept as {moved}" if moved else "")
        )
    store = UploadStore(Path(args.data))
    if args.delete is not None:
        try:
            store.delete(args.delete)
        except ValueError as err:
            raise CommandError(str(err)) from None
    table = store.history(args.school, args.hide_inactive)
    print(
        table[["id", "school_id", "keystage", "uploaded_at", "uploaded_by", "file_name", "pupils", "status"]].to_string(
            index=False
        )
        if len(table)
        else "No uploads."
    )
    return 0
