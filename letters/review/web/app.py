"""``letters review``: the reviewers' web app (Starlette on uvicorn, Jinja2 pages, no build step).

Pages: the campaigns; a campaign's revision history; a revision, its notice pages beside
the previous revision's (or any chosen one's) as PNG images, the changes in plain words,
downloads, and the approval form. JSON: ``/api/campaigns`` and
``/api/campaigns/{code}/revisions``.

Safe by default: it binds 127.0.0.1; every path parameter is checked against what exists
(a campaign code that is canonical, a revision in its history, a document it declares), so
nothing reaches a file outside templates/ or output/; the only writes are the review log's
(``letters.review.workflow``: a signed-in reviewer, a CSRF token); the Host, headers and
cross-origin checks are ``letters.review.security``; an error is a short page, never a traceback.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from letters import paths
from letters.campaign import LoadedCampaign, canonical_code, load_campaign
from letters.errors import LettersError
from letters.review import workflow
from letters.review.security import LOOPBACK, middleware

log = logging.getLogger("letters.review")
PAGE_DPI = 60
"""Resolution of the page images (a letter page is 510 x 660 px)."""


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


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(Path(__file__).parent.parent / "templates")),
        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    return env


def _campaign(code: str) -> LoadedCampaign:
    try:
        canonical = canonical_code(code)
        if canonical != code:
            raise LettersError("not canonical")
        return load_campaign(canonical)
    except LettersError:
        raise HTTPException(404, f"no campaign {code!r}") from None


def _revision(loaded: LoadedCampaign, raw: str) -> str:
    ids = [entry.id for entry in loaded.history]
    if raw not in ids:
        raise HTTPException(404, f"campaign {loaded.campaign.code} has no revision {raw!r}")
    return raw


def _previous(loaded: LoadedCampaign, revision: str) -> str | None:
    ids = [entry.id for entry in loaded.history]
    index = ids.index(revision)
    return ids[index - 1] if index > 0 else None


def _fingerprint(loaded: LoadedCampaign) -> str:
    """Changes whenever a file the notice is made of changes: cached renders go stale with it."""
    digest = hashlib.sha256()
    for folder in (loaded.folder, paths.shared_templates_dir()):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}:{stat.st_mtime_ns}:{stat.st_size}".encode())
    return digest.hexdigest()[:16]


def _cache_dir(loaded: LoadedCampaign) -> Path:
    folder = paths.output_dir() / "review-cache" / loaded.campaign.code / _fingerprint(loaded)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _notice(loaded: LoadedCampaign, revision: str, boxes: bool) -> Path:
    """The notice of ``revision`` (drafts stamped), rendered once and cached."""
    from letters.documents import RenderOptions
    from letters.notice import render_notice_file
    from letters.review.status import state

    draft = not state(loaded.campaign.code, revision).approved  # DRAFT until approved as it is now
    target = _cache_dir(loaded) / f"notice-{revision}-{'boxes' if boxes else 'plain'}{'-draft' if draft else ''}.pdf"
    if not target.exists():
        render_notice_file(loaded.campaign.code, target, RenderOptions(draft=draft, boxes=boxes), revision)
    return target


def _page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def _page_png(pdf: Path, number: int) -> Path:
    import pypdfium2 as pdfium

    target = pdf.with_name(f"{pdf.stem}-p{number}.png")
    if not target.exists():
        doc = pdfium.PdfDocument(pdf)
        try:
            if not 1 <= number <= len(doc):
                raise HTTPException(404, f"no page {number}")
            image = doc[number - 1].render(scale=PAGE_DPI / 72).to_pil()
        finally:
            doc.close()
        image.save(target, format="PNG")
    return target


def _changes(loaded: LoadedCampaign, revision: str, against: str) -> list[dict[str, Any]]:
    """Per notice document, its changes in plain words."""
    from letters.documents import UPDATE_COVER
    from letters.review.diff import diff_documents

    out = []
    for document in loaded.campaign.documents:
        if not document.notice or document.name == UPDATE_COVER:
            continue
        result = diff_documents(loaded.campaign.code, document.name, against, revision)
        out.append({"document": document.title, "name": document.name, "items": result.items})
    return out


def create_app(settings: Settings | None = None) -> Starlette:
    """The review app."""
    settings = settings or Settings(secrets.token_bytes(32))
    templates = _templates()
    access = workflow.Access(settings.secret, settings.reviewers, settings.proxy_user_header)

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(templates.get_template(name).render(**context), status_code=status)

    async def home(request: Request) -> Response:
        from letters.campaign.author import campaigns

        return page("home.html", campaigns=campaigns())

    async def history(request: Request) -> Response:
        from letters.review.diff import revisions

        loaded = _campaign(request.path_params["code"])
        rows = revisions(loaded.campaign.code)
        return page("history.html", campaign=loaded.campaign, rows=rows)

    async def revision(request: Request) -> Response:
        loaded = _campaign(request.path_params["code"])
        rev = _revision(loaded, request.path_params["rev"])
        against = request.query_params.get("against") or _previous(loaded, rev)
        if against is not None:
            against = _revision(loaded, against)
        entry = next(e for e in loaded.history if e.id == rev)
        new_pages = _page_count(_notice(loaded, rev, boxes=True))
        old_pages = _page_count(_notice(loaded, against, boxes=False)) if against else 0
        changes = _changes(loaded, rev, against) if against else []
        return page(
            "revision.html", campaign=loaded.campaign, entry=entry, rev=rev, against=against,
            revisions=[e.id for e in loaded.history], new_pages=new_pages, old_pages=old_pages,
            changes=changes, documents=[d for d in loaded.campaign.documents if d.notice],
            **workflow.context(access, request, loaded.campaign.code, rev, changes),
        )  # fmt: skip

    async def page_image(request: Request) -> Response:
        loaded = _campaign(request.path_params["code"])
        rev = _revision(loaded, request.path_params["rev"])
        side = request.path_params["side"]
        if side not in ("new", "old"):
            raise HTTPException(404, "side is new or old")
        if side == "old":
            rev = _revision(loaded, request.query_params.get("against") or _previous(loaded, rev) or "")
        pdf = _notice(loaded, rev, boxes=side == "new")
        return FileResponse(_page_png(pdf, request.path_params["n"]), media_type="image/png")

    async def notice_pdf(request: Request) -> Response:
        loaded = _campaign(request.path_params["code"])
        rev = _revision(loaded, request.path_params["rev"])
        boxes = request.query_params.get("boxes", "1") != "0"
        name = f"{loaded.campaign.code}-notice-{rev}{'' if boxes else '-no-boxes'}.pdf"
        return FileResponse(_notice(loaded, rev, boxes), media_type="application/pdf", filename=name)

    async def redline_pdf(request: Request) -> Response:
        from letters.review.diff import diff_documents, pdf_report

        loaded = _campaign(request.path_params["code"])
        rev = _revision(loaded, request.path_params["rev"])
        against = _revision(loaded, request.query_params.get("against") or _previous(loaded, rev) or "")
        document = request.query_params.get("document", "")
        if document not in {d.name for d in loaded.campaign.documents}:
            raise HTTPException(404, f"no document {document!r}")
        target = _cache_dir(loaded) / f"redline-{document}-{against}-{rev}.pdf"
        if not target.exists():
            pdf_report(diff_documents(loaded.campaign.code, document, against, rev), target)
        return FileResponse(target, media_type="application/pdf", filename=target.name)

    async def api_campaigns(request: Request) -> Response:
        from letters.campaign.author import campaigns

        return JSONResponse(campaigns())

    async def api_revisions(request: Request) -> Response:
        from letters.review.diff import revisions

        loaded = _campaign(request.path_params["code"])
        return JSONResponse([{**r.as_json(), "date": r.id} for r in revisions(loaded.campaign.code)])

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return page("error.html", status=exc.status_code, status_code=exc.status_code, message=exc.detail)

    async def letters_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LettersError)
        return page("error.html", status=400, status_code=400, message=exc.message)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("review app: %s failed", request.url.path)
        return page(
            "error.html", status=500, status_code=500, message="Something went wrong; the server log says what."
        )

    routes = [
        Route("/", home),
        Route("/campaigns/{code}", history),
        Route("/campaigns/{code}/revisions/{rev}", revision),
        Route("/campaigns/{code}/revisions/{rev}/pages/{side}/{n:int}.png", page_image),
        Route("/campaigns/{code}/revisions/{rev}/notice.pdf", notice_pdf),
        Route("/campaigns/{code}/revisions/{rev}/redline.pdf", redline_pdf),
        Route("/api/campaigns", api_campaigns),
        Route("/api/campaigns/{code}/revisions", api_revisions),
        *workflow.routes(access, page, _campaign, _revision),
    ]
    handlers: dict[Any, Any] = {HTTPException: http_error, LettersError: letters_error, Exception: server_error}
    return Starlette(routes=routes, exception_handlers=handlers, middleware=middleware(settings.hosts))
