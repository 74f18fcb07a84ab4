"""Open, reproducible pupil-tracking analyses for English schools.

Layers, bottom to top (docs/architecture.md): ``locations``, ``parameters``, ``vocabulary``, ``scales``, ``inputs``,
``methods``, ``intake``, ``reports``, ``whatif``, ``cli``; ``synth`` and ``studies`` to one side.
"""

__version__ = "0.3.0"
