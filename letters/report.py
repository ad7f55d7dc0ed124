"""What ``letters check`` and ``letters lookup`` report, built from the records and chart."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.dates import format_date

from letters import paths
from letters import vin as vins
from letters.campaign import Campaign, load_campaign
from letters.campaign.brands import choose
from letters.eligibility import coverage_of
from letters.errors import OutputError, UsageError
from letters.kinds import Words
from letters.records import outcome_names, reconcile
from letters.records.csvio import read_rows
from letters.records.model import Vehicle
from letters.records.parse import RowParser
from letters.write import csv_bytes

if TYPE_CHECKING:
    from letters.records import Reconciliation


def human_month(d: date | None, locale: str = "en_US") -> str:
    """ "December 2022", through Babel."""
    return format_date(d, "MMMM y", locale=locale) if d else ""


REJECTS_HEADER = ["source_file", "line", "record", "vin", "outcome", "reason"]


def default_lists(code: str) -> tuple[Path, Path]:
    """The bundled vehicle and owner files of campaign ``code`` (mailing_lists/CODE/)."""
    folder = paths.mailing_lists_dir() / code
    found = []
    for kind in ("vehicles", "owners"):
        matches = sorted(folder.glob(f"*{kind}*.csv"))
        if len(matches) != 1:
            raise UsageError(
                f"expected one *{kind}*.csv in {folder}, found {len(matches)}; "
                f"give --vehicles and --owners (or run 'letters sample-data {code} -o {folder}')"
            )
        found.append(matches[0])
    return found[0], found[1]


def resolve_lists(code: str, vehicles: Path | None, owners: Path | None) -> tuple[Path, Path]:
    """Both files as given, or the bundled ones when neither is."""
    if vehicles is None and owners is None:
        return default_lists(code)
    if vehicles is None or owners is None:
        raise UsageError("give both --vehicles and --owners, or neither to use the bundled lists")
    return vehicles, owners


@dataclass(frozen=True)
class CheckReport:
    """The reconciliation of one run of ``letters check``."""

    campaign: Campaign
    reconciliation: Reconciliation
    rejects: Path | None

    def as_json(self) -> dict[str, Any]:
        rec = self.reconciliation
        names = outcome_names(self.campaign)
        return {
            "campaign": self.campaign.code,
            "as_of": rec.as_of.isoformat(),
            "files": list(rec.files),
            "records_read": rec.records_read,
            "outcomes": {name: rec.outcomes.get(name, 0) for name in names},
            "letters": rec.letter_count,
            "letters_available": sum(n for k, n in rec.outcomes.items() if k.startswith("mailable_phase_")),
            "phases": [
                {
                    "phase": p.number,
                    "covered": rec.covered.get(p.number, 0),
                    "mailable": rec.outcomes.get(f"mailable_phase_{p.number}", 0),
                    "pending": rec.outcomes.get(f"pending_phase_{p.number}", 0),
                    "campaign_approx": p.vehicles,
                    "available": p.available(rec.as_of),
                    "nhtsa_number": self.campaign.nhtsa_for(p.number) or None,
                }
                for p in self.campaign.phases
            ],
            "not_covered_reasons": dict(rec.not_covered_reasons.most_common()),
            "rejects_file": str(self.rejects) if self.rejects else None,
            "vehicle_values": self.vehicle_values(),
            "warnings": list(rec.warnings),
        }

    def vehicle_values(self) -> dict[str, dict[str, Any]]:
        """Each declared column and computed value: its type, title, and range over the letters."""
        import polars as pl

        c = self.campaign
        letters = self.reconciliation.letters
        specs: dict[str, tuple[str, str, str]] = {
            **{n: ("column", col.type, col.title or n) for n, col in c.vehicles.columns.items()},
            **{n: ("computed", v.type, v.title or n) for n, v in c.vehicles.computed.items()},
        }
        out: dict[str, dict[str, Any]] = {}
        present = [n for n in specs if n in letters.collect_schema().names()]
        # One pass over the letters (which may be on disk) for every column's count and range.
        ranges = letters.select(
            *(
                e
                for n in present
                for e in (
                    pl.col(n).count().alias(f"{n}.n"),
                    pl.col(n).min().alias(f"{n}.min"),
                    pl.col(n).max().alias(f"{n}.max"),
                )
            )
        ).collect()
        for name, (source, kind, title) in specs.items():
            filled = int(ranges.get_column(f"{name}.n")[0]) if name in present else 0
            low = ranges.get_column(f"{name}.min")[0] if filled and kind != "boolean" else None
            high = ranges.get_column(f"{name}.max")[0] if filled and kind != "boolean" else None
            out[name] = {"source": source, "type": kind, "title": title, "letters_with_value": filled,
                         "min": _plain(low), "max": _plain(high)}  # fmt: skip
        return out


def _plain(value: Any) -> Any:
    """A value as JSON writes it (dates as YYYY-MM-DD)."""
    return value.isoformat() if isinstance(value, date) else value


def check_records(
    code: str, vehicles: Path | None, owners: Path | None, as_of: date | None, rejects: Path | None,
    revision: str | None = None,
) -> CheckReport:  # fmt: skip
    """``letters check``: reconcile the files; write every unmailed record to ``rejects``."""
    campaign = load_campaign(code, as_of=as_of, revision=revision).campaign
    vpath, opath = resolve_lists(code, vehicles, owners)
    rec = reconcile(campaign, vpath, opath, as_of or campaign.revision.date)
    if rejects is not None:
        write_rejects(rec, rejects)
    return CheckReport(campaign, rec, rejects)


def write_rejects(rec: Reconciliation, target: Path) -> None:
    """One CSV row per record that is not part of a letter, with its reason; cells safe to open (``safe_cell``)."""
    rows = ([r.source.file, r.source.line, r.kind, r.vin, r.outcome, r.reason] for r in rec.reported)
    data = csv_bytes(REJECTS_HEADER, rows)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    except OSError as exc:
        raise OutputError.from_os(target, exc) from None


@dataclass(frozen=True)
class LookupResult:
    """What a dealer's VIN lookup shows."""

    vin: str
    """The VIN looked up."""
    covered: bool
    """Covered by the campaign."""
    reason: str
    """Why not covered (empty when covered)."""
    vehicle: Vehicle | None
    """The vehicle record, when there is one."""
    phase: int | None
    """Phase of a covered vehicle."""
    available: bool
    """Remedy available as of the date."""
    estimate: date | None
    """Estimated announcement month while not available."""
    mailing: date | None
    """Owner letter mailing month of the phase."""
    as_of: date | None = None
    """The date the lookup was judged as of (``--as-of``, else the revision's date)."""
    valid: bool = True
    """False when ``vin`` is not a VIN at all; ``reason`` says why."""
    brand: str = ""
    """Display name of the vehicle's brand."""
    brand_name: str = ""
    """Short name of the vehicle's brand."""
    titles: tuple[tuple[str, str], ...] = ()
    """(name, title) of each declared column and computed value, as the line prints them."""
    words: Words = field(default_factory=Words)
    """The campaign's kind's words (remedy available, coverage in effect...)."""
    nhtsa_number: str = ""
    """The NHTSA recall number the vehicle's phase is under."""

    def describe(self) -> str:
        """One line for a person."""
        v = self.vehicle
        if not self.valid:
            return f"{self.vin}: not a valid VIN: {self.reason}"
        if not self.covered or v is None:
            return f"{self.vin}: not covered: {self.reason}"
        w = self.words
        timing = w.available if self.available else f"{w.estimated} {human_month(self.estimate)}"
        mailing = f"; {w.mailing} {human_month(self.mailing)}" if self.mailing else ""
        brand = f"{self.brand} " if self.brand else ""
        values = dict(v.values)
        extra = "".join(f"; {title} {_printed(values.get(name))}" for name, title in self.titles)
        recall = f" (NHTSA {self.nhtsa_number})" if self.nhtsa_number else ""
        return (
            f"{self.vin}: covered: {v.model_year} {brand}{v.model} built {human_month(v.production_date)} "
            f"in {v.location}{extra}; phase {self.phase}{recall}; {timing}{mailing}"
        )

    def as_json(self) -> dict[str, Any]:
        v = self.vehicle
        return {
            "vin": self.vin,
            "valid": self.valid,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "covered": self.covered,
            "reason": self.reason or None,
            "model": v.model if v else None,
            "model_year": v.model_year if v else None,
            "location": v.location if v else None,
            "production_month": v.production_date.strftime("%Y-%m") if v else None,
            "phase": self.phase,
            "remedy_available": self.available if self.covered else None,
            "estimated_announcement": self.estimate.strftime("%Y-%m") if self.estimate else None,
            "owner_letter_mailing": self.mailing.strftime("%Y-%m") if self.mailing else None,
            "brand": self.brand_name or None,
            "nhtsa_number": self.nhtsa_number or None,
            "values": {name: _plain(value) for name, value in v.values} if v else {},
        }


def _printed(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value.isoformat() if isinstance(value, date) else str(value)


def find_vehicles(campaign: Campaign, vehicles: Path, wanted: set[str]) -> dict[str, Vehicle]:
    """Valid vehicle records of the ``wanted`` VINs in ``vehicles`` (first valid row wins)."""
    parser = RowParser(campaign)
    found: dict[str, Vehicle] = {}
    for row in read_rows(vehicles, parser.aliases, parser.required):
        if vins.normalise(row.values.get("vin", "")) in wanted:
            result = parser.vehicle(row, str(vehicles))
            if isinstance(result, Vehicle) and result.vin not in found:
                found[result.vin] = result
    return found


def lookup_vins(code: str, raw_vins: list[str], vehicles: Path | None, as_of: date | None,
                revision: str | None = None) -> list[LookupResult]:  # fmt: skip
    """``letters lookup``: coverage, phase and timing of each VIN, in the order given.

    A string that is not a VIN gets a result too (``valid`` false, ``reason`` saying why), so
    one typo does not hide the answers for the others.
    """
    campaign = load_campaign(code, as_of=as_of, revision=revision).campaign
    when = as_of or campaign.revision.date
    parsed: list[str | LookupResult] = []
    for raw in raw_vins:
        try:
            parsed.append(vins.parse(raw).value)
        except vins.VinError as exc:
            parsed.append(LookupResult(raw, False, str(exc), None, None, False, None, None, when, valid=False))
    vpath = vehicles or default_lists(code)[0]
    wanted = {value for value in parsed if isinstance(value, str)}
    found = find_vehicles(campaign, vpath, wanted) if wanted else {}
    chart = coverage_of(campaign)
    when = as_of or campaign.revision.date
    words = campaign.spoken_words()
    declared = [(n, c.title) for n, c in campaign.vehicles.columns.items()]
    titles = tuple((n, t or n) for n, t in [*declared, *((n, c.title) for n, c in campaign.vehicles.computed.items())])
    results = []
    for value in parsed:
        if isinstance(value, LookupResult):
            results.append(value)
            continue
        vehicle = found.get(value)
        if vehicle is None:
            results.append(
                LookupResult(
                    value, False, f"no vehicle record for this VIN in {vpath}", None, None, False, None, None, when
                )
            )
            continue
        verdict = chart.assess(
            vehicle.vin, vehicle.model, vehicle.location, vehicle.model_year, vehicle.production_date
        )
        if not verdict.covered or verdict.phase is None:
            results.append(LookupResult(value, False, verdict.reason, vehicle, None, False, None, None, when))
            continue
        status = chart.status(verdict.phase, when)
        brand = choose(campaign.brand_list, vehicle.vin, campaign.brand_column, dict(vehicle.values))
        shown = brand.display if len(campaign.brand_list) > 1 else ""
        results.append(LookupResult(value, True, "", vehicle, verdict.phase, status.available, status.estimate,
                                    status.mailing, when, brand=shown, brand_name=brand.name, titles=titles,
                                    words=words, nhtsa_number=campaign.nhtsa_for(verdict.phase)))  # fmt: skip
    return results
