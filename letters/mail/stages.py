"""Stage order: a VIN's letters only move forward (interim, remedy, then what follows), and mailing dates too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from letters.batch import Selection
from letters.campaign import Campaign
from letters.campaign.model import Stage
from letters.errors import UsageError
from letters.ledger import Ledger
from letters.records import Piece

Superseded = tuple[Piece, str]
"""A letter a stage does not send, and why: the VIN already has a letter of a later stage."""


def stage_order(campaign: Campaign) -> dict[str, tuple[int, int, int]]:
    """Each stage's place in a VIN's letters: interim notices, then remedy letters, then what follows them.

    A stage mailed ``after`` another comes after it (follow-ups later the more days they
    wait); stages of one kind keep the campaign's order.
    """
    base = {"remedy-unavailable": 0, "remedy-available": 1}
    by_name = {s.name: s for s in campaign.stages}
    memo: dict[str, tuple[int, int]] = {}

    def level(stage: Stage, seen: tuple[str, ...] = ()) -> tuple[int, int]:
        if stage.name not in memo:
            earlier = by_name.get(stage.after)
            if stage.when != "after" or earlier is None or earlier.name in seen:
                memo[stage.name] = (base.get(stage.when, 2), 0)
            else:
                depth, days = level(earlier, (*seen, stage.name))
                memo[stage.name] = (depth + 1, days + stage.days)
        return memo[stage.name]

    return {s.name: (*level(s), index) for index, s in enumerate(campaign.stages)}


def later_stages(campaign: Campaign, stage: str) -> list[str]:
    """The stages whose letters a VIN gets after a letter of ``stage``."""
    order = stage_order(campaign)
    return [name for name, place in order.items() if place[:2] > order[stage][:2]]


def superseded_reason(stage: str, later: str, piece: str, when: str) -> str:
    """Why a VIN gets no letter of ``stage``: the ``later`` stage's piece it already has."""
    return f"already sent the {later} letter (piece {piece}, as of {when}); the {stage} letter now would contradict it"


def check_as_of(ledger: Ledger, code: str, as_of: date, backdate: bool) -> list[str]:
    """Refuse a mailing date before the campaign's latest one in the ledger, unless ``backdate``; then say so.

    Letters dated before ones already mailed would tell owners what was true then (an
    interim notice after the remedy letter), so going back needs an explicit flag.
    """
    latest = ledger.latest_mailing(code)
    if latest is None or as_of.isoformat() >= latest[0]:
        return []
    said = (f"--as-of {as_of.isoformat()} is before {code}'s latest mailing in the ledger (as of {latest[0]}, "
            f"run {latest[1]})")  # fmt: skip
    if not backdate:
        raise UsageError(f"{said}: letters dated earlier could contradict those already mailed; pass --backdate "
                         "to mail as of that date anyway (no VIN gets an earlier stage than it had)")  # fmt: skip
    return [f"warning: {said}; mailing back-dated as --backdate asks"]


def remail_stages(ledger: Ledger, campaign: Campaign, wanted: Sequence[str], named: str | None) -> dict[str, str]:
    """The stage each remailed VIN's piece prints: ``named``, or that of the latest piece it replaces.

    Refused (``UsageError``): a VIN never mailed, an unknown stage, and a named stage earlier
    than one the VIN already had.
    """
    code, order = campaign.code, stage_order(campaign)
    had: dict[str, tuple[str, str, str]] = {}
    for name in sorted(order, key=lambda name: order[name]):  # each VIN's latest stage wins
        had.update(ledger.stage_pieces(code, [name]))
    never = [v for v in wanted if v not in had]
    if never:
        raise UsageError(f"never mailed for {code}, so not remailed (use 'letters mail'): {', '.join(never)}")
    if named is None:
        return {v: had[v][0] for v in wanted}
    if named not in order:
        raise UsageError(f"campaign {code} has no stage {named!r}; stages: {', '.join(order)}")
    earlier = [f"{v} (had the {had[v][0]} letter)" for v in wanted if order[had[v][0]][:2] > order[named][:2]]
    if earlier:
        raise UsageError(f"the {named} letter would come after a later stage's letter, so it is not remailed: "
                         f"{', '.join(earlier)}")  # fmt: skip
    return dict.fromkeys(wanted, named)


def selection_notes(phase: int, stage: str, selection: Selection) -> list[str]:
    """What ``mail`` says of a phase's selection: nothing new to mail, and the superseded VINs."""
    later = len(selection.superseded)
    if not selection.pieces:
        extra = f", {later:,} superseded (they already have a letter of a later stage)" if later else ""
        return [f"phase {phase} ({stage}): nothing new to mail: {selection.eligible:,} eligible, "
                f"{selection.already_mailed:,} already in the ledger{extra}"]  # fmt: skip
    if later:
        return [f"phase {phase} ({stage}): {later:,} superseded: they have a later stage's letter, so get none of "
                "this one (rejects.csv)"]  # fmt: skip
    return []
