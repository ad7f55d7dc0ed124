"""Synthetic vehicle and owner files consistent with a campaign, for demos, tests and benchmarks.

People and addresses come from Faker (names with accents and apostrophes, apartment lines);
vehicles follow the campaign's models, volumes and production windows, with valid VINs.
``with_errors`` mixes in a known share of every defect the records stage reports.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

from letters import vin as vins
from letters.campaign import Campaign, ChartRow

VEHICLE_HEADER = ["VIN", "Model", "Model Year", "Production Date", "Location"]
OWNER_HEADER = [
    "VIN",
    "Owner Name",
    "Owner Name 2",
    "Urbanization",
    "Address 1",
    "Address 2",
    "City",
    "State",
    "ZIP",
    "Country",
    "Language",
    "Email",
    "Lessor",
]

PR_SHARE = 0.004
LESSOR_SHARE = 0.02
CO_OWNER_SHARE = 0.03
MULTI_VIN_SHARE = 0.01
ERROR_SHARE = 0.002
"""Share of records given each defect kind with ``with_errors``."""

# Vehicle descriptor (VIN positions 4-8) and plant code (position 11) per model; made up
# but fixed, so generated VINs look alike per model.
_VDS = {
    "LC": "KPAFH",
    "LS": "GBALH",
    "GX": "BMAFH",
    "IS": "CDBDH",
    "RC-F": "GHBCH",
    "UX": "KARJH",
    "NX": "GKCEZ",
    "RX": "BAHAZ",
    "LX": "AAAAL",
    "RZ": "AAAAB",
    "ES": "ZACB1",
}
_SUVS = {"GX", "UX", "NX", "RX", "LX", "RZ"}


@dataclass(frozen=True)
class SampleFiles:
    """What ``generate`` wrote."""

    vehicles: Path
    """Vehicle CSV."""
    owners: Path
    """Owner CSV."""
    vehicle_rows: int
    """Rows in the vehicle file."""
    owner_rows: int
    """Rows in the owner file."""
    defects: dict[str, int]
    """Defect kind -> records given it."""


def _wmi(row: ChartRow) -> str:
    if row.location == "Japan":
        return "JTJ" if row.model in _SUVS else "JTH"
    return "58A" if row.model == "ES" else "2T2"


def _make_vin(rng: random.Random, row: ChartRow, year: int, serial: int) -> str:
    vds = _VDS.get(row.model, "AAAAA")
    plant = "J" if row.location == "Japan" else "C"
    body = f"{_wmi(row)}{vds}0{vins.year_code(year)}{plant}{serial:06d}"
    return vins.with_check_digit(body)


def _row_weights(campaign: Campaign) -> list[tuple[ChartRow, float]]:
    """Chart rows weighted by the models table volume they correspond to."""
    out = []
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


class _People:
    """Pools of Faker people and places, drawn once and sampled (Faker is slow per call)."""

    def __init__(self, seed: int, size: int) -> None:
        us, es, ie = Faker("en_US"), Faker("es_MX"), Faker("en_IE")
        us.seed_instance(seed)
        es.seed_instance(seed + 1)
        ie.seed_instance(seed + 2)
        # en_US names have no apostrophes or accents; Irish and Mexican ones bring both.
        self.names = (
            [us.name() for _ in range(size)]
            + [es.name() for _ in range(size // 10)]
            + [ie.name() for _ in range(size // 10)]
        )
        self.streets = [us.street_address() for _ in range(size)]
        self.apartments = [us.secondary_address() for _ in range(max(1, size // 5))]
        self.places = [(us.city(), us.state_abbr(include_territories=False), us.postcode()) for _ in range(size)]
        self.pr_names = [es.name() for _ in range(max(1, size // 20))]
        self.pr_streets = [es.street_address() for _ in range(max(1, size // 20))]
        self.pr_cities = [es.city() for _ in range(max(1, size // 50))]
        self.urbanizations = [f"URB {es.last_name().upper()}" for _ in range(max(1, size // 50))]
        self.companies = [us.company() for _ in range(max(1, size // 20))]
        self.emails = [us.free_email() for _ in range(max(1, size // 5))]


def generate(campaign: Campaign, out_dir: Path, vehicles: int, seed: int = 1, with_errors: bool = False) -> SampleFiles:
    """Write ``vehicles`` vehicle rows and their owners to ``out_dir``."""
    rng = random.Random(seed)
    people = _People(seed, min(max(vehicles, 50), 20_000))
    rows = _row_weights(campaign)
    counted = [p for p in campaign.phases if p.vehicles]
    last_covered = max(s.to for r in campaign.chart.rows for s in r.phases if s.phase <= counted[-1].number)
    last_covered = date(last_covered.year + last_covered.month // 12, last_covered.month % 12 + 1, 1) - timedelta(
        days=1
    )
    last_charted = campaign.chart.last_month.replace(day=28)
    defects: Counter[str] = Counter()

    vehicle_rows: list[list[str]] = []
    owner_rows: list[list[str]] = []
    chosen = rng.choices([r for r, _ in rows], weights=[w for _, w in rows], k=vehicles)
    previous_owner: list[str] | None = None
    for serial, row in enumerate(chosen, start=100001):
        built = _built(rng, row, last_covered, last_charted)
        # A model year starts in the autumn before it: built from September on -> next year.
        year = min(max(built.year + (built.month >= 9), row.years[0]), row.years[-1])
        vin = _make_vin(rng, row, year, serial)
        vehicle_rows.append([vin, row.model, str(year), built.isoformat(), row.location])
        if previous_owner is not None and rng.random() < MULTI_VIN_SHARE:
            owner = [vin, *previous_owner[1:]]
        else:
            owner = _owner(rng, people, vin)
        owner_rows.append(owner)
        previous_owner = owner
        if owner[12] == "" and rng.random() < CO_OWNER_SHARE:
            co = list(owner)
            co[1], co[2] = rng.choice(people.names), ""
            owner_rows.append(co)

    if with_errors:
        _add_defects(rng, vehicle_rows, owner_rows, defects, people)

    out_dir.mkdir(parents=True, exist_ok=True)
    vpath, opath = out_dir / f"{campaign.code}-vehicles.csv", out_dir / f"{campaign.code}-owners.csv"
    _write(vpath, VEHICLE_HEADER, vehicle_rows)
    _write(opath, OWNER_HEADER, owner_rows)
    return SampleFiles(vpath, opath, len(vehicle_rows), len(owner_rows), dict(sorted(defects.items())))


def _owner(rng: random.Random, people: _People, vin: str) -> list[str]:
    if rng.random() < PR_SHARE:
        zip_code = f"00{rng.choice('679')}{rng.randrange(100):02d}"
        return [
            vin,
            rng.choice(people.pr_names),
            "",
            rng.choice(people.urbanizations),
            rng.choice(people.pr_streets),
            "",
            rng.choice(people.pr_cities),
            "PR",
            zip_code,
            "US",
            "",
            "",
            "",
        ]
    city, state, zip_code = rng.choice(people.places)
    if rng.random() < 0.3:
        zip_code = f"{zip_code}-{rng.randrange(10000):04d}"
    apartment = rng.choice(people.apartments) if rng.random() < 0.2 else ""
    email = rng.choice(people.emails) if rng.random() < 0.3 else ""
    lessor = rng.random() < LESSOR_SHARE
    name = rng.choice(people.companies if lessor else people.names)
    street = rng.choice(people.streets)
    return [vin, name, "", "", street, apartment, city, state, zip_code, "US", "", email, "Y" if lessor else ""]


def _set(index: int, value: str) -> Callable[[list[str]], None]:
    def apply(row: list[str]) -> None:
        row[index] = value

    return apply


def _corrupt_check_digit(row: list[str]) -> None:
    vin = row[0]
    row[0] = vin[:8] + ("0" if vin[8] != "0" else "1") + vin[9:]


def _add_defects(
    rng: random.Random, vehicles: list[list[str]], owners: list[list[str]], defects: Counter[str], people: _People
) -> None:
    n = max(1, round(len(vehicles) * ERROR_SHARE))
    vehicle_defects: dict[str, Callable[[list[str]], None]] = {
        "bad_check_digit": _corrupt_check_digit,
        "vin_letter_o": lambda r: r.__setitem__(0, r[0][:11] + "O" + r[0][12:]),
        "vin_too_short": lambda r: r.__setitem__(0, r[0][:16]),
        "model_year_mismatch": lambda r: r.__setitem__(2, str(int(r[2]) - 3)),
        "bad_production_date": _set(3, "2023-02-30"),
        "unknown_location": _set(4, "Mars"),
        "built_outside_window": _set(3, "2021-06-01"),
    }
    owner_defects: dict[str, Callable[[list[str]], None]] = {
        "missing_street": _set(4, ""),
        "missing_city": _set(6, ""),
        "unknown_state": _set(7, "ZZ"),
        "bad_zip": _set(8, "1234"),
        "foreign_country": _set(9, "Canada"),
    }
    for kind, damage in vehicle_defects.items():
        for row in rng.sample(vehicles, n):
            damage(row)
            defects[kind] += 1
    for kind, damage in owner_defects.items():
        for row in rng.sample(owners, n):
            damage(row)
            defects[kind] += 1
    for row in rng.sample(vehicles, n):
        vehicles.append(list(row))
        defects["duplicate_vehicle"] += 1
    for row in rng.sample(vehicles, n):
        clash = list(row)
        clash[3] = "2023-01-15" if clash[3] != "2023-01-15" else "2023-01-16"
        vehicles.append(clash)
        defects["conflicting_vehicle"] += 1
    drop = set(rng.sample(range(len(owners)), n))
    owners[:] = [o for i, o in enumerate(owners) if i not in drop]
    defects["vehicle_without_owner"] += n
    for i in range(n):
        owners.append([vins.with_check_digit(f"JTJGKCEZ0P9{i:06d}"), *_owner(rng, people, "")[1:]])
        defects["owner_without_vehicle"] += 1
    for row in rng.sample(owners, n):
        owners.append(list(row))
        defects["duplicate_owner"] += 1
    rng.shuffle(vehicles)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def generate_files(code: str, out_dir: Path | None, vehicles: int, seed: int, with_errors: bool) -> SampleFiles:
    """``letters sample-data``: generate files for campaign ``code``."""
    from letters import paths
    from letters.campaign import load_campaign

    campaign = load_campaign(code).campaign
    return generate(campaign, out_dir or paths.output_dir() / "sample", vehicles, seed, with_errors)
