"""The addressee of VINs with two owner rows, by expressions, against ``choose`` row by row."""

from __future__ import annotations

import random

import polars as pl

from letters.records.addressee import OWNER_FIELDS, _groups, choose_all
from letters.records.table import LINE


def owner_rows(seed: int, vins: int) -> pl.DataFrame:
    """Two to four rows a VIN, from small alphabets so that names, places and lessors often agree."""
    rng = random.Random(seed)
    rows = []
    line = 2
    for n in range(vins):
        vin = f"VIN{n:014d}"
        for k in range(rng.choice([2, 2, 2, 3, 4])):
            if k and rng.random() < 0.2:  # a copy of the row before
                rows.append({**rows[-1], LINE: line})
                line += 1
                continue
            rows.append({
                "vin": vin, "name": rng.choice(["Ana", "Bo", "Cy"]), "name2": rng.choice(["", "", "Ana", "Bo", "Di"]),
                "urbanization": rng.choice(["", "", "Urb X"]), "address1": rng.choice(["1 Main St", "2 Oak Ave"]),
                "address2": rng.choice(["", "Apt 1"]), "city": "Austin", "state": rng.choice(["TX", "TX", "OK"]),
                "zip": rng.choice(["73301", "73301-1234", "73302"]), "language": rng.choice(["en", "es"]),
                "email": rng.choice(["", "a@b.c"]), "lessor": rng.random() < 0.3, LINE: line,
            })  # fmt: skip
            line += 1
    rng.shuffle(rows)
    return pl.DataFrame(rows).select("vin", *OWNER_FIELDS, LINE).sort(LINE)


def test_pairs_match_the_row_rules() -> None:
    rows = owner_rows(1, 3000)
    chosen, reported, co_owners = choose_all(rows, "owners.csv")
    expected, expected_reported, expected_co = _groups(rows, "owners.csv")
    assert co_owners == expected_co and co_owners > 0
    assert chosen.sort("vin").equals(expected.sort("vin"))
    assert reported.sort(LINE).equals(expected_reported.sort(LINE))
    assert set(reported.get_column("outcome")) == {"duplicate_owner", "other_owner"}
    assert reported.get_column("reason").str.starts_with("another owner").any()
