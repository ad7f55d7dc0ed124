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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from letters.campaign import Campaign
from letters.eligibility import Coverage, coverage_of
from letters.records import check
from letters.records.addressee import OWNER_FIELDS, choose_all, owner_of
from letters.records.model import Piece, Rejection, Source, Vehicle, outcome_names
from letters.records.parse import OWNER_COLUMNS, OWNER_REQUIRED, RowParser
from letters.records.spill import Buckets, bucket_count
from letters.records.table import LINE, map_chunks

__all__ = ["Piece", "Reconciliation", "outcome_names", "reconcile"]


REPORT_SCHEMA: dict[str, Any] = {
    "file": pl.String, LINE: pl.Int64, "kind": pl.String, "vin": pl.String, "outcome": pl.String, "reason": pl.String,
}  # fmt: skip
_VEHICLE_COLUMNS = ["vin", "model", "model_year", "production_date", "location"]
_OWNER_COLUMNS = OWNER_FIELDS


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
    letters: pl.LazyFrame = field(default_factory=pl.LazyFrame)
    """One row per letter (vehicle and addressee columns, ``v_line``, ``owner_lines``, ``phase``,
    ``available``), in no particular order (``pieces`` are in vehicle file order): in memory for a
    list of one bucket, else Arrow IPC files in ``workdir``, a file per bucket (``records.spill``)."""
    letter_count: int = 0
    """Rows of ``letters``."""
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
    workdir: Any = None
    """The temporary folder holding ``letters``' files (deleted with this object), or None."""

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

    def _pieces_of(self, letters: pl.LazyFrame) -> Iterator[Piece]:
        vfile, ofile = self.files
        names = self.value_names
        columns = [*_VEHICLE_COLUMNS, "v_line", *_OWNER_COLUMNS, "owner_lines", "phase", "available", *names]
        for row in letters.select(columns).sort("v_line").collect().iter_rows():
            (vin, model, year, built, location, vline, name, name2, urb, street, unit, city, state, zip_code, lang,
             email, lessor, lines, phase, available) = row[:20]  # fmt: skip
            values = tuple(zip(names, row[20:], strict=True))
            sources = tuple(Source(ofile, line) for line in lines)
            yield Piece(
                Vehicle(vin, model, year, built, location, Source(vfile, vline), values),
                owner_of((vin, name, name2, urb, street, unit, city, state, zip_code, lang, email, lessor), sources[0]),
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


def _read(store: Buckets, kind: str, path: Path, aliases: Mapping[str, str], required: tuple[str, ...],
          judge: Callable[[pl.DataFrame], check.Checked]) -> tuple[int, pl.DataFrame]:  # fmt: skip
    """(rows read, rejected rows) of one file, its valid rows kept in ``store`` a chunk at a time."""

    def one(chunk: pl.DataFrame) -> tuple[int, pl.DataFrame]:
        checked = judge(chunk)
        store.add(kind, checked.valid)
        return checked.rows, checked.rejected

    parts = map_chunks(path, aliases, required, one, restart=lambda: store.clear(kind))
    rejected = pl.concat([r for _, r in parts]) if parts else pl.DataFrame(schema=check.REJECT_SCHEMA)
    return sum(n for n, _ in parts), rejected


def reconcile(campaign: Campaign, vehicles: Path, owners: Path, as_of: date,
              repaired: Mapping[str, date] | None = None) -> Reconciliation:  # fmt: skip
    """Read, validate, merge and phase both files; every row ends in one outcome.

    ``repaired`` (VIN -> repair date, from dealers' completed repairs) takes covered
    vehicles repaired on or before ``as_of`` out of the mailing as ``repaired``.
    """
    parser = RowParser(campaign)
    vname, oname = str(vehicles), str(owners)
    store = Buckets(bucket_count(vehicles, owners))
    vrows, vrejected = _read(store, "vehicle", vehicles, parser.aliases, parser.required,
                             lambda chunk: check.vehicles(parser, chunk, vname))  # fmt: skip
    orows, orejected = _read(store, "owner", owners, OWNER_COLUMNS, OWNER_REQUIRED,
                             lambda chunk: check.owners(parser, chunk, oname))  # fmt: skip
    rec = Reconciliation(as_of, (vname, oname), records_read=vrows + orows, value_names=parser.value_names,
                         warnings=tuple(ignored_columns(parser, vehicles)), workdir=store.folder)  # fmt: skip
    reports = _Reports(vname, oname)
    reports.add("vehicle", "rejected_vehicle", vrejected.select(LINE, pl.col("given_vin").alias("vin"), "reason"))
    reports.add("owner", "rejected_owner", orejected.select(LINE, pl.col("given_vin").alias("vin"), "reason"))
    merge = _Merge(campaign, parser, coverage_of(campaign), as_of, repaired or {},
                   vrejected.get_column("given_vin").str.to_uppercase(), reports, rec)  # fmt: skip
    del vrejected, orejected
    parts: list[pl.DataFrame] = []
    written: list[Path] = []
    for bucket in range(store.count):
        letters = merge.bucket(store.take("vehicle", bucket), store.take("owner", bucket))
        rec.letter_count += letters.height
        if store.folder is None:
            parts.append(letters)
        else:
            written.append(store.keep_letters(bucket, letters))
        del letters  # before the next bucket is read: its strings point into this bucket's tables
    store.close()
    if store.folder is None:
        # Not sorted here: a sort copies every column; ``pieces`` puts each phase in file order.
        rec.letters = pl.concat(parts, rechunk=False).lazy()
    else:
        rec.letters = pl.scan_ipc(written)
    if repaired:
        rec.uncovered_repairs = frozenset(set(repaired) - merge.repairs_found)
    if rec.letter_count:
        rec.outcomes["addressee"] += rec.letter_count
    # One order whatever the buckets: most common first, then by name.
    rec.not_covered_reasons = Counter(dict(sorted(rec.not_covered_reasons.items(), key=lambda kv: (-kv[1], kv[0]))))
    rec.rejections = reports.table()
    for outcome, count in rec.rejections.get_column("outcome").value_counts().iter_rows():
        rec.outcomes[outcome] += count
    return rec


class _Merge:
    """The merge of one bucket of VINs at a time, adding to one ``Reconciliation``."""

    def __init__(self, campaign: Campaign, parser: RowParser, coverage: Coverage, as_of: date,
                 repaired: Mapping[str, date], rejected_vins: pl.Series, reports: _Reports,
                 rec: Reconciliation) -> None:  # fmt: skip
        self.campaign, self.parser, self.coverage, self.as_of = campaign, parser, coverage, as_of
        self.repaired, self.rejected_vins, self.reports, self.rec = repaired, rejected_vins, reports, rec
        self.repairs_found: set[str] = set()
        """VINs of ``repaired`` that are covered vehicles (so far)."""
        self.vehicle_schema = check.vehicle_schema(parser)

    def bucket(self, vehicle_parts: list[pl.DataFrame], chunks: list[pl.DataFrame]) -> pl.DataFrame:
        """The letters of one bucket's vehicle rows and owner rows (``chunks``, in file order)."""
        parser, reports, rec, as_of = self.parser, self.reports, self.rec, self.as_of
        valid = pl.concat(vehicle_parts, rechunk=False) if vehicle_parts else pl.DataFrame(schema=self.vehicle_schema)
        if not chunks:
            chunks = [pl.DataFrame(schema=check.OWNER_SCHEMA)]
        del vehicle_parts
        kept, conflicting = _one_row_per_vin(valid, reports, parser.value_names)
        del valid  # only what the merge keeps stays in memory
        kept = _assess(self.coverage, kept, as_of, self.repaired)
        if self.repaired:
            listed = pl.Series("vin", list(self.repaired), pl.String)
            covered_vins = kept.filter(pl.col("covered")).get_column("vin")
            self.repairs_found.update(listed.filter(listed.is_in(covered_vins.implode())).to_list())
        for reason, count in kept.filter(~pl.col("covered")).get_column("reason").value_counts().iter_rows():
            rec.not_covered_reasons[reason] += count
        for phase, count in kept.filter(pl.col("covered")).get_column("phase").value_counts().iter_rows():
            rec.covered[phase] += count

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
        # So that no owner table as wide as a letter is made but the letters themselves: each owner
        # row's vehicle status, and its letter's vehicle (``_m``, a row of ``to_mail``), from one
        # narrow join; the letters from gathers (and an inner join for the VINs of several rows).
        mail = pl.col("status") == "mail"
        kept = kept.with_columns(pl.when(mail).then(mail.cum_sum() - 1).cast(pl.UInt32).alias("_m"))
        status_of = owned.join(kept.select("vin", "status", "reason", "fixed", "_m"), on="vin", how="left",
                               maintain_order="left")  # fmt: skip
        not_mailed = (
            pl.when(pl.col("status") == "not_covered").then(pl.lit("vehicle is not covered: ") + pl.col("reason"))
            .when(pl.col("status") == "repaired").then(pl.lit("the vehicle was repaired ") + fixed)
            .when(pl.col("vin").is_in(conflicting.implode())).then(pl.lit("its vehicle rows conflict"))
            .when(pl.col("vin").is_in(self.rejected_vins.implode())).then(pl.lit("its vehicle record was rejected"))
        )  # fmt: skip
        unmailed = status_of.filter(pl.col("status").is_null() | pl.col("status").is_in(["not_covered", "repaired"]))
        reports.add("owner", None, unmailed.select(
            LINE, "vin", pl.when(not_mailed.is_null()).then(pl.lit("owner_without_vehicle"))
            .otherwise(pl.lit("owner_not_mailed")).alias("outcome"),
            not_mailed.fill_null(pl.lit("no vehicle record has this VIN")).alias("reason"),
        ))  # fmt: skip

        to_mail = kept.filter(pl.col("status") == "mail").select("vin", "phase", *vehicle)
        del kept
        outcome_of = {p.number: p.available(as_of) for p in self.campaign.phases}
        columns = [*_VEHICLE_COLUMNS, *parser.value_names, "v_line", *_OWNER_COLUMNS, "owner_lines", "phase"]
        available = pl.col("phase").replace_strict(outcome_of, return_dtype=pl.Boolean).alias("available")
        target = status_of.select("_m", "_several")
        del owned, status_of
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
        chosen, reported, co_owners = choose_all(pl.concat(several).sort(LINE), self.rec.files[1])
        reports.add("owner", None, reported)
        if co_owners:
            rec.outcomes["co_owner"] += co_owners
        if chosen.height:
            chosen = chosen.lazy().join(to_mail.lazy(), on="vin", how="inner").select(*columns, available).collect()
            pieces.append(chosen)
        # Not sorted here: a sort copies every column; ``pieces`` puts each phase in file order.
        letters = pl.concat(pieces, rechunk=False)
        for phase, available, count in letters.group_by("phase", "available").len().iter_rows():
            rec.outcomes[f"mailable_phase_{phase}" if available else f"pending_phase_{phase}"] += count
        return letters


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
        part = rows.select(columns).cast(REPORT_SCHEMA)  # type: ignore[arg-type]
        # Copied out of the bucket's tables: a filtered string column still points into the whole
        # column's text, so a report of a few rows would keep every bucket's text in memory.
        compact = pl.from_arrow(part.to_arrow(compat_level=pl.CompatLevel.oldest()))
        assert isinstance(compact, pl.DataFrame)
        self.parts.append(compact)

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


def _assess(coverage: Coverage, kept: pl.DataFrame, as_of: date, repaired: Mapping[str, date]) -> pl.DataFrame:
    """``kept`` with coverage (``covered``, ``phase``, ``reason``) and ``fixed`` (repaired on or before ``as_of``)."""
    kept = coverage.assess_table(kept)
    done = {vin: when for vin, when in repaired.items() if when <= as_of}
    if not done:
        return kept.with_columns(pl.lit(None, pl.Date).alias("fixed"))
    table = pl.DataFrame({"vin": list(done), "fixed": list(done.values())}, schema={"vin": pl.String,
                                                                                     "fixed": pl.Date})  # fmt: skip
    kept = kept.join(table, on="vin", how="left", maintain_order="left")
    return kept.with_columns(pl.when(pl.col("covered")).then(pl.col("fixed")).alias("fixed"))
