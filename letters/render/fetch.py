"""The only way a template reaches outside itself: files under the template folders.

Templates are untrusted. WeasyPrint asks this fetcher for every stylesheet, font and
image a document names; anything that is not a file inside the allowed folders (another
file, a network address, a ``data:`` URL hiding a payload is harmless and allowed) is
refused, and WeasyPrint renders the document without it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

_MIME = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}


class FetchRefused(Exception):
    """A template named a resource outside the allowed folders."""


class CampaignFetcher(URLFetcher):  # type: ignore[misc]
    """Serves files under ``roots`` and ``data:`` URLs; refuses everything else."""

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(allowed_protocols={"file", "data"})
        self.roots = [root.resolve() for root in roots]
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            self.refused.append(url)
            raise FetchRefused(f"refused {url}: templates may only use files of the campaign")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            self.refused.append(url)
            raise FetchRefused(f"refused {url}: outside the template folders")
        mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
