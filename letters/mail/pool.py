"""The worker processes of a mailing: forked from one fork server with the planning and rendering code loaded."""

from __future__ import annotations

import os
import threading
import time
from multiprocessing import get_context
from multiprocessing.context import ForkServerContext

import psutil

PRELOAD = ["letters.mail.plan", "letters.render.pieces", "letters.render.fast", "letters.render.workers"]
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
