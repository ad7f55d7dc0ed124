"""Synthetic vehicle and owner files consistent with a campaign, for demos, tests and benchmarks.

People and addresses come from Faker (names with accents and apostrophes, apartment lines,
ZIPs of the owner's state); vehicles follow the campaign: its chart's rows, volumes and
production windows (or its covered-VIN list), with VINs begun as its ``vehicles.descriptors``
say. ``with_errors`` mixes in a known share of every defect the records stage reports. The
records are checked against the campaign before anything is written: sample data its own
campaign would reject is an error, not a file.
"""

from __future__ import annotations

import csv
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from letters import vin as vins
from letters.campaign import Campaign
from letters.errors import CampaignError
from letters.sample.people import _People, _Streets
from letters.sample.people import fits as fits
from letters.sample.vehicles import SERIALS as SERIALS
from letters.sample.vehicles import _built, _descriptors, _make_vin, _row_weights

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
    vin_list: Path | None = None
    """The covered-VIN list written first (``--make-vin-list``), if any."""


CHUNK = 50_000
"""Vehicles generated, checked and written at a time: 10 million never sit in memory at once."""


def generate(campaign: Campaign, out_dir: Path, vehicles: int, seed: int = 1, with_errors: bool = False,
             distinct_addresses: bool = False) -> SampleFiles:  # fmt: skip
    """Write ``vehicles`` vehicle rows and their owners to ``out_dir``, a chunk at a time.

    The files are written beside their final names and renamed at the end: records the
    campaign would reject stop the run with nothing written. With ``distinct_addresses``
    no two households share a street line (mainland owners; see ``_Streets``).
    """
    rng = random.Random(seed)
    people = _People(seed, min(max(vehicles, 50), 20_000))
    streets = _Streets() if distinct_addresses else None
    if campaign.coverage.by == "vin-list":
        source: Iterator[list[str]] = iter(_listed_vehicles(campaign, rng, vehicles))
    else:
        source = _charted_vehicles(campaign, rng, vehicles)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    vpath, opath = out_dir / f"{campaign.code}-vehicles.csv", out_dir / f"{campaign.code}-owners.csv"
    vtmp, otmp = vpath.with_name(f".{vpath.name}.tmp"), opath.with_name(f".{opath.name}.tmp")
    defects: Counter[str] = Counter()
    counts = [0, 0]
    previous_owner: list[str] | None = None
    parser = _parser(campaign)
    try:
        with (
            vtmp.open("w", encoding="utf-8", newline="") as vfile,
            otmp.open("w", encoding="utf-8", newline="") as ofile,
        ):
            vwriter, owriter = csv.writer(vfile), csv.writer(ofile)
            vwriter.writerow(vehicle_header(campaign))
            owriter.writerow(OWNER_HEADER)
            while chunk := list(itertools.islice(source, CHUNK)):
                owner_rows: list[list[str]] = []
                for vehicle in chunk:
                    vin = vehicle[0]
                    if previous_owner is not None and rng.random() < MULTI_VIN_SHARE:
                        owner = [vin, *previous_owner[1:]]
                    else:
                        owner = _owner(rng, people, vin, streets)
                    owner_rows.append(owner)
                    previous_owner = owner
                    if owner[12] == "" and rng.random() < CO_OWNER_SHARE:
                        co = list(owner)
                        co[1], co[2] = rng.choice(people.names), ""
                        owner_rows.append(co)
                _declared(campaign, rng, chunk)
                _check(campaign, parser, chunk, owner_rows)
                if with_errors:
                    _add_defects(rng, chunk, owner_rows, defects, people)
                vwriter.writerows(chunk)
                owriter.writerows(owner_rows)
                counts[0] += len(chunk)
                counts[1] += len(owner_rows)
        vtmp.replace(vpath)
        otmp.replace(opath)
    finally:
        vtmp.unlink(missing_ok=True)
        otmp.unlink(missing_ok=True)
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()  # refused: not even the folder is left
    return SampleFiles(vpath, opath, counts[0], counts[1], dict(sorted(defects.items())))


def vehicle_header(campaign: Campaign) -> list[str]:
    """The vehicle file's header: the built-in columns, then each declared one (its first alias, else its name)."""
    return [*VEHICLE_HEADER, *((c.aliases or [name])[0] for name, c in campaign.vehicles.columns.items())]


def _declared(campaign: Campaign, rng: random.Random, rows: list[list[str]]) -> None:
    """Each row's values of the campaign's declared columns, appended."""
    from letters.campaign.values import sample_value

    columns = list(campaign.vehicles.columns.values())
    if columns:
        for row in rows:
            built = date.fromisoformat(row[3])
            row.extend(sample_value(column, rng, built) for column in columns)


def _parser(campaign: Campaign) -> Any:
    from letters.records.parse import RowParser

    return RowParser(campaign)


def _check(campaign: Campaign, parser: Any, vehicle_rows: list[list[str]], owner_rows: list[list[str]]) -> None:
    """Refuse to write records the campaign's own records stage would reject."""
    from letters.records.csvio import Row, header_key
    from letters.records.parse import OWNER_COLUMNS

    problems = []
    for header, aliases, rows, check in (
        (vehicle_header(campaign), parser.aliases, vehicle_rows, parser.vehicle),
        (OWNER_HEADER, OWNER_COLUMNS, owner_rows, parser.owner),
    ):
        keys = [aliases.get(header_key(h), header_key(h)) for h in header]
        for line, values in enumerate(rows, start=2):
            result = check(Row(line, dict(zip(keys, values, strict=True)), 0, 0), "sample")
            if isinstance(result, list):
                problems.append(f"{values[0]}: {'; '.join(result)}")
    if problems:
        shown = "\n  ".join(problems[:5])
        raise CampaignError(
            f"sample-data would write {len(problems):,} record(s) campaign {campaign.code} rejects, so it wrote "
            f"nothing; fix the campaign's vehicles (wmis, descriptors, locations) or models:\n  {shown}"
        )


def _listed_vehicles(campaign: Campaign, rng: random.Random, count: int) -> list[list[str]]:
    """Vehicles drawn from the covered-VIN list, described by the descriptor their VIN begins with."""
    from letters.eligibility import VinList, coverage_of

    coverage = coverage_of(campaign)
    assert isinstance(coverage, VinList)
    listed = sorted(coverage.phases)
    if not listed:
        raise CampaignError(f"{coverage.path}: the covered-VIN list is empty")
    by_prefix = {(d.wmi, d.vds): d for d in campaign.vehicles.descriptors}
    years = {y for m in campaign.models for y in m.years}
    rows = []
    for vin in rng.sample(listed, min(count, len(listed))):
        descriptor = by_prefix.get((vin[:3], vin[3:8]))
        if descriptor is None:
            raise CampaignError(
                f"sample-data: listed VIN {vin} begins {vin[:8]}, which no [[vehicles.descriptors]] entry "
                "(wmi + vds) describes; add one so the VIN's model and plant are known"
            )
        year = next((y for y in vins.Vin(vin).model_year_candidates() if y in years), None)
        if year is None:
            raise CampaignError(f"sample-data: listed VIN {vin}'s model year (position 10) is none of the models'")
        # A model year runs from the September before it.
        built = date(year - 1, 9, 1) + timedelta(days=rng.randrange(365))
        rows.append([vin, descriptor.model, str(year), built.isoformat(), descriptor.location])
    return rows


def _charted_vehicles(campaign: Campaign, rng: random.Random, vehicles: int) -> Iterator[list[str]]:
    """Vehicles spread over the chart's rows by volume, built inside each row's window, one at a time."""
    assert campaign.chart is not None
    rows = _row_weights(campaign)
    descriptors = _descriptors(campaign, [r for r, _ in rows])
    counted = [p for p in campaign.phases if p.vehicles] or campaign.phases[:1]
    last_covered = max(s.to for r in campaign.chart.rows for s in r.phases if s.phase <= counted[-1].number)
    last_covered = date(last_covered.year + last_covered.month // 12, last_covered.month % 12 + 1, 1) - timedelta(
        days=1
    )
    last_charted = campaign.chart.last_month.replace(day=28)
    choices, weights = [r for r, _ in rows], [w for _, w in rows]
    # Serial numbers (VIN positions 12-17) run per VIN prefix, so millions of vehicles stay distinct.
    serials: Counter[str] = Counter()
    left = vehicles
    while left > 0:
        for row in rng.choices(choices, weights=weights, k=min(left, CHUNK)):
            built = _built(rng, row, last_covered, last_charted)
            # A model year starts in the autumn before it: built from September on -> next year.
            year = min(max(built.year + (built.month >= 9), row.years[0]), row.years[-1])
            # One descriptor draws nothing from rng, so a campaign's seeded files stay as they were.
            found = descriptors[(row.model.upper(), row.location)]
            descriptor = found[0] if len(found) == 1 else rng.choice(found)
            prefix = f"{descriptor.wmi}{descriptor.vds}{year}"
            serials[prefix] += 1
            if serials[prefix] >= SERIALS:
                raise CampaignError(
                    f"sample-data: more than {SERIALS:,} {year} {row.model} vehicles need more VIN space"
                )
            vin = _make_vin(descriptor, year, serials[prefix])
            yield [vin, row.model, str(year), built.isoformat(), row.location]
        left -= CHUNK


def _owner(rng: random.Random, people: _People, vin: str, streets: _Streets | None = None) -> list[str]:
    if rng.random() < PR_SHARE:
        city, zip_code = rng.choice(people.pr_places)
        return [
            vin,
            rng.choice(people.pr_names),
            "",
            rng.choice(people.urbanizations),
            rng.choice(people.pr_streets),
            "",
            city,
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
    street = streets.next(rng) if streets else rng.choice(people.streets)
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
        # A VIN of the campaign's make that no vehicle row has.
        owners.append([vins.with_check_digit(f"{vehicles[0][0][:8]}0P9{i:06d}"), *_owner(rng, people, "")[1:]])
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


def generate_files(code: str, out_dir: Path | None, vehicles: int, seed: int, with_errors: bool,
                   make_vin_list: bool = False) -> SampleFiles:  # fmt: skip
    """``letters sample-data``: generate files for campaign ``code`` (first its covered-VIN list, when asked)."""
    from letters import paths
    from letters.campaign import load_campaign

    loaded = load_campaign(code)
    written = None
    if make_vin_list:
        from letters.sample.vinlist import make_vin_list as make

        written = make(loaded.campaign, loaded.folder, vehicles, seed)
    try:
        files = generate(loaded.campaign, out_dir or paths.output_dir() / "sample", vehicles, seed, with_errors)
    except BaseException:
        if written:
            written[0].unlink(missing_ok=True)  # refused: the list it was made for goes too
        raise
    return replace(files, vin_list=written[0] if written else None)
