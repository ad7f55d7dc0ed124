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

Report = Callable[[int, str, str, str], None]
"""Reports one owner row: (line, VIN, outcome, reason)."""


def owner_of(values: tuple[Any, ...], source: Source) -> Owner:
    """An owner from a row of the owner columns (vin, then ``OWNER_FIELDS``)."""
    vin, name, name2, urb, street, unit, city, state, zip_code, lang, email, lessor = values
    return Owner(vin, (name, name2) if name2 else (name,), (urb, street, unit), city, state, zip_code, lang, email,
                 lessor, source)  # fmt: skip


def choose_all(rows: pl.DataFrame, file: str, report: Report) -> tuple[pl.DataFrame, int]:
    """(the addressee of each VIN of ``rows`` with ``owner_lines``, the co-owner rows), in file order.

    ``rows``: every owner row of VINs with several, ordered by line.
    """
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
    for group in groups.values():
        addressee, sources = choose(group, report)
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
    return table.with_columns(owner_lines.cast(pl.List(pl.Int64)).alias("owner_lines")), co_owners


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
