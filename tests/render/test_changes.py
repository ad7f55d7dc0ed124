"""Red boxes are computed: rendered revisions are diffed block by block and changes outlined."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from letters.campaign import load_campaign
from letters.documents import RenderOptions
from letters.notice import baseline_for, render_notice
from letters.render.changes import Block, diff, html_blocks, mark_changes
from letters.render.pdf import parse
from tests.conftest import edit

Box = tuple[float, float, float, float]


def _red(color: object) -> bool:
    return isinstance(color, (tuple, list)) and len(color) == 3 and color[0] > 0.7 and color[1] < 0.1 and color[2] < 0.1


def _inside(outer: dict[str, float], inner: dict[str, float]) -> bool:
    return (outer is not inner and outer["x0"] <= inner["x0"] and outer["x1"] >= inner["x1"]
            and outer["top"] <= inner["top"] and outer["bottom"] >= inner["bottom"])  # fmt: skip


def red_boxes(page: pdfplumber.page.Page) -> list[Box]:
    """Red outlines on a page: filled outline paths (outer around inner) and red-ruled table rows."""
    rects = [r for r in page.rects if _red(r.get("non_stroking_color"))]
    boxes = [(r["x0"], r["top"], r["x1"], r["bottom"]) for r in rects if any(_inside(r, o) for o in rects)]
    lines = [ln for ln in page.lines if _red(ln.get("stroking_color"))]
    for v in [ln for ln in lines if abs(ln["x0"] - ln["x1"]) < 0.5]:
        row = [h for h in lines if abs(h["top"] - h["bottom"]) < 0.5 and v["top"] - 1 <= h["top"] <= v["bottom"] + 1]
        boxes.append((min(h["x0"] for h in row), v["top"], max(h["x1"] for h in row), v["bottom"]))
    return boxes


def boxed_text(pdf_path: Path) -> dict[int, str]:
    """Page number -> the words lying inside red boxes, in reading order."""
    out = {}
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            boxes = red_boxes(page)
            words = [w for w in page.extract_words()
                     if any(b[0] <= (w["x0"] + w["x1"]) / 2 <= b[2] and b[1] <= (w["top"] + w["bottom"]) / 2 <= b[3]
                            for b in boxes)]  # fmt: skip
            if words:
                out[number] = " ".join(w["text"] for w in words)
    return out


def page_texts(pdf_path: Path) -> list[str]:
    with pdfplumber.open(pdf_path) as pdf:
        return [p.extract_text() or "" for p in pdf.pages]


@pytest.fixture(scope="module")
def notices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    folder = tmp_path_factory.mktemp("notices")
    for revision in ("2023-06-15", "2023-12-21", "2024-01-31"):
        loaded = load_campaign("23LJ01", revision=revision)
        target = folder / f"{revision}.pdf"
        render_notice(loaded, target, RenderOptions(as_of=loaded.campaign.revision.date), baseline_for(loaded))
        out[revision] = target
    return out


def test_latest_boxes_only_phase_timing_and_chart(notices: dict[str, Path]) -> None:
    boxed = boxed_text(notices["2024-01-31"])
    texts = page_texts(notices["2024-01-31"])
    (page,) = boxed  # one page holds every box
    assert "Frequently Asked Questions" in texts[page - 1]
    words = boxed[page]
    assert words.startswith("Current Phase Timing and Vehicle Eligibility (Updated: 01/31/2024)")
    assert "Phase 6 March 2024 TBD" in words and "Phase 7 May 2024 TBD" in words
    assert "23MY LC" in words and "Phase 7" in words.split("Example:")[1]  # the chart and its legend
    assert "A15:" not in words and "Q14" not in words


def test_phase_5_revision_boxes_the_phase_5_additions(notices: dict[str, Path]) -> None:
    boxed = " | ".join(boxed_text(notices["2023-12-21"]).values())
    for addition in ("approximately 214,000 vehicles", "Phase 5 Guest Mailing February 2024",
                     "Original Publication Date: December 21, 2023", "Approximately 214,000 vehicles are covered",
                     "Phase 5 Remedy Available ~75,500"):  # fmt: skip
        assert addition in boxed, addition
    for unchanged in ("Reason for Program", "Phase 1 Guest Mailing", "Media Contacts", "Q4: How long"):
        assert unchanged not in boxed, unchanged


def test_original_has_no_cover_and_no_box(notices: dict[str, Path]) -> None:
    assert boxed_text(notices["2023-06-15"]) == {}
    assert "IMPORTANT UPDATE" not in page_texts(notices["2023-06-15"])[0]


def test_cover_lists_every_topic_newest_first(notices: dict[str, Path]) -> None:
    cover = page_texts(notices["2024-01-31"])[0]
    lines = [ln for ln in cover.splitlines() if ln[:3] in ("Jan", "Dec", "Nov", "Oct", "Aug")]
    assert lines[0].startswith("January 31, 2024") and lines[-1].startswith("August 29, 2023") and len(lines) == 7


def test_inserted_paragraph_does_not_mark_what_follows() -> None:
    old = parse("<h2>A</h2><p>one</p><p>two</p><p>three</p>")
    new = parse("<h2>A</h2><p>NEW</p><p>one</p><p>two</p><p>three changed</p>")
    marked, removed = mark_changes(old, new)
    assert marked == 2 and removed == []
    assert [b.text for b in html_blocks(new) if "rev-changed" in (b.element.get("class") or "")] == [
        "NEW", "three changed",
    ]  # fmt: skip


def test_removed_block_reported() -> None:
    changes = diff([Block("p", "keep"), Block("p", "gone")], [Block("p", "keep")])
    assert [(c.op, [b.text for b in c.old]) for c in changes] == [("delete", ["gone"])]


def test_removed_content_listed_on_cover_not_boxed(project: Path, tmp_path: Path) -> None:
    revisions = project / "templates" / "23LJ01" / "revisions"
    (revisions / "2024-03-01.toml").write_text(
        'date = 2024-03-01\ntopics = ["Q6 withdrawn"]\n\n[[changes.faq]]\nid = "Q6"\nremove = true\n'
    )
    loaded = load_campaign("23LJ01")
    target = tmp_path / "n.pdf"
    render_notice(loaded, target, RenderOptions(as_of=loaded.campaign.revision.date), baseline_for(loaded))
    cover = page_texts(target)[0]
    assert "The most recent update removed:" in cover and "Q6: Why are only certain models included?" in cover
    assert all("Q6" not in text for text in boxed_text(target).values())


def test_template_change_in_a_revision_is_boxed(project: Path, tmp_path: Path) -> None:
    revisions = project / "templates" / "23LJ01" / "revisions"
    (revisions / "2024-03-01.toml").write_text('date = 2024-03-01\ntopics = ["Parts ordering clarified"]\n')
    override = revisions / "2024-03-01"
    override.mkdir()
    letter = (project / "templates" / "23LJ01" / "dealer-letter.html").read_text()
    (override / "dealer-letter.html").write_text(letter)
    edit(
        override / "dealer-letter.html",
        "<p>CPOR gives the exact part number for each VIN.</p>",
        "<p>CPOR gives the exact part number for each VIN.</p>\\n<p>Order one key per covered VIN only.</p>",
    )
    loaded = load_campaign("23LJ01")
    target = tmp_path / "n.pdf"
    render_notice(loaded, target, RenderOptions(as_of=loaded.campaign.revision.date), baseline_for(loaded))
    assert list(boxed_text(target).values()) == ["Order one key per covered VIN only."]


def test_no_boxes_for_a_guest_copy(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from letters.cli import cli

    boxed, clean = tmp_path / "boxed.pdf", tmp_path / "clean.pdf"
    assert CliRunner().invoke(cli, ["render", "23LJ01", "faq", "-o", str(boxed)]).exit_code == 0
    assert CliRunner().invoke(cli, ["render", "23LJ01", "faq", "--no-boxes", "-o", str(clean)]).exit_code == 0
    assert boxed_text(boxed) and boxed_text(clean) == {}
    assert page_texts(boxed) == page_texts(clean)
