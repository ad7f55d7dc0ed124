"""Vehicle Identification Numbers per 49 CFR 565: normalisation, check digit, model year."""

from __future__ import annotations

from dataclasses import dataclass
from operator import mul

from letters.errors import excerpt

VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_STRIP_VALID = str.maketrans(dict.fromkeys(VALUES))
# Position 10 repeats every 30 years; 1980-2009 and 2010-2039 share the letters.
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


class VinError(ValueError):
    """A VIN that breaks 49 CFR 565; the message says how."""


@dataclass(frozen=True)
class Vin:
    """A VIN that passed the format and check-digit rules."""

    value: str
    """The 17 normalised characters."""

    @property
    def wmi(self) -> str:
        """World manufacturer identifier, positions 1-3."""
        return self.value[:3]

    @property
    def year_code(self) -> str:
        """Model-year character, position 10."""
        return self.value[9]

    def model_year_candidates(self) -> tuple[int, ...]:
        """Model years position 10 can stand for (30 years apart)."""
        index = YEAR_CODES.index(self.year_code)
        return (1980 + index, 2010 + index)

    def __str__(self) -> str:
        return self.value


def normalise(raw: str) -> str:
    """Upper case, surrounding white space removed."""
    return raw.strip().upper()


def check_digit(vin: str) -> str:
    """The check digit (position 9) a 17-character VIN must carry."""
    # map() keeps the per-character work in C: this runs once per record of a 200k-row file.
    remainder = sum(map(mul, map(VALUES.__getitem__, vin), WEIGHTS)) % 11
    return "X" if remainder == 10 else str(remainder)


def parse(raw: str) -> Vin:
    """Validate a VIN; raise ``VinError`` saying what is wrong."""
    return Vin(validate(raw))


def validate(raw: str) -> str:
    """The normalised VIN if valid; raise ``VinError`` saying what is wrong.

    The records stage calls this once per row, so it returns the bare string.
    """
    vin = raw.strip().upper()
    if len(vin) != 17:
        raise VinError(f"VIN {excerpt(raw.strip())} has {len(vin)} characters, not 17")
    if vin.translate(_STRIP_VALID):
        bad = sorted({ch for ch in vin if ch not in VALUES})
        which = ", ".join(repr(ch) for ch in bad)
        hint = " (I, O and Q are never used)" if set(bad) & set("IOQ") else ""
        raise VinError(f"VIN {excerpt(vin)} contains {which}{hint}")
    if vin[9] not in YEAR_CODES:
        raise VinError(f"VIN {vin!r}: position 10 {vin[9]!r} is not a model-year code")
    expected = check_digit(vin)
    if vin[8] != expected:
        raise VinError(f"VIN {vin!r}: check digit (position 9) is {vin[8]!r}, expected {expected!r}")
    return vin


def year_code(model_year: int) -> str:
    """The position-10 character for ``model_year``."""
    return YEAR_CODES[(model_year - 1980) % 30]


def with_check_digit(vin16: str) -> str:
    """Complete a VIN whose position 9 is a placeholder; used to make valid VINs."""
    vin = vin16[:8] + "0" + vin16[9:]
    return vin[:8] + check_digit(vin) + vin[9:]
