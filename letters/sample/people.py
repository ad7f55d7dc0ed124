"""Synthetic owners: pools of Faker people and real ZIPs with their city and state."""

from __future__ import annotations

import random
from functools import cache

from faker import Faker

from letters.address import overflow, usps_line
from letters.sample.vehicles import SERIALS as SERIALS


def fits(street: str) -> bool:
    """The street prints inside the envelope window as written."""
    return overflow(usps_line(street)) is None


_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP"})


@cache
def _zips_by_state() -> dict[str, list[tuple[str, str]]]:
    import zipcodes

    out: dict[str, list[tuple[str, str]]] = {}
    for entry in zipcodes.list_all():  # type: ignore[no-untyped-call]
        if entry["zip_code_type"] == "STANDARD" and entry["active"]:
            out.setdefault(entry["state"], []).append((entry["city"], entry["zip_code"]))
    return out


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
        # Real ZIPs with their own city and state (the zipcodes package's data), so that the
        # records stage's ZIP/state check and a vendor's CASS pass see plausible addresses.
        by_state = _zips_by_state()
        rng = random.Random(seed)
        self.places = []
        states = sorted(s for s in by_state if s not in _TERRITORIES)
        for _ in range(size):
            state = rng.choice(states)
            city, zip_code = rng.choice(by_state[state])
            self.places.append((city, state, zip_code))
        self.pr_places = by_state["PR"]
        self.pr_names = [es.name() for _ in range(max(1, size // 20))]
        # es_MX street names run long ("PRIVADA REPUBLICA FEDERAL DEMOCRATICA DE NEPAL 844"):
        # only those the envelope window can print, or the sample would be rejected.
        self.pr_streets = [s for s in (es.street_address() for _ in range(max(2, size // 10))) if fits(s)]
        self.pr_cities = [es.city() for _ in range(max(1, size // 50))]
        self.urbanizations = [f"URB {es.last_name().upper()}" for _ in range(max(1, size // 50))]
        self.companies = [us.company() for _ in range(max(1, size // 20))]
        self.emails = [us.free_email() for _ in range(max(1, size // 5))]


class _Streets:
    """Street lines no two households share (``generate(distinct_addresses=True)``).

    Drawn without repeating from directional x name x suffix (Faker's en_US names and
    suffixes: 3.2 million street names), then with a second name word: a list where every
    household's street needs its own Pub 28 parse, as a real national list would, where the
    default pool of 20,000 Faker addresses repeats them.
    """

    DIRECTIONS = ("", "N ", "S ", "E ", "W ", "NE ", "NW ", "SE ", "SW ")

    def __init__(self) -> None:
        from faker.providers.address.en_US import Provider as Places
        from faker.providers.person.en_US import Provider as Names

        self.names = sorted({n for n in [*Names.first_names, *Names.last_names] if n.isalpha()})
        self.suffixes = list(Places.street_suffixes)
        self.capacity = len(self.DIRECTIONS) * len(self.names) * len(self.suffixes)
        self.drawn = 0

    def next(self, rng: random.Random) -> str:
        """A street line (house number, street) no earlier call returned."""
        k, self.drawn = self.drawn, self.drawn + 1
        second, k = divmod(k, self.capacity)
        k = k * 1_000_003 % self.capacity  # a prime stride: neighbours differ in every part
        k, name = divmod(k, len(self.names))
        direction, suffix = divmod(k, len(self.suffixes))
        words = f"{self.names[second % len(self.names)]} " if second else ""
        return (
            f"{rng.randrange(1, 10000)} {self.DIRECTIONS[direction]}{words}{self.names[name]} {self.suffixes[suffix]}"
        )
