"""The review app's routes: pages (GET), page images and downloads, the JSON API; the workflow's POSTs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from letters import paths
from letters.review import workflow
from letters.review.compare import DocumentChanges
from letters.review.copy import NoticeCopy
from letters.review.status import state
from letters.review.web import jobs
from letters.review.web.core import Review, Settings, _code, _previous, _revision, load, without
from letters.review.web.view import side_by_side

Page = Callable[..., HTMLResponse]
STATIC = Path(__file__).parent.parent / "static"
"""The app's own scripts (the Content-Security-Policy allows no inline script)."""


def routes(review: Review, settings: Settings, page: Page) -> list[BaseRoute]:
    """Every route of the app; the review workflow's (sign in, decisions, comments) are ``letters.review.workflow``."""
    access = workflow.Access(settings.secret, settings.reviewers, settings.proxy_user_header)

    async def home(request: Request) -> Response:
        from letters.campaign.author import campaigns

        return page("home.html", campaigns=await run_in_threadpool(campaigns))

    async def history(request: Request) -> Response:
        loaded = await review.campaign(request.path_params["code"])
        rows = await review.history(loaded)
        skipped, errors = review.broken(loaded)
        return page("history.html", campaign=loaded.campaign, rows=rows, skipped=skipped, errors=errors)

    async def revision(request: Request) -> Response:
        loaded = await review.campaign(request.path_params["code"])
        rev = _revision(loaded, request.path_params["rev"])
        against = request.query_params.get("against") or _previous(loaded, rev)
        if against is not None:
            against = _revision(loaded, against)
        entry = next(e for e in loaded.history if e.id == rev)
        if against is not None and against != rev:
            new_data, old_data, changes_data = await asyncio.gather(
                review.copy(loaded, rev), review.copy(loaded, against), review.changes(loaded, rev, against)
            )
            old = NoticeCopy.from_json(old_data)
            changes = [DocumentChanges.from_json(d) for d in changes_data]
        else:
            new_data, old, changes = await review.copy(loaded, rev), None, []
        new = NoticeCopy.from_json(new_data)
        documents = side_by_side(old, new, changes)
        return page(
            "revision.html", campaign=loaded.campaign, entry=entry, rev=rev, against=against,
            revisions=[e.id for e in loaded.history], documents=documents, topics=new_data.get("topics", []),
            count=sum(len(d.changes) for d in documents), redlines=[d for d in loaded.campaign.documents if d.notice],
            dpis=list(jobs.DPIS),
            **await run_in_threadpool(without, frozenset(review.skip(loaded)), workflow.context, access, request,
                                      loaded.campaign.code, rev, changes),
        )  # fmt: skip

    async def page_image(request: Request) -> Response:
        loaded = await review.campaign(request.path_params["code"])
        rev = _revision(loaded, request.path_params["rev"])
        try:
            dpi = int(request.query_params.get("dpi", "96"))
        except ValueError:
            dpi = 0
        if dpi not in jobs.DPIS:
            raise HTTPException(404, f"no such resolution; dpi is one of {', '.join(map(str, jobs.DPIS))}")
        target = await review.png(loaded, rev, request.path_params["n"], dpi)
        return FileResponse(target, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    async def notice_pdf(request: Request) -> Response:
        loaded = await review.campaign(request.path_params["code"])
        rev = _revision(loaded, request.path_params["rev"])
        boxes = request.query_params.get("boxes", "1") != "0"
        reviewed = await run_in_threadpool(without, frozenset(review.skip(loaded)), state, loaded.campaign.code, rev)
        draft = not reviewed.approved  # until approved as it is now
        folder = review.store.folder(loaded)
        target = folder / f"notice-{rev}-{'boxes' if boxes else 'plain'}-{'draft' if draft else 'approved'}.pdf"
        code = loaded.campaign.code
        await review.store.make(
            target, jobs.notice_job, str(paths.home()), review.skip(loaded), code, rev, draft, boxes, target
        )
        name = f"{code}-notice-{rev}{'' if boxes else '-no-boxes'}.pdf"
        return FileResponse(target, media_type="application/pdf", filename=name)

    async def redline_pdf(request: Request) -> Response:
        loaded = await review.campaign(request.path_params["code"])
        rev = _revision(loaded, request.path_params["rev"])
        against = _revision(loaded, request.query_params.get("against") or _previous(loaded, rev) or "")
        document = request.query_params.get("document", "")
        if document not in {d.name for d in loaded.campaign.documents}:
            raise HTTPException(404, f"no document {document!r}")
        target = review.store.folder(loaded) / f"redline-{document}-{against}-{rev}.pdf"
        code = loaded.campaign.code
        await review.store.make(
            target, jobs.redline_job, str(paths.home()), review.skip(loaded), code, document, against, rev, target
        )
        return FileResponse(target, media_type="application/pdf", filename=target.name)

    async def api_campaigns(request: Request) -> Response:
        from letters.campaign.author import campaigns

        return JSONResponse(await run_in_threadpool(campaigns))

    async def api_revisions(request: Request) -> Response:
        loaded = await review.campaign(request.path_params["code"])
        rows: list[dict[str, Any]] = await review.history(loaded)
        return JSONResponse([{"revision": r["id"], "topics": r["topics"], "documents": r["documents"],
                              **r["review"].as_json(), "date": r["id"]} for r in rows])  # fmt: skip

    async def script(request: Request) -> Response:
        return FileResponse(STATIC / "revision.js", media_type="text/javascript")

    return [
        Route("/", home),
        Route("/campaigns/{code}", history),
        Route("/campaigns/{code}/revisions/{rev}", revision),
        Route("/campaigns/{code}/revisions/{rev}/pages/{n:int}.png", page_image),
        Route("/campaigns/{code}/revisions/{rev}/notice.pdf", notice_pdf),
        Route("/campaigns/{code}/revisions/{rev}/redline.pdf", redline_pdf),
        Route("/api/campaigns", api_campaigns),
        Route("/api/campaigns/{code}/revisions", api_revisions),
        Route("/static/revision.js", script),
        *workflow.routes(access, page, lambda code: load(_code(code))[0], _revision),
    ]
