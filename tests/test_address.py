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
