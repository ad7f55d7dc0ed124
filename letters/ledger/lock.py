"""One writer per ledger: the run lock."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from pathlib import Path

from letters.errors import LedgerBusy, LedgerError
from letters.ledger.schema import now


class RunLock:
    """One writer per ledger: an exclusive ``flock`` on ``LEDGER.lock``, holding the holder's details.

    The operating system drops the lock when its process dies however it dies (``kill -9``
    included), so a lock left by a dead run is simply taken over; the details in the file
    only serve to name the running holder to a second run that is refused.
    """

    def __init__(self, ledger: Path) -> None:
        self.path = ledger.with_name(ledger.name + ".lock")
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LedgerError(f"cannot open the ledger lock {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder()
            os.close(self.fd)
            raise LedgerBusy(
                f"another letters run is using the ledger {ledger}: {holder}; "
                "wait for it to finish, then run this again (its runs are finished, never repeated)"
            ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": now(), "command": " ".join(sys.argv)}
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, json.dumps(info).encode("utf-8"), 0)

    def _holder(self) -> str:
        try:
            info = json.loads(os.pread(self.fd, 4096, 0) or b"{}")
        except (OSError, ValueError):
            info = {}
        if not info:
            return "a process that has not yet said who it is"
        return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started')} ({info.get('command')})"

    def release(self) -> None:
        if self.fd >= 0:
            # The file stays: removing it would let a third run lock a new file while a
            # second still waits on the old one.
            os.close(self.fd)
            self.fd = -1
