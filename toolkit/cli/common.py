"""What every command shares: how it speaks, how it refuses, how it writes a table."""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable
from pathlib import Path


class CommandError(Exception):
    """A sentence for the user and the exit code (1: a problem with what they gave; 2: a usage problem); printed
    as it is by ``toolkit.cli.main``."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def command(sub, name: str, run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """The sub-command ``name`` that calls ``run``: its help is the first line of ``run``'s docstring, its
    description the rest, so a command's words live beside what it does."""
    first, _, rest = inspect.cleandoc(run.__doc__ or "").partition("\n")
    help_text = first.strip().replace("%", "%%")  # argparse %-formats a help, not a description
    parser = sub.add_parser(name, help=help_text, description=rest.strip())
    parser.set_defaults(run=run)
    return parser


def say(message: str) -> None:
    """Progress and results for the person at the terminal (standard error; standard output stays for data)."""
    print(message, file=sys.stderr, flush=True)


def load(path: str):
    """A pupil file, checked (``toolkit.inputs.load_pupils``)."""
    from toolkit.inputs import load_pupils

    return load_pupils(path)


def write_csv(frame, path: Path | str) -> None:
    """A command's table as CSV: every cell inert (no spreadsheet formula), numbers to 4 places, written whole."""
    from toolkit.inputs.cells import inert_frame
    from toolkit.inputs.outputs import written_whole

    with written_whole(Path(path)) as partial:
        inert_frame(frame).to_csv(partial, index=False, float_format="%.4f")
