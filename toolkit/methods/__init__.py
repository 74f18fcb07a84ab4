"""The methodology, pure: frames in, frames out; no files read or written, nothing printed.

Estimates with challenge levels, value added (DfE, FFT-style, level 3), targets, pupil groups, attainment, KS5,
the KS2 fine-points baseline, steps-and-points tracking, foundation subjects. Formulas: docs/methodology.md."""
