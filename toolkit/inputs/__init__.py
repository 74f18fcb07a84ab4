"""Input files: reading CSV, XLSX and Parquet, one rule set per table (``rules``) with messages naming file, row and
column, and the school state (saved challenge levels and targets)."""

from toolkit.inputs.load import load_pupils
from toolkit.inputs.problems import Problem, PupilDataError

__all__ = ["Problem", "PupilDataError", "load_pupils"]
