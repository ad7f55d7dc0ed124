"""A campaign's revision history: the original file plus dated revisions that change it.

``templates/<CODE>/campaign.toml`` is the original publication. Each later revision is
``revisions/<YYYY-MM-DD>.toml``: its date, its topics (the IMPORTANT UPDATE rows) and a
``[changes]`` table holding only what it changes, merged into the data before it. Lists of
tables merge by key (phases by ``number``, FAQ items by ``id``, models and chart rows by
``model`` and ``location``); an element with ``remove = true`` deletes its match; any other
value replaces the old one. A folder ``revisions/<YYYY-MM-DD>/`` may hold templates that
replace the campaign's from that revision on. The review log (approvals) is
``letters.review.approvals``: a broken log never hides the campaign.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from letters.errors import CampaignError, Problem, ValidationError, excerpt

REVISIONS_DIR = "revisions"
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "phases": ("number",),
    "faq": ("id",),
    "models": ("model", "location"),
    "chart.rows": ("model", "location"),
}
"""Lists of tables that merge element by element, and the keys that match elements."""


@dataclass(frozen=True)
class RevisionEntry:
    """One dated revision of the campaign package."""

    date: date
    """Publication date; also the revision's ID (YYYY-MM-DD)."""
    topics: tuple[str, ...]
    """What changed, one IMPORTANT UPDATE row each; empty for the original."""
    source: Path
    """The file it was read from."""
    changes: Mapping[str, Any]
    """The data it changes (the whole campaign for the original)."""
    templates: Path | None
    """Folder of templates it replaces, if any."""

    @property
    def id(self) -> str:
        return self.date.isoformat()


SKIPPED: ContextVar[frozenset[str]] = ContextVar("skipped_revisions", default=frozenset())
"""Revision files (names in revisions/) left out of the history: the review app browses a campaign
whose draft is broken without it (``skipping``), and shows that draft's errors instead."""


@contextmanager
def skipping(names: frozenset[str]) -> Iterator[None]:
    """Within the block, load campaigns as if the revision files ``names`` were not there."""
    token = SKIPPED.set(names)
    try:
        yield
    finally:
        SKIPPED.reset(token)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file, with errors that name it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CampaignError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError(f"{path}: not valid TOML: {exc}") from None


def read_history(folder: Path, base: Mapping[str, Any], base_source: Path) -> list[RevisionEntry]:
    """The original and every revision, oldest first."""
    problems: list[Problem] = []
    for key in ("revision", "updates"):
        if key in base:
            problems.append(Problem(f"{base_source}: {key}", "is computed from revisions/; remove it"))
    published = base.get("published")
    if not isinstance(published, date):
        said = ("required: the original publication date" if published is None else
                f"{excerpt(published)} is not a date; write a TOML date unquoted (published = 2024-02-12)")  # fmt: skip
        problems.append(Problem(f"{base_source}: published", said))
        raise ValidationError(f"campaign file {base_source} is not valid:", problems)
    entries = [RevisionEntry(published, (), base_source, base, None)]
    for path in sorted((folder / REVISIONS_DIR).glob("*.toml")):
        if path.name in SKIPPED.get():
            continue
        data = read_toml(path)
        when, topics, changes = data.get("date"), data.get("topics"), data.get("changes", {})
        unknown = set(data) - {"date", "topics", "changes"}
        if unknown:
            problems.append(Problem(f"{path}", f"unknown key(s) {', '.join(sorted(unknown))} (date, topics, changes)"))
        if not isinstance(when, date) or path.stem != when.isoformat():
            problems.append(Problem(f"{path}: date", f"{when} must be a date equal to the file name ({path.stem})"))
            when = None
        elif when <= published:
            problems.append(Problem(f"{path}: date", f"{when} is not after the original publication {published}"))
        if not isinstance(topics, list) or not topics or not all(isinstance(t, str) and t for t in topics):
            problems.append(Problem(f"{path}: topics", "a list of one or more topic texts is required"))
            topics = []
        if not isinstance(changes, dict):
            problems.append(Problem(f"{path}: changes", "must be a table"))
            changes = {}
        if when is None:
            continue
        templates = folder / REVISIONS_DIR / when.isoformat()
        entries.append(RevisionEntry(when, tuple(topics), path, changes, templates if templates.is_dir() else None))
    if problems:
        raise ValidationError(f"revision history of {folder} is not valid:", problems)
    return entries


def pick(entries: Sequence[RevisionEntry], as_of: date | None = None, revision: str | None = None) -> int:
    """Index of the revision asked for: by ID, else the last one published by ``as_of``, else the latest."""
    if revision is not None:
        for i, entry in enumerate(entries):
            if entry.id == revision:
                return i
        ids = ", ".join(e.id for e in entries)
        raise CampaignError(f"no revision {revision!r}; revisions: {ids}")
    if as_of is None:
        return len(entries) - 1
    published = [i for i, e in enumerate(entries) if e.date <= as_of]
    if not published:
        raise CampaignError(f"nothing was published by {as_of.isoformat()}: the original is dated {entries[0].id}")
    return published[-1]


def merged(entries: Sequence[RevisionEntry], upto: int) -> dict[str, Any]:
    """The campaign data as revision ``upto`` left it."""
    data: dict[str, Any] = copy.deepcopy(dict(entries[0].changes))
    for entry in entries[1 : upto + 1]:
        data = merge(data, entry.changes, "")
    return data


def merge(base: Any, patch: Any, path: str) -> Any:
    """``patch`` applied to ``base``: tables merge, keyed lists merge by key, the rest replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            child = f"{path}.{key}" if path else key
            out[key] = merge(base[key], value, child) if key in base else copy.deepcopy(value)
        return out
    keys = MERGE_KEYS.get(path)
    if keys and isinstance(base, list) and isinstance(patch, list):
        out_list = list(base)
        for item in patch:
            ident = tuple(item.get(k) for k in keys)
            match = next((i for i, old in enumerate(out_list) if tuple(old.get(k) for k in keys) == ident), None)
            if item.get("remove") is True:
                if match is not None:
                    del out_list[match]
            elif match is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[match] = merge(out_list[match], item, f"{path}[]")
        return out_list
    return copy.deepcopy(patch)


def template_folders(entries: Sequence[RevisionEntry], upto: int) -> list[Path]:
    """Template override folders in effect at revision ``upto``, newest first."""
    return [e.templates for e in reversed(entries[1 : upto + 1]) if e.templates is not None]
