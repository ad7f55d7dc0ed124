"""Merging vehicles and owners by VIN, and the reconciliation every record ends in.

Every row of both files ends in exactly one outcome (see ``OUTCOMES``); the counts add up
to the rows read. Rules (documented in the README):

- A vehicle VIN repeated with identical data: the first row counts, the others are
  ``duplicate_vehicle``. Repeated with different data: every row of that VIN is
  ``conflicting_vehicle`` (nobody can tell which is right, so none is mailed).
- Several owner rows on one VIN: one letter per VIN. The addressee is the first
  non-lessor row (a lessee drives the car), else the first row. Another row at the same
  address adds its name to the letter (``co_owner``, two name lines at most); a row at
  another address is reported (``other_owner``). A row identical to an earlier one is
  ``duplicate_owner``.
- One owner with several VINs gets one letter per VIN.
- A covered vehicle without a valid owner row is ``no_owner``; an owner row whose VIN
  has no vehicle row is ``owner_without_vehicle``; an owner of a vehicle that is not
  covered, rejected or conflicting is ``owner_not_mailed``.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from letters.campaign import Campaign
from letters.eligibility import coverage_of
from letters.records.csvio import read_rows
from letters.records.model import Owner, Rejection, Source, Vehicle
from letters.records.parse import OWNER_COLUMNS, OWNER_REQUIRED, VEHICLE_COLUMNS, VEHICLE_REQUIRED, RowParser


def outcome_names(campaign: Campaign) -> list[str]:
    """Every outcome a record can end in, in report order."""
    phases = [p.number for p in campaign.phases]
    return [
        *(f"mailable_phase_{n}" for n in phases),
        *(f"pending_phase_{n}" for n in phases),
        "repaired",
        "not_covered",
        "no_owner",
        "rejected_vehicle",
        "duplicate_vehicle",
        "conflicting_vehicle",
        "addressee",
        "co_owner",
        "other_owner",
        "duplicate_owner",
        "rejected_owner",
        "owner_without_vehicle",
        "owner_not_mailed",
    ]


class Piece(NamedTuple):
    """One future letter: a covered vehicle and the owner it goes to."""

    vehicle: Vehicle
    """The covered vehicle."""
    owner: Owner
    """Addressee (co-owner names merged in)."""
    owner_sources: tuple[Source, ...]
    """Owner rows that make up the letter: the addressee's, then co-owners'."""
    phase: int
    """Phase of the vehicle."""
    available: bool
    """Remedy available as of the reconciliation date."""


@dataclass
class Reconciliation:
    """Where every record went."""

    as_of: date
    """Date phases were judged available."""
    files: tuple[str, ...]
    """Input files."""
    records_read: int = 0
    """Rows read from both files."""
    outcomes: Counter[str] = field(default_factory=Counter)
    """Outcome -> rows."""
    pieces: list[Piece] = field(default_factory=list)
    """Letters: available and pending, in vehicle file order."""
    reported: list[Rejection] = field(default_factory=list)
    """Every row not part of a letter, with its reason."""
    not_covered_reasons: Counter[str] = field(default_factory=Counter)
    """Why vehicles were not covered, by reason."""
    covered: Counter[int] = field(default_factory=Counter)
    """Covered vehicles per phase, with or without an owner."""

    def add(self, outcome: str, n: int = 1) -> None:
        self.outcomes[outcome] += n

    def report(self, rejection: Rejection) -> None:
        self.outcomes[rejection.outcome] += 1
        self.reported.append(rejection)


def _vehicle_rejection(source: Source, vin: str, outcome: str, reason: str) -> Rejection:
    return Rejection(source, "vehicle", vin, outcome, reason)


def _owner_rejection(source: Source, vin: str, outcome: str, reason: str) -> Rejection:
    return Rejection(source, "owner", vin, outcome, reason)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during a bulk load.

    Records are acyclic tuples that reference counting frees; left on, the collector
    rescans the growing heap over and over, which cost a quarter of a 214,000-vehicle run.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reconcile(campaign: Campaign, vehicles: Path, owners: Path, as_of: date,
              repaired: Mapping[str, date] | None = None) -> Reconciliation:  # fmt: skip
    """Read, validate, merge and phase both files; every row ends in one outcome.

    ``repaired`` (VIN -> repair date, from dealers' completed repairs) takes covered
    vehicles repaired on or before ``as_of`` out of the mailing as ``repaired``.
    """
    with _no_cyclic_gc():
        return _reconcile(campaign, vehicles, owners, as_of, repaired or {})


def _reconcile(campaign: Campaign, vehicles: Path, owners: Path, as_of: date,
               repaired: Mapping[str, date]) -> Reconciliation:  # fmt: skip
    parser = RowParser(campaign)
    chart = coverage_of(campaign)
    rec = Reconciliation(as_of, (str(vehicles), str(owners)))

    vname, oname = str(vehicles), str(owners)
    outcome_of = {
        p.number: f"mailable_phase_{p.number}" if p.available(as_of) else f"pending_phase_{p.number}"
        for p in campaign.phases
    }
    by_vin: dict[str, list[Vehicle]] = {}
    for row in read_rows(vehicles, VEHICLE_COLUMNS, VEHICLE_REQUIRED):
        rec.records_read += 1
        result = parser.vehicle(row, vname)
        if isinstance(result, Vehicle):
            by_vin.setdefault(result.vin, []).append(result)
        else:
            src = Source(vname, row.line)
            rec.report(
                _vehicle_rejection(src, row.values.get("vin", "").strip(), "rejected_vehicle", "; ".join(result))
            )

    kept: dict[str, Vehicle] = {}
    unmailable: dict[str, str] = {}  # VIN -> why its owners get no letter
    for vin, rows in by_vin.items():
        first = rows[0]
        if all(r.same_as(first) for r in rows[1:]):
            kept[vin] = first
            for dup in rows[1:]:
                rec.report(
                    _vehicle_rejection(dup.source, vin, "duplicate_vehicle", f"repeats line {first.source.line}")
                )
        else:
            lines = ", ".join(str(r.source.line) for r in rows)
            for r in rows:
                rec.report(
                    _vehicle_rejection(
                        r.source, vin, "conflicting_vehicle", f"VIN has conflicting vehicle rows (lines {lines})"
                    )
                )
            unmailable[vin] = "its vehicle rows conflict"

    owners_by_vin: dict[str, list[Owner]] = {}
    for row in read_rows(owners, OWNER_COLUMNS, OWNER_REQUIRED):
        rec.records_read += 1
        parsed = parser.owner(row, oname, by_vin)
        if isinstance(parsed, Owner):
            owners_by_vin.setdefault(parsed.vin, []).append(parsed)
        else:
            src = Source(oname, row.line)
            rec.report(_owner_rejection(src, row.values.get("vin", "").strip(), "rejected_owner", "; ".join(parsed)))

    for vin, vehicle in kept.items():
        verdict = chart.assess(
            vehicle.vin, vehicle.model, vehicle.location, vehicle.model_year, vehicle.production_date
        )
        group = owners_by_vin.pop(vin, [])
        if not verdict.covered or verdict.phase is None:
            rec.not_covered_reasons[verdict.reason] += 1
            rec.report(_vehicle_rejection(vehicle.source, vin, "not_covered", verdict.reason))
            _report_owners(rec, group, "owner_not_mailed", "vehicle is not covered: " + verdict.reason)
            continue
        rec.covered[verdict.phase] += 1
        fixed = repaired.get(vin)
        if fixed is not None and fixed <= as_of:
            rec.report(_vehicle_rejection(vehicle.source, vin, "repaired", f"remedy completed {fixed.isoformat()}"))
            _report_owners(rec, group, "owner_not_mailed", f"the vehicle was repaired {fixed.isoformat()}")
            continue
        chosen = _choose_addressee(rec, group)
        if chosen is None:
            rec.report(
                _vehicle_rejection(
                    vehicle.source, vin, "no_owner", f"covered (phase {verdict.phase}) but no valid owner record"
                )
            )
            continue
        outcome = outcome_of[verdict.phase]
        available = outcome[0] == "m"
        rec.outcomes[outcome] += 1
        addressee, sources = chosen
        rec.pieces.append(Piece(vehicle, addressee, sources, verdict.phase, available))

    rejected_vins = {r.vin.strip().upper() for r in rec.reported if r.outcome == "rejected_vehicle"}
    for vin, group in owners_by_vin.items():
        if vin in unmailable:
            _report_owners(rec, group, "owner_not_mailed", unmailable[vin])
        elif vin in rejected_vins:
            _report_owners(rec, group, "owner_not_mailed", "its vehicle record was rejected")
        else:
            _report_owners(rec, group, "owner_without_vehicle", "no vehicle record has this VIN")
    return rec


def _report_owners(rec: Reconciliation, group: Iterable[Owner], outcome: str, reason: str) -> None:
    for owner in group:
        rec.report(_owner_rejection(owner.source, owner.vin, outcome, reason))


def _choose_addressee(rec: Reconciliation, group: list[Owner]) -> tuple[Owner, tuple[Source, ...]] | None:
    """Pick the letter's addressee among a VIN's owner rows, accounting for every row."""
    if not group:
        return None
    rec.add("addressee")
    if len(group) == 1:  # the usual case
        return group[0], (group[0].source,)
    addressee = next((o for o in group if not o.lessor), group[0])
    seen: list[Owner] = [addressee]
    names = list(addressee.names)
    sources = [addressee.source]
    for owner in group:
        if owner is addressee:
            continue
        original = next((s for s in seen if s.same_as(owner)), None)
        if original is not None:
            rec.report(
                _owner_rejection(owner.source, owner.vin, "duplicate_owner", f"repeats line {original.source.line}")
            )
            continue
        seen.append(owner)
        same_place = (owner.address, owner.city, owner.state, owner.zip[:5]) == (
            addressee.address,
            addressee.city,
            addressee.state,
            addressee.zip[:5],
        )
        new_names = [n for n in owner.names if n not in names]
        if same_place and len(names) + len(new_names) <= 2:
            names.extend(new_names)
            sources.append(owner.source)
            rec.add("co_owner")
        else:
            why = (
                "another owner at this address already fills both name lines"
                if same_place
                else (f"the letter for this VIN goes to line {addressee.source.line} at another address")
            )
            rec.report(_owner_rejection(owner.source, owner.vin, "other_owner", why))
    if len(names) != len(addressee.names):
        addressee = addressee._replace(names=tuple(names))
    return addressee, tuple(sources)
