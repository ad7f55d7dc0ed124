"""A campaign's review log: approvals, requests for changes, rejections and comments.

``templates/<CODE>/approvals.toml`` is an append-only log, one ``[[approval]]`` table per
entry: ``revision`` (its date), ``action`` (``approve``, ``request-changes``, ``reject`` or
``comment``), ``by`` (the reviewer), ``signed_in`` (how the reviewer was known: ``password``,
``proxy`` or ``cli``), ``at`` (a timestamp with its time zone; a date when one was given with
``letters approve --at``), ``comment``; a comment on one change also has ``document``,
``item`` (the change's key) and ``item_text`` (its words). An approval keeps the
``fingerprint`` of what it approved and, in ``[approval.content]``, one hash per document
and file (``letters.review.fingerprint``), so "changed since approval" can say what changed.
Entries written before approvals were bound to content (no ``action``) read as approvals
without a fingerprint.

Entries are written by tomli-w, appended under an exclusive ``fcntl`` lock on the file, and
the file is read back before the lock is released: two servers approving at once record one
approval, and the other is told who was first. Names and comments are checked first: no
control characters (a comment may hold line breaks and tabs).
"""

from __future__ import annotations

import fcntl
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import tomli_w

from letters.errors import CampaignError, UsageError

APPROVALS_FILE = "approvals.toml"
ACTIONS = ("approve", "request-changes", "reject", "comment")
"""What a log entry records; the first three are decisions, the last leaves the state as it was."""
DECISIONS = ACTIONS[:3]
NAME_LIMIT = 120
COMMENT_LIMIT = 4000
_HEADER = re.compile(r"^\s*\[\[\s*approval\s*\]\]", re.MULTILINE)
_KEYS = {"revision", "action", "by", "signed_in", "at", "comment", "document", "item", "item_text", "fingerprint",
         "content"}  # fmt: skip


class Conflict(UsageError):
    """Another reviewer acted first; what this one sent was kept where it could be (as a comment)."""


@dataclass(frozen=True)
class Entry:
    """One line of the review log."""

    revision: str
    """The revision it is about, YYYY-MM-DD."""
    action: str
    """``approve``, ``request-changes``, ``reject`` or ``comment``."""
    by: str
    """The reviewer."""
    at: str
    """When: ISO timestamp with its UTC offset (a bare date for an approval dated with ``--at``)."""
    comment: str = ""
    """What the reviewer wrote."""
    signed_in: str = ""
    """How the reviewer was known: ``password``, ``proxy`` or ``cli``; empty in entries from before."""
    fingerprint: str = ""
    """An approval's fingerprint of what it approved; empty for the other actions and older approvals."""
    content: Mapping[str, str] = field(default_factory=dict)
    """An approval's hash per document (``document:NAME``) and file (``file:PATH``)."""
    document: str = ""
    """A comment on one change: the document the change is in."""
    item: str = ""
    """A comment on one change: the change's key (``letters.review.workflow.item_key``)."""
    item_text: str = ""
    """A comment on one change: the change in words, as the reviewer saw it."""
    line: int = 0
    """Line of the entry's ``[[approval]]`` header in the file (0 before it is written)."""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"revision": self.revision, "action": self.action, "by": self.by, "at": self.at,
                               "comment": self.comment, "signed_in": self.signed_in or None}  # fmt: skip
        if self.action == "approve":
            out["fingerprint"] = self.fingerprint or None
        if self.item:
            out.update(document=self.document, item=self.item, item_text=self.item_text)
        return out

    def when(self) -> str:
        """``at`` as people read it: ``2024-01-31 14:05 +01:00`` (or the bare date)."""
        if "T" not in self.at:
            return self.at
        moment = datetime.fromisoformat(self.at)
        offset = moment.strftime("%z")
        return f"{moment:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def log_path(folder: Path) -> Path:
    return folder / APPROVALS_FILE


def read_log(folder: Path) -> list[Entry]:
    """Every entry of the campaign's log, oldest first; a broken file is an error naming its line."""
    path = log_path(folder)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except UnicodeDecodeError as exc:
        raise CampaignError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_log(text, path)


def parse_log(text: str, path: Path) -> list[Entry]:
    """The entries of log text ``text`` (read from ``path``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CampaignError(f"{path}: not valid TOML: {exc}") from None
    lines = [text.count("\n", 0, m.start()) + 1 for m in _HEADER.finditer(text)]
    items = data.get("approval", [])
    if set(data) - {"approval"} or not isinstance(items, list):
        raise CampaignError(f"{path}: holds only [[approval]] tables (found {', '.join(sorted(data))})")
    entries = []
    problems = []
    for i, item in enumerate(items):
        line = lines[i] if i < len(lines) else 0
        try:
            entries.append(_entry(item, line))
        except ValueError as exc:
            problems.append(f"{path}, line {line} (approval {i + 1}): {exc}")
    if problems:
        raise CampaignError("the review log is not valid:\n" + "\n".join(problems))
    return entries


def _entry(item: Mapping[str, Any], line: int) -> Entry:
    unknown = set(item) - _KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
    revision, by, at = item.get("revision"), item.get("by"), item.get("at")
    action = item.get("action", "approve")
    if not isinstance(revision, date) or isinstance(revision, datetime):
        raise ValueError("revision must be a date (YYYY-MM-DD)")
    if action not in ACTIONS:
        raise ValueError(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    if not isinstance(by, str) or not by.strip():
        raise ValueError("by (the reviewer's name) is required")
    if isinstance(at, datetime):
        if at.tzinfo is None:
            raise ValueError("at must carry its time zone (e.g. 2024-01-31T14:05:00+01:00)")
        when = at.isoformat()
    elif isinstance(at, date):
        when = at.isoformat()
    else:
        raise ValueError("at must be a timestamp with its time zone, or a date")
    text = {k: item.get(k, "") for k in ("comment", "signed_in", "fingerprint", "document", "item", "item_text")}
    if not all(isinstance(v, str) for v in text.values()):
        raise ValueError("comment, signed_in, fingerprint, document, item and item_text are text")
    content = item.get("content", {})
    if not isinstance(content, dict) or not all(isinstance(v, str) for v in content.values()):
        raise ValueError("content must be a table of hashes")
    return Entry(revision.isoformat(), action, by, when, content=dict(content), line=line, **text)


def clean_name(raw: str) -> str:
    """A reviewer's name, checked: printable, one line, at most ``NAME_LIMIT`` characters."""
    name = " ".join(raw.split(" ")).strip()
    if not name:
        raise UsageError("the reviewer's name is empty")
    bad = _controls(name, allowed="")
    if bad:
        raise UsageError(f"the reviewer's name holds control character(s) {bad}: it must be one line of text")
    if len(name) > NAME_LIMIT:
        raise UsageError(f"the reviewer's name is {len(name)} characters long (at most {NAME_LIMIT})")
    return name


def clean_comment(raw: str) -> str:
    """A comment, checked: line breaks (CR LF or LF) and tabs allowed, no other control character."""
    comment = raw.replace("\r\n", "\n").strip()
    bad = _controls(comment, allowed="\n\t")
    if bad:
        raise UsageError(f"the comment holds control character(s) {bad}: only line breaks and tabs may be used")
    if len(comment) > COMMENT_LIMIT:
        raise UsageError(f"the comment is {len(comment)} characters long (at most {COMMENT_LIMIT})")
    return comment


def _controls(text: str, allowed: str) -> str:
    found = {ch for ch in text if ch not in allowed and (unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"})}
    return ", ".join(f"U+{ord(ch):04X}" for ch in sorted(found))


def now() -> str:
    """The current time, to the second, with the local UTC offset."""
    return datetime.now().astimezone().replace(microsecond=0).isoformat()


def append(folder: Path, entry: Entry, check: Callable[[Sequence[Entry]], None] | None = None) -> Entry:
    """Append ``entry`` to the log, under an exclusive lock; ``check`` sees the log first and may refuse.

    The file is read back after writing, before the lock is released: an entry that does not
    read back as written is taken out again and refused.
    """
    path = log_path(folder)
    record = _record(entry)
    with path.open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            handle.seek(0)
            before = handle.read()
            text = before.decode("utf-8", errors="strict")
            entries = parse_log(text, path)
            if check is not None:
                check(entries)
            addition = ("\n" if before and not before.endswith(b"\n\n") else "") + tomli_w.dumps({"approval": [record]})
            handle.write(addition.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
            handle.seek(0)
            after = parse_log(handle.read().decode("utf-8"), path)
            written = after[-1] if len(after) == len(entries) + 1 else None
            if written is None or _record(written) != record:
                handle.truncate(len(before))
                raise CampaignError(f"{path}: the entry did not read back as written; nothing was recorded")
            return written
        except UnicodeDecodeError as exc:
            raise CampaignError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _record(entry: Entry) -> dict[str, Any]:
    at: date | datetime = datetime.fromisoformat(entry.at) if "T" in entry.at else date.fromisoformat(entry.at)
    out: dict[str, Any] = {"revision": date.fromisoformat(entry.revision), "action": entry.action, "by": entry.by,
                           "signed_in": entry.signed_in, "at": at}  # fmt: skip
    for key in ("comment", "document", "item", "item_text", "fingerprint"):
        value = getattr(entry, key)
        if value:
            out[key] = value
    if entry.content:
        out["content"] = dict(sorted(entry.content.items()))
    return out
