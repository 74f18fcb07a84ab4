"""KS2 fine points, fine levels and the Progress 8 baseline, exactly as seed 004 describes.

fine grade = level + (mark - level_min) / (level_max - level_min + 1), rounded to 2 dp (half up),
fine points = 6 x fine grade; P8 baseline = ((English + maths) / 2) / 6 rounded to 1 dp.
Exceptions: level N (TA default points or nothing), test level 2 with a TA (fixed points for W/1/2, a
level-3 formula with the mark clamped to the level-2 range above 2), level 6 not accepted (use the standard test).
Table: ``parameters/scales/fine_points.yaml``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from toolkit import parameters


def _spec() -> dict:
    return parameters.load_yaml("scales/fine_points.yaml")


def _round(x: float | Decimal, places: int) -> float:
    """Round half up (as a spreadsheet does), not to even; exact on the decimal value."""
    q = Decimal(1).scaleb(-places)
    return float(Decimal(str(x)).quantize(q, rounding=ROUND_HALF_UP))


def _ta_key(ta: str | int | None) -> str | None:
    return None if ta is None or str(ta).strip() == "" else str(ta).strip().upper()


def ks2_fine_points(
    level: int | str,
    mark: float | None,
    level_min: float | None = None,
    level_max: float | None = None,
    *,
    ta: str | int | None = None,
    level2_min: float | None = None,
    level2_max: float | None = None,
    level3_min: float | None = None,
    level3_max: float | None = None,
) -> float | None:
    """Fine points of one KS2 English or maths result (old levels); None when the pupil gets no fine points.

    ``level`` is the test level (2-5 or ``"N"``), ``mark`` the test mark, ``level_min``/``level_max`` the mark
    range of that level. ``ta`` is the teacher assessment (W, 1, 2, 3 ...), needed for levels N and 2.
    For a test level 2 with a TA above 2, pass the level-2 and level-3 mark ranges.
    """
    spec = _spec()
    per_level = Decimal(spec["points_per_level"])
    places = spec["fine_grade_decimals"]
    ta_key = _ta_key(ta)
    lvl = str(level).strip().upper()
    if lvl == "N":
        # Seed 004: no fine-points calculation; a TA gives default points, no TA leaves it blank.
        if ta_key is None:
            return None
        defaults = spec["level_n_ta_points"]["values"]
        if ta_key not in {str(k) for k in defaults}:
            raise ValueError(f"Teacher assessment {ta!r} has no default fine points; expected one of {list(defaults)}")
        return float({str(k): v for k, v in defaults.items()}[ta_key])
    try:
        lv = int(lvl)
    except ValueError:
        raise ValueError(f"KS2 level {level!r} is not a level (2-5) or N") from None
    if lv >= 6:
        raise ValueError(
            "Level 6 is ignored for fine points and the P8 baseline: pass the level and mark "
            "of the standard KS2 test instead"
        )
    if mark is None:
        raise ValueError(f"Level {lv} needs a test mark to compute fine points")
    if lv == 2 and ta_key is not None:
        fixed = {str(k): v for k, v in spec["level2_ta_points"].items()}
        if ta_key in fixed:
            return float(fixed[ta_key])
        if None in (level2_min, level2_max, level3_min, level3_max):
            raise ValueError("Test level 2 with a TA above 2 needs level2_min/level2_max and level3_min/level3_max")
        main = min(max(Decimal(str(mark)), Decimal(str(level2_min))), Decimal(str(level2_max)))
        lo3, hi3 = Decimal(str(level3_min)), Decimal(str(level3_max))
        grade = Decimal(3) - (lo3 - main) / (hi3 - lo3 + 1)
        return _round(Decimal(str(_round(grade, places))) * per_level, places)
    if level_min is None or level_max is None:
        raise ValueError(f"Level {lv} needs the level's mark range (level_min, level_max)")
    lo, hi = Decimal(str(level_min)), Decimal(str(level_max))
    grade = Decimal(lv) + (Decimal(str(mark)) - lo) / (hi - lo + 1)
    return _round(Decimal(str(_round(grade, places))) * per_level, places)


def fine_level(points: float | None) -> str | None:
    """Fine test level (e.g. ``"4B"``) of a fine-points score, by the RaiseOnline boundaries."""
    if points is None:
        return None
    for row in _spec()["fine_levels"]:  # ordered from the top
        if points >= row["from"]:
            return str(row["level"])
    return None


def p8_baseline(english: float | None, maths: float | None) -> float | None:
    """Progress 8 prior-attainment baseline: mean of the available fine points / 6, rounded to 1 dp."""
    have = [Decimal(str(x)) for x in (english, maths) if x is not None]
    if not have:
        return None
    spec = _spec()
    return _round(sum(have) / len(have) / Decimal(spec["points_per_level"]), spec["p8_baseline_decimals"])
