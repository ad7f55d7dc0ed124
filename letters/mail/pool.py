"""The worker processes of a mailing: forked from one fork server with the planning and rendering code loaded."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from multiprocessing import get_context
from multiprocessing.context import ForkServerContext
from types import TracebackType
from typing import Any

import psutil

from letters.mail.heap import worker_started
from letters.render import progress as letters_laid_out

PRELOAD = [
    "letters.mail.plan",
    "letters.mail.keying",
    "letters.render.pieces",
    "letters.render.fast",
    "letters.render.workers",
]
"""Imported once by the fork server, so no worker imports them again (about a second of CPU each)."""


def worker_context() -> ForkServerContext:
    """The context every pool of a mailing uses (planning and rendering alike).

    Workers come from a fork server started before this process loaded the records: they do
    not inherit (and count as resident) the reconciliation of a large campaign, so their
    memory stays flat however large the phase. The fork server starts once, at the first
    pool, so the preload is set for every pool: planning's pool starts it on a large run.
    """
    context = get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


WATCH_S = 1.0
"""How often a worker checks that the run that started it is still there."""


def _alive(pid: int, started: float) -> bool:
    try:
        return bool(psutil.Process(pid).create_time() == started)
    except psutil.Error:  # gone (or its pid taken by another process)
        return False


def watch_run(pid: int, started: float) -> None:
    """End this worker once process ``pid`` (the run, started at ``started``) is gone.

    A worker is the fork server's child, not the run's, so a run killed with ``kill -9``
    takes none with it: they would wait on its queue for ever (and finish a batch nobody
    records). Called in each worker as it starts; a daemon thread, so it costs nothing.
    """

    def watch() -> None:
        while _alive(pid, started):
            time.sleep(WATCH_S)
        os._exit(1)

    threading.Thread(target=watch, name="letters-watch-run", daemon=True).start()


def this_run() -> tuple[int, float]:
    """(pid, start time) of this process, for ``watch_run`` in its workers."""
    return os.getpid(), psutil.Process().create_time()


def _start_worker(laid_out: Any, run: tuple[int, float]) -> None:
    # Workers leave Ctrl-C to the parent, which lets running batches finish and records them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_started()
    watch_run(*run)
    letters_laid_out.share(laid_out)


class MailPool:
    """The worker processes of one ``mail`` or ``remail`` call, shared by every run it plans and executes.

    Started at first use (a small run never starts one): the Pub 28 blocks and barcodes of a
    large run, the preflight's keying and layouts, then the batches, all go to the same
    workers, so each starts once per call, and the campaign, stylesheets and fonts it loads
    for the preflight are loaded when it renders. ``laid_out`` counts the letters its
    workers have laid out since it started, for the progress bar.
    """

    def __init__(self, workers: int | None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._context = worker_context()
        self._laid_out: Any = None
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.RLock()
        self._starting: threading.Thread | None = None

    @property
    def laid_out(self) -> Any:
        """The workers' count of letters laid out (a shared ``multiprocessing.Value``), made with the workers: a
        call that starts none starts no resource tracker for it either."""
        if self._laid_out is None:
            self._laid_out = self._context.Value("q", 0)
        return self._laid_out

    def executor(self) -> ProcessPoolExecutor:
        """The workers (started now if they are not yet, or again if one died)."""
        with self._lock:
            if self._pool is not None and getattr(self._pool, "_broken", False):
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context, initializer=_start_worker,
                                                 initargs=(self.laid_out, this_run()))  # fmt: skip
            return self._pool

    def start(self) -> None:
        """Start the fork server and the workers in the background, for a run that will need them: the fork
        server's start (importing the planning and rendering code, most of a second) overlaps what this
        process does meanwhile (the approval check, the serials, the addresses of a small run)."""
        if self._pool is not None or self._starting is not None or self.workers < 2:
            return

        def start() -> None:
            with suppress(Exception):  # a pool that cannot start fails again, and says why, where it is used
                pool = self.executor()
                for _ in range(self.workers):
                    pool.submit(int)  # each submission starts a worker, up to the pool's size

        self._starting = threading.Thread(target=start, name="letters-start-workers", daemon=True)
        self._starting.start()

    def close(self) -> None:
        """Cancel what has not started, wait for what has, end the workers."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def __enter__(self) -> MailPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
