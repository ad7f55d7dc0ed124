"""The review app's cache: renders and diffs kept by a fingerprint of their content, made off the event loop.

A campaign's entries live in ``output/review-cache/CODE/FINGERPRINT/``. The fingerprint
hashes the contents of every file the notice is made of (the campaign folder, the shared
templates, the kinds, the engine's own code) except ``approvals.toml``: approving a
revision leaves every page render valid. When the fingerprint changes, the campaign's
other folders are removed. Jobs run in a pool of worker processes (or threads when
``workers`` is 0); two requests for the same entry share one job.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import shutil
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from letters import paths
from letters.campaign import LoadedCampaign

log = logging.getLogger("letters.review")
SKIPPED = frozenset({"approvals.toml"})
"""Files whose changes do not change a render: approvals are read fresh on every page."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the engine's source: a render made by other code is not reused."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[2]
    for path in sorted(root.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class Store:
    """Cache folders, in-flight jobs and the worker pool of one app."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Executor | None = None
        self._running: dict[Path, asyncio.Future[Any]] = {}
        self._hashes: dict[Path, tuple[int, int, str]] = {}
        self._current: dict[str, str] = {}
        self._json: dict[Path, tuple[int, Any]] = {}

    @property
    def root(self) -> Path:
        return paths.output_dir() / "review-cache"

    def pool(self) -> Executor:
        if self._pool is None:
            if self.workers > 0:
                from letters.mail.pool import worker_context
                from letters.review.web.jobs import PRELOAD, start_worker

                context = worker_context()
                context.set_forkserver_preload(PRELOAD)
                self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=start_worker)
            else:
                self._pool = ThreadPoolExecutor(2, thread_name_prefix="review")
        return self._pool

    def close(self) -> None:
        """Stop the pool: queued jobs are dropped and running ones stopped (their partial files are never used)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            processes = list((getattr(pool, "_processes", None) or {}).values())  # a process pool's workers
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                process.terminate()

    def _file_hash(self, path: Path) -> str:
        stat = path.stat()
        known = self._hashes.get(path)
        if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
            return known[2]
        value = hashlib.sha256(path.read_bytes()).hexdigest()
        self._hashes[path] = (stat.st_mtime_ns, stat.st_size, value)
        return value

    def fingerprint(self, loaded: LoadedCampaign) -> str:
        """Hash of the contents the campaign's renders are made of (approvals left out)."""
        digest = hashlib.sha256(code_version().encode())
        templates = paths.templates_dir()
        for folder in (loaded.folder, paths.shared_templates_dir(), templates / "_kinds"):
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.name not in SKIPPED:
                    digest.update(f"{path.relative_to(templates)}\0{self._file_hash(path)}\0".encode())
        return digest.hexdigest()[:16]

    def folder(self, loaded: LoadedCampaign) -> Path:
        """The campaign's cache folder for its current content; stale siblings are removed."""
        code = loaded.campaign.code
        fingerprint = self.fingerprint(loaded)
        folder = self.root / code / fingerprint
        if self._current.get(code) != fingerprint:
            folder.mkdir(parents=True, exist_ok=True)
            for other in folder.parent.iterdir():
                if other != folder and other.is_dir():
                    shutil.rmtree(other, ignore_errors=True)
            self._current[code] = fingerprint
        else:
            folder.mkdir(parents=True, exist_ok=True)
        return folder

    async def run(self, job: Callable[..., Any], *args: Any) -> Any:
        """``job(*args)`` in the pool, awaited without blocking the event loop."""
        return await asyncio.wrap_future(self.pool().submit(job, *args))

    async def make(self, target: Path, job: Callable[..., Any], *args: Any) -> Path:
        """``target``, made by ``job(*args)`` unless it exists; one job for any number of waiting requests."""
        if target.exists():
            return target
        running = self._running.get(target)
        if running is None:
            running = asyncio.ensure_future(self.run(job, *args))
            self._running[target] = running
            running.add_done_callback(lambda _: self._running.pop(target, None))
        # A request that goes away does not cancel the job the others wait for.
        await asyncio.shield(running)
        return target

    def read_json(self, path: Path) -> Any:
        """A cache file's JSON, parsed once per version of the file."""
        stamp = path.stat().st_mtime_ns
        known = self._json.get(path)
        if known is None or known[0] != stamp:
            if len(self._json) > 64:
                self._json.clear()
            known = self._json[path] = (stamp, json.loads(path.read_text(encoding="utf-8")))
        return known[1]
