"""The review workflow and the app's defences, through Starlette's TestClient (#21 item 2, #26 item 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from letters.cli import cli
from letters.errors import UsageError
from letters.review.approvals import read_log
from letters.review.reviewers import SESSION_COOKIE, add_reviewer
from letters.review.security import allowed_hosts
from letters.review.web import Settings, create_app
from letters.review.workflow import Access, token

CODE, REV = "25X09", "2025-11-17"
"""A small campaign, its last revision waiting for review in these tests."""
SECRET = b"workflow-test-secret"
PASSWORD = "correct horse battery"
BASE = f"/campaigns/{CODE}/revisions/{REV}"


@pytest.fixture
def waiting(project: Path) -> Path:
    """The scratch project: 25X09's last revision not approved; two reviewers."""
    log = project / "templates" / CODE / "approvals.toml"
    text = log.read_text(encoding="utf-8")
    log.write_text(text[: text.rindex("[[approval]]")], encoding="utf-8")
    for name in ("Dana Reviewer", "Lee Checker"):
        add_reviewer(project / "reviewers.toml", name, PASSWORD)
    return project


def client(**settings: object) -> TestClient:
    return TestClient(create_app(Settings(SECRET, **settings)), base_url="http://127.0.0.1",  # type: ignore[arg-type]
                      raise_server_exceptions=False, follow_redirects=False)  # fmt: skip


def signed_in(name: str) -> TestClient:
    c = client()
    page = c.get("/login").text
    csrf = re.search(r'name="csrf_token" value="(\w+)"', page)
    assert csrf, page
    response = c.post("/login", data={"csrf_token": csrf[1], "name": name, "password": PASSWORD, "next": BASE})
    assert response.status_code == 303 and response.headers["location"] == BASE, response.text
    assert SESSION_COOKIE in response.headers["set-cookie"] and "httponly" in response.headers["set-cookie"].lower()
    return c


def form(name: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token(Access(SECRET), f"review:{CODE}:{REV}", name), **fields}


def entries(project: Path) -> list[dict[str, object]]:
    return [e.as_json() for e in read_log(project / "templates" / CODE) if e.revision == REV]


def test_a_forged_host_is_refused_and_every_answer_carries_the_headers(waiting: Path) -> None:
    c = client()
    assert c.get("/", headers={"host": "attacker.example"}).status_code == 400
    assert c.get("/api/campaigns", headers={"host": "attacker.example:8765"}).status_code == 400
    for path, status in (("/", 200), ("/campaigns/nope", 404), ("/login", 200)):
        response = c.get(path)
        assert response.status_code == status, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client(hosts=("review.example",)).get("/", headers={"host": "review.example"}).status_code == 200


def test_allowed_hosts_follow_the_bound_address() -> None:
    assert set(allowed_hosts("127.0.0.1")) == {"127.0.0.1", "localhost"}
    assert allowed_hosts("0.0.0.0", ("review.example",)) == ("review.example",)
    with pytest.raises(UsageError, match="--allowed-host"):
        allowed_hosts("0.0.0.0")
    result = CliRunner().invoke(cli, ["review", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 2 and "--allowed-host" in result.stderr


def test_a_cross_origin_post_is_refused_even_with_a_session_and_token(waiting: Path) -> None:
    c = signed_in("Dana Reviewer")
    before = entries(waiting)
    for headers in ({"origin": "http://attacker.example"}, {"referer": "http://attacker.example/page"},
                    {"sec-fetch-site": "cross-site"}, {"origin": "null"}):  # fmt: skip
        response = c.post(f"{BASE}/review", data=form("Dana Reviewer", action="approve"), headers=headers)
        assert response.status_code == 403 and "refused" in response.text, headers
    assert entries(waiting) == before
    same = c.post(f"{BASE}/review", data=form("Dana Reviewer", action="approve"),
                  headers={"origin": "http://127.0.0.1"})  # fmt: skip
    assert same.status_code == 303


def test_writes_need_a_signed_in_reviewer_and_the_token(waiting: Path) -> None:
    anonymous = client()
    assert anonymous.post(f"{BASE}/review", data=form("Dana Reviewer", action="approve")).status_code == 403
    bad = anonymous.post("/login", data={"csrf_token": token(Access(SECRET), "login", ""), "name": "Dana Reviewer",
                                          "password": "wrong password!"})  # fmt: skip
    assert (
        bad.status_code == 401
        and "wrong password" in bad.text
        and SESSION_COOKIE not in bad.headers.get("set-cookie", "")
    )
    c = signed_in("Dana Reviewer")
    assert c.post(f"{BASE}/review", data={"csrf_token": "forged", "action": "approve"}).status_code == 403
    assert c.post(f"{BASE}/review", data=form("Lee Checker", action="approve")).status_code == 403  # not hers
    assert entries(waiting) == []
    forged = client()
    forged.cookies.set(SESSION_COOKIE, "RGFuYQ.9999999999.0000")
    assert forged.post(f"{BASE}/review", data=form("Dana", action="approve")).status_code == 403


def test_approve_request_changes_reject_and_comment_on_one_change(waiting: Path) -> None:
    c = signed_in("Dana Reviewer")
    response = c.post(f"{BASE}/review", data=form("Dana Reviewer", action="request-changes", comment=""))
    assert response.status_code == 400 and "needs a comment" in response.text
    response = c.post(f"{BASE}/review", data=form("Dana Reviewer", action="request-changes",
                                                  comment="Say which dealers\r\nhave the parts."))  # fmt: skip
    assert response.status_code == 303 and response.headers["location"].startswith(BASE)
    item = "dealer-letter:0123456789abcdef:paragraph under “Coverage”: changed: old → new"
    response = c.post(f"{BASE}/comment", data=form("Dana Reviewer", item=item, comment="Is the date right?"))
    assert response.status_code == 303
    bad = c.post(f"{BASE}/comment", data=form("Dana Reviewer", item="../../etc:x:y", comment="x"))
    assert bad.status_code == 400
    lee = signed_in("Lee Checker")
    assert lee.post(f"{BASE}/review", data=form("Lee Checker", action="reject", comment="Wrong month.")).status_code \
        == 303  # fmt: skip
    assert lee.post(f"{BASE}/review", data=form("Lee Checker", action="approve", comment="Fixed.", seen="3")
                    ).status_code == 303  # fmt: skip
    log = entries(waiting)
    assert [(e["action"], e["by"]) for e in log] == [("request-changes", "Dana Reviewer"),
                                                     ("comment", "Dana Reviewer"), ("reject", "Lee Checker"),
                                                     ("approve", "Lee Checker")]  # fmt: skip
    assert log[0]["comment"] == "Say which dealers\nhave the parts." and log[0]["signed_in"] == "password"
    assert (log[1]["document"], log[1]["item"]) == ("dealer-letter", "0123456789abcdef")
    assert log[1]["item_text"] == "paragraph under “Coverage”: changed: old → new"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", str(e["at"])) for e in log)
    api = c.get(f"/api/campaigns/{CODE}/revisions").json()[-1]
    assert api["state"] == "approved" and api["approved_by"] == "Lee Checker"
    assert [r["action"] for r in api["reviews"]] == ["request-changes", "comment", "reject", "approve"]
    cli_rows = json.loads(CliRunner().invoke(cli, ["revisions", CODE, "--json"]).stdout)
    assert cli_rows[-1]["reviews"] == api["reviews"]
    history = c.get(f"/campaigns/{CODE}").text
    assert "Say which dealers" in history and "Is the date right?" in history and "Wrong month." in history
    page = c.get(BASE).text
    assert 'id="review-log"' in page and "Is the date right?" in page and "Lee Checker" in page
    assert "approved by Lee Checker" in page and 'id="approve"' not in page  # approved: no second approval


def test_a_stale_tab_is_told_and_its_comment_kept(waiting: Path) -> None:
    dana, lee = signed_in("Dana Reviewer"), signed_in("Lee Checker")
    assert dana.post(f"{BASE}/review", data=form("Dana Reviewer", action="approve", seen="0")).status_code == 303
    late = lee.post(f"{BASE}/review", data=form("Lee Checker", action="approve", comment="Me too.", seen="0"))
    assert late.status_code == 409
    assert "while you had the page open, Dana Reviewer recorded an approval" in late.text
    assert "your comment was recorded" in late.text and f'href="{BASE}"' in late.text
    assert [(e["action"], e["by"], e["comment"]) for e in entries(waiting)] == [
        ("approve", "Dana Reviewer", ""), ("comment", "Lee Checker", "Me too.")]  # fmt: skip


def test_a_reverse_proxy_can_assert_the_reviewer(waiting: Path) -> None:
    c = client(proxy_user_header="X-Forwarded-User")
    assert c.post(f"{BASE}/review", data=form("Sam Proxy", action="approve")).status_code == 403
    response = c.post(f"{BASE}/review", data=form("Sam Proxy", action="approve"),
                      headers={"X-Forwarded-User": "Sam Proxy"})  # fmt: skip
    assert response.status_code == 303
    assert [(e["by"], e["signed_in"]) for e in entries(waiting)] == [("Sam Proxy", "proxy")]
    # A session cookie does not stand in for the proxy's word.
    assert c.post(f"{BASE}/review", data=form("Dana Reviewer", action="reject", comment="x")).status_code == 403


def test_a_broken_review_log_keeps_the_campaign_browsable(waiting: Path) -> None:
    (waiting / "templates" / CODE / "approvals.toml").write_text("[[approval]\n", encoding="utf-8")
    c = client()
    history = c.get(f"/campaigns/{CODE}")
    assert history.status_code == 200 and "the review log cannot be read" in history.text
    assert "line 1" in c.get(f"/api/campaigns/{CODE}/revisions").json()[-1]["review_log_error"]
