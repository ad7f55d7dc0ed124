"""The review app's routes and pages.

Pages: the campaigns; a campaign's revision history; a revision, document by document, its
pages beside those of the previous revision (or any chosen one) at any zoom, the changes in
plain words with word-level highlighting, each linked to its box on the page, downloads,
and the review panel. JSON: ``/api/campaigns`` and ``/api/campaigns/{code}/revisions``.

Safe by default: it binds 127.0.0.1; every path parameter is checked against what exists
(a campaign code that is canonical, a revision in its history, a document it declares), so
nothing reaches a file outside templates/ or output/; the only writes are the review log's
(``letters.review.workflow``: a signed-in reviewer, a CSRF token); the Host, headers and
cross-origin checks are ``letters.review.security``; an error is a short page, never a
traceback. Renders and diffs
run in worker processes (``cache.Store``), never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from letters.errors import LettersError
from letters.review.security import middleware
from letters.review.web import jobs
from letters.review.web.cache import Store
from letters.review.web.core import Broken, Review, Settings
from letters.review.web.routes import routes

log = logging.getLogger("letters.review")
PAGE_DPI = 96
"""Resolution of a page image at 100 % zoom on a screen of device pixel ratio 1 (816 x 1056 px)."""


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent.parent / "templates")),
        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    return env


def create_app(settings: Settings | None = None) -> Starlette:
    """The review app."""
    settings = settings or Settings(secrets.token_bytes(32))
    templates = _templates()
    review = Review(Store(settings.workers))

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return page("error.html", status=exc.status_code, status_code=exc.status_code, message=exc.detail)

    async def broken(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Broken)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.message, "campaign": exc.code}, status_code=409)
        return page("broken.html", status=409, code=exc.code, message=exc.message)

    async def letters_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LettersError)
        return page("error.html", status=400, status_code=400, message=exc.message)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("review app: %s failed", request.url.path)
        return page(
            "error.html", status=500, status_code=500, message="Something went wrong; the server log says what."
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        if settings.warm:
            await review.store.run(jobs.ready)
            task = asyncio.create_task(review.warm())
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
            review.store.close()

    handlers: dict[Any, Any] = {HTTPException: http_error, Broken: broken, LettersError: letters_error,
                                Exception: server_error}  # fmt: skip
    app = Starlette(routes=routes(review, settings, page), exception_handlers=handlers, lifespan=lifespan,
                    middleware=middleware(settings.hosts))  # fmt: skip
    app.state.review = review
    return app


__all__ = ["PAGE_DPI", "Settings", "create_app"]
