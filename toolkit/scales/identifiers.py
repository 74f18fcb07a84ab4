"""Pupil and school identifiers: the UPN (DfE Common Basic Data Set) and the DfE number (LAESTAB).

The UPN algorithm is python-stdnum's ``stdnum.gb.upn``; this module only turns its verdicts into sentences
a school data manager can act on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from stdnum import exceptions as stdnum_errors
from stdnum.gb import upn as stdnum_upn

_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_RULE = "UPN must start with a letter, followed by 11 digits, and end with a letter or digit"


def _known_la(la: int) -> bool:
    known = getattr(stdnum_upn, "_la_numbers", None)  # stdnum's list of LA numbers, if it exposes one
    return la in known if known is not None else 200 <= la <= 999


def upn_reason(upn: object) -> tuple[str, str] | None:
    """``(rule, detail)`` saying why ``upn`` is not a valid UPN, or None when it is valid.

    ``rule`` is the general sentence (the same for every UPN wrong in the same way), ``detail`` is specific.
    """
    text = "" if upn is None or (isinstance(upn, float) and pd.isna(upn)) else str(upn)
    compact = stdnum_upn.compact(text)
    if compact == "":
        return "UPN must have a value", "blank"
    try:
        stdnum_upn.validate(compact)
    except stdnum_errors.InvalidLength:
        return "UPN must be 13 characters long", f"'{text.strip()}' has {len(compact)}"
    except stdnum_errors.InvalidFormat:
        if compact[-1].isalpha() and compact[-1] not in _ALPHABET:
            return f"{UPN_RULE} (not I, O or S)", f"'{compact}'"
        return UPN_RULE, f"'{compact}'"
    except stdnum_errors.InvalidComponent:
        return ("Characters 2-4 of a UPN must be a local authority number", f"{compact[1:4]} is not one ('{compact}')")
    except stdnum_errors.InvalidChecksum:
        expected = stdnum_upn.calc_check_digit(compact[1:])
        return (
            "Wrong check letter: the UPN was probably mistyped",
            f"'{compact}' should start with {expected}, not {compact[0]}",
        )
    except stdnum_errors.ValidationError:
        return UPN_RULE, f"'{compact}'"
    return None


def normalise_upn(upns: pd.Series) -> pd.Series:
    """UPNs written the one way every loader uses: spaces (and non-breaking spaces) removed, upper case. The same
    pupil typed with and without a space is then one pupil, and a duplicate."""
    out = upns.copy()
    written = upns.str.fullmatch(r"[A-Z0-9]*").fillna(True).to_numpy(dtype=bool)  # nearly all: nothing to do
    if not written.all():
        out[~written] = upns[~written].str.replace(r"[\s\u00a0]+", "", regex=True).str.upper()
    return out


def validate_upn(upn: object) -> str | None:
    """Why ``upn`` is not a valid UPN, in plain words; None when it is valid (temporary UPNs included)."""
    reason = upn_reason(upn)
    return None if reason is None else f"{reason[0]}: {reason[1]}"


def is_temporary_upn(upn: str) -> bool:
    """True for a valid temporary UPN (2-digit serial and a final letter)."""
    compact = stdnum_upn.compact(str(upn))
    return validate_upn(compact) is None and compact[-1].isalpha()


_COMPACT_UPN = r"[A-HJ-NP-RT-Z][0-9]{11}[A-HJ-NP-RT-Z0-9]"  # already compact: 13 characters, nothing to clean
_CHECK_ALPHABET = _ALPHABET + "0123456789"  # a character's value in the check letter's sum (DfE UPN guidance)
_CHECK_VALUE = np.full(256, -1, dtype=np.int64)  # byte -> its value
_CHECK_VALUE[np.frombuffer(_CHECK_ALPHABET.encode(), dtype=np.uint8)] = np.arange(len(_CHECK_ALPHABET))
# local authority number -> one stdnum accepts (asked of stdnum itself, with a UPN whose check letter is right)
_LA_BY_NUMBER = np.array(
    [
        stdnum_upn.is_valid(stdnum_upn.calc_check_digit(f"{la:03d}000000000") + f"{la:03d}000000000")
        for la in range(1000)
    ]
)


def upn_valid(upns: pd.Series) -> np.ndarray:
    """True where a UPN is valid: ``upn_reason(u) is None``, worked out a column at a time. A UPN already written
    compactly (13 characters, upper case, no spaces: nearly every one) is checked with arrays (stdnum's local
    authority list and check letter); every other value goes through stdnum itself, so the verdict is stdnum's."""
    text = upns.astype("string").fillna("")
    compact = text.str.fullmatch(_COMPACT_UPN).fillna(False).to_numpy(dtype=bool)
    valid = np.zeros(len(text), dtype=bool)
    if compact.any():
        codes = np.frombuffer(text[compact].str.cat().encode("ascii"), dtype=np.uint8).reshape(-1, 13)
        la = (codes[:, 1:4].astype(np.int64) - ord("0")) @ np.array([100, 10, 1])
        check = (_CHECK_VALUE[codes[:, 1:]] @ np.arange(2, 14)) % 23
        valid[compact] = _LA_BY_NUMBER[la] & (check == _CHECK_VALUE[codes[:, 0]])
    rest = ~compact
    if rest.any():
        verdicts = {u: upn_reason(u) is None for u in text[rest].unique()}
        valid[rest] = text[rest].map(verdicts).to_numpy(dtype=bool)
    return valid


def upn_problems(upns: pd.Series) -> pd.Series:
    """Reason each UPN is invalid (``validate_upn``), <NA> for valid ones; the sentences are worked out once per
    distinct invalid value."""
    text = upns.astype("string").fillna("")
    bad = ~upn_valid(text)
    out = pd.Series(pd.NA, index=text.index, dtype="string")
    if bad.any():
        reasons = {u: validate_upn(u) for u in text[bad].unique()}
        out[bad] = text[bad].map(reasons).astype("string")
    return out


def make_upn(la: int, estab: int, year: int, serial: int) -> str:
    """A permanent UPN for a pupil first registered at school ``la``/``estab`` in ``year`` with ``serial``."""
    body = f"{la:03d}{estab:04d}{year % 100:02d}{serial:03d}"
    return stdnum_upn.calc_check_digit(body) + body


def validate_dfe_number(number: object) -> str | None:
    """Why ``number`` is not a DfE number (LAESTAB: 3-digit LA + 4-digit establishment); None when valid."""
    text = "" if number is None or (isinstance(number, float) and pd.isna(number)) else str(number).strip()
    text = text.replace("/", "").replace("-", "").replace(" ", "")
    if not text:
        return "DfE number is blank"
    if not (text.isdigit() and len(text) == 7):
        return f"A DfE number is 7 digits (3-digit LA number then 4-digit establishment number); got '{number}'"
    if not _known_la(int(text[:3])):
        return f"The first 3 digits of a DfE number are the local authority number; {text[:3]} is not one"
    return None


def school_id_for_path(value: object) -> str:
    """A school id that may become part of a file or folder name: exactly 7 digits (a DfE number); anything else
    (``../x``, ``925/2000``, blank) raises ValueError, so nothing is ever written outside the folder asked for."""
    text = "" if value is None else str(value).strip()
    if not (len(text) == 7 and text.isdigit() and text.isascii()):
        raise ValueError(f"School id {value!r} is not a 7-digit DfE number, so it cannot name a folder or file")
    return text


def names_a_folder(value: object) -> bool:
    """Whether ``value`` may name a school's folder (``school_id_for_path`` accepts it)."""
    try:
        school_id_for_path(value)
        return True
    except ValueError:
        return False
