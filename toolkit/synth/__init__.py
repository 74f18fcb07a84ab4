"""Synthetic data generators (national cohorts calibrated to published figures, a demo trust): to one side of the
runtime path, which never imports them (docs/architecture.md). Every name and pupil is synthetic."""
