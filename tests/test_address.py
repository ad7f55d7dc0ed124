"""Address lines in USPS form, and the envelope window they must fit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from letters.address import WINDOW_FONT_PT, WINDOW_LINES, WINDOW_WIDTH_IN, address_block, overflow, usps_line, width_in

ROOT = Path(__file__).resolve().parent.parent


def test_window_constants_match_the_stylesheet() -> None:
    """The records stage measures lines against the box the owner letter actually draws."""
    css = (ROOT / "templates/_shared/owner-letter.css").read_text(encoding="utf-8")
    rule = re.search(r"\.recipient \{([^}]*)\}", css)
    assert rule is not None
    props = dict(re.findall(r"([\w-]+):\s*([^;]+);", rule.group(1)))
    assert props["width"] == f"{WINDOW_WIDTH_IN}in" and props["font-size"] == f"{WINDOW_FONT_PT:g}pt"
    height_pt = float(props["height"].removesuffix("in")) * 72
    assert int(height_pt // float(props["line-height"].removesuffix("pt"))) == WINDOW_LINES


def test_overflow_agrees_with_exact_measure_near_the_limit() -> None:
    # Lines of increasing length around the limit: the shortcut for short lines never hides one too wide.
    for n in range(20, 60):
        line = ("W" * n)[:n]
        assert (overflow(line) is not None) == (width_in(line) > WINDOW_WIDTH_IN)
        line = "MARIA " * (n // 6 + 1)
        assert (overflow(line.strip()) is not None) == (width_in(line.strip()) > WINDOW_WIDTH_IN)


def test_character_bounds_never_underestimate_a_printed_line() -> None:
    """The records stage clears long lines by summing ``char_bounds``: never less than HarfBuzz measures."""
    import random

    from letters.address import char_bounds, usps_line
    from letters.charset import PRINTABLE
    from letters.render.shaping import measure

    bounds, slack, _ = char_bounds()
    rng = random.Random(3)
    alphabet = PRINTABLE + "AVAWAYTLTOLYWWW" * 8 + " " * 40
    for _ in range(3000):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
        printed = usps_line(raw)
        bound = sum(bounds[ch] for ch in raw) + slack * (len(raw) - 1)
        assert not printed or measure(printed, False, WINDOW_FONT_PT * 4 / 3) <= bound + 1e-6, raw


# (state, urbanization, address1, address2) -> the delivery lines Pub 28 prints, urbanization first.
PUB28_TABLE: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    # Numbers are never changed: fractions, hyphens, grid decimals, letters (the issue's cases first).
    ("NY", "", "123 1/2 Main Street", "", ("123 1/2 MAIN ST",)),
    ("NY", "", "123 Main St", "Apt 3 1/2", ("123 MAIN ST APT 3 1/2",)),
    ("NY", "", "39-21 46th St", "", ("39-21 46TH ST",)),
    ("CO", "", "2856 39.2 Rd", "", ("2856 39.2 RD",)),
    ("TX", "", "123 Main St", "c/o Jane Doe", ("C/O JANE DOE", "123 MAIN ST")),
    ("TX", "", "123 Main St", "#5B", ("123 MAIN ST # 5B",)),
    ("TX", "", "123 Main St", "Apt. #12", ("123 MAIN ST APT 12",)),
    ("TX", "", "123 Main St", "Rear", ("123 MAIN ST REAR",)),
    ("TX", "", "123 Main St Apt 4", "Apt 4", ("123 MAIN ST APT 4",)),
    ("TX", "", "123 Main St", "Suite 100-B", ("123 MAIN ST STE 100-B",)),
    ("TX", "", "Post Office Box 55", "", ("PO BOX 55",)),
    ("IA", "", "Rural Route 2", "", ("RR 2",)),
    ("TX", "", "123 Main St", "Building 5", ("123 MAIN ST BLDG 5",)),
    ("TX", "", "123 Main St", "Basement", ("123 MAIN ST BSMT",)),
    ("PR", "", "150 Calle Tulipan", "Apartamento 4", ("150 CALLE TULIPAN APT 4",)),
    ("PR", "", "URB LAS GLADIOLAS 150 CALLE TULIPAN", "", ("URB LAS GLADIOLAS", "150 CALLE TULIPAN")),
    ("PR", "", "Calle 3 #45", "", ("45 CALLE 3",)),
    ("TX", "", "One Hundred Main Street", "", ("100 MAIN ST",)),
    # More fractions, hyphens and alphanumeric numbers.
    ("TX", "", "12 1/2 Elm Street", "# 4", ("12 1/2 ELM ST # 4",)),
    ("NY", "", "289-01 Montgomery Avenue", "", ("289-01 MONTGOMERY AVE",)),
    ("WI", "", "N123W456 Main St", "", ("N123W456 MAIN ST",)),
    ("TX", "", "123A Oak Lane", "", ("123A OAK LN",)),
    ("TX", "", "12 Elm St.", "Unit 3-C", ("12 ELM ST UNIT 3-C",)),
    ("TX", "", "0123 Main Street", "", ("0123 MAIN ST",)),
    ("TX", "", "5 5th Ave Apt 5", "", ("5 5TH AVE APT 5",)),
    # "#" keeps its meaning; a designator is never invented or doubled.
    ("TX", "", "123 Main St #4", "", ("123 MAIN ST # 4",)),
    ("TX", "", "123 Main St", "# 5B", ("123 MAIN ST # 5B",)),
    ("TX", "", "123 Main St Apt #7", "", ("123 MAIN ST APT 7",)),
    ("TX", "", "123 Main St", "Ste. # 200", ("123 MAIN ST STE 200",)),
    ("TX", "", "123 Main St", "5B", ("123 MAIN ST 5B",)),
    ("TX", "", "123 Main St #4", "#4", ("123 MAIN ST # 4",)),
    # Appendix C2 designators, with and without a number; placement after the street.
    ("TX", "", "123 Main St", "Apartment 12", ("123 MAIN ST APT 12",)),
    ("TX", "", "123 Main St", "Floor 30", ("123 MAIN ST FL 30",)),
    ("TX", "", "123 Main St", "Room 101", ("123 MAIN ST RM 101",)),
    ("TX", "", "123 Main St", "Penthouse", ("123 MAIN ST PH",)),
    ("TX", "", "123 Main St", "Lobby", ("123 MAIN ST LBBY",)),
    ("TX", "", "123 Main St", "Upper", ("123 MAIN ST UPPR",)),
    ("TX", "", "123 Main St", "Trailer 9", ("123 MAIN ST TRLR 9",)),
    ("TX", "", "123 Main St", "Space 14", ("123 MAIN ST SPC 14",)),
    ("TX", "", "123 Main St", "Hangar 2", ("123 MAIN ST HNGR 2",)),
    ("TX", "", "123 Main St", "Department 5", ("123 MAIN ST DEPT 5",)),
    ("TX", "", "123 Main St", "PMB 300", ("123 MAIN ST PMB 300",)),
    ("TX", "", "123 Main St", "Bldg 5 Apt 4", ("123 MAIN ST BLDG 5 APT 4",)),
    ("TX", "", "123 Main St Rear", "", ("123 MAIN ST REAR",)),
    ("TX", "", "Apt 5 123 Main Street", "", ("123 MAIN ST APT 5",)),
    ("TX", "", "Apt 5", "123 Main Street", ("123 MAIN ST APT 5",)),
    ("TX", "", "123 Main St", "Attn Billing", ("ATTN BILLING", "123 MAIN ST")),
    # Too wide with the unit: the unit goes on the line above the delivery line.
    ("TX", "", "12345 North Martin Luther King Junior Memorial Highway", "Suite 412",
     ("STE 412", "12345 N MARTIN LUTHER KING JUNIOR MEMORIAL HWY")),
    # Appendix C1 suffixes only in suffix position; directionals (Appendix B) before a name or after a suffix.
    ("TX", "", "123 North Main Street", "Suite 848", ("123 N MAIN ST STE 848",)),
    ("DC", "", "1600 Pennsylvania Avenue Northwest", "", ("1600 PENNSYLVANIA AVE NW",)),
    ("TX", "", "100 North Street", "", ("100 NORTH ST",)),
    ("DC", "", "100 N Street", "", ("100 N ST",)),
    ("TX", "", "100 North Park Avenue", "", ("100 N PARK AVE",)),
    ("NY", "", "44 Avenue of the Americas", "Suite 4400", ("44 AVENUE OF THE AMERICAS STE 4400",)),
    ("TX", "", "1000 Avenue 100", "", ("1000 AVENUE 100",)),
    ("TX", "", "Route 66", "", ("ROUTE 66",)),
    ("TX", "", "400 Route 66", "", ("400 ROUTE 66",)),
    ("TX", "", "500 County Road 12", "", ("500 COUNTY ROAD 12",)),
    ("CA", "", "200 Highway 101 North", "", ("200 HIGHWAY 101 N",)),
    ("TX", "", "21 Street", "", ("21 STREET",)),
    ("TX", "", "100 Front St", "", ("100 FRONT ST",)),
    ("NY", "", "1 Coenties Slip", "", ("1 COENTIES SLIP",)),
    ("TX", "", "12 Park Place", "", ("12 PARK PL",)),
    ("TX", "", "8 Silver Lake", "", ("8 SILVER LK",)),
    ("TX", "", "512 Vaughn Club", "Suite 927", ("512 VAUGHN CLB STE 927",)),
    ("TX", "", "9 Crt Of Kings", "", ("9 CRT OF KINGS",)),
    ("TX", "", "77 Oak Crt", "", ("77 OAK CT",)),
    ("TX", "", "30 West 200 North Street", "Unit 100", ("30 W 200 NORTH ST UNIT 100",)),
    ("TX", "", "1 Two Thousand Five Ln", "", ("1 TWO THOUSAND FIVE LN",)),
    ("TX", "", "Two Thousand Five Oak Ln", "", ("2005 OAK LN",)),
    # PO BOX, RR, HC and military forms (Pub 28 chapter 2).
    ("TX", "", "P.O. Box 123", "", ("PO BOX 123",)),
    ("TX", "", "POB 77", "", ("PO BOX 77",)),
    ("TX", "", "Box 9", "", ("PO BOX 9",)),
    ("TX", "", "PO Box #55", "", ("PO BOX 55",)),
    ("IA", "", "Rural Route 2 Box 152", "", ("RR 2 BOX 152",)),
    ("IA", "", "RFD 4 Box 23A", "", ("RR 4 BOX 23A",)),
    ("IA", "", "Route 2 Box 5", "", ("RR 2 BOX 5",)),
    ("NM", "", "Highway Contract 68 Box 19", "", ("HC 68 BOX 19",)),
    ("NM", "", "Star Route 3 Box 12", "", ("HC 3 BOX 12",)),
    ("AE", "", "PSC 802 Box 74", "", ("PSC 802 BOX 74",)),
    ("AE", "", "Unit 2050 Box 4190", "", ("UNIT 2050 BOX 4190",)),
    ("AP", "", "CMR 450 Box 2", "", ("CMR 450 BOX 2",)),
    # Puerto Rico (Pub 28 chapter 29): prefixes before the name, house number first, urbanization above.
    ("PR", "Urb. Las Gladiolas", "150 Calle Tulipan", "", ("URB LAS GLADIOLAS", "150 CALLE TULIPAN")),
    ("PR", "Urbanizacion Royal Oak", "A17 Calle 1", "", ("URB ROYAL OAK", "A17 CALLE 1")),
    ("PR", "", "585 Avenida FD Roosevelt", "", ("585 AVE FD ROOSEVELT",)),
    ("PR", "", "Calle 19 Blq 199 Casa 31", "", ("199-31 CALLE 19",)),
    ("PR", "", "Carretera 2 Km 5.4", "", ("CARR 2 KM 5.4",)),
    ("PR", "", "105 Camino Amazona", "Edificio 3 Apto 201", ("105 CAMINO AMAZONA BLDG 3 APT 201",)),
    ("PR", "", "Apartado 123", "", ("PO BOX 123",)),
    ("PR", "", "Calle Peña 5", "", ("CALLE PENA 5",)),
    ("PR", "", "HC 1 Box 5432", "", ("HC 1 BOX 5432",)),
]  # fmt: skip


@pytest.mark.parametrize(("state", "urbanization", "street", "unit", "expected"), PUB28_TABLE)
def test_pub28_table(state: str, urbanization: str, street: str, unit: str, expected: tuple[str, ...]) -> None:
    """Each tricky input prints its Pub 28 form: numbers unchanged, only Pub 28 abbreviations and placements."""
    zip_code = "00926" if state == "PR" else "73301"
    lines = address_block(("Ana Ruiz",), (urbanization, street, unit), "Town", state, zip_code)
    assert lines == ("ANA RUIZ", *expected, f"TOWN {state} {zip_code}")


def test_pub28_table_is_large_and_covers_the_issue() -> None:
    assert len(PUB28_TABLE) >= 60
    streets = {(street, unit) for _, _, street, unit, _ in PUB28_TABLE}
    assert {("Calle 3 #45", ""), ("123 Main St Apt 4", "Apt 4"), ("One Hundred Main Street", "")} <= streets


def test_care_of_stays_on_a_name_line() -> None:
    assert address_block(("Ana Ruiz", "c/o Jane Doe"), ("", "12 Elm St", ""), "Town", "TX", "73301")[:2] == (
        "ANA RUIZ", "C/O JANE DOE")  # fmt: skip


def test_ledger_street_cache_and_the_rules_agree_on_the_table(tmp_path: Path) -> None:
    """What a later run takes from the ledger's street cache prints exactly what the rules print, and a
    line the planner passes by (``needs_parser`` false) is one the rules leave as written."""
    from letters.address import needs_parser, standard_delivery, standard_rules
    from letters.ledger import Ledger

    cases = [(state, (urb, street, unit)) for state, urb, street, unit, _ in PUB28_TABLE]
    streets = [(d[1], d[2]) for state, d in cases if needs_parser(d[1], d[2], state)]
    ledger = Ledger(tmp_path / "ledger.sqlite")
    ledger.remember_streets({key: standard_delivery(*key) for key in streets}, standard_rules())
    ledger.close()
    known = Ledger(tmp_path / "ledger.sqlite").standard_streets(streets, standard_rules())
    assert set(known) == set(streets)

    def from_cache(street: str, unit: str) -> tuple[str, str]:
        return known[(street, unit)] if (street, unit) in known else (usps_line(street), usps_line(unit))

    for state, delivery in cases:
        direct = address_block(("A",), delivery, "Town", state, "73301")
        assert address_block(("A",), delivery, "Town", state, "73301", from_cache) == direct, delivery
        if state != "PR" and not needs_parser(delivery[1], delivery[2], state):
            assert standard_delivery(delivery[1], delivery[2]) == (usps_line(delivery[1]), usps_line(delivery[2]))


def test_lines_already_in_pub28_form_skip_the_rules_unchanged(tmp_path: Path) -> None:
    """The planner skips the rules (and the ledger) for lines already standard: on a sample list, every such
    line is one the rules would print as written."""
    import csv

    from letters.address import needs_parser
    from letters.address.pub28 import standardise
    from letters.campaign import load_campaign
    from letters.sample import generate

    files = generate(load_campaign("23LJ01").campaign, tmp_path, 800, seed=9)
    with files.owners.open(encoding="utf-8") as handle:
        rows = [(r["Address 1"], r["Address 2"], r["State"]) for r in csv.DictReader(handle)]
    plain = [(s, u) for s, u, state in rows if not needs_parser(s, u, state) and state != "PR"]
    assert plain and len(plain) < len(rows)
    for street, unit in [*plain, ("123 N MAIN ST", ""), ("1600 PENNSYLVANIA AVE NW", ""), ("42 W 3RD ST", "")]:
        assert standardise(street, unit) == (usps_line(street), usps_line(unit)), street


def test_zip_prefix_table_is_the_zipcodes_data() -> None:
    """The shipped ZIP-prefix table is what the installed ``zipcodes`` package says, prefix by prefix."""
    from importlib.resources import files

    from letters.address import ZIP_PREFIXES, zip_prefix_states, zip_prefix_table

    made = zip_prefix_table()
    shipped = files("letters.address").joinpath(ZIP_PREFIXES).read_text(encoding="ascii")
    # On a new zipcodes release: python -c "from letters.address import zip_prefix_table as t;
    # open('letters/address/zip_prefixes.txt', 'w').write(t())"
    assert shipped == made
    states = zip_prefix_states()
    assert states["006"] == {"PR"} and "TX" in states["733"] and "000" not in states


def _generated_lines(count: int, seed: int) -> list[tuple[str, str]]:
    """(street, unit) pairs: Faker's US addresses, and words drawn from Pub 28's own tables around the
    plain form (directionals, suffixes, designators, number words, PO BOX and route forms, punctuation)."""
    import random

    from faker import Faker

    from letters.address import pub28

    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    names = [
        "MAIN",
        "Oak",
        "elm",
        "Martin Luther King",
        "Park",
        "Lake",
        "Front",
        "Key",
        "Rear",
        "Unit",
        "Court",
        "Avenue",
        "Of",
        "The",
        "Americas",
        "Ninth",
        "One",
        "Box",
        "Route",
        "County",
        "Road",
        "Star",
        "Post",
    ]
    words = [
        *names,
        *rng.sample(sorted(pub28.suffixes()), 60),
        *pub28.DIRECTIONAL,
        *pub28.SECONDARY,
        *("North", "south", "SouthWest", "#", "C/O", "PO", "Apt.", "St.", "1/2", "66", "12B", "5-B", "X"),
    ]
    lines = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.3:
            street, unit = fake.street_address(), fake.secondary_address() if rng.random() < 0.4 else ""
        else:
            body = " ".join(rng.choice(words) for _ in range(rng.randint(1, 4)))
            house = rng.choice([str(rng.randint(1, 99999)), "0", "12", "One Hundred", ""])
            tail = rng.choice(
                ["", f" {rng.choice(list(pub28.SECONDARY))} {rng.randint(1, 999)}", " Apt. 4", " # 5", " Suite 100"]
            )
            street = f"{house} {body}{tail}".strip()
            unit = rng.choice(
                [
                    "",
                    "",
                    f"{rng.choice(list(pub28.SECONDARY))} {rng.randint(1, 99)}",
                    "Apt. 7",
                    "Suite 12",
                    "Rear",
                    "#3",
                    "C/O Ana Ruiz",
                    "9",
                ]
            )
        if rng.random() < 0.2:
            street = street.upper() if rng.random() < 0.5 else street.lower()
        lines.append((street, unit))
    return lines


def test_plain_form_equals_the_full_rules_on_a_generated_corpus() -> None:
    """The lookup path (``pub28._plain``) and the full rules give the same line, and ``may_change`` the
    same verdict, on 40,000 generated addresses, most of them in the plain form the lookup takes."""
    from letters.address import pub28

    lines = _generated_lines(40_000, seed=24)
    taken = 0
    for street, unit in lines:
        assert pub28.standardise(street, unit) == pub28.rules(street, unit), (street, unit)
        assert pub28.may_change(street, unit) == pub28.changes_by_tokens(street, unit), (street, unit)
        taken += pub28._plain(street, unit) is not None
    assert 0.15 * len(lines) < taken < 0.9 * len(lines)  # both paths are exercised


def test_pub28_table_through_the_full_rules() -> None:
    """Every case of the Pub 28 table that the lookup path takes, the full rules write the same way."""
    from letters.address import pub28

    cases = [(street, unit) for state, _, street, unit, _ in PUB28_TABLE if state != "PR"]
    plain = [case for case in cases if pub28._plain(*case) is not None]
    assert plain
    for street, unit in cases:
        assert pub28.standardise(street, unit) == pub28.rules(street, unit), (street, unit)
