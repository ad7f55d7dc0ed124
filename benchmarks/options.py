"""Option types the benchmark scripts share (each script runs as ``python benchmarks/X.py``, so this folder is on
its path)."""

from __future__ import annotations

import argparse


def positive(text: str) -> int:
    """A whole number of at least 1, or argparse's usage error naming the option."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value
