"""Where each revision stands in review, recording decisions and comments, and the gate before print.

A revision's state is its latest decision in the review log: ``approved`` while what was
approved (its fingerprint) is still what the revision is, else ``changed-since-approval``
(with what changed); ``changes-requested``, ``rejected``, or ``not-approved`` when no
decision was recorded. Only an ``approved`` revision is printed for distribution
(``letters notice``, ``letters mail``); any other is printed only as a draft (``--draft``),
stamped DRAFT on every page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from letters.campaign import load_campaign
from letters.errors import LettersError, UsageError
from letters.review import fingerprint as fp
from letters.review.approvals import (
    ACTIONS,
    DECISIONS,
    Conflict,
    Entry,
    append,
    clean_comment,
    clean_name,
    now,
    read_log,
)

STATES = ("approved", "changed-since-approval", "changes-requested", "rejected", "not-approved")
"""A revision's review state (JSON ``state``)."""
LEGACY = "the approval records no fingerprint of what it approved (it predates approvals bound to content)"


@dataclass(frozen=True)
class ReviewState:
    """Where one revision stands."""

    revision: str
    """The revision, YYYY-MM-DD."""
    state: str
    """One of ``STATES``."""
    decision: Entry | None
    """The latest approval, request for changes or rejection."""
    changed: tuple[str, ...]
    """For ``changed-since-approval``: what changed, in words."""
    entries: tuple[Entry, ...]
    """Every log entry about the revision, oldest first."""
    error: str = ""
    """The review log cannot be read: why (the state is then ``not-approved``)."""

    @property
    def approved(self) -> bool:
        return self.state == "approved"

    @property
    def approval(self) -> Entry | None:
        """The latest decision when it is an approval (still valid or not)."""
        return self.decision if self.decision is not None and self.decision.action == "approve" else None

    def words(self) -> str:
        """One line: ``approved by NAME at TIME``, ``CHANGED SINCE APPROVAL by ...``, ``NOT APPROVED``..."""
        d = self.decision
        if self.error:
            return "NOT APPROVED: the review log cannot be read"
        if d is None:
            return "NOT APPROVED"
        who = f"by {d.by} at {d.when()}"
        return {"approved": f"approved {who}", "changed-since-approval": f"CHANGED SINCE APPROVAL {who}",
                "changes-requested": f"CHANGES REQUESTED {who}", "rejected": f"REJECTED {who}"}[self.state]  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        a = self.approval
        return {
            "state": self.state, "approved": self.approved, "approved_by": a.by if a else None,
            "approved_at": a.at if a else None, "changed": list(self.changed),
            "reviews": [e.as_json() for e in self.entries], **({"review_log_error": self.error} if self.error else {}),
        }  # fmt: skip


def states(code: str) -> dict[str, ReviewState]:
    """Every revision of campaign ``code``, oldest first, with where it stands."""
    loaded = load_campaign(code)
    try:
        log: list[Entry] | None = read_log(loaded.folder)
        error = ""
    except LettersError as exc:
        log, error = None, exc.message
    return {e.id: _state(loaded.campaign.code, e.id, log, error) for e in loaded.history}


def state(code: str, revision: str) -> ReviewState:
    """Where ``revision`` of campaign ``code`` stands."""
    loaded = load_campaign(code, revision=revision)
    try:
        log = read_log(loaded.folder)
    except LettersError as exc:
        return _state(loaded.campaign.code, revision, None, exc.message)
    return _state(loaded.campaign.code, revision, log)


def _state(code: str, revision: str, log: Sequence[Entry] | None, error: str = "") -> ReviewState:
    if log is None:
        return ReviewState(revision, "not-approved", None, (), (), error)
    mine = tuple(e for e in log if e.revision == revision)
    decisions = [e for e in mine if e.action in DECISIONS]
    decision = decisions[-1] if decisions else None
    if decision is None:
        return ReviewState(revision, "not-approved", None, (), mine)
    if decision.action == "request-changes":
        return ReviewState(revision, "changes-requested", decision, (), mine)
    if decision.action == "reject":
        return ReviewState(revision, "rejected", decision, (), mine)
    if not decision.fingerprint:
        return ReviewState(revision, "changed-since-approval", decision, (LEGACY,), mine)
    current = fp.content(code, revision)
    if fp.fingerprint(current) == decision.fingerprint:
        return ReviewState(revision, "approved", decision, (), mine)
    changed = fp.changes(decision.content, current) or ["the fingerprint differs (the approval lists no parts)"]
    return ReviewState(revision, "changed-since-approval", decision, tuple(changed), mine)


def require_approved(code: str, revision: str, draft: bool, command: str) -> None:
    """The gate before printing for distribution: refuse a revision that is not approved as it is now."""
    if draft:
        return
    s = state(code, revision)
    if s.approved:
        return
    how = (f"review it and approve it ('letters approve {code} {revision} --by NAME', or in 'letters review'), "
           f"or print it as a draft: 'letters {command} ... --draft' stamps DRAFT on every page")  # fmt: skip
    if s.error:
        raise UsageError(f"revision {revision} of {code} is not approved: its review log cannot be read: {s.error}")
    if s.state == "changed-since-approval":
        assert s.decision is not None
        raise UsageError(f"revision {revision} of {code} changed since approval (by {s.decision.by} at "
                         f"{s.decision.when()}): "
                         f"{'; '.join(s.changed)}. It is not approved as it is now: {how}")  # fmt: skip
    detail = f" ({s.words().lower()}" + (f': "{s.decision.comment}")' if s.decision and s.decision.comment else ")")
    raise UsageError(f"revision {revision} of {code} is not approved{detail if s.decision else ''}: {how}")


def record(
    code: str,
    revision: str,
    action: str,
    by: str,
    comment: str = "",
    signed_in: str = "cli",
    seen: int | None = None,
    on: date | None = None,
    item: tuple[str, str, str] = ("", "", ""),
) -> Entry:
    """Record a decision or a comment on ``revision``; returns the entry written.

    ``seen``: how many log entries of the revision the reviewer's page showed; when others
    were recorded since, an approval is refused (``Conflict``) and its comment kept as a
    comment. An approval of a revision already approved as it is now is refused the same way.
    ``on``: the approval's date when given by hand (not before the revision's own date).
    ``item``: (document, key, words) of the one change a comment is about.
    """
    if action not in ACTIONS:
        raise UsageError(f"{action!r} is not one of {', '.join(ACTIONS)}")
    loaded = load_campaign(code, revision=revision)
    code = loaded.campaign.code
    name, text = clean_name(by), clean_comment(comment)
    if action in ("request-changes", "reject", "comment") and not text:
        raise UsageError(f"{'a comment' if action == 'comment' else action.replace('-', ' ')} needs a comment: "
                         "say what must change, or why")  # fmt: skip
    if on is not None and on < loaded.campaign.revision.date:
        raise UsageError(f"revision {revision} cannot be approved on {on.isoformat()}: that is before its own date")
    at = on.isoformat() if on is not None else now()
    document, key, words = item
    entry = Entry(revision, action, name, at, text, signed_in, document=document, item=key,
                  item_text=clean_comment(words))  # fmt: skip
    if action == "approve":
        parts = fp.content(code, revision)
        entry = Entry(revision, action, name, at, text, signed_in, fp.fingerprint(parts), parts)

    def check(log: Sequence[Entry]) -> None:
        mine = [e for e in log if e.revision == revision]
        if action != "approve":
            return
        newer = mine[seen:] if seen is not None else []
        if newer:
            last = newer[-1]
            raise Conflict(f"while you had the page open, {last.by} recorded {_what(last)} on revision {revision} "
                           f"at {last.when()}: reload the page and decide again")  # fmt: skip
        current = _state_of(mine, entry.fingerprint)
        if current is not None:
            raise Conflict(
                f"revision {revision} was already approved by {current.by} at {current.when()} (as it is now)"
            )

    try:
        return append(loaded.folder, entry, check)
    except Conflict as exc:
        if not text:
            raise
        append(loaded.folder, Entry(revision, "comment", name, now(), text, signed_in))
        raise Conflict(f"{exc.message}; your comment was recorded as a comment") from None


def _state_of(mine: Sequence[Entry], fingerprint: str) -> Entry | None:
    decisions = [e for e in mine if e.action in DECISIONS]
    last = decisions[-1] if decisions else None
    return last if last is not None and last.action == "approve" and last.fingerprint == fingerprint else None


def _what(entry: Entry) -> str:
    return {"approve": "an approval", "request-changes": "a request for changes", "reject": "a rejection",
            "comment": "a comment"}[entry.action]  # fmt: skip
