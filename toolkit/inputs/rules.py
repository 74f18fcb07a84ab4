"""The one way an input table's values are checked: rules, each with the sentence a person sees beside it, run
as one pandera schema per table, and every failure turned into a ``Problem`` naming column and rows.

A rule is written once (``Rule``): which columns it needs, what a good row looks like (a vectorised test on the
whole table), and what to say. Kinds of saying:

- one sentence for all rows breaking it, optionally listing the values found (``found=True``);
- ``explain``: a sentence per kind of bad value (e.g. each UPN rule), with a per-row detail;
- ``key``: a sentence per group of rows sharing the key (duplicates, one student with two APS values), formatted
  with the group's key values (``{0}``, ``{1}`` ...).

Row numbers are the row the person sees in a spreadsheet whose header is row 1: the table's index + 2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa

from toolkit.inputs.problems import Problem

HEADER_ROWS = 2  # index 0 is spreadsheet row 2


def spreadsheet_rows(index) -> list[int]:
    """Spreadsheet row numbers of table index labels."""
    return sorted({int(i) + HEADER_ROWS for i in index})


def found_values(values: pd.Series, limit: int = 8) -> list[str]:
    """``["found 'a', 'b' ..."]`` for the distinct non-blank values (sorted), or [] when all are blank."""
    distinct = sorted({str(v) for v in values.dropna()})
    if not distinct:
        return []
    return ["found " + ", ".join(f"'{v}'" for v in distinct[:limit]) + (" ..." if len(distinct) > limit else "")]


@dataclass(frozen=True)
class Rule:
    """One rule of an input table and the sentence shown when rows break it."""

    column: str | None  # the column the sentence names (None: the table as a whole)
    message: str | Callable[[pd.DataFrame], str]  # the sentence; with ``key``, a format string filled with the
    # group's key values, or a function of the group's rows
    ok: Callable[[pd.DataFrame], pd.Series]  # True where a row keeps the rule (vectorised over the table)
    needs: tuple[str, ...] = ()  # columns the rule reads; it applies only when all are present
    found: bool = False  # list the values found in ``column``
    explain: Callable[[object], tuple[str, str | None]] | None = None  # bad value -> (sentence, detail)
    key: tuple[str, ...] = ()  # one problem per group of rows sharing these columns' values
    detail: Callable[[int, object], str] | None = None  # (row, value) -> a detail for each row
    max_details: int | None = None

    def applies_to(self, frame: pd.DataFrame) -> bool:
        needed = self.needs or ((self.column,) if self.column else ())
        return all(c in frame.columns for c in (*needed, *self.key))

    def problems(self, frame: pd.DataFrame, index: pd.Index) -> list[Problem]:
        """The problems of the rows ``index`` that break this rule."""
        values = frame.loc[index, self.column] if self.column in frame.columns else pd.Series(index=index)
        if self.explain is not None:
            return self._explained(values)
        if self.key:
            return self._grouped(frame, index)
        details = found_values(values) if self.found else []
        if self.detail is not None:
            details = [self.detail(int(i) + HEADER_ROWS, v) for i, v in values.items()][: self.max_details]
        return [Problem(self.message, self.column, spreadsheet_rows(index), details)]

    def _explained(self, values: pd.Series) -> list[Problem]:
        by_message: dict[str, Problem] = {}
        reasons = {v: self.explain(v) for v in values.unique()}
        for i, v in values.items():
            message, detail = reasons[v]
            p = by_message.setdefault(message, Problem(message, self.column))
            p.rows.append(int(i) + HEADER_ROWS)
            if detail and (self.max_details is None or len(p.details) < self.max_details):
                p.details.append(f"row {int(i) + HEADER_ROWS}: {detail}")
        return list(by_message.values())

    def _grouped(self, frame: pd.DataFrame, index: pd.Index) -> list[Problem]:
        rows = frame.loc[index]
        keys = pd.DataFrame({c: rows[c].astype("string").str.upper() for c in self.key})
        out = []
        by = list(self.key) if len(self.key) > 1 else self.key[0]
        for members in keys.groupby(by, dropna=False).groups.values():
            group = rows.loc[members]
            message = (
                self.message(group) if callable(self.message) else self.message.format(*group[list(self.key)].iloc[0])
            )
            out.append(Problem(message, self.column, spreadsheet_rows(members)))
        return out


def repeated(key: tuple[str, ...]) -> Callable[[pd.DataFrame], pd.Series]:
    """A good row shares its ``key`` (case-insensitive, all present) with no other row."""

    def ok(frame: pd.DataFrame) -> pd.Series:
        k = pd.DataFrame({c: frame[c].astype("string").str.upper() for c in key})
        return ~(k.duplicated(keep=False) & k.notna().all(axis=1))

    return ok


def once_per(key: tuple[str, ...], column: str, message: str) -> Rule:
    """The rule that no two rows share ``key``: one sentence per repeated key, formatted with its values and naming
    ``column``."""
    return Rule(column, message, repeated(key), key=key)


def consistent(by: str, column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """A good row's ``column`` has one value (blank counts as a value) across all rows of its ``by``."""

    def ok(frame: pd.DataFrame) -> pd.Series:
        group = frame[by].astype("string").str.upper()
        values = frame[column].astype("string").fillna("\x00")  # a blank counts as a value of its own
        return values.groupby(group, dropna=False).transform("nunique") <= 1

    return ok


def one_of(column: str, allowed, case: str = "upper", blank_ok: bool = True) -> Callable[[pd.DataFrame], pd.Series]:
    """A good row's ``column`` is one of ``allowed`` (compared trimmed, in ``case``); blank is fine unless not."""
    fold = (lambda s: s.str.strip().str.upper()) if case == "upper" else (lambda s: s.str.strip().str.lower())
    allowed = {str(a).upper() if case == "upper" else str(a).lower() for a in allowed}

    def ok(frame: pd.DataFrame) -> pd.Series:
        values = frame[column].astype("string")
        inside = fold(values).isin(allowed).fillna(False).astype(bool)
        return inside | values.isna() if blank_ok else inside

    return ok


def present(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: frame[column].notna()


@dataclass
class TableRules:
    """The rules of one input table, run as one pandera schema."""

    name: str
    rules: list[Rule] = field(default_factory=list)

    def schema(self, frame: pd.DataFrame) -> tuple[pa.DataFrameSchema, list[Rule]]:
        """The pandera schema of the rules that apply to ``frame``'s columns, and those rules in order."""
        applicable = [r for r in self.rules if r.applies_to(frame)]
        checks = [
            pa.Check(_as_bool(r.ok), error=f"rule {i}", name=f"{self.name} rule {i}") for i, r in enumerate(applicable)
        ]
        return pa.DataFrameSchema(checks=checks, strict=False, coerce=False, name=self.name), applicable

    def problems(self, frame: pd.DataFrame) -> list[Problem]:
        """Every problem in ``frame``, rule by rule in the order written; [] when it keeps them all."""
        schema, applicable = self.schema(frame)
        try:
            schema.validate(frame, lazy=True)
            return []
        except pa.errors.SchemaErrors as err:
            cases = err.failure_cases
        broken: dict[int, list] = {}
        for check, group in cases.groupby("check", sort=False):
            number = int(str(check).rsplit(" ", 1)[-1])
            if group["index"].isna().all():  # the rule itself failed: a defect, not the user's data
                raise RuntimeError(
                    f"{self.name}: rule '{applicable[number].message}' could not run: {group['failure_case'].iloc[0]}"
                )
            broken[number] = sorted({int(i) for i in group["index"].dropna()})
        out = []
        for number, rule in enumerate(applicable):
            if number in broken:
                out += rule.problems(frame, pd.Index(broken[number]))
        return out


def _as_bool(ok: Callable[[pd.DataFrame], pd.Series]) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda frame: ok(frame).fillna(False).astype(bool)
