"""A school data folder (``--data DIR``) and the files a run reads from it: found here, read by ``load``.

It holds ``schools.csv``, ``pupils.csv`` (pupils on roll, with targets), ``ks2_<year>.csv`` (past Year 6 cohorts
with KS2 results) and, where a school has them, ``ks5_<year>.csv`` (past Year 13 A level and AS entries),
``ks2_levels_<year>.csv`` (a secondary's Years 7-11 with old-style KS2 levels and marks), ``ks4_<year>.csv`` with
``gcse_<year>.csv`` (past Year 11), ``ks4_targets``, ``tracking``, ``subject_judgements``, ``subject_counts``,
``attendance`` (or ``attendance_marks``, daily register marks), plus
national reference cohorts (``national_<year>.parquet`` and, with KS5 data, ``national_ks5_<year>.parquet``; in DIR
or its parent, or given with ``--reference``). Each file but ``schools.csv`` may also be a Parquet table
(``toolkit.inputs.partitions``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from toolkit.inputs import partitions
from toolkit.inputs.partitions import content_files, data_file
from toolkit.inputs.schools import load_schools
from toolkit.intake.uploads import accepted_keystages, upload_files


@dataclass
class Inputs:
    schools: Path
    pupils: Path
    past: dict[int, Path]  # KS2 year -> file
    reference: Path

    uploads: list[Path] = field(default_factory=list)  # upload history and the files it analyses
    ks5: dict[int, Path] = field(default_factory=dict)  # KS5 year -> entries file
    reference_ks5: Path | None = None
    ks2_levels: dict[int, Path] = field(default_factory=dict)  # academic year -> Years 7-11 with old KS2 levels
    tracking: Path | None = None  # termly steps-and-points grades
    judgements: Path | None = None  # foundation-subject judgements (pupil level)
    subject_counts: Path | None = None  # foundation-subject counts typed by subject leaders
    ks4: dict[int, tuple[Path, Path]] = field(default_factory=dict)  # KS4 year -> (Year 11 pupils, GCSE results)
    ks4_targets: Path | None = None  # GCSE targets of Years 7-11
    attendance: Path | None = None  # sessions per pupil and period (toolkit.inputs.attendance)
    attendance_marks: Path | None = None  # daily register marks (toolkit.inputs.attendance_marks)
    statutory_checks: Path | None = None  # phonics and multiplication tables check results
    suspensions: Path | None = None  # suspensions and permanent exclusions per pupil and year
    ofsted: Path | None = None  # Ofsted's published outcomes file (report-card grades), as downloaded

    def resolved(self) -> Inputs:
        """The same inputs by absolute paths (for a worker whose working folder is another)."""

        def absolute(value):
            if isinstance(value, Path):
                return value.resolve()
            if isinstance(value, dict):
                return {k: absolute(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(absolute(v) for v in value)
            return value

        return Inputs(**{f.name: absolute(getattr(self, f.name)) for f in fields(self)})

    def partitioned(self) -> bool:
        """Every school data file (all but schools.csv, the references, the Ofsted outcomes file and uploads) is a
        table partitioned by school (``toolkit.inputs.partitions``)."""
        shared = {self.schools, self.reference, self.reference_ks5, self.ofsted, *self.uploads}  # not by school
        return all(partitions.is_dataset(p) for p in self.files() if p not in shared)

    def school_ids(self) -> list[str]:
        """The DfE numbers listed in schools.csv."""
        return [str(s) for s in load_schools(self.schools)["school_id"]]

    def files(self) -> list[Path]:
        optional = [
            self.reference_ks5,
            self.tracking,
            self.judgements,
            self.subject_counts,
            self.ks4_targets,
            self.attendance,
            self.attendance_marks,
            self.statutory_checks,
            self.suspensions,
            self.ofsted,
        ]
        return [
            self.schools,
            self.pupils,
            *self.past.values(),
            self.reference,
            *self.uploads,
            *self.ks5.values(),
            *self.ks2_levels.values(),
            *(p for pair in self.ks4.values() for p in pair),
            *(p for p in optional if p),
        ]


def _find_reference(data: Path, stem: str, what: str) -> Path:
    found = sorted(
        p
        for p in [*data.glob(f"{stem}_*.parquet"), *data.parent.glob(f"{stem}_*.parquet")]
        if re.fullmatch(rf"{stem}_\d{{4}}\.parquet", p.name)
    )
    if not found:
        raise FileNotFoundError(
            f"{data}: no {what} ({stem}_<year>.parquet here or in {data.parent}); "
            "make one with `toolkit synth` or give it with --reference"
        )
    return found[-1]


def find_inputs(data: Path, reference: Path | None = None) -> Inputs:
    """Locate the input files of a school data folder; FileNotFoundError says exactly what is missing. Each file
    but schools.csv may be a CSV file or a Parquet table (``<name>.parquet``: a file, or a folder partitioned by
    school, ``toolkit.inputs.partitions``)."""
    data = Path(data)
    pupils = data_file(data, "pupils")
    missing = [
        n for n, there in (("schools.csv", (data / "schools.csv").exists()), ("pupils.csv", pupils)) if not there
    ]
    if missing:
        raise FileNotFoundError(
            f"{data}: no {' or '.join(missing)} (a data folder holds schools.csv, pupils.csv and "
            "ks2_<year>.csv; see docs/report_pack.md)"
        )

    def by_year(stem: str) -> dict[int, Path]:
        years = sorted(
            {
                int(m.group(1))
                for p in data.glob(f"{stem}_*")
                if (m := re.fullmatch(rf"{stem}_(\d{{4}})\.(csv|parquet)", p.name))
            }
        )
        return {y: data_file(data, f"{stem}_{y}") for y in years}

    uploads = upload_files(data)
    ks5_files = by_year("ks5")
    if reference is None:
        reference = _find_reference(data, "national", "national reference cohort")
    reference_ks5 = None
    if ks5_files or "ks5" in accepted_keystages(data):
        reference_ks5 = _find_reference(data, "national_ks5", "national KS5 reference cohort")
    optional = {name: data_file(data, name) for name in partitions.OPTIONAL}
    ks4_pupils, gcse = by_year("ks4"), by_year("gcse")
    unpaired = sorted(set(ks4_pupils) ^ set(gcse))
    if unpaired:
        y = unpaired[0]
        have, lack = ("ks4", "gcse") if y in ks4_pupils else ("gcse", "ks4")
        raise FileNotFoundError(
            f"{data}: {have}_{y} has no {lack}_{y}.csv beside it (a past Year 11 needs both: ks4_<year>.csv "
            "with the pupils and their KS2 results, gcse_<year>.csv with their GCSE results; docs/report_pack.md)"
        )
    return Inputs(
        data / "schools.csv",
        pupils,
        by_year("ks2"),
        Path(reference),
        uploads,
        ks5_files,
        reference_ks5,
        by_year("ks2_levels"),
        optional["tracking"],
        optional["subject_judgements"],
        optional["subject_counts"],
        {y: (ks4_pupils[y], gcse[y]) for y in ks4_pupils},
        optional["ks4_targets"],
        optional["attendance"],
        optional["attendance_marks"],
        optional["statutory_checks"],
        optional["suspensions"],
        next(
            (data / f"ofsted_outcomes{e}" for e in (".csv", ".xlsx") if (data / f"ofsted_outcomes{e}").exists()), None
        ),
    )


def file_hash(path: Path) -> str:
    """The SHA-256 of a file's bytes; of a folder partitioned by school, of its files' names and hashes."""
    if path.is_dir():
        listing = [(str(p.relative_to(path)), file_hash(p)) for p in content_files(path)]
        return hashlib.sha256(repr(listing).encode()).hexdigest()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
