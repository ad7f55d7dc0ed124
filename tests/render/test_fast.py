"""The fast renderer draws exactly what the full renderer draws, or hands the letter over."""

from __future__ import annotations

import dataclasses
import subprocess
from datetime import date
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from pypdf import PdfReader

from letters.render import fast
from letters.render.pieces import BatchJob, PieceInput
from letters.render.workers import render_batch, renderer_for

REVISION = date(2024, 1, 31)
TRICKY = [
    ("AVA WYATT TOWNE", "TO VAY AWRY 12", "Wyatt Tower, Avenue To"),  # kerning pairs, mixed case
    ("LUIS ÁVILA OÑATE", "URB EL VEDADO", "CALLE ÉXITO 12"),  # diacritics
    # apostrophes, hyphens, typographic quotes and dashes
    ("RENÉE O'TOOLE-WÜST", "D'ARCY LÆTITIA ŒUVRE", "\u201cQUOTED\u201d \u2013 DASHED \u2014 LINE"),
    ("FIFI OFFICE AFFLUENT", "fine affluent office", "Fjord Office Waffle"),  # ligatures
    ("A 211 RA 1111", "11 BOULEVARD 211", "APT 11-A"),  # digit kerning that depends on context
]


def job(tmp_path: Path, addresses: list[tuple[str, ...]], lang: str = "en") -> BatchJob:
    pieces = tuple(
        PieceInput(f"23LJ01-5-0001-{i:06d}", "JTJGKCEZ1RJ100002", (*lines, "SAN JUAN PR 00907-1234"), lang)
        for i, lines in enumerate(addresses, start=1)
    )
    return BatchJob("23LJ01", 5, 1, REVISION, date(2024, 2, 5), tmp_path / "batch-0001.pdf", pieces)


def template_of(renderer: fast.FastRenderer, batch: BatchJob) -> fast.Template:
    """The template the batch's first letter is stamped on."""
    template = renderer.layouts(batch)[0][0][0]
    assert template is not None
    return template


@pytest.fixture
def verify_every_letter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "SAFETY_NET", 10**9)  # every letter compared with its full render


@pytest.mark.parametrize("lang", ["en", "es", "es+en"])
@pytest.mark.usefixtures("verify_every_letter")
def test_tricky_names_match_full_renders_pixel_for_pixel(tmp_path: Path, lang: str) -> None:
    out = render_batch(job(tmp_path, TRICKY, lang), "fast")  # raises VerificationError on any difference
    assert out.fallbacks == {}
    assert out.pages == len(TRICKY) * 2


def test_text_layer_extracts(tmp_path: Path) -> None:
    render_batch(job(tmp_path, TRICKY), "fast")
    with pdfplumber.open(tmp_path / "batch-0001.pdf") as pdf:
        text = pdf.pages[2].extract_text()
    assert "LUIS ÁVILA OÑATE" in text and "VIN: JTJGKCEZ1RJ100002" in text and "SAN JUAN PR 00907-1234" in text
    assert "23LJ01-5-0001-000002 · JTJGKCEZ1RJ100002" in text
    assert "RENÉE O'TOOLE-WÜST" in PdfReader(tmp_path / "batch-0001.pdf").pages[4].extract_text()


@pytest.mark.parametrize(
    ("name", "reason"),
    [("A VERY LONG NAME " * 6, "addr wider than its box"), ("李小龍", "glyph outside the embedded font")],
)
@pytest.mark.usefixtures("verify_every_letter")
def test_unstampable_letters_fall_back_to_full_render(tmp_path: Path, name: str, reason: str) -> None:
    out = render_batch(job(tmp_path, [TRICKY[0], (name, "1 MAIN ST"), TRICKY[1]]), "fast")
    assert out.fallbacks == {reason: 1}
    reader = PdfReader(out.path)
    assert len(reader.pages) == 6 and [p.first_page for p in out.pieces] == [1, 3, 5]
    # Poppler reads the full render's text even where WeasyPrint drew .notdef for a missing
    # glyph (pdfminer does not).
    text = subprocess.run(["pdftotext", "-f", "3", "-l", "3", str(out.path), "-"], capture_output=True, text=True)
    assert name.strip().split()[0] in text.stdout and "1 MAIN ST" in text.stdout


def test_verification_fails_loudly_naming_the_piece(tmp_path: Path) -> None:
    """A variant laid out in this process is compared with its full render: a wrong slot shows in its pixels."""
    renderer = fast.FastRenderer("23LJ01", REVISION.isoformat())  # its own process's templates, none verified
    template = template_of(renderer, job(tmp_path, TRICKY[:1]))
    assert not template.verified
    good = template.slots["vin"]
    template.slots["vin"] = dataclasses.replace(good, baseline=good.baseline + 1.5)
    with pytest.raises(fast.VerificationError, match=r"piece 23LJ01-5-0001-000001, page 1: pixels differ"):
        renderer.render_batch(job(tmp_path, TRICKY[:1]))
    assert not (tmp_path / "batch-0001.pdf").exists()


def test_compact_output(tmp_path: Path) -> None:
    addresses = [(f"OWNER NUMBER {i}", f"{i} MAIN ST") for i in range(300)]
    out = render_batch(job(tmp_path, addresses), "fast")
    with pikepdf.open(out.path) as pdf:  # the output intent's ICC profile: once per file, whatever its size
        profile = len(pdf.Root.OutputIntents[0].DestOutputProfile.read_raw_bytes())
    assert (out.path.stat().st_size - profile) / len(addresses) < 1024
    reader = PdfReader(out.path)
    assert len(reader.outline) == 300 and reader.outline[299].title == "23LJ01-5-0001-000300 JTJGKCEZ1RJ100002"
    assert reader.get_destination_page_number(reader.outline[299]) == 598


def test_safety_net_picks_the_longest_address_lines(tmp_path: Path) -> None:
    lines = [("A B", "1 ST"), ("A MUCH LONGER NAME THAN THE CITY",), ("C D", "A LONGER STREET THAN THE CITY"), ("E",)]
    batch = job(tmp_path, lines)  # every letter's last line: SAN JUAN PR 00907-1234
    assert fast.sample_indexes(batch, set(), 1) == [1]
    assert fast.sample_indexes(batch, {1}, 2) == [0, 2]  # ties: the first; never a skipped letter
    assert fast.sample_indexes(batch, set(), 0) == [] and fast.sample_indexes(batch, set(), 9) == [0, 1, 2, 3]


def test_later_batches_are_still_verified_once_the_template_passed(tmp_path: Path) -> None:
    renderer = renderer_for("23LJ01", REVISION.isoformat(), "fast")
    assert isinstance(renderer, fast.FastRenderer)
    render_batch(job(tmp_path, TRICKY), "fast")  # the full sample: the template is now verified
    template = template_of(renderer, job(tmp_path, TRICKY[:1]))
    assert template.verified
    good = template.slots["addr-1"]
    template.slots["addr-1"] = dataclasses.replace(good, x=good.x + 2)
    try:
        # Caught in every letter by the stamp's own check, which holds the slots as they were verified.
        moved = r"000001, page 1: field addr-1: starts at \(98.0, 214.8268\), not \(96.0000, "
        with pytest.raises(fast.VerificationError, match=moved):
            render_batch(job(tmp_path / "again", TRICKY), "fast")
    finally:
        template.slots["addr-1"] = good


def test_shaping_cache_gives_what_shaping_gives(tmp_path: Path) -> None:
    from letters.render.shaping import shape

    renderer = renderer_for("23LJ01", REVISION.isoformat(), "fast")
    assert isinstance(renderer, fast.FastRenderer)
    render_batch(job(tmp_path, TRICKY), "fast")
    render_batch(job(tmp_path / "twice", TRICKY), "fast")  # the second batch is stamped from the cache
    template = template_of(renderer, job(tmp_path, TRICKY[:1]))
    assert template.shaped
    for (text, bold, size), cached in template.shaped.items():
        assert cached == shape(text, bold, size, template.widths[bold])
