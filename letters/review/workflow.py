"""The review app's workflow: sign in, approve, request changes, reject, comment on a revision or one change.

Routes (all writes are POSTs carrying a CSRF token bound to the reviewer and the revision):
``GET/POST /login``, ``POST /logout``, ``POST /campaigns/CODE/revisions/DATE/review`` (form
``action`` = approve, request-changes or reject, ``comment``, ``seen``; ``.../approve`` is the
same with action approve) and ``POST /campaigns/CODE/revisions/DATE/comment`` (``comment``,
and ``item`` = DOCUMENT:KEY:WORDS for a comment on one change). ``seen`` is how
many log entries the page showed: an approval sent from a page older than the log is refused
and its comment recorded (``letters.review.status.record``), so two reviewers at once lose
nothing. Who acts is the signed-in reviewer (``letters.review.reviewers``), never a name typed
in a form.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from letters.errors import LettersError
from letters.review import reviewers as people
from letters.review.approvals import Conflict, clean_name
from letters.review.status import record, state

Page = Callable[..., Response]
"""Renders a page template: ``page(name, status=200, **context)``."""


@dataclass(frozen=True)
class Access:
    """How the app knows reviewers."""

    secret: bytes
    """Signs CSRF tokens and session cookies."""
    reviewers: Path | None = None
    """The reviewers file (None: the project's ``reviewers.toml``)."""
    proxy_user_header: str = ""
    """The header a reverse proxy puts the signed-in reviewer's name in; empty when there is none."""

    @property
    def file(self) -> Path:
        return self.reviewers or people.default_file()


def item_key(document: str, item: Any) -> str:
    """A change's key, for a comment on it: its document and words, hashed (stable across page loads)."""
    text = "\0".join([document, item.where, item.what, item.old, item.new])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def current(access: Access, request: Request) -> people.Reviewer | None:
    """The reviewer making ``request``: the proxy's header, else a valid session of a listed reviewer."""
    if access.proxy_user_header:
        asserted = request.headers.get(access.proxy_user_header, "")
        try:
            return people.Reviewer(clean_name(asserted), "proxy") if asserted else None
        except LettersError:
            return None
    name = people.session_name(access.secret, request.cookies.get(people.SESSION_COOKIE, ""))
    if name is None:
        return None
    try:
        return people.Reviewer(name, "password") if name in people.read_reviewers(access.file) else None
    except LettersError:
        return None


def token(access: Access, scope: str, who: str) -> str:
    return hmac.new(access.secret, f"{scope}\0{who}".encode(), hashlib.sha256).hexdigest()


def context(access: Access, request: Request, code: str, rev: str, changes: Sequence[Any]) -> dict[str, Any]:
    """What the revision page's review panel shows: state, log, who is signed in, forms and their tokens.

    ``changes``: the page's change list, per document (``name``, ``title``, ``items``).
    """
    who = current(access, request)
    review = state(code, rev)
    options = [
        {"value": f"{doc.name}:{item_key(doc.name, item)}:{item.sentence()}", "text": f"{doc.title}: {item.sentence()}"}
        for doc in changes
        for item in doc.items
    ]
    return {
        "review": review, "reviewer": who, "seen": len(review.entries), "item_options": options,
        "review_token": token(access, f"review:{code}:{rev}", who.name) if who else "",
        "proxy_mode": bool(access.proxy_user_header), "next_path": request.url.path,
        "approved": review.approved,
    }  # fmt: skip


def routes(
    access: Access, page: Page, campaign: Callable[[str], Any], revision: Callable[[Any, str], str]
) -> list[Route]:
    """The workflow's routes; ``campaign`` and ``revision`` check path parameters (404 otherwise)."""

    async def target(request: Request) -> tuple[str, str, people.Reviewer, Any]:
        loaded = await run_in_threadpool(campaign, request.path_params["code"])
        rev = revision(loaded, request.path_params["rev"])
        who = current(access, request)
        if who is None:
            raise HTTPException(403, "sign in as a reviewer first: the review records who decided")
        return loaded.campaign.code, rev, who, loaded

    async def form_of(request: Request, code: str, rev: str, who: people.Reviewer) -> Any:
        form = await request.form()
        expected = token(access, f"review:{code}:{rev}", who.name)
        if not hmac.compare_digest(str(form.get("csrf_token", "")), expected):
            raise HTTPException(403, "the form is stale or did not come from this app: reload the page and try again")
        return form

    def seen_of(form: Any) -> int | None:
        raw = str(form.get("seen", ""))
        return int(raw) if raw.isdigit() else None

    def conflict(exc: Conflict, code: str, rev: str) -> Response:
        return page("error.html", status=409, status_code=409, message=exc.message,
                    back=f"/campaigns/{code}/revisions/{rev}")  # fmt: skip

    async def decide(request: Request, action: str | None = None) -> Response:
        code, rev, who, _ = await target(request)
        form = await form_of(request, code, rev, who)
        chosen = action or str(form.get("action", ""))
        if chosen not in ("approve", "request-changes", "reject"):
            raise HTTPException(400, "choose approve, request changes or reject")
        try:
            entry = await run_in_threadpool(record, code, rev, chosen, who.name, str(form.get("comment", "")),
                                            who.signed_in, seen_of(form))  # fmt: skip
        except Conflict as exc:
            return conflict(exc, code, rev)
        return RedirectResponse(f"/campaigns/{code}/revisions/{rev}?recorded={entry.action}#review", status_code=303)

    async def approve(request: Request) -> Response:
        return await decide(request, "approve")

    async def comment(request: Request) -> Response:
        code, rev, who, loaded = await target(request)
        form = await form_of(request, code, rev, who)
        document, _, rest = str(form.get("item", "")).partition(":")
        key, _, words = rest.partition(":")
        if document and (document not in {d.name for d in loaded.campaign.documents} or not key.isalnum()):
            raise HTTPException(400, "no such change to comment on")
        item = (document, key, words[:500]) if document else ("", "", "")
        entry = await run_in_threadpool(record, code, rev, "comment", who.name, str(form.get("comment", "")),
                                        who.signed_in, None, None, item)  # fmt: skip
        return RedirectResponse(f"/campaigns/{code}/revisions/{rev}?recorded={entry.action}#review", status_code=303)

    async def login_page(request: Request) -> Response:
        return page("login.html", token=token(access, "login", ""), next_path=_next(request.query_params.get("next")),
                    configured=bool(_reviewers()), proxy_mode=bool(access.proxy_user_header),
                    reviewer=current(access, request))  # fmt: skip

    def _reviewers() -> dict[str, str]:
        try:
            return people.read_reviewers(access.file)
        except LettersError:
            return {}

    async def login(request: Request) -> Response:
        form = await request.form()
        if not hmac.compare_digest(str(form.get("csrf_token", "")), token(access, "login", "")):
            raise HTTPException(403, "the form is stale or did not come from this app: reload the page and try again")
        who = await run_in_threadpool(people.check_password, access.file, str(form.get("name", "")),
                                      str(form.get("password", "")))  # fmt: skip
        if who is None:
            return page("login.html", status=401, token=token(access, "login", ""), error="unknown name or wrong "
                        "password", next_path=_next(str(form.get("next", ""))), configured=bool(_reviewers()),
                        proxy_mode=False, reviewer=None)  # fmt: skip
        response = RedirectResponse(_next(str(form.get("next", ""))), status_code=303)
        response.set_cookie(people.SESSION_COOKIE, people.session_cookie(access.secret, who.name),
                            max_age=people.SESSION_SECONDS, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")  # fmt: skip
        return response

    async def logout(request: Request) -> Response:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(people.SESSION_COOKIE)
        return response

    base = "/campaigns/{code}/revisions/{rev}"
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route(f"{base}/review", decide, methods=["POST"]),
        Route(f"{base}/approve", approve, methods=["POST"]),
        Route(f"{base}/comment", comment, methods=["POST"]),
    ]


def _next(raw: str | None) -> str:
    """Where to go after signing in: a path of this app only."""
    return raw if raw and raw.startswith("/") and not raw.startswith("//") and "\\" not in raw else "/"
