"""``letters review``: the server around the app."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

from letters.errors import LettersError
from letters.review.security import allowed_hosts
from letters.review.web.app import Settings, create_app


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False,
          ready: Callable[[str], None] | None = None, allowed: tuple[str, ...] = (), reviewers: Path | None = None,
          proxy_user_header: str = "") -> None:  # fmt: skip
    """``letters review``: serve the app until interrupted; ``ready(url)`` once the port is known free.

    It answers the Host names of ``host`` and ``allowed`` only (``letters.review.security``).
    """
    settings = Settings(secrets.token_bytes(32), allowed_hosts(host, allowed), reviewers, proxy_user_header)
    import socket

    import uvicorn

    url = f"http://{host}:{port}/"
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise LettersError(f"cannot serve on {url}: {exc.strerror or exc}") from None
    if ready is not None:
        ready(url)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, [url]).start()
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    except OSError as exc:
        raise LettersError(f"cannot serve on {url}: {exc.strerror or exc}") from None
