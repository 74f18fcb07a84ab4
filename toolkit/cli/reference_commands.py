"""`toolkit reference import`: the DfE's own published model tables, as the DfE publishes them, turned into a
parameter folder (``TOOLKIT_PARAMETERS``) that swaps a year in with no change to the code."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import yaml

from toolkit.cli.common import command, say

KIND = "parameter override"


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
    imp.add_argument("file", help="the DfE's table as published, e.g. the KS4 ready reckoner's p8_att8_splits.csv")
    imp.add_argument("--kind", required=True, choices=("p8",), help="p8: the Progress 8 model (KS4 ready reckoner)")
    imp.add_argument("--year", type=int, required=True, help="the summer of the results the model is for, e.g. 2023")
    imp.add_argument(
        "--sd", help="the DfE's standard deviations (default: p8_stdev_file_named.csv beside FILE, if there)"
    )
    imp.add_argument("--out", required=True, help="the parameter folder to write (new, or one this command made)")


def _import(args: argparse.Namespace) -> int:
    """convert a DfE model table into a parameter folder

    Read the DfE's Progress 8 model table in the layout the DfE publishes (the KS4 ready reckoner's
    p8_att8_splits.csv: KS2 ranges written "59 to 82") and its standard deviations, check them, and write OUT/ks4/
    progress8_model_<year>.csv with OUT/ks4.yaml naming it for that year (only the keys it changes: the rest come from
    the bundled parameters). Run with TOOLKIT_PARAMETERS=OUT: the year's Progress 8 is then scored on its own model
    and labelled official."""
    from toolkit.inputs import dfe_tables, outputs

    source = Path(args.file)
    name = dfe_tables.model_name(args.year)
    out = outputs.output_folder(args.out, KIND)
    model = dfe_tables.read_p8_model(source)
    sd_file = Path(args.sd) if args.sd else source.with_name("p8_stdev_file_named.csv")
    sd = dfe_tables.read_p8_sd(sd_file) if args.sd or sd_file.exists() else None
    cited = f"the DfE's KS4 ready reckoner table {source.name}, imported by toolkit reference import on {date.today()}"
    table = model.assign(status="published", source=cited)
    outputs.mark(out, KIND)
    with outputs.written_whole(
        out / name
    ) as partial:  # the project's one write-whole helper: no half file on a full disk
        table.to_csv(partial, index=False)
    settings_file = out / "ks4.yaml"
    settings = yaml.safe_load(settings_file.read_text()) if settings_file.exists() else {}
    settings.update({"model": name, "model_year": int(args.year), "model_status": "published", "model_source": cited})
    if sd:
        settings.update({"sd": sd, "sd_status": "published"})
    header = "# Written by `toolkit reference import`: only the keys it changes; the rest are the bundled ks4.yaml's.\n"
    with outputs.written_whole(settings_file) as partial:
        partial.write_text(header + yaml.safe_dump(settings, sort_keys=False))
    say(
        f"Progress 8 model for KS4 {args.year}: {len(model)} KS2 groups (KS2 {model['ks2_low'].min():g} to "
        f"{model['ks2_high'].max():g}), Attainment 8 estimates {model['a8'].min():.2f} to {model['a8'].max():.2f}; "
        + (
            f"standard deviations from {sd_file.name} (P8 {sd['p8']:g})"
            if sd
            else "no standard deviations given: the bundled year's are kept for the intervals"
        )
        + f". Written: {out / name}, {settings_file}. Use it with TOOLKIT_PARAMETERS={out}."
    )
    return 0
