"""``letters render CAMPAIGN owner-letter --vin VIN``: one owner's letter exactly as ``mail`` prints it.

The preview goes through the mailing's own code: the records are reconciled as ``mail``
reconciles them, the stage is chosen (and checked against the phase's remedy status and the
ledger's letters for the VIN) by the planning code, the address block and Intelligent Mail
barcode are made by the planner's printing step, and the letter is rendered as a one-piece
batch by the full renderer, marks and press finishing included. Only the run's own numbers
differ: the piece ID is ``CAMPAIGN-PHASE-0000-000000`` and the barcode's serial 0, of the
widths the real ones print, since a preview reserves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from letters import paths
from letters import vin as vins
from letters.address import standard_delivery
from letters.batch import language_of, piece_id
from letters.campaign import load_campaign
from letters.documents import RenderOptions
from letters.errors import UsageError
from letters.ledger import Ledger
from letters.mail.plan import _Chunk, _print_chunk, select_stage, stage_for
from letters.notice import Written, render_document_file
from letters.press.imb import serial_digits
from letters.records import reconcile
from letters.render.closing import closing_warning
from letters.render.pdf import layout
from letters.render.pieces import BatchJob, FullRenderer, PieceInput
from letters.render.workers import render_batch, renderer_for
from letters.report import resolve_lists


@dataclass(frozen=True)
class Preview(Written):
    """An owner letter rendered as ``mail`` would print it."""

    vin: str = ""
    """The owner's VIN."""
    phase: int = 0
    """The VIN's phase."""
    stage: str = ""
    """The stage printed."""
    language: str = ""
    """The letter's language code (``es+en``: Spanish, then English)."""
    piece_id: str = ""
    """The stand-in piece ID printed (a real run numbers its pieces)."""
    sheets: int = 0
    """Sheets of paper, as mailed (duplex)."""
    letter_pages: int = 0
    """The letter's own pages, every language version, before blank backs (``pages`` counts those too)."""

    def as_json(self) -> dict[str, Any]:
        return {**super().as_json(), "vin": self.vin, "phase": self.phase, "stage": self.stage,
                "language": self.language, "piece_id": self.piece_id, "sheets": self.sheets,
                "letter_pages": self.letter_pages}  # fmt: skip


@dataclass(frozen=True)
class PreviewOptions:
    """What the owner-letter preview takes beside ``render``'s own options."""

    vin: str | None = None
    """The owner's VIN: with a stage's document, the preview."""
    phase: int | None = None
    """The phase the letter is expected in (refused if the VIN is in another)."""
    vehicles: Path | None = None
    """Vehicle records (default: the bundled list)."""
    owners: Path | None = None
    """Owner records (default: the bundled list)."""
    ledger: Path | None = None
    """Mailing ledger whose letters decide stage order and follow-ups (default: output/ledger.sqlite, if there)."""
    pr_language: str = "bilingual"
    """Language of Puerto Rico letters without a language column, as ``mail --pr-language``."""


def render_document(code: str, name: str, target: Path | None, options: RenderOptions, preview: PreviewOptions,
                    revision: str | None = None, changes_since: date | None = None) -> Written:  # fmt: skip
    """``letters render``: a stage's letter with ``--vin`` is that owner's letter as mailed; else the document."""
    loaded = load_campaign(code, as_of=options.as_of, revision=revision)
    letter_docs = {s.document for s in loaded.campaign.stages}
    mailing_only = [flag for flag, given in (("--phase", preview.phase is not None),
                    ("--vehicles", preview.vehicles), ("--owners", preview.owners),
                    ("--ledger", preview.ledger)) if given]  # fmt: skip
    if preview.vin is None or name not in letter_docs:
        if mailing_only:
            raise UsageError(f"{', '.join(mailing_only)}: only for an owner letter with --vin (a preview as mailed)")
        return render_document_file(code, name, target, options, preview.vin, revision, changes_since)
    said = [flag for flag, given in (("--revision", revision), ("--changes-since", changes_since),
            ("--draft", options.draft), ("--lang", options.lang != "en")) if given]  # fmt: skip
    if said:
        raise UsageError(f"{', '.join(said)}: an owner letter with --vin prints as mail prints it, as of --as-of "
                         "and in the owner's own language, so it takes none of these")  # fmt: skip
    return owner_letter(code, preview, options.stage or None, options.as_of, target)


def owner_letter(code: str, preview: PreviewOptions, stage_name: str | None, as_of: date | None,
                 target: Path | None) -> Preview:  # fmt: skip
    """The VIN's owner letter as ``mail`` would print it on ``as_of`` (default today), written to ``target``.

    Refused (``UsageError``): a VIN that gets no letter (with its outcome), a phase other
    than the VIN's, and a stage that does not apply to it on that date (remedy not yet
    available, a follow-up not yet due, an earlier stage after a later one).
    """
    when = as_of or date.today()
    campaign = load_campaign(code, as_of=when).campaign
    try:
        vin = vins.parse(preview.vin or "").value
    except vins.VinError as exc:
        raise UsageError(str(exc)) from None
    vehicles, owners = resolve_lists(campaign.code, preview.vehicles, preview.owners)
    rec = reconcile(campaign, vehicles, owners, when, None)
    piece = next((p for p in rec.pieces if p.vehicle.vin == vin), None)
    if piece is None:
        why = sorted({f"{r.outcome} ({r.reason})" if r.reason else r.outcome for r in rec.reported if r.vin == vin})
        raise UsageError(f"VIN {vin} gets no {campaign.code} letter as of {when.isoformat()}: "
                         + ("; ".join(why) if why else f"it is not in the vehicle records {vehicles}"))  # fmt: skip
    if preview.phase is not None and preview.phase != piece.phase:
        raise UsageError(f"VIN {vin} is in phase {piece.phase} of {campaign.code}, not phase {preview.phase}")
    stage = stage_for(campaign, piece.phase, when, stage_name)
    _check_ledger(preview.ledger, campaign, rec, piece.phase, stage, when, vin)
    language = language_of(piece.owner, preview.pr_language, campaign.letter_languages)
    fields = tuple(sorted(PieceInput.vehicle_fields(piece.vehicle).items()))
    if campaign.mailing is not None:
        capacity = 10 ** serial_digits(campaign.mailing.mailer_id)
        lines, imb = _print_chunk(_Chunk(campaign.mailing, 0, capacity, 0, (piece.owner,)))[0]
    else:  # mail refuses such a campaign; the preview shows the letter without a barcode
        lines, imb = piece.owner.envelope_lines(standard_delivery), ("", "", "")
    stand_in = piece_id(campaign.code_for(stage.name), piece.phase, 0, 0)
    target = target or paths.output_dir() / f"{campaign.code}-{stage.document}.pdf"
    job = BatchJob(campaign.code, piece.phase, 0, campaign.revision.date, when, target,
                   (PieceInput(stand_in, vin, tuple(lines), language, fields, imb[2]),), True, stage.name,
                   stage.document)  # fmt: skip
    out = render_batch(job, "full")
    warnings, own = _closing(job, language)
    return Preview(out.path, campaign.revision.date.isoformat(), {stage.document: out.pages}, {}, tuple(warnings),
                   when.isoformat(), vin, piece.phase, stage.name, language, stand_in, -(-out.pages // 2),
                   own)  # fmt: skip


def _check_ledger(path: Path | None, campaign: Any, rec: Any, phase: int, stage: Any, when: date, vin: str) -> None:
    """Refuse a stage the ledger's letters rule out for ``vin``: one after a later stage's, a follow-up not due."""
    path = path or paths.output_dir() / "ledger.sqlite"
    if not path.exists():
        if stage.when == "after":
            raise UsageError(f"a {stage.name} letter follows the {stage.after} letter, and there is no ledger at "
                             f"{path} to say when VIN {vin} had one (--ledger)")  # fmt: skip
        return
    book = Ledger(path, create=False)
    try:
        selection = select_stage(book, campaign, rec, phase, stage, when)
        for piece, why in selection.superseded:
            if piece.vehicle.vin == vin:
                raise UsageError(f"VIN {vin}: {why}")
        due = {p.vehicle.vin for p in selection.pieces} | book.reserved_vins(campaign.code, stage.name)
        if stage.when == "after" and vin not in due:
            raise UsageError(
                f"VIN {vin} is not due a {stage.name} letter as of {when.isoformat()}: it needs a "
                f"{stage.after} letter mailed at least {stage.days} days before (ledger {path})"
            )
    finally:
        book.close()


def _closing(job: BatchJob, language: str) -> tuple[list[str], int]:
    """The closing-lines warning for each language version of the letter, laid out as the full renderer lays it,
    and the letter's own pages (before a duplex blank back)."""
    full = renderer_for(job.campaign, job.revision.isoformat(), "full")
    assert isinstance(full, FullRenderer)
    out: list[str] = []
    pages = 0
    for lang in language.split("+"):
        renderer = full.renderer(lang)
        html = renderer.html(full.specs[job.stage], RenderOptions(letters=(job.pieces[0].letter(job),), mailing=True,
                                                                  lang=lang, strict=True))  # fmt: skip
        document, _ = layout(html, full.loaded.folder, renderer.folders)
        out += closing_warning(document, f"owner letter of VIN {job.pieces[0].vin} ({job.stage}, {lang})")
        pages += len(document.pages)
    return out, pages
