"""Approvals bound to content, the review log's writing and reading, and the gate before print (#21, #26)."""

from __future__ import annotations

import json
import multiprocessing
import os
import tomllib
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from letters.cli import cli
from letters.press.finish import proof_ops
from letters.review import fingerprint as fp
from letters.review.approvals import Conflict, read_log
from letters.review.status import record, state, states
from tests.conftest import ROOT, edit

LAST = "2024-01-31"
"""23LJ01's latest revision: approved in the bundled log."""


def bump(project: Path) -> None:
    """The issue's edit after approval: a phase count changed in the revision file."""
    edit(project / "templates" / "23LJ01" / "revisions" / f"{LAST}.toml", "vehicles = 32000", "vehicles = 33000")


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_bundled_revisions_are_approved_as_they_are() -> None:
    """A change to a bundled campaign's files, the shared templates or what the engine prints needs a new approval:
    ``letters approve CODE REVISION --by NAME --comment WHY`` for each revision this names."""
    for code in ("23LJ01", "24A07", "25X09"):
        stale = {rev: s.changed for rev, s in states(code).items() if not s.approved}
        assert not stale, f"{code}: approve again what changed: {stale}"


def test_the_fingerprint_is_the_same_in_another_checkout_and_ignores_file_times_and_line_endings(
    project: Path,
) -> None:
    # `project` is a copy of templates/ at another path: the same content, new files (new times).
    copied = fp.content("23LJ01", LAST)
    os.environ["LETTERS_HOME"], home = str(ROOT), os.environ["LETTERS_HOME"]
    fp._cache.clear()  # render again, from the other checkout
    try:
        original = fp.content("23LJ01", LAST)
    finally:
        os.environ["LETTERS_HOME"] = home
    assert copied == original and fp.fingerprint(copied) == fp.fingerprint(original)
    letter = project / "templates" / "23LJ01" / "dealer-letter.html"
    os.utime(letter, (1, 1))
    letter.write_bytes(letter.read_bytes().replace(b"\n", b"\r\n"))  # a Windows checkout
    fp._cache.clear()
    assert fp.content("23LJ01", LAST) == original
    assert state("23LJ01", LAST).approved


def test_an_edit_after_approval_is_changed_since_approval_everywhere(project: Path, tmp_path: Path) -> None:
    bump(project)
    review = state("23LJ01", LAST)
    assert review.state == "changed-since-approval" and not review.approved
    assert "23LJ01/revisions/2024-01-31.toml: changed" in review.changed
    assert state("23LJ01", "2023-12-21").approved  # an earlier revision does not include the later file
    code, out, _ = run("revisions", "23LJ01", "--json")
    last = json.loads(out)[-1]
    assert code == 0 and last["state"] == "changed-since-approval" and last["approved"] is False
    assert "23LJ01/revisions/2024-01-31.toml: changed" in last["changed"]
    assert last["reviews"][-1]["action"] == "approve" and last["reviews"][-1]["fingerprint"].startswith("sha256:")
    code, out, _ = run("revisions", "23LJ01")
    assert f"{LAST}  CHANGED SINCE APPROVAL by Published notice (seed package)" in out
    assert "changed since approval: 23LJ01/revisions/2024-01-31.toml: changed" in out
    code, out, _ = run("campaigns", "--json")
    row = next(r for r in json.loads(out) if r["code"] == "23LJ01")
    assert row["review"]["state"] == "changed-since-approval" and row["review"]["changed"]
    code, _, err = run("notice", "23LJ01", "-o", str(tmp_path / "n.pdf"))
    assert code == 2 and "changed since approval" in err and "2024-01-31.toml: changed" in err and "--draft" in err
    assert not (tmp_path / "n.pdf").exists()
    code, _, err = run("mail", "23LJ01", "--phase", "5", "-o", str(tmp_path / "out"), "--ledger",
                       str(tmp_path / "l.sqlite"), "-q")  # fmt: skip
    assert code == 2 and "changed since approval" in err and not (tmp_path / "out").exists()
    # A template edit is caught the same way, and says which document's text it changed.
    edit(project / "templates" / "23LJ01" / "faq.html", "</h1>", "</h1><p>An added sentence.</p>")
    changed = state("23LJ01", LAST).changed
    assert "the rendered text of faq: changed" in changed and "23LJ01/faq.html: changed" in changed
    # Approving again binds the approval to what the revision is now.
    code, out, err = run("approve", "23LJ01", LAST, "--by", "Second Look", "--json")
    assert code == 0, err
    approval = json.loads(out)
    assert approval["fingerprint"] == fp.fingerprint(fp.content("23LJ01", LAST)) and "+" in approval["at"][19:]
    assert state("23LJ01", LAST).approved


def test_a_new_campaign_is_refused_by_mail_and_notice_until_approved(project: Path, tmp_path: Path) -> None:
    assert run("new", "26S01", "--kind", "safety-recall")[0] == 0
    code, _, err = run("sample-data", "26S01", "--vehicles", "30", "-o", str(tmp_path / "lists"))
    assert code == 0, err
    lists = [
        "--vehicles",
        str(tmp_path / "lists" / "26S01-vehicles.csv"),
        "--owners",
        str(tmp_path / "lists" / "26S01-owners.csv"),
    ]
    code, _, err = run("mail", "26S01", "--phase", "1", *lists, "-o", str(tmp_path / "out"), "-q", "--proof",
                       "--ledger", str(tmp_path / "l.sqlite"))  # fmt: skip
    assert code == 2 and "is not approved" in err and "--draft" in err
    code, _, err = run("notice", "26S01", "-o", str(tmp_path / "n.pdf"))
    assert code == 2 and "is not approved" in err


def test_mail_draft_stamps_every_page_and_the_job_ticket_says_so(records: tuple[Path, Path], tmp_path: Path) -> None:
    args = ["mail", "23LJ01", "--phase", "1", "--vehicles", str(records[0]), "--owners", str(records[1]),
            "--as-of", "2024-02-05", "--workers", "1", "--batch-size", "100", "-q", "--json",
            "--ledger", str(tmp_path / "l.sqlite"), "-o", str(tmp_path / "out"), "--draft"]  # fmt: skip
    code, out, err = run(*args)
    assert code == 0, err
    (job,) = json.loads(out)["runs"]
    folder = Path(job["folder"])
    assert job["draft"] is True and json.loads((folder / "job.json").read_text())["draft"] is True
    files = [folder / f["name"] for f in job["files"]] + [folder / name for name in job["envelopes"].values()]
    for path in files:
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                box = [float(v) for v in page.obj.MediaBox]
                stamp = proof_ops(box[2] - box[0], box[3] - box[1], "DRAFT")
                page.contents_coalesce()
                assert page.obj.Contents.read_bytes().endswith(stamp), path


def test_names_and_comments_with_control_characters_are_refused_and_the_file_stays_valid(project: Path) -> None:
    log = project / "templates" / "23LJ01" / "approvals.toml"
    before = log.read_bytes()
    code, _, err = run("approve", "23LJ01", LAST, "--by", "Eve\rInjected")
    assert code == 2 and "control character(s) U+000D" in err
    code, _, err = run("approve", "23LJ01", LAST, "--by", "Eve", "--comment", "page\fbreak")
    assert code == 2 and "U+000C" in err
    assert log.read_bytes() == before
    entry = record("23LJ01", LAST, "comment", 'Eve "Quote" \\ Back', 'two\nlines = "and TOML"\n[[approval]]')
    assert read_log(log.parent)[-1] == entry and entry.comment == 'two\nlines = "and TOML"\n[[approval]]'
    tomllib.loads(log.read_text(encoding="utf-8"))


def test_a_broken_review_log_names_its_line_and_hides_nothing(project: Path, tmp_path: Path) -> None:
    log = project / "templates" / "23LJ01" / "approvals.toml"
    lines = log.read_text(encoding="utf-8").splitlines()
    header = len(lines) + 1
    lines.append('[[approval]]\nrevision = 2024-01-31\naction = "approve"\nby = "X"\nat = "soon"')
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run("revisions", "23LJ01")
    assert code == 0 and out.count("NOT APPROVED: the review log cannot be read") == 6
    assert f"line {header} (approval " in out and "at must be a timestamp" in out
    code, _, err = run("notice", "23LJ01", "-o", str(tmp_path / "n.pdf"))
    assert code == 2 and f"line {header}" in err
    log.write_text("[[approval]\nrevision = 2024-01-31\n", encoding="utf-8")  # not TOML at all
    code, out, _ = run("revisions", "23LJ01", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 6 and "line 1" in rows[-1]["review_log_error"]
    code, _, err = run("approve", "23LJ01", LAST, "--by", "Someone")
    assert code == 1 and "not valid TOML" in err and "line 1" in err


def _approve_at_once(
    home: str, name: str, start: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    os.environ["LETTERS_HOME"] = home
    fp.content("23LJ01", LAST)  # warm: both reach the lock together
    start.wait()
    try:
        record("23LJ01", LAST, "approve", name, f"{name}'s approval")
        out.put((name, "recorded"))
    except Conflict as exc:
        out.put((name, exc.message))


def test_two_servers_approving_at_once_record_one_approval_and_tell_the_other(project: Path) -> None:
    bump(project)
    before = len(read_log(project / "templates" / "23LJ01"))
    context = multiprocessing.get_context("spawn")
    start, out = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_approve_at_once, args=(str(project), name, start, out)) for name in ("A", "B")]
    for w in workers:
        w.start()
    results = dict(out.get(timeout=300) for _ in workers)
    for w in workers:
        w.join(60)
    assert list(results.values()).count("recorded") == 1, results
    loser = next(n for n, r in results.items() if r != "recorded")
    assert "was already approved by" in results[loser] and "your comment was recorded" in results[loser]
    added = read_log(project / "templates" / "23LJ01")[before:]
    assert [e.action for e in added].count("approve") == 1
    assert [(e.action, e.by) for e in added if e.action == "comment"] == [("comment", loser)]


def test_an_approval_from_a_stale_page_is_refused_and_its_comment_kept(project: Path) -> None:
    bump(project)
    seen = len(state("23LJ01", LAST).entries)
    record("23LJ01", LAST, "request-changes", "First Reviewer", "the NAP count is wrong", "password")
    with pytest.raises(Conflict, match="while you had the page open, First Reviewer recorded a request for changes"):
        record("23LJ01", LAST, "approve", "Second Reviewer", "looks right to me", "password", seen=seen)
    review = state("23LJ01", LAST)
    assert review.state == "changes-requested"
    assert (review.entries[-1].action, review.entries[-1].comment) == ("comment", "looks right to me")


def test_reviewers_add(project: Path) -> None:
    code, out, err = run("reviewers", "add", "Dana Reviewer", "--password-stdin", "--json", stdin="correct horse 1\n")
    assert code == 0, err
    path = Path(json.loads(out)["path"])
    assert path == project / "reviewers.toml" and "correct horse" not in path.read_text()
    assert tomllib.loads(path.read_text())["reviewer"][0]["password"].startswith("$argon2id$")
    code, _, err = run("reviewers", "add", "Dana Reviewer", "--password-stdin", stdin="short\n")
    assert code == 2 and "at least 10" in err
