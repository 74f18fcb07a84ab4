"""What is wrong with an input file, in words: one ``Problem`` per kind of problem and column, with every row it
occurs on (seed 002's upload messages), and the error that carries them all."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


def row_list(rows: list[int]) -> str:
    """Row numbers in words, runs of three or more as ranges: ``4, 5, 9-912``."""
    parts, start = [], 0
    ordered = sorted(set(rows))
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or ordered[i] != ordered[i - 1] + 1:
            run = ordered[start:i]
            parts += [f"{run[0]}-{run[-1]}"] if len(run) >= 3 else [str(r) for r in run]
            start = i
    return ", ".join(parts)


@dataclass
class Problem:
    """One kind of problem in one column, with every row it occurs on."""

    message: str
    column: str | None = None
    rows: list[int] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = self.message.rstrip(".") + "."
        if self.column:
            text += f" Column: {self.column}."
        if self.rows:
            text += f" {'Row' if len(self.rows) == 1 else 'Rows'}: {row_list(self.rows)}"
        if self.details:
            text += f" ({'; '.join(self.details)})"
        return text


class PupilDataError(ValueError):
    """A pupil file that cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, path: Path | str, problems: list[Problem]):
        self.path = Path(path)
        self.problems = problems
        lines = [f"{self.path}: {len(problems)} problem{'s' if len(problems) != 1 else ''} found; nothing was loaded."]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))

    def __reduce__(self):  # rebuilt from its own arguments (a Dask worker's error reaches the command whole)
        return type(self), (self.path, self.problems)
