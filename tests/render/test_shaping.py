"""The shaping cache: exact hits, and the lines that repeat kept however many unique ones pass."""

from __future__ import annotations

from letters.render.shaping import ShapeCache, shape


def test_repeating_lines_survive_a_stream_of_unique_ones() -> None:
    cache = ShapeCache(capacity=100)
    city = ("DETROIT MI 48201", False, 10.0)
    cache[city] = shape(*city, {})
    for n in range(1000):  # piece IDs: each seen once
        assert cache.get(city) is not None  # the city line of every letter in a ZIP run
        line = (f"23LJ01-5-0001-{n:06d}", False, 9.0)
        cache[line] = shape(*line, {})
    assert len(cache) == 100
    assert city in cache and ("23LJ01-5-0001-000999", False, 9.0) in cache
    assert ("23LJ01-5-0001-000000", False, 9.0) not in cache  # the oldest unused went first


def test_a_hit_is_the_shape_itself() -> None:
    cache = ShapeCache()
    key = ("AVENIDA LÓPEZ 12", True, 10.0)
    cache[key] = shape(*key, {})
    assert cache.get(key) == shape(*key, {})
    assert cache.get(("other", True, 10.0)) is None
