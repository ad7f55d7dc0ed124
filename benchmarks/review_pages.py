"""The review app's pages, cold and warm, and the home page while a render runs.

    python benchmarks/review_pages.py [--campaign 23LJ01] [--workers 2]

Serves the app (as ``letters review`` does, renders in --workers worker processes) on a
scratch copy of the project's templates with an empty cache, and times, in wall seconds and
CPU seconds of the whole process tree (server and workers): the --campaign's latest
revision page cold (both revisions' review copies laid out, the changes diffed) and warm,
its history page cold and warm, the home page, a page image at 192 dpi warm, and the home
page while another revision's page renders cold. The last line is one JSON object:
``revision_cold``, ``revision_warm``, ``history_cold``, ``history_warm``, ``home``,
``image_warm``, ``home_during_render`` (each ``{"wall_s", "cpu_s"}``; the last wall only),
``warm_max_wall_s`` and ``workers``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def timed(url: str) -> dict[str, float]:
    from letters.usage import tree_cpu_seconds

    cpu, wall = tree_cpu_seconds(), time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        response.read()
        assert response.status == 200, url
    return {"wall_s": round(time.perf_counter() - wall, 3), "cpu_s": round(tree_cpu_seconds() - cpu, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaign", default="23LJ01")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="review-bench-"))
    shutil.copytree(ROOT / "templates", home / "templates")
    (home / "mailing_lists").symlink_to(ROOT / "mailing_lists")
    os.environ["LETTERS_HOME"] = str(home)

    import uvicorn

    from letters.campaign import load_campaign
    from letters.review.web import Settings, create_app
    from letters.review.web.core import Review
    from letters.review.web.jobs import ready

    app = create_app(Settings(b"benchmark", workers=args.workers))
    review: Review = app.state.review
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    for _ in range(args.workers):  # the pool started, as `letters review` starts it, before timing
        review.store.pool().submit(ready).result()
    base = f"http://127.0.0.1:{port}"
    ids = [e.id for e in load_campaign(args.campaign).history]
    latest = f"{base}/campaigns/{args.campaign}/revisions/{ids[-1]}"
    out: dict[str, Any] = {"workers": args.workers}
    out["revision_cold"] = timed(latest)
    out["revision_warm"] = timed(latest)
    out["history_cold"] = timed(f"{base}/campaigns/{args.campaign}")
    out["history_warm"] = timed(f"{base}/campaigns/{args.campaign}")
    out["home"] = timed(f"{base}/")
    timed(f"{latest}/pages/1.png?dpi=192")
    out["image_warm"] = timed(f"{latest}/pages/1.png?dpi=192")
    other = threading.Thread(target=timed, args=(f"{base}/campaigns/{args.campaign}/revisions/{ids[1]}",))
    other.start()
    time.sleep(0.3)  # the cold render is in a worker
    during = timed(f"{base}/")
    out["home_during_render"] = {"wall_s": during["wall_s"], "render_still_running": other.is_alive()}
    other.join()
    out["warm_max_wall_s"] = max(out[k]["wall_s"] for k in ("revision_warm", "history_warm", "home", "image_warm"))
    server.should_exit = True
    thread.join(10)
    review.store.close()
    shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
