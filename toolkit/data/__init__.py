"""Pupil data: the table's schema, loading with precise error reports, and the synthetic generator."""
from toolkit.data.load import Problem, PupilDataError, load_pupils

__all__ = ["Problem", "PupilDataError", "load_pupils"]
