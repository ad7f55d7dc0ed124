"""Sample lists for benchmarks: with distinct addresses, no two households share a street."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

from letters.address import needs_parser
from letters.campaign import LoadedCampaign
from letters.records import reconcile
from letters.sample import generate
from tests.conftest import AS_OF


def _households_by_street(owners: Path) -> dict[str, set[tuple[str, ...]]]:
    """Street name (the line without its house number) -> the mainland households on it."""
    out: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    with owners.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["State"] != "PR":
                household = (row["Address 1"], row["Address 2"], row["City"], row["State"], row["ZIP"])
                out[row["Address 1"].split(" ", 1)[1]].add(household)
    return out


def test_distinct_addresses_give_every_household_its_own_street(tmp_path: Path, loaded: LoadedCampaign) -> None:
    files = generate(loaded.campaign, tmp_path / "distinct", 3000, seed=3, distinct_addresses=True)
    streets = _households_by_street(files.owners)
    assert len(streets) > 2500
    assert all(len(households) == 1 for households in streets.values())
    # Each one needs its own Pub 28 parse, and the records stage mails every one of them.
    with files.owners.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["State"] != "PR"]
    assert sum(needs_parser(r["Address 1"], r["Address 2"], r["State"]) for r in rows) > len(rows) * 0.9
    rec = reconcile(loaded.campaign, files.vehicles, files.owners, AS_OF)
    mailable = sum(n for outcome, n in rec.outcomes.items() if outcome.startswith(("mailable", "pending")))
    assert mailable == files.vehicle_rows


def test_default_lists_repeat_streets(tmp_path: Path, loaded: LoadedCampaign) -> None:
    # What the option is for: the default pool (Faker addresses, drawn again and again) puts
    # many households on one street name, so the parser's work per run is understated.
    files = generate(loaded.campaign, tmp_path / "pooled", 3000, seed=3)
    streets = _households_by_street(files.owners)
    assert sum(len(households) > 1 for households in streets.values()) > 100
