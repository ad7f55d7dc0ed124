"""What the review app defends against outside its pages: foreign Host names, framing, cross-origin writes.

- **Host**: Starlette's ``TrustedHostMiddleware`` answers 400 to a request whose ``Host``
  is not a name the server was bound to (``127.0.0.1`` and ``localhost`` by default,
  ``letters review --allowed-host NAME`` for more): a DNS-rebinding page cannot read the app.
- **Headers** on every response: a ``Content-Security-Policy`` allowing only the app's own
  scripts, images and forms (``frame-ancestors 'none'``), ``X-Frame-Options: DENY``,
  ``Referrer-Policy: same-origin``, ``X-Content-Type-Options: nosniff`` and
  ``Cross-Origin-Opener-Policy: same-origin``.
- **Writes**: a POST must come from a page of this app: an ``Origin`` (or, without one, a
  ``Referer``) of another site, or ``Sec-Fetch-Site: cross-site``, is refused with 403 before
  any form is read; every form also carries a CSRF token (``letters.review.workflow``).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from letters.errors import UsageError

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
LOOPBACK = ("127.0.0.1", "localhost")


def allowed_hosts(host: str, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """The Host names a server bound to ``host`` answers: loopback names for loopback, else the names given."""
    if host in LOOPBACK or host.startswith("127."):
        return tuple(dict.fromkeys([host, *LOOPBACK, *extra]))
    if host in ("0.0.0.0", "::", "") and not extra:
        raise UsageError(
            f"serving on every interface ({host or 'all'}): name the host names reviewers use with --allowed-host"
        )
    return tuple(dict.fromkeys([*([host] if host not in ("0.0.0.0", "::") else []), *extra]))


def middleware(hosts: Sequence[str]) -> list[Middleware]:
    """The app's middleware, outermost first."""
    return [Middleware(SecurityHeaders), Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)),
            Middleware(SameOrigin)]  # fmt: skip


class SecurityHeaders:
    """Adds ``HEADERS`` to every HTTP response (errors and refusals included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in HEADERS.items():
                    headers.setdefault(key, value)
            await send(message)

        await self.app(scope, receive, with_headers)


class SameOrigin:
    """Refuses a POST (any method but GET and HEAD) that a page of another origin sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            why = cross_origin(Headers(scope=scope))
            if why:
                response = PlainTextResponse(f"refused: {why}", status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def cross_origin(headers: Headers) -> str:
    """Why a write with these headers is not from this app's own pages; empty when it is."""
    host = headers.get("host", "")
    if headers.get("sec-fetch-site", "") == "cross-site":
        return "the request came from another site"
    source = headers.get("origin") or headers.get("referer") or ""
    if not source:
        return ""  # neither header: not a browser following another page (the CSRF token still applies)
    if source == "null":
        return "the request came from a page without an origin"
    if urlsplit(source).netloc != host:
        return f"the request came from {urlsplit(source).netloc or source!r}, not from this app ({host})"
    return ""
