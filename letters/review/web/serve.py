"""``letters review``: the server around the app.

The listening socket is bound here, with ``SO_REUSEADDR`` (a restart right after a stop
finds the address in TIME_WAIT, not taken), before any URL is printed, and handed to
uvicorn; ``--open`` opens the browser once the app answers, not on a timer.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from letters.errors import LettersError
from letters.review.security import allowed_hosts
from letters.review.web.app import create_app
from letters.review.web.core import Settings


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` that reuses an address left in TIME_WAIT."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise LettersError(f"cannot serve on http://{host}:{port}/: {exc.strerror or exc}") from None
    return sock


def open_when_ready(url: str, timeout: float = 60.0) -> threading.Thread:
    """Open ``url`` in the default browser as soon as it answers (gives up after ``timeout`` s)."""
    import webbrowser

    def wait_then_open() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            return
        webbrowser.open(url)

    thread = threading.Thread(target=wait_then_open, daemon=True)
    thread.start()
    return thread


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False,
          ready: Callable[[str], None] | None = None, allowed: tuple[str, ...] = (), reviewers: Path | None = None,
          proxy_user_header: str = "") -> None:  # fmt: skip
    """``letters review``: serve the app until interrupted; ``ready(url)`` once the address is ours.

    It answers the Host names of ``host`` and ``allowed`` only (``letters.review.security``).
    """
    import secrets

    settings = Settings(secrets.token_bytes(32), allowed_hosts(host, allowed), reviewers, proxy_user_header,
                        warm=True)  # fmt: skip

    import uvicorn

    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    sock = listen(host, port)
    if ready is not None:
        ready(url)
    if open_browser:
        open_when_ready(url)
    config = uvicorn.Config(create_app(settings), log_level="warning")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except OSError as exc:
        raise LettersError(f"cannot serve on {url}: {exc.strerror or exc}") from None
    finally:
        sock.close()
