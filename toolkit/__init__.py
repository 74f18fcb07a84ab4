"""Open, reproducible pupil-tracking analyses for English schools.

Subpackages: ``toolkit.scales`` (assessment scales), ``toolkit.data`` (pupil table, loading, synthetic data).
"""
__version__ = "0.1.0"
