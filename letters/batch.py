"""Batch stage: which letters a phase mailing sends, in what order, in which batch file.

Selection: owners of covered vehicles in the chosen phase whose remedy is available as of
the mailing date, minus VINs the ledger already holds for the campaign. Presort: ZIP, then
name. Batches: ``size`` letters each, never splitting a letter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from letters.address import usps_line
from letters.records import Owner, Piece


def envelope_lines(owner: Owner) -> tuple[str, ...]:
    """The address block, top to bottom, in USPS form (the ZIP+4 hyphen kept)."""
    return owner.envelope_lines()


PR_LANGUAGES = {"bilingual": "es+en", "es": "es", "en": "en"}
"""``--pr-language`` choices and the language code each gives a Puerto Rico letter."""


def language_of(owner: Owner, pr_language: str = "bilingual", languages: Sequence[str] = ("en", "es")) -> str:
    """Language code of an owner's letter: "en", "es" or "es+en" (Spanish, then English).

    An explicit language in the owner record wins; otherwise Puerto Rico addresses get
    ``pr_language``, everyone else English. Only the campaign's ``languages`` are written:
    an English-only campaign writes every letter in English.
    """
    chosen = owner.language or (PR_LANGUAGES[pr_language] if owner.puerto_rico else "en")
    return "+".join(part for part in chosen.split("+") if part in languages) or "en"


def presort_key(piece: Piece) -> tuple[str, str, str]:
    """ZIP (5 then +4), then addressee name, then VIN for a stable order."""
    return (piece.owner.zip, usps_line(piece.owner.names[0]), piece.vehicle.vin)


@dataclass(frozen=True)
class Selection:
    """What a phase mailing will send."""

    phase: int
    """Phase."""
    pieces: tuple[Piece, ...]
    """Letters to send, presorted."""
    already_mailed: int
    """Eligible VINs the ledger already holds."""
    eligible: int
    """Eligible VINs in the records for the phase."""
    superseded: tuple[tuple[Piece, str], ...] = ()
    """Eligible VINs that already have a letter of a later stage, with why: not sent (counted
    neither in ``pieces`` nor in ``already_mailed``)."""


def select(pieces: Iterable[Piece], phase: int, reserved: set[str], available: bool = True,
           due: Callable[[str], bool] | None = None) -> Selection:  # fmt: skip
    """Pieces of ``phase`` whose remedy is ``available`` (or not: interim notices) and, when
    ``due`` is given, whose VIN it accepts (follow-ups), minus VINs ``reserved``; presorted."""
    eligible = [p for p in pieces if p.phase == phase and p.available == available
                and (due is None or due(p.vehicle.vin))]  # fmt: skip
    fresh = [p for p in eligible if p.vehicle.vin not in reserved]
    fresh.sort(key=presort_key)
    return Selection(phase, tuple(fresh), len(eligible) - len(fresh), len(eligible))


def piece_id(campaign: str, phase: int, batch: int, seq: int) -> str:
    """campaign-phase-batch-sequence, e.g. 23LJ01-5-0001-000042."""
    return f"{campaign}-{phase}-{batch:04d}-{seq:06d}"
