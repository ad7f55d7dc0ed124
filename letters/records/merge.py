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

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from letters.campaign import Campaign
from letters.eligibility import coverage_of
from letters.records import check
from letters.records.model import Owner, Piece, Rejection, Source, Vehicle, outcome_names
from letters.records.parse import RowParser
from letters.records.table import LINE

__all__ = ["Piece", "Reconciliation", "outcome_names", "reconcile"]


REPORT_SCHEMA: dict[str, Any] = {
    "file": pl.String, LINE: pl.Int64, "kind": pl.String, "vin": pl.String, "outcome": pl.String, "reason": pl.String,
}  # fmt: skip
_VEHICLE_COLUMNS = ["vin", "model", "model_year", "production_date", "location"]
_OWNER_COLUMNS = ["name", "name2", "urbanization", "address1", "address2", "city", "state", "zip", "language",
                  "email", "lessor"]  # fmt: skip


@dataclass
class Reconciliation:
    """Where every record went: letters and reported rows as tables, Python records on demand."""

    as_of: date
    """Date phases were judged available."""
    files: tuple[str, ...]
    """Input files: vehicles, owners."""
    records_read: int = 0
    """Rows read from both files."""
    outcomes: Counter[str] = field(default_factory=Counter)
    """Outcome -> rows."""
    letters: pl.DataFrame = field(default_factory=pl.DataFrame)
    """One row per letter (vehicle and addressee columns, ``v_line``, ``owner_lines``, ``phase``,
    ``available``), in no particular order (``pieces`` are in vehicle file order)."""
    rejections: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REPORT_SCHEMA))
    """One row per record not part of a letter (``REPORT_SCHEMA``), by file and line."""
    not_covered_reasons: Counter[str] = field(default_factory=Counter)
    """Why vehicles were not covered, by reason."""
    covered: Counter[int] = field(default_factory=Counter)
    """Covered vehicles per phase, with or without an owner."""
    value_names: tuple[str, ...] = ()
    """The campaign's declared columns and computed values, columns of ``letters`` (``Vehicle.values``)."""
    warnings: tuple[str, ...] = ()
    """What the records say that the campaign does not read (undeclared vehicle columns)."""
    uncovered_repairs: frozenset[str] = frozenset()
    """VINs of the completed repairs given that are no covered vehicle in the vehicle file."""

    @cached_property
    def pieces(self) -> list[Piece]:
        """Every letter, available and pending, in vehicle file order."""
        return list(self._pieces_of(self.letters))

    def pieces_in(self, phase: int) -> list[Piece]:
        """The letters of one phase, in vehicle file order."""
        return list(self._pieces_of(self.letters.filter(pl.col("phase") == phase)))

    @cached_property
    def reported(self) -> list[Rejection]:
        """Every row not part of a letter, with its reason, by file and line."""
        return [
            Rejection(Source(file, line), kind, vin, outcome, reason)
            for file, line, kind, vin, outcome, reason in self.rejections.iter_rows()
        ]

    def _pieces_of(self, letters: pl.DataFrame) -> Iterator[Piece]:
        vfile, ofile = self.files
        names = self.value_names
        columns = [*_VEHICLE_COLUMNS, "v_line", *_OWNER_COLUMNS, "owner_lines", "phase", "available", *names]
        for row in letters.select(columns).sort("v_line").iter_rows():
            (vin, model, year, built, location, vline, name, name2, urb, street, unit, city, state, zip_code, lang,
             email, lessor, lines, phase, available) = row[:20]  # fmt: skip
            values = tuple(zip(names, row[20:], strict=True))
            sources = tuple(Source(ofile, line) for line in lines)
            yield Piece(
                Vehicle(vin, model, year, built, location, Source(vfile, vline), values),
                _owner((vin, name, name2, urb, street, unit, city, state, zip_code, lang, email, lessor), sources[0]),
                sources,
                phase,
                available,
            )


def ignored_columns(parser: RowParser, vehicles: Path) -> list[str]:
    """A warning per vehicle-file column the campaign neither has built in nor declares."""
    import csv

    from letters.records.csvio import header_key
    from letters.records.parse import undeclared

    try:
        with vehicles.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # the records stage has already said what is wrong with the file
    columns = [parser.aliases.get(header_key(h), header_key(h)) for h in header]
    return [f"{vehicles}: column {name!r} is not one the campaign reads (declare it in [vehicles.columns] "
            "to use it); ignored" for name in undeclared(columns, parser.aliases, header)]  # fmt: skip


def reconcile(campaign: Campaign, vehicles: Path, owners: Path, as_of: date,
              repaired: Mapping[str, date] | None = None) -> Reconciliation:  # fmt: skip
    """Read, validate, merge and phase both files; every row ends in one outcome.

    ``repaired`` (VIN -> repair date, from dealers' completed repairs) takes covered
    vehicles repaired on or before ``as_of`` out of the mailing as ``repaired``.
    """
    parser = RowParser(campaign)
    vname, oname = str(vehicles), str(owners)
    vcheck = check.vehicle_file(parser, vehicles)
    parts = check.owner_parts(parser, owners)
    rec = Reconciliation(as_of, (vname, oname), records_read=vcheck.rows + sum(p.rows for p in parts),
                         value_names=parser.value_names, warnings=tuple(ignored_columns(parser, vehicles)))  # fmt: skip
    reports = _Reports(vname, oname)
    reports.add("vehicle", "rejected_vehicle", vcheck.rejected.select(LINE, pl.col("given_vin").alias("vin"), "reason"))
    for part in parts:
        reports.add("owner", "rejected_owner", part.rejected.select(LINE, pl.col("given_vin").alias("vin"), "reason"))
    chunks = [part.valid for part in parts]
    del parts
    kept, conflicting = _one_row_per_vin(vcheck.valid, reports, parser.value_names)
    rejected_vins = vcheck.rejected.get_column("given_vin").str.to_uppercase()
    del vcheck  # only what the merge keeps stays in memory
    kept = _assess(campaign, kept, as_of, repaired or {})
    if repaired:
        listed = pl.Series("vin", list(repaired), pl.String)
        covered_vins = kept.filter(pl.col("covered")).get_column("vin")
        rec.uncovered_repairs = frozenset(listed.filter(~listed.is_in(covered_vins.implode())).to_list())
    for reason, count in kept.filter(~pl.col("covered")).get_column("reason").value_counts(sort=True).iter_rows():
        rec.not_covered_reasons[reason] = count
    for phase, count in kept.filter(pl.col("covered")).get_column("phase").value_counts().iter_rows():
        rec.covered[phase] = count

    # Whether a VIN has several owner rows, and a vehicle any: one hash pass each, where a
    # count per VIN would group and join every row.
    # The owner rows stay in their chunks: each becomes its letters in turn (below), so the
    # owners and the letters made of them are not both held whole.
    owned = pl.concat([chunk.select("vin", LINE) for chunk in chunks], rechunk=False)
    owned = owned.with_columns(pl.col("vin").is_duplicated().alias("_several"))
    kept = kept.with_columns(pl.col("vin").is_in(owned.get_column("vin").implode()).alias("_owned"))
    status = (
        pl.when(~pl.col("covered")).then(pl.lit("not_covered"))
        .when(pl.col("fixed").is_not_null()).then(pl.lit("repaired"))
        .when(~pl.col("_owned")).then(pl.lit("no_owner"))
        .otherwise(pl.lit("mail"))
    )  # fmt: skip
    kept = kept.with_columns(status.alias("status"))
    fixed = pl.col("fixed").dt.to_string("%Y-%m-%d")
    reports.add("vehicle", None, kept.filter(pl.col("status") != "mail").select(
        LINE, "vin", pl.col("status").alias("outcome"),
        pl.when(pl.col("status") == "not_covered").then(pl.col("reason"))
        .when(pl.col("status") == "repaired").then(pl.lit("remedy completed ") + fixed)
        .otherwise(pl.lit("covered (phase ") + pl.col("phase").cast(pl.String) + ") but no valid owner record")
        .alias("reason"),
    ))  # fmt: skip

    vehicle: list[str | pl.Expr] = [*_VEHICLE_COLUMNS[1:], *parser.value_names, pl.col(LINE).alias("v_line")]
    # Lazily, so that no owner table as wide as a letter is made but the letters themselves:
    # each owner row's vehicle status from a narrow join, the letters from an inner join.
    status_of = owned.lazy().select("vin", LINE).join(kept.lazy().select("vin", "status", "reason", "fixed"),
                                                      on="vin", how="left", maintain_order="left")  # fmt: skip
    not_mailed = (
        pl.when(pl.col("status") == "not_covered").then(pl.lit("vehicle is not covered: ") + pl.col("reason"))
        .when(pl.col("status") == "repaired").then(pl.lit("the vehicle was repaired ") + fixed)
        .when(pl.col("vin").is_in(conflicting.implode())).then(pl.lit("its vehicle rows conflict"))
        .when(pl.col("vin").is_in(rejected_vins.implode())).then(pl.lit("its vehicle record was rejected"))
    )  # fmt: skip
    unmailed = status_of.filter(pl.col("status").is_null() | pl.col("status").is_in(["not_covered", "repaired"]))
    reports.add("owner", None, unmailed.select(
        LINE, "vin", pl.when(not_mailed.is_null()).then(pl.lit("owner_without_vehicle"))
        .otherwise(pl.lit("owner_not_mailed")).alias("outcome"),
        not_mailed.fill_null(pl.lit("no vehicle record has this VIN")).alias("reason"),
    ).collect())  # fmt: skip

    to_mail = kept.filter(pl.col("status") == "mail").select("vin", "phase", *vehicle)
    del kept
    outcome_of = {p.number: p.available(as_of) for p in campaign.phases}
    columns = [*_VEHICLE_COLUMNS, *parser.value_names, "v_line", *_OWNER_COLUMNS, "owner_lines", "phase"]
    available = pl.col("phase").replace_strict(outcome_of, return_dtype=pl.Boolean).alias("available")
    # Each owner row's letter vehicle (a row of ``to_mail``), by one narrow join.
    target = owned.lazy().join(to_mail.lazy().select("vin").with_row_index("_m"), on="vin", how="left",
                               maintain_order="left").select("_m", "_several").collect()  # fmt: skip
    del owned
    pieces: list[pl.DataFrame] = []
    several: list[pl.DataFrame] = []
    start = 0
    while chunks:
        chunk = chunks.pop(0)
        here = target.slice(start, chunk.height)
        start += chunk.height
        mailed = here.get_column("_m").is_not_null()
        alone = mailed & ~here.get_column("_several")
        several.append(chunk.filter(mailed & here.get_column("_several")))
        owner = chunk.filter(alone).select(*_OWNER_COLUMNS, pl.concat_list(LINE).alias("owner_lines"))
        del chunk
        vehicle_of = to_mail.gather(here.get_column("_m").filter(alone))
        pieces.append(pl.concat([vehicle_of, owner], how="horizontal").select(*columns, available))
    chosen = _choose_all(pl.concat(several).sort(LINE), oname, reports, rec)
    if chosen.height:
        chosen = chosen.lazy().join(to_mail.lazy(), on="vin", how="inner").select(*columns, available).collect()
        pieces.append(chosen)
    # Not sorted here: a sort copies every column; ``pieces`` puts each phase in file order.
    letters = pl.concat(pieces, rechunk=False)
    rec.letters = letters
    if letters.height:
        rec.outcomes["addressee"] += letters.height
    for phase, available, count in letters.group_by("phase", "available").len().iter_rows():
        rec.outcomes[f"mailable_phase_{phase}" if available else f"pending_phase_{phase}"] += count
    rec.rejections = reports.table()
    for outcome, count in rec.rejections.get_column("outcome").value_counts().iter_rows():
        rec.outcomes[outcome] += count
    return rec


class _Reports:
    """Rejected and unmailed rows, gathered as tables and ordered by file and line once."""

    def __init__(self, vehicles: str, owners: str) -> None:
        self.files = {"vehicle": vehicles, "owner": owners}
        self.parts: list[pl.DataFrame] = []
        self.rows: list[tuple[str, int, str, str, str, str]] = []

    def add(self, kind: str, outcome: str | None, rows: pl.DataFrame) -> None:
        """``rows`` (line, vin, reason, and outcome when ``outcome`` is None) as rejections of ``kind``."""
        columns = [pl.lit(self.files[kind]).alias("file"), LINE, pl.lit(kind).alias("kind"), "vin",
                   pl.lit(outcome).alias("outcome") if outcome else "outcome", "reason"]  # fmt: skip
        self.parts.append(rows.select(columns).cast(REPORT_SCHEMA))  # type: ignore[arg-type]

    def one(self, kind: str, line: int, vin: str, outcome: str, reason: str) -> None:
        self.rows.append((self.files[kind], line, kind, vin, outcome, reason))

    def table(self) -> pl.DataFrame:
        parts = [*self.parts, pl.DataFrame(self.rows, schema=REPORT_SCHEMA, orient="row")]
        order = pl.col("kind").replace_strict({"vehicle": 0, "owner": 1}, return_dtype=pl.Int8)
        return pl.concat(parts).sort(order, LINE)


def _one_row_per_vin(valid: pl.DataFrame, reports: _Reports,
                     names: tuple[str, ...] = ()) -> tuple[pl.DataFrame, pl.Series]:  # fmt: skip
    """(the first row of each VIN whose rows agree, the VINs whose rows conflict); the others reported.

    Only the rows of repeated VINs (few) are grouped, in file order; ``valid`` may be in any order.
    """
    repeated = valid.get_column("vin").is_duplicated()
    if not repeated.any():  # the usual case: nothing to group, nothing copied
        return valid, pl.Series("vin", [], pl.String)
    several = valid.filter(repeated).sort(LINE)
    data = pl.struct("model", "model_year", "production_date", "location", *names)
    several = several.with_columns(
        pl.col(LINE).first().over("vin").alias("_first"),
        data.n_unique().over("vin").alias("_versions"),
    )
    repeats = several.filter(pl.col("_first") != pl.col(LINE))
    reports.add("vehicle", "duplicate_vehicle", repeats.filter(pl.col("_versions") == 1).select(
        LINE, "vin", (pl.lit("repeats line ") + pl.col("_first").cast(pl.String)).alias("reason")))  # fmt: skip
    clash = several.filter(pl.col("_versions") > 1)
    lines = pl.col(LINE).cast(pl.String).str.join(", ").over("vin")
    reports.add("vehicle", "conflicting_vehicle", clash.select(
        LINE, "vin", (pl.lit("VIN has conflicting vehicle rows (lines ") + lines + ")").alias("reason")))  # fmt: skip
    first = several.filter((pl.col("_versions") == 1) & (pl.col("_first") == pl.col(LINE)))
    kept = pl.concat([valid.filter(~repeated), first.drop("_first", "_versions")], rechunk=False)
    return kept, clash.get_column("vin").unique()


def _assess(campaign: Campaign, kept: pl.DataFrame, as_of: date, repaired: Mapping[str, date]) -> pl.DataFrame:
    """``kept`` with coverage (``covered``, ``phase``, ``reason``) and ``fixed`` (repaired on or before ``as_of``)."""
    kept = coverage_of(campaign).assess_table(kept)
    done = {vin: when for vin, when in repaired.items() if when <= as_of}
    if not done:
        return kept.with_columns(pl.lit(None, pl.Date).alias("fixed"))
    table = pl.DataFrame({"vin": list(done), "fixed": list(done.values())}, schema={"vin": pl.String,
                                                                                     "fixed": pl.Date})  # fmt: skip
    kept = kept.join(table, on="vin", how="left", maintain_order="left")
    return kept.with_columns(pl.when(pl.col("covered")).then(pl.col("fixed")).alias("fixed"))


def _owner(values: tuple[Any, ...], source: Source) -> Owner:
    """An owner from a row of the owner columns (vin, then ``_OWNER_COLUMNS``)."""
    vin, name, name2, urb, street, unit, city, state, zip_code, lang, email, lessor = values
    return Owner(vin, (name, name2) if name2 else (name,), (urb, street, unit), city, state, zip_code, lang, email,
                 lessor, source)  # fmt: skip


def _choose_all(rows: pl.DataFrame, file: str, reports: _Reports, rec: Reconciliation) -> pl.DataFrame:
    """The addressee of each VIN with several owner rows (row by row: such VINs are few)."""
    import pyarrow as pa

    groups: dict[str, list[Owner]] = {}
    for values in rows.select("vin", *_OWNER_COLUMNS, LINE).iter_rows():
        owner = _owner(values[:-1], Source(file, values[-1]))
        group = groups.get(owner.vin)
        if group is None:
            groups[owner.vin] = [owner]
        else:
            group.append(owner)
    chosen: list[tuple[Any, ...]] = []
    lines: list[int] = []
    offsets = [0]
    for group in groups.values():
        addressee, sources = _choose_addressee(rec, reports, group)
        names = addressee.names
        chosen.append((addressee.vin, names[0], names[1] if len(names) > 1 else "", *addressee.address,
                       addressee.city, addressee.state, addressee.zip, addressee.language, addressee.email,
                       addressee.lessor))  # fmt: skip
        lines.extend(s.line for s in sources)
        offsets.append(len(lines))
    schema: dict[str, Any] = {"vin": pl.String, **{c: pl.String for c in _OWNER_COLUMNS[:-1]}, "lessor": pl.Boolean}
    table = pl.DataFrame(chosen, schema=schema, orient="row")
    # The lines as one list column from flat values and offsets: a Series of Python lists costs 25 us a row.
    owner_lines = pl.from_arrow(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(lines, pa.int64())))
    assert isinstance(owner_lines, pl.Series)
    return table.with_columns(owner_lines.cast(pl.List(pl.Int64)).alias("owner_lines"))


def _choose_addressee(rec: Reconciliation, reports: _Reports, group: list[Owner]) -> tuple[Owner, tuple[Source, ...]]:
    """Pick the letter's addressee among a VIN's owner rows, accounting for every row."""
    addressee = next((o for o in group if not o.lessor), group[0])
    seen: list[Owner] = [addressee]
    names = list(addressee.names)
    sources = [addressee.source]
    for owner in group:
        if owner is addressee:
            continue
        original = next((s for s in seen if s.same_as(owner)), None)
        if original is not None:
            why = f"repeats line {original.source.line}"
            reports.one("owner", owner.source.line, owner.vin, "duplicate_owner", why)
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
            rec.outcomes["co_owner"] += 1
        else:
            why = (
                "another owner at this address already fills both name lines"
                if same_place
                else (f"the letter for this VIN goes to line {addressee.source.line} at another address")
            )
            reports.one("owner", owner.source.line, owner.vin, "other_owner", why)
    if len(names) != len(addressee.names):
        addressee = addressee._replace(names=tuple(names))
    return addressee, tuple(sources)
