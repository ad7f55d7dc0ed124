"""The review workflow in a real browser (Playwright driving Debian's Chromium), two reviewers at once.

One reviewer comments on one change, requests changes, then approves; a second reviewer's tab,
opened before all that, approves too late and is told, its comment kept; an edit to the
revision file after the approval turns the revision back to "changed since approval".
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from letters.review.approvals import read_log
from letters.review.reviewers import add_reviewer
from letters.review.web import create_app
from tests.conftest import edit, live_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CODE, REV = "25X09", "2025-11-17"
PASSWORD = "correct horse battery"
WAIT_MS = 180_000
"""Longest wait for any one browser condition (a loaded machine renders pages slowly)."""

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")


@pytest.fixture
def server(project: Path) -> Iterator[str]:
    log = project / "templates" / CODE / "approvals.toml"
    text = log.read_text(encoding="utf-8")
    log.write_text(text[: text.rindex("[[approval]]")], encoding="utf-8")
    for name in ("Dana Reviewer", "Lee Checker"):
        add_reviewer(project / "reviewers.toml", name, PASSWORD)
    with live_server(create_app()) as url:
        yield url


def test_two_reviewers_comment_request_changes_approve_and_an_edit_unapproves(server: str, project: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url = f"{server}/campaigns/{CODE}/revisions/{REV}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                    "--disable-background-networking", "--disable-sync"])  # fmt: skip

        def reviewer(name: str):  # type: ignore[no-untyped-def]
            page = browser.new_context(viewport={"width": 1300, "height": 900}).new_page()
            page.set_default_timeout(WAIT_MS)
            page.set_default_navigation_timeout(WAIT_MS)
            page.goto(url, wait_until="domcontentloaded")
            expect(page.locator("#review-state")).to_have_text("not approved")
            page.locator("#sign-in-link").click(no_wait_after=True)
            expect(page.locator("#name")).to_be_visible()
            page.fill("#name", name)
            page.fill("#password", PASSWORD)
            page.locator("#sign-in").click(no_wait_after=True)
            expect(page.locator("#signed-in")).to_have_text(name)
            return page

        dana = reviewer("Dana Reviewer")
        lee = reviewer("Lee Checker")  # Lee's tab stays open, unreloaded, while Dana works

        # A comment on one change of the list.
        option = dana.locator("#item option").filter(has_text="Owner Notification")
        dana.select_option("#item", value=option.get_attribute("value"))
        dana.fill("#item-comment", "Is January 2026 right for the guest mailing?")
        dana.locator("#comment-change").click(no_wait_after=True)
        row = dana.locator("#review-log tr.comment")
        expect(row).to_contain_text("Is January 2026 right for the guest mailing?")
        expect(row).to_contain_text("dealer-letter")
        expect(row).to_contain_text("Owner Notification")

        dana.fill("#comment", "Name the Kestrel dealers' parts date.")
        dana.locator("#request-changes").click(no_wait_after=True)
        expect(dana.locator("#review-state")).to_have_text("changes requested")
        expect(dana.locator("#review-log tr.request-changes")).to_contain_text("Name the Kestrel dealers' parts date.")

        dana.fill("#comment", "Parts date confirmed by phone.")
        dana.locator("#approve").click(no_wait_after=True)
        expect(dana.locator("h1")).to_contain_text("approved by Dana Reviewer")

        # Lee, from the tab opened before all that: told, and the comment kept.
        lee.fill("#comment", "Checked the phase table.")
        lee.locator("#approve").click(no_wait_after=True)
        expect(lee.locator("main")).to_contain_text("while you had the page open, Dana Reviewer recorded")
        expect(lee.locator("main")).to_contain_text("your comment was recorded as a comment")
        lee.locator("#back").click(no_wait_after=True)
        expect(lee.locator("#review-log tr.comment").last).to_contain_text("Checked the phase table.")

        # An edit after the approval: the revision is a draft again, and the page says what changed.
        edit(project / "templates" / CODE / "revisions" / f"{REV}.toml", 'mailing = "2026-01"', 'mailing = "2026-02"')
        dana.reload(wait_until="domcontentloaded")
        expect(dana.locator("#review-state")).to_have_text("changed since approval")
        expect(dana.locator("#draft")).to_have_text("DRAFT")
        expect(dana.locator("#changed-since-approval")).to_contain_text(f"{CODE}/revisions/{REV}.toml: changed")
        expect(dana.locator("#approve")).to_be_visible()
        browser.close()
    actions = [(e.action, e.by) for e in read_log(project / "templates" / CODE) if e.revision == REV]
    assert actions == [("comment", "Dana Reviewer"), ("request-changes", "Dana Reviewer"),
                       ("approve", "Dana Reviewer"), ("comment", "Lee Checker")]  # fmt: skip
