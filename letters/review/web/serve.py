"""``letters review``: the server around the app."""

from __future__ import annotations

from collections.abc import Callable

from letters.errors import LettersError
from letters.review.web.app import create_app


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False,
          ready: Callable[[str], None] | None = None) -> None:  # fmt: skip
    """``letters review``: serve the app until interrupted; ``ready(url)`` once the port is known free."""
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
        uvicorn.run(create_app(), host=host, port=port, log_level="warning")
    except OSError as exc:
        raise LettersError(f"cannot serve on {url}: {exc.strerror or exc}") from None
