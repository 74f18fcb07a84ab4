"""Research studies: the generator's calibration table, the estimates' calibration, recovery of planted school
effects (``python -m toolkit.studies``). To one side of the runtime path."""
