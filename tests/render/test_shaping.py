"""The shaping cache: exact hits, and the lines that repeat kept however many unique ones pass."""

from __future__ import annotations

from letters.render.shaping import ShapeCache, shape


def test_repeating_lines_survive_a_stream_of_unique_ones() -> None:
    cache = ShapeCache(capacity=100)
    city = ("DETROIT MI 48201", False, 10.0)
    cache[city] = shape(*city, {})
    for n in range(1000):  # piece IDs: each seen once
        assert cache.get(city) is not None  # the city line of every letter in a ZIP run
        line = (f"NAME {n:06d}", False, 9.0)
        cache[line] = shape(*line, {})
    assert len(cache) == 100
    assert city in cache and ("NAME 000999", False, 9.0) in cache
    assert ("NAME 000000", False, 9.0) not in cache  # the oldest unused went first


def test_lines_holding_a_vin_are_never_kept() -> None:
    cache = ShapeCache()
    for text in ("1HGCM82633A004352", "23LJ01-5-0001-000042 · 1HGCM82633A004352", "JTJAAAAL5PJ100001 x"):
        cache[(text, False, 9.0)] = shape(text, False, 9.0, {})
    kept = ("4180 SW VILLANUEVA LKS APT 1234567890123456", False, 10.0)  # no 17-character word
    cache[kept] = shape(*kept, {})
    assert list(cache) == [kept]


def test_a_hit_is_the_shape_itself() -> None:
    cache = ShapeCache()
    key = ("AVENIDA LÓPEZ 12", True, 10.0)
    cache[key] = shape(*key, {})
    assert cache.get(key) == shape(*key, {})
    assert cache.get(("other", True, 10.0)) is None


def test_glyph_elements_worked_out_once_per_face_and_size_give_what_fresh_arithmetic_gives() -> None:
    from tests.render.test_fast import TRICKY

    widths = {3: 278, 36: 667, 68: 556}  # some glyphs with the font's PDF width, the rest from HarfBuzz
    lines = [line for letter in TRICKY for line in letter]
    warm = [shape(line, bold, size, widths) for size in (8.666015625, 13.3330078125) for bold in (False, True)
            for line in lines]  # fmt: skip
    fresh = [shape(line, bold, size, dict(widths)) for size in (8.666015625, 13.3330078125) for bold in (False, True)
             for line in lines]  # fmt: skip
    assert warm == fresh  # each fresh call works every element out anew (a new widths table)
