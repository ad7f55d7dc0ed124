"""A covered-VIN list for a campaign covered by one, made from its descriptors (``sample-data --make-vin-list``).

A campaign covered by the manufacturer's VIN list cannot make sample records before it has a
list. Asked to, ``sample-data`` first writes one: VINs begun as ``vehicles.descriptors`` say,
for each covered model in proportion to its volume, over its model years, each with a phase
(the phase whose stated vehicles equal the model's volume, else phases in proportion to
their vehicles), into the file ``coverage.file`` names.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from letters.campaign import Campaign
from letters.campaign.model import Descriptor
from letters.errors import CampaignError, UsageError
from letters.sample.vehicles import _make_vin
from letters.write import csv_bytes, durable_write


def make_vin_list(campaign: Campaign, folder: Path, count: int, seed: int) -> tuple[Path, int]:
    """Write ``count`` covered VINs (VIN, Phase) to the campaign's ``coverage.file``; (its path, VINs written).

    Refuses a campaign not covered by a VIN list, and a list that already holds VINs.
    """
    if campaign.coverage.by != "vin-list":
        raise UsageError(f"campaign {campaign.code} is covered by its chart, not a VIN list: --make-vin-list has "
                         "nothing to make")  # fmt: skip
    path = folder / campaign.coverage.file
    if path.is_file():
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = sum(1 for row in csv.reader(handle) if any(cell.strip() for cell in row)) - 1
        if rows > 0:
            raise UsageError(f"{path} already lists {rows:,} VIN(s); sample-data makes a list only where there is "
                             "none (remove it, or drop --make-vin-list to draw records from it)")  # fmt: skip
    descriptors: dict[tuple[str, str], list[Descriptor]] = {}  # every one: a model badged by two brands has two
    for d in campaign.vehicles.descriptors:
        descriptors.setdefault((d.model.upper(), d.location), []).append(d)
    models = [m for m in campaign.models if (m.model.upper(), m.location) in descriptors
              or any(k[0] == m.model.upper() for k in descriptors)]  # fmt: skip
    missing = [m.model for m in campaign.models if m not in models]
    if missing or not models:
        raise CampaignError(f"sample-data for {campaign.code} needs a [[vehicles.descriptors]] entry for: "
                            f"{', '.join(missing) or 'every model'}")  # fmt: skip
    phase_of = _phases(campaign)
    rng = random.Random(seed)
    total = sum(m.volume for m in models)
    serials: Counter[str] = Counter()
    out: list[list[object]] = []
    for index, model in enumerate(models):
        share = count - len(out) if index == len(models) - 1 else round(count * model.volume / total)
        found = descriptors.get((model.model.upper(), model.location)) or next(
            d for k, d in descriptors.items() if k[0] == model.model.upper()
        )
        for _ in range(max(share, 0)):
            year = rng.choice(model.years)
            descriptor = found[0] if len(found) == 1 else rng.choice(found)  # one draws nothing: seeded lists stay
            prefix = f"{descriptor.wmi}{descriptor.vds}{year}"
            serials[prefix] += 1
            out.append([_make_vin(descriptor, year, serials[prefix]), phase_of(model.volume, rng)])
    durable_write(path, csv_bytes(["VIN", "Phase"], out))
    return path, len(out)


def _phases(campaign: Campaign) -> Callable[[int, random.Random], int]:
    """A function (model volume, rng) -> phase: the phase stating that many vehicles, else by phase volumes."""
    by_volume = {p.vehicles: p.number for p in campaign.phases if p.vehicles}
    numbers = [p.number for p in campaign.phases]
    weights = [p.vehicles or 1 for p in campaign.phases]

    def phase(volume: int, rng: random.Random) -> int:
        return by_volume.get(volume) or rng.choices(numbers, weights=weights)[0]

    return phase
