"""The methodology, pure: frames in, frames out; no files read or written, nothing printed.

Estimates with challenge levels, value added (DfE, FFT-style, level 3), targets, pupil groups, attainment, KS4
(Attainment 8, Progress 8 on the DfE's model) and KS4 estimates, KS5, the KS2 fine-points baseline, steps-and-points
tracking, foundation subjects. Formulas: docs/methodology.md.

The names below are the public interface (the README's examples use them); each module's other functions are the
parts they are built from.
"""

from toolkit.methods.attainment import headline_measures, reached
from toolkit.methods.estimates import EstimateModel
from toolkit.methods.groups import attainment_gaps, breakdown, pupil_groups, va_by_group
from toolkit.methods.ks2_baseline import baseline
from toolkit.methods.ks4 import score_cohort
from toolkit.methods.ks4_estimates import attainment_estimates
from toolkit.methods.ks5 import attainment as ks5_attainment
from toolkit.methods.targets import aggregate_targets, review_targets, target_summary
from toolkit.methods.value_added import DfeProgress, FftValueAdded, Level3ValueAdded, own_past_progress

__all__ = [
    "DfeProgress",
    "EstimateModel",
    "FftValueAdded",
    "Level3ValueAdded",
    "aggregate_targets",
    "attainment_estimates",
    "attainment_gaps",
    "baseline",
    "breakdown",
    "headline_measures",
    "ks5_attainment",
    "own_past_progress",
    "pupil_groups",
    "reached",
    "review_targets",
    "score_cohort",
    "target_summary",
    "va_by_group",
]
