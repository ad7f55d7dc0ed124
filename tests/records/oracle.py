"""The row-at-a-time reconciliation the columnar engine replaced, kept as the oracle it is tested against.

This is the records stage as it was (Python's csv reader, ``RowParser`` on every row, dicts
for the merge), unchanged but for names. ``tests/records/test_engine.py`` runs both on the
same files and requires the same letters and the same reported rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from letters.campaign import Campaign
from letters.eligibility import coverage_of
from letters.records.csvio import read_rows
from letters.records.merge import Piece
from letters.records.model import Owner, Rejection, Source, Vehicle
from letters.records.parse import OWNER_COLUMNS, OWNER_REQUIRED, VEHICLE_COLUMNS, VEHICLE_REQUIRED, RowParser


@dataclass
class Oracle:
    """What the old engine returned."""

    as_of: date
    files: tuple[str, ...]
    records_read: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    pieces: list[Piece] = field(default_factory=list)
    reported: list[Rejection] = field(default_factory=list)
    not_covered_reasons: Counter[str] = field(default_factory=Counter)
    covered: Counter[int] = field(default_factory=Counter)

    def add(self, outcome: str, n: int = 1) -> None:
        self.outcomes[outcome] += n

    def report(self, rejection: Rejection) -> None:
        self.outcomes[rejection.outcome] += 1
        self.reported.append(rejection)


def _vehicle_rejection(source: Source, vin: str, outcome: str, reason: str) -> Rejection:
    return Rejection(source, "vehicle", vin, outcome, reason)


def _owner_rejection(source: Source, vin: str, outcome: str, reason: str) -> Rejection:
    return Rejection(source, "owner", vin, outcome, reason)


def reconcile_rows(campaign: Campaign, vehicles: Path, owners: Path, as_of: date,
               repaired: Mapping[str, date]) -> Oracle:  # fmt: skip
    parser = RowParser(campaign)
    chart = coverage_of(campaign)
    rec = Oracle(as_of, (str(vehicles), str(owners)))

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


def _report_owners(rec: Oracle, group: Iterable[Owner], outcome: str, reason: str) -> None:
    for owner in group:
        rec.report(_owner_rejection(owner.source, owner.vin, outcome, reason))


def _choose_addressee(rec: Oracle, group: list[Owner]) -> tuple[Owner, tuple[Source, ...]] | None:
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
