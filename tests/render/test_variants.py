"""Layout variants: the fast renderer prints every letter exactly as the full renderer does, whatever it reads."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pdfplumber
import pytest

from letters.campaign import load_campaign
from letters.errors import LettersError
from letters.mail import MailOptions, mail
from letters.render.variants import key_document, mask
from letters.sample import generate
from tests.conftest import AS_OF, edit

PHASES = (1, 2, 3, 4, 5, 6, 7)
"""23LJ01 as of AS_OF: phases 1-5 in the remedy stage, 6 and 7 in the interim one (variant_project)."""


def piece_texts(folder: Path) -> dict[str, str]:
    """Each piece's text (pdfplumber, its pages joined), by piece ID."""
    with (folder / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out: dict[str, str] = {}
    files: dict[str, pdfplumber.PDF] = {}
    try:
        for row in rows:
            pdf = files.get(row["file"]) or files.setdefault(row["file"], pdfplumber.open(folder / row["file"]))
            pages = pdf.pages[int(row["first_page"]) - 1 : int(row["last_page"])]
            out[f"{row['piece_id']} {row['vin']}"] = "\n".join(p.extract_text() or "" for p in pages)
    finally:
        for pdf in files.values():
            pdf.close()
    return out


def mailed(tmp: Path, renderer: str, records: tuple[Path, Path], **kw: object) -> dict[str, str]:
    options = MailOptions(phases=PHASES, vehicles=records[0], owners=records[1], as_of=AS_OF, batch_size=40,
                          workers=1, ledger=tmp / renderer / "ledger.sqlite", out_dir=tmp / renderer / "out",
                          renderer=renderer, **kw)  # type: ignore[arg-type]  # fmt: skip
    report = mail("23LJ01", options)
    texts: dict[str, str] = {}
    for run in report.runs:
        assert run.job["renderer"] == renderer
        texts.update(piece_texts(run.folder))
    return texts


@pytest.mark.usefixtures("variant_project")
def test_every_letter_of_generated_mailings_prints_what_the_full_renderer_prints(tmp_path: Path) -> None:
    campaign = load_campaign("23LJ01").campaign
    files = generate(campaign, tmp_path / "records", 220, seed=19)
    records = (files.vehicles, files.owners)
    fast = mailed(tmp_path, "fast", records)
    full = mailed(tmp_path, "full", records)
    assert fast.keys() == full.keys() and len(fast) > 100
    different = [piece for piece in fast if fast[piece] != full[piece]]
    assert not different, (different[:3], fast[different[0]], full[different[0]])
    # The letters do branch: both brands, both stages, both model-year paragraphs, several phases.
    texts = list(fast.values())
    assert any("Lexus North America writes" in t for t in texts) and any("Lexus writes" in t for t in texts)
    assert any("second\nletter will follow" in t or "a second letter" in t.replace("\n", " ") for t in texts)
    assert any("Parts are available now for phase 1" in t for t in texts)
    assert any("Parts are available now for phase 5" in t for t in texts)
    assert any("only model year 2024" in t for t in texts) and any("Model year 2023" in t for t in texts)


@pytest.mark.usefixtures("variant_project")
def test_two_brands_each_get_their_own_letter_from_the_fast_renderer(tmp_path: Path) -> None:
    # On a one-layout fast renderer the second brand's owners got the first brand's letter.
    campaign = load_campaign("23LJ01").campaign
    files = generate(campaign, tmp_path / "records", 120, seed=4)
    texts = mailed(tmp_path, "fast", (files.vehicles, files.owners))
    brands = {"JTH": "Lexus writes", "JTJ": "Lexus writes", "2T2": "Lexus North America writes",
              "58A": "Lexus North America writes"}  # fmt: skip
    seen = set()
    for piece, text in texts.items():
        vin = piece.split()[1]
        flat = " ".join(text.split())
        assert brands[vin[:3]] in flat, (piece, flat[:300])
        phone = "1-888-555-0142" if vin[:3] in ("2T2", "58A") else "1-800-255-3987"
        assert phone in flat, piece
        seen.add(brands[vin[:3]])
    assert len(seen) == 2


def test_masking_stamps_plain_single_fields_and_keys_the_rest() -> None:
    section = ('<section class="owner-letter letter-mark" id="piece-3" data-bookmark="X-1 VIN1">'
               '<div class="recipient">\n  <div class="addr"><span class="field" data-field="addr-1">JANE</span></div>'
               '<div class="addr"><span class="field" data-field="addr-2">1 MAIN ST</span></div>\n</div>'
               '<p><span class="field" data-field="vin">VIN1</span> <span class="field" data-field="model"> RX</span>'
               '<span data-field="x">O&#39;NEIL </span></p></section>')  # fmt: skip
    masked, stamps = mask(section)
    assert stamps == (("addr-1", "JANE"), ("addr-2", "1 MAIN ST"), ("vin", "VIN1"), ("x", "O'NEIL"))
    assert 'id="piece-0"' in masked and 'data-bookmark=""' in masked and "JANE" not in masked
    assert masked.count("data-stamp>W</span>") == 5 + 1  # five address lines whatever the letter has, the VIN
    assert "> RX</span>" in masked  # a leading space could move it: left in the key
    other, _ = mask(section.replace("JANE", "JOHN SMITH").replace("VIN1", "VIN2").replace("piece-3", "piece-7"))
    assert other == masked
    assert key_document("<html><body>no letters</body></html>", 1) is None


def test_masking_leaves_repeated_blank_and_indented_fields_in_the_key() -> None:
    section = ('<section id="piece-0"><span data-field="a">ONE</span> <span data-field="b">SAME</span>'
               '<span data-field="b">SAME</span><span data-field="c">   </span><span data-field="d">\tTAB</span>'
               '<span data-field="e">A &amp; B\n</span><span data-field="f">LAST</span></section>')  # fmt: skip
    masked, stamps = mask(section)
    assert stamps == (("a", "ONE"), ("e", "A & B"), ("f", "LAST"))  # in the section's order, text unescaped
    assert masked.count('<span data-field="b">SAME</span>') == 2  # a name used twice is part of the key
    assert '<span data-field="c">   </span>' in masked and '<span data-field="d">\tTAB</span>' in masked
    # each stamped field holds the placeholder, its trailing white space kept; the text between them stays
    assert masked == ('<section id="piece-0"><span data-field="a" data-stamp>W</span> <span data-field="b">SAME</span>'
                      '<span data-field="b">SAME</span><span data-field="c">   </span><span data-field="d">\tTAB</span>'
                      '<span data-field="e" data-stamp>W\n</span><span data-field="f" data-stamp>W</span>'
                      '</section>')  # fmt: skip


FIELD = '<p>Vehicle: <span class="field" data-field="vehicle">{{ letter.vehicle }}</span></p>'


@pytest.mark.parametrize(
    ("changed", "reason", "printed"),
    [
        (FIELD.replace("</span></p>", "</span>, covered.</p>"), "field vehicle shares its line with text after it",
         ", covered."),
        (FIELD.replace('data-field="vehicle"', 'data-field="vehicle" style="text-transform: lowercase"'),
         "field vehicle is text-transformed", "Vehicle: 20"),
    ],
)  # fmt: skip
def test_a_field_the_stamp_could_get_wrong_sends_its_variant_to_the_full_renderer(
    variant_project: Path, tmp_path: Path, changed: str, reason: str, printed: str
) -> None:
    edit(variant_project / "templates" / "23LJ01" / "owner-letter.html", FIELD, changed)
    campaign = load_campaign("23LJ01").campaign
    files = generate(campaign, tmp_path / "records", 30, seed=5)
    options = MailOptions(phases=(5,), vehicles=files.vehicles, owners=files.owners, as_of=AS_OF, workers=1,
                          ledger=tmp_path / "ledger.sqlite", out_dir=tmp_path / "out", draft=True)  # fmt: skip
    (run,) = mail("23LJ01", options).runs
    assert run.job["fallbacks"] == {reason: run.job["letters"]}
    texts = piece_texts(run.folder).values()
    assert texts and all(printed in t for t in texts)
    if "lowercase" in changed:
        values = [
            line.removeprefix("Vehicle: ") for t in texts for line in t.splitlines() if line.startswith("Vehicle: ")
        ]
        assert values and all(v == v.lower() and any(c.isalpha() for c in v) for v in values), values


@pytest.mark.usefixtures("variant_project")
def test_a_preflight_on_two_workers_plans_and_prints_what_one_does(tmp_path: Path) -> None:
    """Keyed in chunks and laid out a document at a time by the call's workers, the letters get the layouts
    (their variants and stamps, or why they go to the full renderer) and print the text they get in one."""
    import json

    from letters.ledger import Ledger
    from letters.render.pieces import LAYOUT

    campaign = load_campaign("23LJ01").campaign
    files = generate(campaign, tmp_path / "records", 160, seed=8)
    found = {}
    for workers in (1, 2):
        options = MailOptions(phases=(1, 5, 6), vehicles=files.vehicles, owners=files.owners, as_of=AS_OF,
                              batch_size=6, workers=workers, ledger=tmp_path / f"{workers}" / "ledger.sqlite",
                              out_dir=tmp_path / f"{workers}" / "out")  # fmt: skip
        report = mail("23LJ01", options)
        ledger = Ledger(tmp_path / f"{workers}" / "ledger.sqlite")
        try:
            layouts = {p["piece_id"]: json.loads(json.loads(p["fields"])[LAYOUT])
                       for run in report.runs for p in ledger.pieces(run.run.run_id)}  # fmt: skip
        finally:
            ledger.close()
        texts = {piece: text for run in report.runs for piece, text in piece_texts(run.folder).items()}
        tickets = [(run.job["phase"], run.job["variants"], run.job["fallbacks"]) for run in report.runs]
        found[workers] = (layouts, texts, tickets)
    (layouts, texts, tickets), again = found[1], found[2]
    assert len(layouts) > 40 and len({e["key"] for ls in layouts.values() for e in ls if "key" in e}) > 3
    assert layouts == again[0]
    assert texts == again[1] and len(texts) == len(layouts)
    assert tickets == again[2] and all(variants > 0 for _, variants, _ in tickets)


@pytest.mark.usefixtures("variant_project")
def test_a_letter_that_fails_in_a_worker_is_named_as_in_one_process(variant_project: Path, tmp_path: Path) -> None:
    from letters.errors import TemplateError

    # The letters of VINs ending odd only fail, at run time: keyed in the workers' chunks, the first is named.
    edit(variant_project / "templates" / "23LJ01" / "owner-letter.html", '<p>{{ _("Sincerely,") }}</p>',
         '{% if letter.vin[-1] in "13579" %}{{ [1].index(2) }}{% endif %}<p>{{ _("Sincerely,") }}</p>')  # fmt: skip
    campaign = load_campaign("23LJ01").campaign
    files = generate(campaign, tmp_path / "records", 120, seed=6)
    errors = []
    for workers in (1, 2):
        options = MailOptions(phases=(5,), vehicles=files.vehicles, owners=files.owners, as_of=AS_OF,
                              workers=workers, batch_size=5, ledger=tmp_path / f"{workers}.sqlite",
                              out_dir=tmp_path / f"out{workers}", draft=True)  # fmt: skip
        with pytest.raises(TemplateError) as caught:
            mail("23LJ01", options)
        errors.append(caught.value.message)
        assert not (tmp_path / f"out{workers}" / "23LJ01").exists()
    assert errors[0] == errors[1] and re.match(r"the en letter of VIN \w+[13579] \(", errors[0]), errors


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.usefixtures("variant_project")
def test_a_refused_variant_reserves_nothing_and_is_named(variant_project: Path, tmp_path: Path, workers: int) -> None:
    from letters.ledger import Ledger

    # Only the second brand's letter has a paragraph Spanish has no translation for... and one that
    # cannot fit: the return address of a brand whose office name is four lines long.
    toml = variant_project / "templates" / "23LJ01" / "campaign.toml"
    edit(toml, 'office = "Lexus North America Owner Care"',
         'office = "Lexus North America Owner Care, Customer Relations Department, Building 4, Second Floor, '
         'Attention Recall Correspondence Desk"')  # fmt: skip
    campaign = load_campaign("23LJ01").campaign
    files = generate(campaign, tmp_path / "records", 60, seed=6)
    # Two workers and batches of five: the preflight runs in the call's workers.
    options = MailOptions(phases=(5,), vehicles=files.vehicles, owners=files.owners, as_of=AS_OF, workers=workers,
                          batch_size=5, ledger=tmp_path / "ledger.sqlite", out_dir=tmp_path / "out",
                          draft=True)  # fmt: skip
    with pytest.raises(LettersError, match=r"variant brand=lexus-na, .*stage=remedy, lang=en.*\(VIN (2T2|58A)"
                       r"\w+\): the remedy letter's text does not fit: page 1: .* is cut off by its box "
                       r"\(return-address\)"):  # fmt: skip
        mail("23LJ01", options)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    try:
        assert ledger.run_ids("23LJ01") == set()
    finally:
        ledger.close()
    assert not (tmp_path / "out" / "23LJ01").exists()
