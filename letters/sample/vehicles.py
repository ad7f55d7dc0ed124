"""Synthetic vehicles: VINs begun as the campaign's descriptors say, chart rows weighted by volume."""

from __future__ import annotations

import random
from datetime import date, timedelta

from letters import vin as vins
from letters.campaign import Campaign, ChartRow
from letters.campaign.model import Descriptor
from letters.errors import CampaignError


def _descriptors(campaign: Campaign, rows: list[ChartRow]) -> dict[tuple[str, str], list[Descriptor]]:
    """The VIN beginnings of every charted (model, location), all of them (one model sold under two
    brands has a descriptor per WMI); a missing one is an error naming it."""
    found: dict[tuple[str, str], list[Descriptor]] = {}
    for d in campaign.vehicles.descriptors:
        found.setdefault((d.model.upper(), d.location), []).append(d)
    missing = sorted({f"{r.model} built in {r.location}" for r in rows if (r.model.upper(), r.location) not in found})
    if missing:
        raise CampaignError(
            f"sample-data for {campaign.code} needs a [[vehicles.descriptors]] entry (model, location, wmi, vds, "
            f"plant) in campaign.toml for: {', '.join(missing)}"
        )
    return found


_SERIAL_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


_PER_PLANT = 900_000 + len(_SERIAL_LETTERS) * 100_000


_PLANTS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


SERIALS = _PER_PLANT * len(_PLANTS)
"""Serial numbers per VIN prefix and model year: 100001-999999, then A00000-Z99999 (49 CFR 565.15
lets position 12 be a letter; positions 13-17 stay digits); beyond that (millions of one model
year, only in scale tests) the sample borrows further plant codes for position 11."""


def _make_vin(descriptor: Descriptor, year: int, number: int) -> str:
    """The ``number``-th VIN (from 1) of a prefix and model year."""
    extra, number = divmod(number, _PER_PLANT)
    if number < 900_000:
        serial = f"{100_000 + number:06d}"
    else:
        block, rest = divmod(number - 900_000, 100_000)
        serial = f"{_SERIAL_LETTERS[block]}{rest:05d}"
    plant = descriptor.plant if not extra else _PLANTS[(_PLANTS.index(descriptor.plant) + extra) % len(_PLANTS)]
    body = f"{descriptor.wmi}{descriptor.vds}0{vins.year_code(year)}{plant}{serial}"
    return vins.with_check_digit(body)


def _row_weights(campaign: Campaign) -> list[tuple[ChartRow, float]]:
    """Chart rows weighted by the models table volume they correspond to."""
    out = []
    assert campaign.chart is not None
    for row in campaign.chart.rows:
        volume = row.volume or next(
            (m.volume for m in campaign.models if m.model == row.model and m.location == row.location), 0
        )
        out.append((row, float(volume)))
    return [(r, w) for r, w in out if w > 0]


def _built(rng: random.Random, row: ChartRow, last_covered: date, last_charted: date) -> date:
    end = row.end or (last_covered if rng.random() < 0.92 else last_charted)
    start = row.start if end == (row.end or last_covered) else last_covered + timedelta(days=1)
    return start + timedelta(days=rng.randrange((end - start).days + 1))
