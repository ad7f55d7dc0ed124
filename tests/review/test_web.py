"""The reviewers' web app, as a reviewer uses it: in a real browser (Debian's Chromium, driven by Playwright)."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from letters.cli import cli
from letters.review.reviewers import add_reviewer
from letters.review.web import Settings, create_app
from tests.conftest import live_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAST = "2024-01-31"
WAIT_MS = 180_000
"""Longest wait for any one browser condition (a loaded CI machine renders pages slowly)."""


@pytest.fixture
def unapproved(project: Path) -> Path:
    """The scratch project with 23LJ01's last revision not yet approved."""
    approvals = project / "templates" / "23LJ01" / "approvals.toml"
    text = approvals.read_text(encoding="utf-8")
    approvals.write_text(text[: text.rindex("[[approval]]")], encoding="utf-8")
    add_reviewer(project / "reviewers.toml", "Dana Reviewer", PASSWORD)
    return project


PASSWORD = "correct horse battery"
"""Every test reviewer's password."""


@pytest.fixture
def client(unapproved: Path) -> TestClient:
    return TestClient(create_app(Settings(b"test-secret", workers=0)), base_url="http://127.0.0.1",
                      raise_server_exceptions=False)  # fmt: skip


@pytest.fixture
def server(unapproved: Path) -> Iterator[str]:
    with live_server(create_app()) as url:
        yield url


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
def test_reviewer_opens_history_and_revision_sees_pages_and_approves(server: str, unapproved: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = unapproved / "output" / "screens"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        # A loaded machine renders a revision's pages slowly: every wait is on a condition
        # (a URL, an element, the network idle), each with a generous limit, never a fixed click.
        page.set_default_timeout(WAIT_MS)
        page.set_default_navigation_timeout(WAIT_MS)
        page.goto(server + "/", wait_until="domcontentloaded")
        expect(page.get_by_role("link", name="23LJ01", exact=True)).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=str(shots / "home.png"))
        page.get_by_role("link", name="23LJ01", exact=True).click(no_wait_after=True)
        page.wait_for_url("**/campaigns/23LJ01", wait_until="domcontentloaded", timeout=WAIT_MS)
        expect(page.locator("table.history tbody tr")).to_have_count(6, timeout=WAIT_MS)
        expect(page.locator(f"tr:has-text('{LAST}') .draft")).to_have_count(1, timeout=WAIT_MS)
        page.screenshot(path=str(shots / "history.png"), full_page=True)
        page.get_by_role("link", name=LAST, exact=True).click(no_wait_after=True)
        page.wait_for_url(f"**/revisions/{LAST}", wait_until="domcontentloaded", timeout=WAIT_MS)
        page.wait_for_load_state("networkidle", timeout=WAIT_MS)
        expect(page.locator("#draft")).to_have_text("DRAFT", timeout=WAIT_MS)
        for side in ("old", "new"):
            images = page.locator(f".sheet.{side} img.page-img")
            expect(images.nth(7)).to_be_attached(timeout=WAIT_MS)
            assert images.count() >= 8
            first = images.nth(0)
            first.scroll_into_view_if_needed(timeout=WAIT_MS)
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first.element_handle(),
                                   timeout=WAIT_MS)  # fmt: skip
        changes = page.locator(".changes").inner_text()
        assert "eligibility chart, 23MY - 24MY RX built in Japan, February 2024 production: changed" in changes
        assert "phase timing table, row “Phase 6”, Announcement Timing: changed" in changes
        page.screenshot(path=str(shots / "revision.png"))
        page.locator("#sign-in-link").click(no_wait_after=True)
        expect(page.locator("#name")).to_be_visible(timeout=WAIT_MS)
        page.fill("#name", "Dana Reviewer")
        page.fill("#password", PASSWORD)
        page.locator("#sign-in").click(no_wait_after=True)
        page.wait_for_url(f"**/revisions/{LAST}", wait_until="domcontentloaded", timeout=WAIT_MS)
        page.fill("#comment", "Checked against the source notice.")
        page.locator("#approve").click(no_wait_after=True)
        expect(page.locator("h1")).to_contain_text("approved by Dana Reviewer", timeout=WAIT_MS)
        browser.close()
    approvals = tomllib.loads((unapproved / "templates/23LJ01/approvals.toml").read_text(encoding="utf-8"))
    last = approvals["approval"][-1]
    assert (str(last["revision"]), last["by"], last["comment"], last["signed_in"]) == (
        LAST, "Dana Reviewer", "Checked against the source notice.", "password")  # fmt: skip
    result = CliRunner().invoke(cli, ["revisions", "23LJ01", "--json"])
    assert json.loads(result.stdout)[-1]["approved_by"] == "Dana Reviewer"


def test_approval_needs_the_csrf_token(client: TestClient, unapproved: Path) -> None:
    response = client.post(f"/campaigns/23LJ01/revisions/{LAST}/approve", data={"reviewer": "Mallory",
                                                                                 "csrf_token": "forged"})  # fmt: skip
    assert response.status_code == 403 and "Traceback" not in response.text
    assert "Mallory" not in (unapproved / "templates/23LJ01/approvals.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path",
    [
        "/campaigns/..%2F..%2Fetc",
        "/campaigns/23LJ01%2F..%2F..",
        "/campaigns/23lj01",
        "/campaigns/_shared",
        "/campaigns/23LJ01/revisions/..%2F..%2Fpasswd",
        "/campaigns/23LJ01/revisions/2099-01-01",
        "/campaigns/23LJ01/revisions/2024-01-31/pages/999.png",
        "/campaigns/23LJ01/revisions/2024-01-31/pages/1.png?dpi=5000",
        "/campaigns/23LJ01/revisions/2024-01-31/pages/new/1.png",
        "/campaigns/23LJ01/revisions/2024-01-31/redline.pdf?document=..%2F..%2Fetc%2Fpasswd",
        "/api/campaigns/nope/revisions",
    ],
)
def test_bad_paths_are_404_without_escaping_or_tracebacks(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, path
    assert "Traceback" not in response.text and "root:" not in response.text


def test_json_api(client: TestClient) -> None:
    campaigns = client.get("/api/campaigns").json()
    assert {c["code"] for c in campaigns} >= {"23LJ01", "24A07"}
    revisions = client.get("/api/campaigns/23LJ01/revisions").json()
    assert [r["date"] for r in revisions][-1] == LAST
    assert set(revisions[0]) >= {"date", "topics", "documents", "approved"}
    assert revisions[-1]["approved"] is False and revisions[0]["approved"] is True


def test_read_only_except_approval(client: TestClient) -> None:
    for path in ("/", "/campaigns/23LJ01", "/api/campaigns"):
        assert client.post(path).status_code == 405
        assert client.delete(path).status_code == 405


def test_review_command_refuses_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["review", "--port", str(port)])
    assert result.exit_code == 1 and "error: cannot serve on" in result.stderr
    assert "letters review on" not in result.stderr  # no URL printed for a server that never started


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
def test_home_answers_during_a_render_and_pages_stay_crisp_at_any_zoom(server: str, unapproved: Path) -> None:
    """The home page is served while a cold revision page still renders (renders run in workers, off the
    event loop); the page images follow the zoom and the screen's pixel ratio."""
    import urllib.request

    from playwright.sync_api import expect, sync_playwright

    cold = f"{server}/campaigns/23LJ01/revisions/2023-10-12"
    done: list[int] = []

    def visit() -> None:
        with urllib.request.urlopen(cold, timeout=WAIT_MS / 1000) as response:
            done.append(response.status)

    cache = unapproved / "output" / "review-cache" / "23LJ01"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1300, "height": 900}, device_scale_factor=2)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(server + "/api/campaigns", wait_until="load")  # browser up, connection open
        visitor = threading.Thread(target=visit, daemon=True)
        visitor.start()
        deadline = time.monotonic() + WAIT_MS / 1000
        while not any(cache.glob("*/")) and not done and time.monotonic() < deadline:
            time.sleep(0.01)  # until the cold render is handed to a worker (its cache folder made)
        page.goto(server + "/", wait_until="load")
        expect(page.get_by_role("link", name="23LJ01", exact=True)).to_be_visible()
        assert not done, "the home page waited for the render in another tab"
        visitor.join(WAIT_MS / 1000)
        assert done == [200]
        page.goto(cold, wait_until="load")
        image = page.locator(".sheet.new img.page-img").first

        def sharpness() -> tuple[float, float]:
            page.wait_for_function("img => img.complete && img.naturalWidth > 0 && img.src.includes('dpi=')",
                                   arg=image.element_handle())  # fmt: skip
            natural, shown = image.evaluate("img => [img.naturalWidth, img.getBoundingClientRect().width]")
            return float(natural), float(shown)

        natural, shown = sharpness()
        assert natural >= 2 * shown * 0.99  # one image pixel per device pixel, at the pixel ratio of 2
        for _ in range(4):
            page.click("#zoom-in")
        zoomed_natural, zoomed_shown = sharpness()
        assert zoomed_shown > 1.5 * shown and zoomed_natural >= 2 * zoomed_shown * 0.99
        link = page.locator("a.show").first
        target = str(link.get_attribute("href"))
        assert page.locator(target).count() == 1  # the change's box is on a page
        link.click()
        expect(page.locator(target)).to_be_in_viewport()
        browser.close()
