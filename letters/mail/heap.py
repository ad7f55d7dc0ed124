"""The garbage collector kept off what a mailing holds for its whole length.

A full collection walks every tracked object, and once WeasyPrint, the fonts and the
campaign are loaded each one costs about 0.35 s of CPU on the benchmark machine: a
5,000-letter mailing ran two in its main process and four in each worker, about a tenth of
its CPU, for nothing (what it walked lives until the end). ``gc.freeze`` moves the objects
alive now into a generation no collection walks; cycles made from then on are still found.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_frozen = [False]
"""Whether ``long_lived`` froze the heap (and so unfreezes it at its end)."""


@contextmanager
def long_lived() -> Iterator[None]:
    """For the length of a ``mail`` call, what is alive at its start (modules, the caller's objects) and what
    ``settle`` later adds is not walked again; at its end, all of it goes back to the collector as it was.

    Nested in a caller's own freeze, or with the collector off, it leaves the heap to the caller.
    """
    if _frozen[0] or gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.freeze()
    _frozen[0] = True
    try:
        yield
    finally:
        _frozen[0] = False
        gc.unfreeze()


def settle() -> None:
    """Within ``long_lived``: what is alive now stays so until the call ends (the reconciliation), so no later
    collection walks it; garbage it holds, if any, is collected after the call."""
    if _frozen[0]:
        gc.freeze()


def worker_started() -> None:
    """In a new worker: the modules its fork server loaded live as long as it does."""
    gc.freeze()
