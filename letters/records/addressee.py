"""The addressee of a VIN with several owner rows, and what becomes of each other row.

The rules (README): one letter per VIN; the addressee is the first non-lessor row (a
lessee drives the car), else the first row. A row identical to one seen before is
``duplicate_owner``; another row at the addressee's address adds its names to the letter
(``co_owner``, two name lines at most); any other row is ``other_owner``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from letters.records.model import Owner, Source
from letters.records.table import LINE

OWNER_FIELDS = ["name", "name2", "urbanization", "address1", "address2", "city", "state", "zip", "language",
                "email", "lessor"]  # fmt: skip
"""An owner row's columns in a letter, in ``Owner`` order after the VIN."""

Report = Callable[[int, str, str, str], object]
"""Reports one owner row: (line, VIN, outcome, reason)."""


def owner_of(values: tuple[Any, ...], source: Source) -> Owner:
    """An owner from a row of the owner columns (vin, then ``OWNER_FIELDS``)."""
    vin, name, name2, urb, street, unit, city, state, zip_code, lang, email, lessor = values
    return Owner(vin, (name, name2) if name2 else (name,), (urb, street, unit), city, state, zip_code, lang, email,
                 lessor, source)  # fmt: skip


REPORTED_SCHEMA: dict[str, Any] = {LINE: pl.Int64, "vin": pl.String, "outcome": pl.String, "reason": pl.String}


def choose_all(rows: pl.DataFrame, file: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(the addressee of each VIN of ``rows`` with ``owner_lines``, the other rows reported, the co-owner rows).

    ``rows``: every owner row of VINs with several, ordered by line. A VIN of two rows (most
    of them) is judged by expressions over pairs, one of more rows by ``choose``, row by row.
    """
    size = pl.len().over("vin")
    pairs = rows.filter(size == 2)
    chosen, reported, co_owners = _pairs(pairs)
    if pairs.height == rows.height:
        return chosen, reported, co_owners
    more, more_reported, more_co_owners = _groups(rows.filter(size != 2), file)
    return (pl.concat([chosen, more]), pl.concat([reported, more_reported]),
            co_owners + more_co_owners)  # fmt: skip


def _pairs(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """``choose`` of each VIN with exactly two rows, as expressions (the same rules, the same words)."""
    ordered = rows.select("vin", *OWNER_FIELDS, LINE).sort("vin", LINE)
    first, second = ordered.gather_every(2), ordered.gather_every(2, offset=1)
    # The addressee: the first row, unless it is a lessor's and the second is not.
    swap = first.get_column("lessor") & ~second.get_column("lessor")
    a = first.select(pl.when(pl.lit(swap)).then(second.get_column(c)).otherwise(first.get_column(c)).alias(c)
                     for c in ordered.columns)  # fmt: skip
    o = first.select(pl.when(pl.lit(swap)).then(first.get_column(c)).otherwise(second.get_column(c)).alias(c)
                     for c in ordered.columns)  # fmt: skip
    t = a.rename(lambda c: f"a.{c}").hstack(o.rename(lambda c: f"o.{c}"))

    def same(*columns: str) -> pl.Expr:
        return pl.all_horizontal(pl.col(f"a.{c}").eq_missing(pl.col(f"o.{c}")) for c in columns)

    def named(x: pl.Expr) -> pl.Expr:  # whether x is one of the addressee's names
        return (x == pl.col("a.name")) | ((pl.col("a.name2") != "") & (x == pl.col("a.name2")))

    new1 = ~named(pl.col("o.name"))
    new2 = (pl.col("o.name2") != "") & ~named(pl.col("o.name2"))
    had = 1 + (pl.col("a.name2") != "").cast(pl.Int32)
    duplicate = same(*OWNER_FIELDS)
    place = same("urbanization", "address1", "address2", "city", "state") & (
        pl.col("a.zip").str.slice(0, 5) == pl.col("o.zip").str.slice(0, 5)
    )
    co_owner = ~duplicate & place & (had + new1.cast(pl.Int32) + new2.cast(pl.Int32) <= 2)
    name2 = (
        pl.when(~co_owner | (had == 2)).then(pl.col("a.name2"))
        .when(new1).then(pl.col("o.name"))
        .when(new2).then(pl.col("o.name2"))
        .otherwise(pl.col("a.name2"))
    )  # fmt: skip
    t = t.with_columns(duplicate.alias("_duplicate"), place.alias("_place"), co_owner.alias("_co"))
    line = pl.col(f"a.{LINE}").cast(pl.String)
    reported = t.filter(~pl.col("_co")).select(
        pl.col(f"o.{LINE}").alias(LINE), pl.col("o.vin").alias("vin"),
        pl.when(pl.col("_duplicate")).then(pl.lit("duplicate_owner")).otherwise(pl.lit("other_owner")).alias("outcome"),
        pl.when(pl.col("_duplicate")).then(pl.lit("repeats line ") + line)
        .when(pl.col("_place")).then(pl.lit("another owner at this address already fills both name lines"))
        .otherwise(pl.lit("the letter for this VIN goes to line ") + line + pl.lit(" at another address"))
        .alias("reason"),
    )  # fmt: skip
    chosen = t.select(
        pl.col("a.vin").alias("vin"), pl.col("a.name").alias("name"), name2.alias("name2"),
        *(pl.col(f"a.{c}").alias(c) for c in OWNER_FIELDS[2:]),
        pl.when(pl.col("_co")).then(pl.concat_list(f"a.{LINE}", f"o.{LINE}")).otherwise(pl.concat_list(f"a.{LINE}"))
        .alias("owner_lines"),
    )  # fmt: skip
    return chosen, reported.cast(REPORTED_SCHEMA), int(t.get_column("_co").sum())  # type: ignore[arg-type]


def _groups(rows: pl.DataFrame, file: str) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """``choose`` of each VIN of ``rows``, row by row."""
    import pyarrow as pa

    groups: dict[str, list[Owner]] = {}
    for values in rows.select("vin", *OWNER_FIELDS, LINE).iter_rows():
        owner = owner_of(values[:-1], Source(file, values[-1]))
        group = groups.get(owner.vin)
        if group is None:
            groups[owner.vin] = [owner]
        else:
            group.append(owner)
    chosen: list[tuple[Any, ...]] = []
    lines: list[int] = []
    offsets = [0]
    co_owners = 0
    reported: list[tuple[int, str, str, str]] = []
    for group in groups.values():
        addressee, sources = choose(group, lambda *row: reported.append(row))
        co_owners += len(sources) - 1
        names = addressee.names
        chosen.append((addressee.vin, names[0], names[1] if len(names) > 1 else "", *addressee.address,
                       addressee.city, addressee.state, addressee.zip, addressee.language, addressee.email,
                       addressee.lessor))  # fmt: skip
        lines.extend(s.line for s in sources)
        offsets.append(len(lines))
    schema: dict[str, Any] = {"vin": pl.String, **{c: pl.String for c in OWNER_FIELDS[:-1]}, "lessor": pl.Boolean}
    table = pl.DataFrame(chosen, schema=schema, orient="row")
    # The lines as one list column from flat values and offsets: a Series of Python lists costs 25 us a row.
    owner_lines = pl.from_arrow(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(lines, pa.int64())))
    assert isinstance(owner_lines, pl.Series)
    table = table.with_columns(owner_lines.cast(pl.List(pl.Int64)).alias("owner_lines"))
    return table, pl.DataFrame(reported, schema=REPORTED_SCHEMA, orient="row"), co_owners


def choose(group: list[Owner], report: Report) -> tuple[Owner, tuple[Source, ...]]:
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
            report(owner.source.line, owner.vin, "duplicate_owner", f"repeats line {original.source.line}")
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
        else:
            why = (
                "another owner at this address already fills both name lines"
                if same_place
                else (f"the letter for this VIN goes to line {addressee.source.line} at another address")
            )
            report(owner.source.line, owner.vin, "other_owner", why)
    if len(names) != len(addressee.names):
        addressee = addressee._replace(names=tuple(names))
    return addressee, tuple(sources)
