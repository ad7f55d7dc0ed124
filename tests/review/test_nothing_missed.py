"""Nothing missed: every changed rendered line of a notice document is accounted for by a change item.

For every revision and the one before it, in every bundled campaign, the review copies'
PDF text (what a reader sees) is diffed word by word, document by document; each word
removed must be in the old text of some change item of that document, each word added in
the new text of one.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import pairwise
from pathlib import Path

import pdfplumber
import pytest

from letters import paths
from letters.campaign import load_campaign
from letters.render.changes import word_diff
from letters.review.compare import copy_changes
from letters.review.copy import NoticeCopy, render_copy

FOOTER = re.compile(r"Page \d+ of \d+$")
MARKERS = {"•", "◦", "▪"}
"""List bullets: drawn by the style sheet, not text of the document."""
BUNDLED = sorted(p.name for p in paths.templates_dir().iterdir() if (p / "campaign.toml").is_file()
                 and not p.name.startswith("_"))  # fmt: skip
HISTORIES = {code: [e.id for e in load_campaign(code).history] for code in BUNDLED}
PAIRS = [(code, a, b) for code, ids in HISTORIES.items() for a, b in pairwise(ids)]


@cache
def copy_of(code: str, revision: str, folder: str) -> tuple[NoticeCopy, Path]:
    target = Path(folder) / f"{code}-{revision}.pdf"
    return render_copy(code, revision, target), target


def document_text(copy: NoticeCopy, pdf: Path, name: str) -> str:
    document = copy.document(name)
    if document is None:
        return ""
    lines = []
    with pdfplumber.open(pdf) as opened:
        for number in range(document.first_page, document.first_page + document.pages):
            text = opened.pages[number - 1].extract_text() or ""
            lines.extend(line for line in text.splitlines() if not FOOTER.search(" ".join(line.split())))
    return " ".join(lines)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("copies"))


def test_every_bundled_campaign_has_pairs() -> None:
    assert {code for code, _, _ in PAIRS} >= {"23LJ01", "24A07"}
    assert len([p for p in PAIRS if p[0] == "23LJ01"]) == 5


@pytest.mark.parametrize(("code", "old", "new"), PAIRS, ids=[f"{c}-{o}-{n}" for c, o, n in PAIRS])
def test_items_account_for_every_changed_word(code: str, old: str, new: str, folder: str) -> None:
    (old_copy, old_pdf), (new_copy, new_pdf) = copy_of(code, old, folder), copy_of(code, new, folder)
    for document in copy_changes(code, old_copy, new_copy):
        before = document_text(old_copy, old_pdf, document.name)
        after = document_text(new_copy, new_pdf, document.name)
        said_old = set(" ".join(i.old for i in document.items).split())
        said_new = set(" ".join(i.new for i in document.items).split())
        missed = []
        for op, text in word_diff(before, after):
            words = set(text.split()) - MARKERS
            unexplained = words - said_old if op == "-" else words - said_new if op == "+" else set()
            if unexplained:
                missed.append(f"{op} {' '.join(sorted(unexplained))}")
        assert not missed, f"{code} {document.name} {old} -> {new}: no item says {missed}"
