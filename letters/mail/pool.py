"""The worker processes of a mailing: forked from one fork server with the planning and rendering code loaded."""

from __future__ import annotations

from multiprocessing import get_context
from multiprocessing.context import ForkServerContext

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
