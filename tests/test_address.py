"""Address lines in USPS form, and the envelope window they must fit."""

from __future__ import annotations

import re
from pathlib import Path

from letters.address import WINDOW_FONT_PT, WINDOW_LINES, WINDOW_WIDTH_IN, overflow, width_in

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


TRICKY_STREETS = [
    ("48207 Anna Throughway Apt. 126", ""), ("512 Vaughn Club Suite 927", "Suite 544"), ("5 5th Ave Apt 5", ""),
    ("100 W 10th Street", ""), ("123 Main St #4", ""), ("Apt 5 123 Main Street", ""), ("12 1/2 Elm Street", ""),
    ("1000 Avenue 100", ""), ("Route 66", ""), ("Highway 101 North", ""), ("County Road 12", ""), ("5 Street", ""),
    ("21 Street", ""), ("PO Box 123", ""), ("0123 Main Street", ""), ("1 2 3 4 5 6 7 8 9 10 Street", ""),
    ("200 Fifth Avenue", "Floor 30"), ("30 West 200 North Street", "Unit 100"), ("7 Seventh Street", "Apt 7"),
    ("1600 Pennsylvania Avenue Northwest", ""), ("44 Avenue of the Americas", "Suite 4400"), ("3 Third St", "#3"),
    ("12 Main St", "Apartment 12"), ("90 Ninety Rd", "Lot 90"), ("13 13th Street", ""), ("111 East 111 Street", ""),
]  # fmt: skip


def test_shared_number_parses_agree_with_the_parser(tmp_path: Path) -> None:
    """Lines parsed once per shape of their numbers give exactly what parsing each line gives."""
    import csv

    from letters.address import _parse_delivery, standard_delivery
    from letters.campaign import load_campaign
    from letters.sample import generate

    files = generate(load_campaign("23LJ01").campaign, tmp_path, 1500, seed=9)
    with files.owners.open(encoding="utf-8") as handle:
        sample = [(r["Address 1"], r["Address 2"]) for r in csv.DictReader(handle) if r["State"] not in ("PR", "VI")]
    standard_delivery.cache_clear()
    _parse_delivery.cache_clear()
    shared = [standard_delivery(street, unit) for street, unit in TRICKY_STREETS + sample]
    assert _parse_delivery.cache_info().misses < len(set(TRICKY_STREETS + sample))  # some parses were shared
    _parse_delivery.cache_clear()
    assert shared == [_parse_delivery(street, unit) for street, unit in TRICKY_STREETS + sample]
