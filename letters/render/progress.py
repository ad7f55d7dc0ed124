"""Letters laid out so far, for the mailing run's progress bar (per letter, or per layout chunk).

Renderers call ``laid_out(n)`` as they go. In a worker process the count goes to a counter
shared with the run (``share``, set by the pool's initializer), which the run reads while it
waits; in the run's own process a callback (``watch``) takes it directly. Nothing here
changes what is printed: it only counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_shared: Any = None
"""A ``multiprocessing.Value`` of letters laid out by this worker process, or None."""
_watcher: Callable[[int], None] | None = None
"""Called with each count in the run's own process, or None."""


def share(counter: Any) -> None:
    """In a worker: add every count to ``counter`` (a shared ``multiprocessing.Value``)."""
    global _shared
    _shared = counter


@contextmanager
def watch(callback: Callable[[int], None]) -> Iterator[None]:
    """In the run's process: call ``callback(n)`` for every count while inside."""
    global _watcher
    before, _watcher = _watcher, callback
    try:
        yield
    finally:
        _watcher = before


def laid_out(n: int = 1) -> None:
    """``n`` more letters of the batch being rendered are laid out."""
    if _shared is not None:
        with _shared.get_lock():
            _shared.value += n
    if _watcher is not None:
        _watcher(n)
