"""The ``toolkit`` command (also ``python -m toolkit``): thin wrappers that parse, call the package, print. Each module
holds a group of commands and adds them to the parser (``add``); ``main`` is the one place errors become sentences."""

from __future__ import annotations

import argparse
import errno
import os
import sys

from toolkit.cli import analyses, import_commands, intake_commands, pack_commands, reference_commands, synth_commands
from toolkit.cli.common import CommandError

DESCRIPTION = """Open pupil-tracking analyses for English schools.

Commands:
  synth national   generate a synthetic national KS2 cohort, calibrated to published figures
  synth ks5        generate a synthetic national KS4 -> A level cohort (entries with grades)
  synth ks4        generate a synthetic national KS4 cohort (KS2 results and GCSEs) from the DfE's matrices
  synth schools    generate a synthetic demo trust (primaries and a secondary school with a sixth form)
  import ctf       read a school's Common Transfer Files (CTF XML) into a data folder
  import mis       read an MIS report export (SIMS, Arbor, Bromcom, or your own mapping) into a data folder
  check            check a pupil file or MIS export (CSV, XLSX, Parquet) and list every problem by row and column
  estimates        estimates with chances of each band at a challenge level, one row per pupil
  va               school value added with 95% confidence intervals (DfE or FFT-style)
  ks4              Attainment 8, Progress 8 (the DfE's published model), EBacc, English and maths
  partition        copy a school data folder with its files partitioned by school (Parquet)
  reference import the DfE's own published model table (e.g. another year's Progress 8) as parameters
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toolkit", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for group in (synth_commands, import_commands, analyses, pack_commands, intake_commands, reference_commands):
        group.add(sub)
    return parser


USER_ERRORS = (FileExistsError, FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError, ValueError)


def main(argv: list[str] | None = None) -> int:
    """Run a command. The one place an error becomes what the user reads: problems with their files as the loaders
    word them and refusals (``CommandError``) as they are, other user errors (a missing file, a bad value) after
    the command's name, each with its exit code (1, or the refusal's); anything unforeseen (exit 2) in one line
    naming the command, with the traceback only under TOOLKIT_DEBUG=1."""
    from toolkit.inputs import PupilDataError

    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except PupilDataError as err:
        print(err, file=sys.stderr)
        return 1
    except CommandError as err:
        print(err, file=sys.stderr)
        return err.code
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            folder = getattr(args, "out", None)
            where = f" writing {err.filename}" if err.filename else (f" writing into {folder}" if folder else "")
            print(
                f"toolkit {args.command}: the disk is full{where}: free some space and run it again (every file "
                "is written whole, so nothing half-written was left)",
                file=sys.stderr,
            )
            return 1
        if isinstance(err, USER_ERRORS):
            print(f"toolkit {args.command}: {err}", file=sys.stderr)
            return 1
        return _defect(args, err)
    except USER_ERRORS as err:
        print(f"toolkit {args.command}: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"toolkit {args.command}: stopped", file=sys.stderr)
        return 130
    except Exception as err:
        return _defect(args, err)


def _defect(args: argparse.Namespace, err: Exception) -> int:
    """A defect: said in one line naming the command (exit 2), the detail kept for a bug report."""
    if os.environ.get("TOOLKIT_DEBUG"):
        raise err
    print(
        f"toolkit {args.command}: unexpected {type(err).__name__}: {err} (a defect in the toolkit; run again "
        "with TOOLKIT_DEBUG=1 for the details to report)",
        file=sys.stderr,
    )
    return 2
