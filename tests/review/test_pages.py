"""The revision page as data: documents aligned, boxes against "Compare with", changes linked, highlighted;
the cache keyed by content; a broken draft shown as broken; the server's socket."""

from __future__ import annotations

import re
import socket
import threading
import time
import webbrowser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from letters.review.compare import highlighted
from letters.review.web import Settings, create_app
from letters.review.web.serve import listen, open_when_ready

REV = "/campaigns/23LJ01/revisions/2024-01-31"


@pytest.fixture
def client(project: Path) -> TestClient:
    return TestClient(create_app(Settings(b"test-secret", workers=0)), base_url="http://127.0.0.1",
                      raise_server_exceptions=False)  # fmt: skip


def boxes(html: str) -> set[str]:
    return set(re.findall(r'class="box [a-z]+" id="([^"]+)"', html))


def test_documents_aligned_by_page_a_missing_page_shown_and_changes_linked(client: TestClient) -> None:
    html = client.get(f"{REV}?against=2023-06-15").text
    # The original has no IMPORTANT UPDATE cover: its side shows the page as missing.
    cover = html[html.index('id="doc-update-cover"') : html.index('id="doc-dealer-letter"')]
    assert "no page 1 in 2023-06-15" in cover and "(new in this revision)" in cover
    changes = html[html.index("What changed") : html.index("<h2>Pages")]
    assert "Important Update: 13 change(s)" in changes  # the cover's changes are listed
    assert "January 31, 2024 Updated Current Phase Timing" in changes
    for document in ("dealer-letter", "faq", "disclosure-form", "owner-letter"):
        section = html[html.index(f'id="doc-{document}"') :]
        assert 'class="sheet old' in section.split("</section>")[0]
    targets = re.findall(r'class="show" href="#([^"]+)"', html)
    assert targets and set(targets) <= boxes(html)  # every "show on page" reaches a box


def test_boxes_are_drawn_against_the_revision_compared_with(client: TestClient) -> None:
    previous = client.get(REV).text
    original = client.get(f"{REV}?against=2023-06-15").text
    assert boxes(previous) != boxes(original)
    assert len(boxes(original)) > len(boxes(previous))  # more changed since the original
    assert "since 2023-06-15" in original and "since 2023-12-21" in previous


def test_word_level_highlighting(client: TestClient) -> None:
    html = client.get(REV).text
    assert "~<del>31</del><ins>32</ins>,000" in html  # the digits that changed, not the whole cell
    assert ("=", "Call 1-800-555-") in highlighted("Call 1-800-555-0199", "Call 1-800-555-0188")
    assert highlighted("1-800-555-0199", "1-800-555-0188") == [("=", "1-800-555-"), ("-", "0199"), ("+", "0188")]


def test_topics_are_rendered(client: TestClient) -> None:
    html = client.get("/campaigns/24A07/revisions/2024-03-18").text
    assert "approx. 28,900 vehicles" in html and "{{" not in html


def test_page_images_at_the_resolution_asked(client: TestClient) -> None:
    import io

    from PIL import Image

    for dpi, width in ((96, 816), (192, 1632)):
        response = client.get(f"{REV}/pages/1.png?dpi={dpi}")
        assert response.status_code == 200
        assert Image.open(io.BytesIO(response.content)).size[0] == width


def test_cache_keyed_by_content_not_approvals(client: TestClient, project: Path) -> None:
    client.get(REV)
    cache = project / "output" / "review-cache" / "23LJ01"
    (first,) = list(cache.iterdir())
    approvals = project / "templates" / "23LJ01" / "approvals.toml"
    approvals.write_text(approvals.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    client.get(REV)
    assert list(cache.iterdir()) == [first]  # an approval leaves every render valid
    campaign = project / "templates" / "23LJ01" / "campaign.toml"
    campaign.write_text(campaign.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    client.get(REV)
    (second,) = list(cache.iterdir())  # the stale folder is removed
    assert second != first


def test_a_broken_draft_is_shown_broken_and_the_rest_stays_browsable(client: TestClient, project: Path) -> None:
    draft = project / "templates" / "23LJ01" / "revisions" / "2024-03-01.toml"
    draft.write_text('date = 2024-03-01\ntopics = ["Phase 6 timing"]\n[changes\n', encoding="utf-8")
    home = client.get("/").text
    assert "2024-03-01.toml" in home and "not valid TOML" in home  # the error in full, not cut off
    history = client.get("/campaigns/23LJ01")
    assert history.status_code == 200
    assert "Broken draft: 2024-03-01.toml" in history.text and "not valid TOML" in history.text
    assert "2024-01-31" in history.text
    assert client.get(REV).status_code == 200
    api = client.get("/api/campaigns/23LJ01/revisions").json()
    assert [r["date"] for r in api][-1] == "2024-01-31"


def test_the_server_reuses_its_address_on_restart() -> None:
    first = listen("127.0.0.1", 0)
    port = first.getsockname()[1]
    peer = socket.create_connection(("127.0.0.1", port))
    accepted, _ = first.accept()
    accepted.close()  # the server closes first: its side of the connection waits in TIME_WAIT
    first.close()
    peer.close()
    again = listen("127.0.0.1", port)
    assert again.getsockname()[1] == port
    again.close()


def test_open_waits_until_the_app_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", opened.append)  # no browser on a test machine
    sock = listen("127.0.0.1", 0)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    waiter = open_when_ready(url)
    time.sleep(0.3)
    assert opened == []  # bound but not answering: nothing opened yet
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(b"x", workers=0)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    waiter.join(60)
    assert opened == [url]
    server.should_exit = True
    thread.join(10)
    sock.close()


def test_a_changed_row_is_boxed_at_the_row_and_counts_agree_with_letters_diff(client: TestClient) -> None:
    from letters.review import diff_documents

    html = client.get(REV).text
    faq = html[html.index('id="changes-faq"') : html.index('id="changes-disclosure-form"')]
    rows = re.findall(r'class="show" href="#(box-faq-new-\d+r\d+-\d+)"', faq)
    assert len(set(rows)) == 10  # four phase-table rows and six chart rows, each its own box
    for name, title in (("faq", "Frequently Asked Questions"), ("dealer-letter", "Dealer Letter")):
        count = len(diff_documents("23LJ01", name, "2023-12-21", "2024-01-31").items)
        assert f"{title}: {count} change(s)" in html
