"""`toolkit reference import`: the DfE's own published model tables, as the DfE publishes them, turned into a
parameter folder (``TOOLKIT_PARAMETERS``) that swaps a year in with no change to the code."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from toolkit.cli.common import CommandError, command, say

KIND = "parameter override"
KINDS = {
    "p8": "the Progress 8 model (the KS4 ready reckoner's p8_att8_splits.csv)",
    "transition": "the KS2-KS4 transition matrices (the GCSE subjects and KS4 measures files of one year; the "
    "combined science file too in the 2021-2023 layout)",
    "l3va": "the level 3 value added model (the 16-18 ready reckoner's <year>A_l3va_step5_outputs.xlsx)",
}


@dataclass
class Imported:
    """What one kind of DfE table becomes: parameter tables by name, the keys of one YAML file, a sentence."""

    tables: dict[str, pd.DataFrame]
    settings_file: str
    keys: dict = field(default_factory=dict)
    said: str = ""


def add(sub) -> None:
    """The commands of this module, on the `toolkit` parser's sub-parsers."""
    ref = sub.add_parser(
        "reference",
        help="the DfE's published model tables as parameters",
        description="Work with the DfE's own published model tables.",
    )
    verbs = ref.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    imp = command(verbs, "import", _import)
    imp.add_argument("files", nargs="+", metavar="FILE", help="the DfE's table(s) as published")
    imp.add_argument(
        "--kind", required=True, choices=tuple(KINDS), help="; ".join(f"{k}: {v}" for k, v in KINDS.items())
    )
    imp.add_argument("--year", type=int, required=True, help="the summer of the results the table is for, e.g. 2023")
    imp.add_argument(
        "--sd", help="p8: the DfE's standard deviations (default: p8_stdev_file_named.csv beside FILE, if there)"
    )
    imp.add_argument("--out", required=True, help="the parameter folder to write (new, or one this command made)")


def _cited(files: list[Path], what: str) -> str:
    return (
        f"the DfE's {what} {', '.join(f.name for f in files)}, imported by toolkit reference import on {date.today()}"
    )


def _p8(files: list[Path], year: int, sd_path: str | None) -> Imported:
    from toolkit.inputs import dfe_tables

    if len(files) != 1:
        raise CommandError("--kind p8 reads one file, the DfE's p8_att8_splits.csv (its SDs with --sd)", 2)
    name = dfe_tables.model_name(year)
    model = dfe_tables.read_p8_model(files[0])
    sd_file = Path(sd_path) if sd_path else files[0].with_name("p8_stdev_file_named.csv")
    sd = dfe_tables.read_p8_sd(sd_file) if sd_path or sd_file.exists() else None
    cited = _cited(files, "KS4 ready reckoner table")
    keys = {"model": name, "model_year": year, "model_status": "published", "model_source": cited}
    if sd:
        keys |= {"sd": sd, "sd_status": "published"}
    said = (
        f"Progress 8 model for KS4 {year}: {len(model)} KS2 groups (KS2 {model['ks2_low'].min():g} to "
        f"{model['ks2_high'].max():g}), Attainment 8 estimates {model['a8'].min():.2f} to {model['a8'].max():.2f}; "
        + (
            f"standard deviations from {sd_file.name} (P8 {sd['p8']:g})"
            if sd
            else "no standard deviations given: the bundled year's are kept for the intervals"
        )
    )
    return Imported({name: model.assign(status="published", source=cited)}, "ks4.yaml", keys, said)


def _transition(files: list[Path], year: int) -> Imported:
    from toolkit.inputs import dfe_transition

    matrices = dfe_transition.read_matrices(files)
    transition_name, groups_name = dfe_transition.names(year)
    cited = _cited(files, "KS2-KS4 transition matrices, all state-funded, all pupils:")
    if matrices.summed_total:
        cited += "; the Total row summed from the groups (the layout has none)"
    keys = {"transition": transition_name, "ks2_groups": groups_name, "transition_year": year}
    table = matrices.transition
    said = (
        f"Transition matrices for KS4 {year}: {table['subject'].nunique()} GCSE subjects in "
        f"{table['ks2_group'].nunique()} KS2 groups, {int(matrices.groups['pupils'].iloc[-1]):,} pupils; files read as "
        + ", ".join(f"{k} ({v})" for k, v in matrices.read_as.items())
        + (f". The year has {'; '.join(matrices.lacks)}" if matrices.lacks else "")
    )
    tables = {
        transition_name: _whole_numbers(table).assign(status="published", source=cited),
        groups_name: matrices.groups.astype({"pupils": "Int64"}).assign(status="published", source=cited),
    }
    return Imported(tables, "ks4.yaml", keys, said)


def _l3va(files: list[Path], year: int) -> Imported:
    from toolkit.inputs import dfe_l3va

    if len(files) != 1:
        raise CommandError("--kind l3va reads one file, the DfE's <year>A_l3va_step5_outputs.xlsx", 2)
    curves = dfe_l3va.read_l3va(files[0])
    names = dfe_l3va.names(year)
    cited = _cited(files, "16-18 ready reckoner workbook") + " (sheets national_bands and subject_variance)"
    keys = {
        "value_added": {
            "published_model": names["A level"],
            "published_model_as": names["AS"] if len(curves["AS"]) else None,
            "published_model_year": year,
            "published_model_source": cited,
        }
    }
    tables = {names[q]: t.assign(status="published", source=cited) for q, t in curves.items() if len(t)}
    said = f"Level 3 value added model for A levels {year}: " + ", ".join(
        f"{len(t)} {q} subjects" for q, t in curves.items()
    )
    return Imported(tables, "ks5.yaml", keys, said)


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts written as counts (724, not 724.0); a count the DfE did not publish stays empty."""
    counts = frame.select_dtypes("number").columns
    return frame.astype({c: "Int64" for c in counts})


def _import(args: argparse.Namespace) -> int:
    """convert a DfE model table into a parameter folder

    Read one of the DfE's published tables in the layout the DfE publishes it (--kind p8: the KS4 ready reckoner's
    p8_att8_splits.csv, KS2 ranges written "59 to 82", with its standard deviations; --kind transition: the KS2-KS4
    transition matrices of one year, in the statistics release's layout or the dashboard's 2021-2023 one; --kind
    l3va: the 16-18 ready reckoner's step 5 workbook), check it, and write its tables into OUT with the YAML keys
    that name them for that year (only the keys it changes: the rest come from the bundled parameters). Say what the
    year lacks. Run with TOOLKIT_PARAMETERS=OUT: that year is then scored on its own tables."""
    from toolkit.inputs import outputs

    files = [Path(f) for f in args.files]
    out = outputs.output_folder(args.out, KIND)
    if args.kind == "p8":
        made = _p8(files, args.year, args.sd)
    elif args.kind == "transition":
        made = _transition(files, args.year)
    else:
        made = _l3va(files, args.year)
    outputs.mark(out, KIND)
    for name, table in made.tables.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        with outputs.written_whole(out / name) as partial:  # no half file on a full disk
            table.to_csv(partial, index=False)
    settings_file = out / made.settings_file
    settings = yaml.safe_load(settings_file.read_text()) if settings_file.exists() else {}
    for key, value in made.keys.items():  # a nested mapping (ks5.yaml's value_added) keeps its other keys
        settings[key] = {**settings.get(key, {}), **value} if isinstance(value, dict) else value
    header = (
        f"# Written by `toolkit reference import`: only the keys it changes; the rest are the bundled "
        f"{made.settings_file}'s.\n"
    )
    with outputs.written_whole(settings_file) as partial:
        partial.write_text(header + yaml.safe_dump(settings, sort_keys=False))
    written = ", ".join(str(out / n) for n in made.tables)
    say(f"{made.said}. Written: {written}, {settings_file}. Use it with TOOLKIT_PARAMETERS={out}.")
    return 0
