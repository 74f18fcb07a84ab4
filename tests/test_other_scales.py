"""EYFS good level of development, A level points, identifiers."""

import pandas as pd
import pytest

from toolkit.scales import (
    a_level_points,
    good_level_of_development,
    is_temporary_upn,
    make_upn,
    validate_dfe_number,
    validate_upn,
)
from toolkit.scales.eyfs import area_scores, eyfs_scale, goal_columns


def test_gld_needs_every_prime_literacy_and_maths_goal():
    cols = goal_columns()
    all_expected = {c: "expected" for c in cols}
    one_short = {**all_expected, "eyfs_number": "emerging"}
    only_outside = {**all_expected, "eyfs_materials": "emerging"}  # expressive arts is not a GLD area
    absent = {c: "A" for c in cols}
    blank = {c: None for c in cols}
    gld = good_level_of_development(pd.DataFrame([all_expected, one_short, only_outside, absent, blank]))
    assert gld.tolist()[:4] == [True, False, True, False]
    assert pd.isna(gld.iloc[4])
    assert len(cols) == 17 and len(eyfs_scale()["gld_areas"]) == 5


def test_area_scores_average_the_goals():
    row = {c: "expected" for c in goal_columns()} | {"eyfs_word_reading": "emerging"}
    scores = area_scores(pd.DataFrame([row]))
    assert scores.loc[0, "literacy"] == pytest.approx(5 / 3)
    assert scores.loc[0, "maths"] == 2


def test_a_level_points():
    grades = pd.Series(["A*", "A", "B", "C", "D", "E", "U", "Z"])
    assert a_level_points(grades).tolist()[:7] == [60, 50, 40, 30, 20, 10, 0]
    assert pd.isna(a_level_points(grades).iloc[7])
    with pytest.raises(ValueError):
        a_level_points(grades, "GCSE")


def test_upn_reasons_are_sentences():
    assert validate_upn("B801200005001") is None
    assert validate_upn(" b801200005001 ") is None
    assert "should start with B, not A" in validate_upn("A801200005001")
    assert "13 characters" in validate_upn("B80120000500")
    assert "start with a letter, followed by 11 digits" in validate_upn("X80120000A001")
    assert "local authority" in validate_upn("E000200005001")
    assert "not I, O or S" in validate_upn("B80120000500O")
    assert "must have a value" in validate_upn(None)


def test_temporary_upns():
    from stdnum.gb import upn

    body = "801200005" + "01A"  # LA 801, establishment 2000, year 05, 2-digit serial 01, letter A
    temp = upn.calc_check_digit(body) + body
    assert validate_upn(temp) is None
    assert is_temporary_upn(temp)
    assert not is_temporary_upn("B801200005001")


def test_upn_checked_by_column_agrees_with_stdnum_on_every_kind_of_mistake():
    """``upn_valid`` checks compact UPNs with arrays and sends the rest to stdnum: its verdict is stdnum's."""
    import random

    from stdnum.gb import upn

    from toolkit.scales.identifiers import upn_problems, upn_valid

    rng = random.Random(7)
    las = [201, 304, 800, 925, 938, 100, 999, 420, 555]  # known and unknown local authorities
    typed = []
    for i in range(4000):
        u = make_upn(rng.choice(las), rng.randint(1000, 9999), 2019, rng.randint(0, 999))
        kind = i % 8
        if kind == 1:  # one character mistyped
            j = rng.randrange(13)
            u = u[:j] + rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ") + u[j + 1 :]
        elif kind == 2:
            u = u.lower()
        elif kind == 3:
            u = f"{u[:4]} {u[4:]}\u00a0"
        elif kind == 4:
            u = u[:12]
        elif kind == 5:  # a temporary UPN: serial and a final letter
            body = u[1:11] + rng.choice("ABCDEFGHJKLMNPQRTUVWXYZ")
            u = upn.calc_check_digit(body) + body
        typed.append(u)
    typed += ["", "Ｂ801200005001", "B801200005001", "O801200005001"]
    values = pd.Series(typed + [None], dtype="string")
    expected = [upn.is_valid(u) for u in typed] + [False]
    assert upn_valid(values).tolist() == expected
    assert 0.2 < sum(expected) / len(expected) < 0.8  # both verdicts are exercised
    problems = upn_problems(values)
    assert problems.isna().tolist() == expected
    assert problems.iloc[-4] == validate_upn("Ｂ801200005001")


def test_make_upn_is_valid():
    assert validate_upn(make_upn(925, 2003, 2021, 17)) is None


def test_dfe_number():
    assert validate_dfe_number("9252003") is None
    assert validate_dfe_number("925/2003") is None
    assert "7 digits" in validate_dfe_number("92520")
    assert "local authority" in validate_dfe_number("0002003")
