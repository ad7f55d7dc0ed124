"""What the review app's pages stand on: its settings, path checks, and the cached work behind the pages.

Renders and diffs run in worker processes (``cache.Store``), never on the event loop;
a campaign that does not load is ``Broken``, shown with its errors in full.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from letters import paths
from letters.campaign import LoadedCampaign, canonical_code, load_campaign
from letters.errors import LettersError
from letters.review.security import LOOPBACK
from letters.review.web import jobs
from letters.review.web.cache import Store

log = logging.getLogger("letters.review")


@dataclass(frozen=True)
class Settings:
    """What the app needs to know of its surroundings."""

    secret: bytes
    """Signs the CSRF tokens and sessions; new for every server start."""
    hosts: tuple[str, ...] = LOOPBACK
    """Host names it answers (``letters.review.security``)."""
    reviewers: Path | None = None
    """The reviewers file (default: the project's reviewers.toml)."""
    proxy_user_header: str = ""
    """Header a reverse proxy names the signed-in reviewer in; empty: reviewers sign in with a password."""
    workers: int = 2
    """Worker processes for renders and diffs (0: threads, for tests)."""
    warm: bool = False
    """Render every bundled campaign's revisions in the background at start (``letters review`` does)."""


def _code(code: str) -> str:
    try:
        canonical = canonical_code(code)
    except LettersError:
        raise HTTPException(404, f"no campaign {code!r}") from None
    if canonical != code or not (paths.templates_dir() / code / "campaign.toml").is_file():
        raise HTTPException(404, f"no campaign {code!r}")
    return code


def load(code: str) -> tuple[LoadedCampaign, frozenset[str], str]:
    """The campaign, or if a draft (a revision file not approved) does not load, the campaign without it.

    Returns (campaign, revision files left out, their errors in full).
    """
    from letters.campaign.history import read_toml, skipping

    try:
        return load_campaign(code), frozenset(), ""
    except LettersError as exc:
        message = exc.message
    folder = paths.templates_dir() / code
    try:
        approvals = read_toml(folder / "approvals.toml").get("approval", [])
        approved = {str(a.get("revision")) for a in approvals if isinstance(a, dict)}
    except (LettersError, OSError):
        approved = set()
    for path in sorted((folder / "revisions").glob("*.toml"), reverse=True):
        if path.stem in approved:
            continue
        names = frozenset({path.name})
        try:
            with skipping(names):
                return load_campaign(code), names, message
        except LettersError:
            continue
    raise Broken(code, message)


def without(names: frozenset[str], work: Callable[..., Any], *args: Any) -> Any:
    """``work(*args)`` with the broken drafts ``names`` left out (in the calling thread: run it in the pool)."""
    from letters.campaign.history import skipping

    with skipping(names):
        return work(*args)


class Broken(Exception):
    """A campaign folder that exists but does not load: its errors, in full."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _revision(loaded: LoadedCampaign, raw: str) -> str:
    ids = [entry.id for entry in loaded.history]
    if raw not in ids:
        raise HTTPException(404, f"campaign {loaded.campaign.code} has no revision {raw!r}")
    return raw


def _previous(loaded: LoadedCampaign, revision: str) -> str | None:
    ids = [entry.id for entry in loaded.history]
    index = ids.index(revision)
    return ids[index - 1] if index > 0 else None


class Review:
    """The cached, off-loop work behind the pages."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.skipped: dict[str, tuple[frozenset[str], str]] = {}
        """Per campaign, the broken drafts left out and their errors."""

    async def campaign(self, code: str) -> LoadedCampaign:
        """The campaign, loaded off the event loop (a broken draft left out, see ``load``)."""
        loaded, names, message = await run_in_threadpool(load, _code(code))
        self.skipped[code] = (names, message)
        return loaded

    def skip(self, loaded: LoadedCampaign) -> tuple[str, ...]:
        return tuple(sorted(self.skipped.get(loaded.campaign.code, (frozenset(), ""))[0]))

    def broken(self, loaded: LoadedCampaign) -> tuple[list[str], str]:
        """The broken drafts left out of ``loaded`` (their file names) and their errors in full."""
        names, message = self.skipped.get(loaded.campaign.code, (frozenset(), ""))
        return sorted(names), message

    async def copy(self, loaded: LoadedCampaign, rev: str) -> dict[str, Any]:
        folder = self.store.folder(loaded)
        pdf, manifest = folder / f"copy-{rev}.pdf", folder / f"copy-{rev}.json"
        code = loaded.campaign.code
        await self.store.make(manifest, jobs.copy_job, str(paths.home()), self.skip(loaded), code, rev, pdf, manifest)
        data: dict[str, Any] = self.store.read_json(manifest)
        return data

    async def changes(self, loaded: LoadedCampaign, rev: str, against: str) -> list[dict[str, Any]]:
        await asyncio.gather(self.copy(loaded, rev), self.copy(loaded, against))
        folder = self.store.folder(loaded)
        target = folder / f"changes-{against}-{rev}.json"
        old, new = folder / f"copy-{against}.json", folder / f"copy-{rev}.json"
        await self.store.make(
            target, jobs.changes_job, str(paths.home()), self.skip(loaded), loaded.campaign.code, old, new, target
        )
        data: list[dict[str, Any]] = self.store.read_json(target)
        return data

    async def history(self, loaded: LoadedCampaign) -> list[dict[str, Any]]:
        """The revision rows, with where each stands in review now (``review``: read fresh, never cached)."""
        from letters.review.status import states

        target = self.store.folder(loaded) / "history.json"
        await self.store.make(
            target, jobs.history_job, str(paths.home()), self.skip(loaded), loaded.campaign.code, target
        )
        cached = {row["id"]: row for row in self.store.read_json(target)}
        names = self.skipped.get(loaded.campaign.code, (frozenset(), ""))[0]
        reviews = await run_in_threadpool(without, names, states, loaded.campaign.code)
        rows = []
        for entry in loaded.history:
            row = cached.get(entry.id, {"id": entry.id, "topics": list(entry.topics), "documents": []})
            rows.append({**row, "review": reviews[entry.id]})
        return rows

    async def png(self, loaded: LoadedCampaign, rev: str, number: int, dpi: int) -> Path:
        copy = await self.copy(loaded, rev)
        pages = sum(d["pages"] for d in copy["documents"])
        if not 1 <= number <= pages:
            raise HTTPException(404, f"no page {number}")
        folder = self.store.folder(loaded)
        target = folder / f"copy-{rev}-p{number}-{dpi}.png"
        return await self.store.make(target, jobs.png_job, folder / f"copy-{rev}.pdf", number, dpi, target)

    async def warm(self) -> None:
        """Every bundled campaign: history, each revision's copy, each revision against the one before."""
        from letters.campaign.author import campaigns

        for listed in await run_in_threadpool(campaigns):
            try:
                loaded = await self.campaign(listed["code"])
                await self.history(loaded)
                ids = [e.id for e in loaded.history]
                for before, after in zip([None, *ids], ids, strict=False):
                    await (self.changes(loaded, after, before) if before else self.copy(loaded, after))
            except Exception:
                log.info("review app: warming %s stopped", listed.get("code"), exc_info=True)
