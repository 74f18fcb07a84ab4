"""MIS report exports (SIMS, Arbor, Bromcom, or a school's own layout) read as the pupil table.

A profile (``parameters/mis/<name>.yaml``, or a user's file of the same shape) lists, for each pupil-table column,
the headers an MIS writes for it; ``parameters/mis/values.yaml`` turns its values into the table's codes (Male to M,
"Year 6" or "Y6" to 6, Yes or True to Y, "SEN Support" to K, a first language to EAL). The profile is chosen from
the headers (the one that places every required column and the most headers) or named. ``MisRead`` says which
header was read as which column and which were ignored; the table then goes through the pupil-table checks, so a
bad value is named by row and column like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from toolkit import parameters
from toolkit.inputs import schema
from toolkit.inputs.load import read_table
from toolkit.inputs.problems import Problem, PupilDataError

PROFILES = ("sims", "arbor", "bromcom")
NEEDED = tuple(c for c in schema.REQUIRED if c != "school_id")  # school_id may come from --school


@dataclass
class Profile:
    name: str
    columns: dict[str, list[str]]  # pupil-table column -> headers
    source: str = ""
    attendance: dict[str, list[str]] = field(default_factory=dict)  # attendance-input column -> headers

    def placing(self, headers: list[str]) -> dict[str, str]:
        """Header as written -> pupil-table column (the first synonym present wins; each column placed once)."""
        key = {_key(h): h for h in headers}
        placed: dict[str, str] = {}
        for column, synonyms in self.columns.items():
            for synonym in synonyms:
                header = key.get(_key(synonym))
                if header is not None and header not in placed:
                    placed[header] = column
                    break
        return placed


@dataclass
class MisRead:
    """An export read as the pupil table (text, headers as the schema spells them) and how it was read."""

    frame: pd.DataFrame
    profile: str
    placed: dict[str, str]  # header -> column
    ignored: list[str]
    notices: list[str] = field(default_factory=list)

    def report(self, path: Path | str) -> list[str]:
        lines = [f"{path}: read with the {self.profile} profile"]
        lines += [f"  '{h}' -> {c}" for h, c in self.placed.items()]
        if self.ignored:
            lines.append(f"  ignored (no pupil-table column): {', '.join(repr(h) for h in self.ignored)}")
        return lines


def _key(header: object) -> str:
    return " ".join(str(header).strip().lower().replace("_", " ").split())


def profile(name_or_file: str) -> Profile:
    """A bundled profile by name (sims, arbor, bromcom) or a user's YAML file of the same shape."""
    path = Path(name_or_file)
    if path.suffix.lower() in (".yaml", ".yml"):
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such profile file")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data.get("columns"), dict):
            raise ValueError(f"{path}: a profile needs 'columns:', each pupil-table column with a list of headers")
        unknown = [c for c in data["columns"] if not schema.is_known_column(c) and c != "first_language"]
        if unknown:
            raise ValueError(
                f"{path}: {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not pupil-table columns (docs/data_model.md)"
            )
        return Profile(
            str(data.get("name", path.stem)),
            {k: list(map(str, v)) for k, v in data["columns"].items()},
            str(data.get("source", "")),
        )
    if name_or_file.lower() not in PROFILES:
        raise ValueError(f"no MIS profile '{name_or_file}': give one of {', '.join(PROFILES)} or a .yaml file")
    data = parameters.load_yaml(f"mis/{name_or_file.lower()}.yaml")
    return Profile(data["name"], _lists(data["columns"]), data.get("source", ""), _lists(data.get("attendance")))


def _lists(section: dict | None) -> dict[str, list[str]]:
    return {k: list(map(str, v)) for k, v in (section or {}).items()}


def toolkit_layout() -> Profile:
    """The toolkit's own layout as a profile: each column's own name."""
    return Profile("toolkit", {f.name: [f.name] for f in schema.FIELDS})


def detect(headers: list[str]) -> tuple[Profile, dict[str, str]]:
    """The profile that places every required column and the most headers (the toolkit's own layout first);
    ``PupilDataError`` naming the headers no profile could place and the columns none found."""
    candidates = [toolkit_layout(), *(profile(n) for n in PROFILES)]
    scored = [(p, p.placing(headers)) for p in candidates]
    fits = [(p, placed) for p, placed in scored if set(NEEDED) <= set(placed.values())]
    if fits:
        return max(fits, key=lambda pair: len(pair[1]))
    best, placed = max(scored, key=lambda pair: len(set(pair[1].values()) & set(NEEDED)))
    missing = [c for c in NEEDED if c not in placed.values()]
    unplaced = [h for h in headers if h not in placed]
    raise PupilDataError(
        "",
        [
            Problem(
                f"The layout is not one the toolkit knows (its own, {', '.join(PROFILES)}): no column for "
                f"{', '.join(missing)}; columns it could not place: {', '.join(repr(h) for h in unplaced) or 'none'}. "
                "Rename the headers, or give your own mapping with --profile FILE.yaml (parameters/mis/sims.yaml "
                "shows the format)"
            )
        ],
    )


def _values() -> dict:
    return parameters.load_yaml("mis/values.yaml")


def _mapped(series: pd.Series, table: dict) -> pd.Series:
    lookup = {str(k).strip().lower(): str(v) for k, v in table.items()}
    mapped = series.str.strip().str.lower().map(lookup)
    return mapped.where(mapped.notna(), series).astype("string")


def _year_group(series: pd.Series, values: dict) -> pd.Series:
    key = series.str.strip().str.lower()
    out = key.copy()
    reception = key.isin([str(r).lower() for r in values["reception"]])
    for prefix in sorted(values["year_group_prefixes"], key=len, reverse=True):
        stripped = out.str.removeprefix(prefix)
        out = out.where(
            ~(out.str.startswith(prefix) & stripped.str.strip().str.fullmatch(r"\d{1,2}").fillna(False)),
            stripped.str.strip(),
        )
    return out.mask(reception, "R").where(series.notna(), series).str.upper()


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """MIS values as the pupil table's codes (``parameters/mis/values.yaml``); ``first_language`` becomes ``eal``
    when there is no EAL column. Values not listed stay as written, for the checks to name."""
    values = _values()
    out = frame.copy()
    if "gender" in out:
        out["gender"] = _mapped(out["gender"], values["gender"])
    if "year_group" in out:
        out["year_group"] = _year_group(out["year_group"], values)
    for column in ("fsm", "fsm6", "eal", "target_reviewed"):
        if column in out:
            out[column] = _mapped(out[column], values["yes_no"])
    if "sen" in out:
        out["sen"] = _mapped(out["sen"], values["sen"])
    if "first_language" in out:
        language = out.pop("first_language").fillna("").str.strip().str.lower()
        if "eal" not in out:
            eal = pd.Series("Y", index=out.index, dtype="string")
            eal = eal.mask(language.isin([str(v).lower() for v in values["first_language_not_eal"]]), "N")
            out["eal"] = eal.mask(language.isin([str(v).lower() for v in values["first_language_unknown"]]), pd.NA)
    return out


def read_mis(
    path: Path | str, profile_name: str | None = None, school: str | None = None, academic_year: int | None = None
) -> MisRead:
    """An MIS export as pupil-table text (``load.to_types`` and the checks come after): headers placed by the
    named or detected profile, values normalised, ``school_id`` from ``school`` when the export has none (else left
    missing, for the checks to name) and
    ``academic_year`` added when missing. ``PupilDataError`` when the layout cannot be placed."""
    raw = read_table(path)
    headers = list(raw.columns)
    try:
        if profile_name:
            chosen = profile(profile_name)
            placed = chosen.placing(headers)
        else:
            chosen, placed = detect(headers)
    except PupilDataError as err:
        raise PupilDataError(path, err.problems) from None
    missing = [c for c in NEEDED if c not in placed.values()]
    if missing:
        raise PupilDataError(
            path,
            [
                Problem(
                    f"The {chosen.name} profile finds no column for {', '.join(missing)} (it looks for "
                    + "; ".join(f"{c}: {', '.join(chosen.columns.get(c, []))}" for c in missing)
                    + ")"
                )
            ],
        )
    ignored = [h for h in headers if h not in placed]
    frame = raw[list(placed)].rename(columns=placed)
    frame = normalise(frame)
    notices = list(raw.attrs.get("notices", []))
    if "school_id" not in frame and school:
        frame.insert(1, "school_id", school)
    if "academic_year" not in frame and academic_year:
        frame["academic_year"] = str(academic_year)
    frame.attrs["notices"] = notices
    return MisRead(frame, chosen.name, {h: c for h, c in placed.items()}, ignored, notices)


def read_mis_attendance(
    path: Path | str,
    profile_name: str | None = None,
    school: str | None = None,
    academic_year: int | None = None,
    term: str | None = None,
) -> MisRead:
    """An MIS attendance summary export as the attendance input's text table (``toolkit.inputs.attendance``): the
    profile's ``attendance`` headers (named, or the one that places the most), a column headed by a register code
    (``I``, ``Code N``) as that code's sessions; ``school_id``, ``academic_year`` and ``term`` from the arguments when
    the export has none. The attendance loader's checks come after."""
    from toolkit.scales.attendance_codes import codes

    raw = read_table(path)
    headers = list(raw.columns)
    candidates = [profile(profile_name)] if profile_name else [profile(n) for n in PROFILES]
    sections = [(p, Profile(p.name, p.attendance)) for p in candidates]
    chosen, mapping = max(sections, key=lambda pair: len(pair[1].placing(headers)))
    placed = mapping.placing(headers)
    known = {c.upper(): c for c in codes()["code"]}
    for header in headers:
        if header in placed:
            continue
        code = str(header).strip().upper().removeprefix("CODE ").strip()
        if code in known:
            placed[header] = f"code_{known[code]}"
    if "upn" not in placed.values() or not (
        {"possible", "present"} <= set(placed.values()) or any(v.startswith("code_") for v in placed.values())
    ):
        raise PupilDataError(
            path,
            [
                Problem(
                    "The attendance export has no UPN and sessions (possible, present, authorised, unauthorised) or register-code columns the profiles know: give your own mapping with --profile FILE.yaml (an 'attendance:' section)"
                )
            ],
        )
    frame = raw[list(placed)].rename(columns=placed)
    for column, value in (("school_id", school), ("academic_year", academic_year), ("term", term)):
        if column not in frame and value:
            frame[column] = str(value)
    ignored = [h for h in headers if h not in placed]
    return MisRead(frame, chosen.name, placed, ignored, list(raw.attrs.get("notices", [])))
