"""Every stamped letter is checked exactly: faults put into real stamped output are caught, naming piece and field.

Each fault is injected where it would arise: into the operator bytes ``_stamp`` hands on
(changed in place, so the page would print them), into the template's shaping cache (made
to lie), or into the stamps a letter is given. The checker itself is the real one.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

import pytest

from letters.render import fast
from letters.render.check import Checker
from letters.render.embedded import to_unicode
from letters.render.pieces import LAYOUT, BatchJob, PieceInput
from letters.render.shaping import Shaped, shape
from tests.conftest import options
from tests.render.test_fast import REVISION, TRICKY, job, template_of

Ops = dict[int, list[bytes]]
Change = Callable[[PieceInput, Sequence[tuple[str, str]], Ops], None]
FIRST = "piece 23LJ01-5-0001-000001, page 1"


@pytest.fixture(scope="module")
def renderer() -> fast.FastRenderer:
    """A renderer of its own: its templates and the checker's proofs are this module's."""
    made = fast.FastRenderer("23LJ01", REVISION.isoformat())
    made.render_pdf(job(Path("unused"), TRICKY))  # the variant laid out, verified and its lines cached
    return made


@pytest.fixture
def batch(tmp_path: Path) -> BatchJob:
    return job(tmp_path, TRICKY)


@pytest.fixture
def cache(renderer: fast.FastRenderer, batch: BatchJob) -> Iterator[dict[tuple[str, bool, float], Shaped]]:
    """The template's shaping cache, to make lie; restored afterwards."""
    shaped = template_of(renderer, batch).shaped
    kept = dict(shaped)
    yield shaped  # type: ignore[misc]
    shaped.clear()
    shaped.update(kept)


def tamper(renderer: fast.FastRenderer, monkeypatch: pytest.MonkeyPatch, change: Change) -> None:
    """Change every letter's field operators in place as ``_stamp`` hands them on, then check them for real."""
    real = partial(Checker.letter, renderer.check)

    def letter(tpl: fast.Template, piece: PieceInput, stamps: Sequence[tuple[str, str]], ops: Ops) -> str | None:
        change(piece, stamps, ops)
        return real(tpl, piece, stamps, ops)

    monkeypatch.setattr(renderer.check, "letter", letter)


def at(stamps: Sequence[tuple[str, str]], name: str) -> int:
    """Index of field ``name``'s run among its page's runs (every field of this letter is on page 1)."""
    return [n for n, _ in stamps].index(name)


def edit(name: str, old: bytes, new: bytes, first_only: bool = True) -> Change:
    """Replace ``old`` with ``new`` in field ``name``'s run of the first letter (or of every letter)."""

    def change(piece: PieceInput, stamps: Sequence[tuple[str, str]], ops: Ops) -> None:
        if first_only and not piece.piece_id.endswith("000001"):
            return
        i = at(stamps, name)
        assert old in ops[0][i], ops[0][i]
        ops[0][i] = ops[0][i].replace(old, new, 1)

    return change


def key(text: str, bold: bool = False, size: float = 12.0) -> tuple[str, bool, float]:
    return (text, bold, size)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (edit("addr-1", b"[<0024>", b"[<0025>"), r"field addr-1: its glyphs read 'BVA WYATT TOWNE', not 'AVA WYATT"),
        (edit("addr-2", b"1 0 0 -1 96 ", b"1 0 0 -1 96.5 "), r"field addr-2: starts at \(96.5, 228.1602\), not \(96.0"),
        (edit("addr-2", b" 228.1602 Tm", b" 229.1602 Tm"), r"field addr-2: starts at \(96.0, 229.1602\)"),
        (edit("vin", b"/FB ", b"/FR "), r"field vin: set in the regular face"),
        (edit("addr-1", b"/FR 12 Tf", b"/FR 12.5 Tf"), r"field addr-1: set at 12.5 px, not 12.0000"),
        (edit("addr-1", b"0 g\n", b"0.5 g\n"), r"field addr-1: coloured 0.5 g, not \(0.0, 0.0, 0.0\)"),
        (edit("addr-1", b"0 g\n", b"0 0 0 rg\n"), r"field addr-1: coloured 0 0 0 rg"),
        (
            edit("addr-1", b"[<0024>74<", b"[<0024>34<", first_only=False),
            r"field addr-1: glyph 1 of 'AVA WYATT TOWNE' is advanced 34, not 74",
        ),
    ],
    ids=[
        "wrong glyph",
        "shifted",
        "off its baseline",
        "wrong face",
        "wrong size",
        "wrong colour",
        "rgb for grey",
        "wrong advance",
    ],
)
def test_a_wrong_run_is_caught(renderer: fast.FastRenderer, batch: BatchJob, monkeypatch: pytest.MonkeyPatch,
                               change: Change, message: str) -> None:  # fmt: skip
    tamper(renderer, monkeypatch, change)
    with pytest.raises(fast.VerificationError, match=rf"^{FIRST}: {message}"):
        renderer.render_pdf(batch)


def test_a_right_aligned_field_drawn_left_aligned_is_caught(renderer: fast.FastRenderer, batch: BatchJob,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    slot = template_of(renderer, batch).slots["piece"]
    assert slot.align == "right"

    def change(piece: PieceInput, stamps: Sequence[tuple[str, str]], ops: Ops) -> None:
        i = at(stamps, "piece")
        ops[0][i] = re.sub(rb"1 0 0 -1 [0-9.]+ ", b"1 0 0 -1 %.4f " % slot.x, ops[0][i])

    tamper(renderer, monkeypatch, change)
    with pytest.raises(fast.VerificationError, match=rf"^{FIRST}: field piece: starts at \(734.4, "):
        renderer.render_pdf(batch)


def test_a_missing_or_extra_run_is_caught(renderer: fast.FastRenderer, batch: BatchJob,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    def drop(piece: PieceInput, stamps: Sequence[tuple[str, str]], ops: Ops) -> None:
        del ops[0][at(stamps, "addr-3")]

    tamper(renderer, monkeypatch, drop)
    with pytest.raises(fast.VerificationError, match=rf"^{FIRST}: field addr-3 is missing"):
        renderer.render_pdf(batch)

    def extra(piece: PieceInput, stamps: Sequence[tuple[str, str]], ops: Ops) -> None:
        ops[0].append(ops[0][at(stamps, "addr-1")])

    tamper(renderer, monkeypatch, extra)
    with pytest.raises(fast.VerificationError, match=rf"^{FIRST}: an extra text run \('AVA WYATT TOWNE'\)"):
        renderer.render_pdf(batch)

    def elsewhere(piece: PieceInput, stamps: Sequence[tuple[str, str]], ops: Ops) -> None:
        ops[3] = [ops[0][0]]

    tamper(renderer, monkeypatch, elsewhere)
    with pytest.raises(fast.VerificationError, match=r"000001, page 4: field runs on a page the template does not"):
        renderer.render_pdf(batch)


def test_a_lying_shaping_cache_is_caught(renderer: fast.FastRenderer, batch: BatchJob,
                                         cache: dict[tuple[str, bool, float], Shaped]) -> None:  # fmt: skip
    """The check never takes the cache's word: another letter's line, a wrong advance, a wrong width."""
    mine, theirs = key("AVA WYATT TOWNE"), key("LUIS ÁVILA OÑATE")
    assert mine in cache and theirs in cache  # both lines were stamped from the cache
    cache[mine], cache[theirs] = cache[theirs], cache[mine]
    with pytest.raises(fast.VerificationError, match=rf"^{FIRST}: field addr-1: its glyphs read 'LUIS ÁVILA OÑATE'"):
        renderer.render_pdf(batch)
    cache[mine], cache[theirs] = cache[theirs], cache[mine]

    # One glyph of another letter's line.
    good = cache[mine]
    cache[mine] = dataclasses.replace(good, tj=good.tj.replace(b"[<0024>", b"[<002f>", 1))
    with pytest.raises(fast.VerificationError, match=r"field addr-1: its glyphs read 'LVA WYATT TOWNE'"):
        renderer.render_pdf(batch)

    # The right glyphs, one advance off (a kerning pair lost).
    cache[mine] = dataclasses.replace(good, tj=re.sub(rb"<0039>(-?\d+)", rb"<0039>0", good.tj, count=1))
    assert cache[mine].tj != good.tj
    with pytest.raises(fast.VerificationError, match=r"field addr-1: glyph 2 of 'AVA WYATT TOWNE' is advanced 0, not"):
        renderer.render_pdf(batch)
    cache[mine] = good


def test_text_wider_than_its_box_is_caught(renderer: fast.FastRenderer, tmp_path: Path,
                                           cache: dict[tuple[str, bool, float], Shaped]) -> None:  # fmt: skip
    long = " ".join(["A VERY LONG NAME"] * 6)
    tpl = template_of(renderer, job(tmp_path, TRICKY[:1]))
    real = shape(long, False, 12.0, tpl.widths[False])
    assert real.width > tpl.slots["addr-1"].width
    cache[key(long)] = dataclasses.replace(real, width=10.0)  # the stamp's own box test is fooled
    with pytest.raises(fast.VerificationError, match=rf"^{FIRST}: field addr-1: '{long}' is wider than its box"):
        renderer.render_pdf(job(tmp_path, [(long, "1 MAIN ST")]))


def test_stamps_of_another_letter_are_caught(renderer: fast.FastRenderer, batch: BatchJob,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    real = renderer.layouts

    def swapped(job: BatchJob) -> list[list[fast.Version]]:
        out = real(job)
        out[0], out[1] = out[1], out[0]
        return out

    monkeypatch.setattr(renderer, "layouts", swapped)
    with pytest.raises(
        fast.VerificationError, match=r"^piece 23LJ01-5-0001-000001: field piece holds '23LJ01-5-0001-000002"
    ):
        renderer.render_pdf(batch)

    def no_vin(job: BatchJob) -> list[list[fast.Version]]:
        return [[(t, tuple(s for s in stamps if s[0] != "vin"), why) for t, stamps, why in versions]
                for versions in real(job)]  # fmt: skip

    monkeypatch.setattr(renderer, "layouts", no_vin)
    with pytest.raises(fast.VerificationError, match=r"^piece 23LJ01-5-0001-000001: field vin is missing"):
        renderer.render_pdf(batch)

    def other_street(job: BatchJob) -> list[list[fast.Version]]:
        out = real(job)
        t, stamps, why = out[0][0]
        out[0][0] = (t, tuple((n, "1 OTHER ST" if n == "addr-2" else s) for n, s in stamps), why)
        return out

    monkeypatch.setattr(renderer, "layouts", other_street)
    with pytest.raises(
        fast.VerificationError, match=r"field addr-2 holds '1 OTHER ST', the piece's address line is 'TO"
    ):
        renderer.render_pdf(batch)


def test_clean_letters_pass_and_every_one_is_checked(renderer: fast.FastRenderer, batch: BatchJob,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    seen: list[str] = []
    tamper(renderer, monkeypatch, lambda piece, stamps, ops: seen.append(piece.piece_id))
    es = dataclasses.replace(batch, pieces=tuple(dataclasses.replace(p, language="es+en") for p in batch.pieces))
    for b in (batch, es):
        _, pages, _, reasons, _ = renderer.render_pdf(b)
        assert reasons == [] and pages == len(b.pieces) * 2  # a page a version, duplex
    assert seen == [p.piece_id for p in batch.pieces] + [p.piece_id for p in batch.pieces for _ in range(2)]


def test_a_variant_is_compared_once_per_process_not_per_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = fast.FastRenderer("23LJ01", REVISION.isoformat())
    compared: list[int] = []
    real = renderer._compare

    def compare(job: BatchJob, data: bytes, placed: object, picks: list[int]) -> None:
        compared.append(len(picks))
        real(job, data, placed, picks)  # type: ignore[arg-type]

    monkeypatch.setattr(renderer, "_compare", compare)
    for n in range(3):
        renderer.render_batch(job(tmp_path / str(n), TRICKY))
    # The variant, laid out here, has its first letter compared; later batches are not sampled.
    assert compared == [1, 0, 0] and renderer.check.compared == 1
    # A variant the preflight verified and shipped to a worker: only the worker's safety net, once.
    tpl = template_of(renderer, job(tmp_path, TRICKY))
    assert tpl.verified
    worker = fast.FastRenderer("23LJ01", REVISION.isoformat())
    monkeypatch.setattr(worker, "_compare", compare)
    compared.clear()
    for n in range(2):
        planned = job(tmp_path / f"w{n}", TRICKY)
        pieces = tuple(dataclasses.replace(p, fields=(*p.fields, (LAYOUT, json.dumps([{"key": tpl.key, "stamps": s}]))))
                       for p, ((_, s, _),) in zip(planned.pieces, renderer.layouts(planned), strict=True))  # fmt: skip
        worker.render_batch(dataclasses.replace(planned, pieces=pieces, variants=(tpl.shipped(),)))
    assert compared == [1, 0]


def test_a_whole_mailing_passes_every_letter_checked(records: tuple[Path, Path], tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Every letter checked as stamped; full renders only for the preflight's one letter per variant."""
    from letters.mail import mail

    checked: list[str] = []
    compared: list[tuple[int, int]] = []
    check, compare = Checker.letter, fast.FastRenderer._compare

    def letter(self: Checker, tpl: fast.Template, piece: PieceInput, *rest: object) -> str | None:
        checked.append(piece.piece_id)
        return check(self, tpl, piece, *rest)  # type: ignore[arg-type]

    def compared_with_full(self: fast.FastRenderer, job: BatchJob, data: bytes, placed: object, p: list[int]) -> None:
        compared.append((len(job.pieces), len(p)))
        compare(self, job, data, placed, p)  # type: ignore[arg-type]

    monkeypatch.setattr(Checker, "letter", letter)
    monkeypatch.setattr(fast.FastRenderer, "_compare", compared_with_full)
    (run,) = mail("23LJ01", options(tmp_path, records)).runs  # one worker: rendered in this process
    pieces = run.folder.joinpath("manifest.csv").read_text().splitlines()[1:]
    assert run.job["fallbacks"] == {} and len(pieces) > 10
    assert {line.split(",")[0] for line in pieces} <= set(checked)
    (preflight, variants), *batches = compared
    assert preflight == variants >= 1  # the preflight's batch: one letter per variant, each compared
    # The batches (same process: the preflight's compare is its safety net) compare none.
    assert len(batches) == 2 and all(n == 0 for _, n in batches)


def test_to_unicode_reads_bfchar_and_both_bfrange_forms() -> None:
    cmap = (b"2 beginbfchar\n<0003> <0020>\n<00c0> <00660069>\nendbfchar\n"
            b"1 beginbfrange\n<0024> <0026> <0041>\nendbfrange\n1 beginbfrange\n<0030> <0031> [<00e9> <00c9>]\n"
            b"endbfrange\n")  # fmt: skip
    assert to_unicode(cmap) == {3: " ", 0xC0: "fi", 0x24: "A", 0x25: "B", 0x26: "C", 0x30: "é", 0x31: "É"}


def test_a_text_the_embedded_map_would_misread_goes_to_the_full_renderer(tmp_path: Path) -> None:
    """The text layer must read as the text: a face whose map reads a glyph otherwise sends the letter over."""
    renderer = fast.FastRenderer("23LJ01", REVISION.isoformat())
    batch = job(tmp_path, [("QUINN", "1 MAIN ST"), ("BOB", "2 ELM ST")])  # no Q in the piece line, VIN or city
    font = template_of(renderer, batch).fonts[False]
    cmap = font.ToUnicode.read_bytes()
    assert b"<0034> <0051>" in cmap  # Q
    font.ToUnicode.write(cmap.replace(b"<0034> <0051>", b"<0034> <004f>"))  # Q would read as O
    _, _, _, reasons, fallen = renderer.render_pdf(batch)
    assert reasons == ["text the embedded font's map does not read back"] and fallen == [0]
