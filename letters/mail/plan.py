"""Planning a run: its stage, its letters, their addresses and barcodes, reserved in the ledger."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letters.address import needs_parser, standard_delivery, standard_rules
from letters.batch import Selection, language_of, piece_id, select
from letters.campaign import Campaign
from letters.campaign.model import Mailing, Stage
from letters.documents import stage_on
from letters.envelope import require_logos
from letters.errors import LettersError, UsageError
from letters.ledger import Ledger, PlannedPiece, RunInfo
from letters.ledger.registry import Block, Registry, ledger_key
from letters.mail.options import MailOptions
from letters.mail.planned import keep_planned
from letters.mail.pool import MailPool
from letters.mail.preflight import preflight
from letters.mail.stages import Superseded, later_stages, superseded_reason
from letters.press.imb import encode as encode_imb
from letters.press.imb import serial_digits
from letters.records import Owner, Piece, outcome_names
from letters.render.pieces import LAYOUT, PieceInput
from letters.render.variants import TemplateData
from letters.report import REJECTS_HEADER, human_month
from letters.review.status import require_approved
from letters.usage import Clock, tree_cpu_seconds
from letters.write import (
    csv_bytes,
    durable_write,
    make_folder,
)

if TYPE_CHECKING:
    from letters.records import Reconciliation  # the merge (Polars) stays out of the workers


def run_id_for(phase: int, stage: str, taken: set[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    while True:
        run_id = f"{stamp}-p{phase}-{stage}-{secrets.token_hex(2)}"
        if run_id not in taken:
            return run_id


def summary_of(campaign: Campaign, rec: Reconciliation, superseded: Sequence[Superseded] = ()) -> dict[str, Any]:
    """records_read and every outcome, zeros included, as `letters check --json` reports them, plus
    ``superseded``: vehicles this run's stage would mail but a later stage already did (taken out
    of their ``mailable_phase_N`` or ``pending_phase_N``, so the outcomes still add up)."""
    outcomes = {n: rec.outcomes.get(n, 0) for n in outcome_names(campaign)}
    for piece, _ in superseded:
        outcomes[f"{'mailable' if piece.available else 'pending'}_phase_{piece.phase}"] -= 1
    outcomes["superseded"] = len(superseded)
    return {"records_read": rec.records_read, "outcomes": outcomes}


def stage_for(campaign: Campaign, phase: int, as_of: date, requested: str | None = None) -> Stage:
    """The stage to mail for ``phase`` on ``as_of``: ``requested``, checked, or the one the phase is in.

    Without a request: the remedy letter once the remedy is available, else the interim
    notice when the campaign has one, else a refusal with the estimated month.
    """
    numbers = [p.number for p in campaign.phases]
    if phase not in numbers:
        raise UsageError(f"campaign {campaign.code} has no phase {phase} (phases {numbers[0]}-{numbers[-1]})")
    p = campaign.phase(phase)
    available = p.available(as_of)
    names = [s.name for s in campaign.stages]
    remedy = campaign.spoken_words().remedy
    if requested is not None:
        if requested not in names:
            raise UsageError(f"campaign {campaign.code} has no stage {requested!r}; stages: {', '.join(names)}")
        stage = campaign.stage(requested)
        if stage.when == "remedy-unavailable" and available:
            raise UsageError(f"the {stage.name} stage is for phases whose {remedy} is not yet available; "
                             f"phase {phase}'s was available on {p.announced or '?'}")  # fmt: skip
        if stage.when != "remedy-unavailable" and not available:
            raise UsageError(
                f"phase {phase}'s {remedy} is not available as of {as_of.isoformat()} (announcement estimated "
                f"{human_month(p.estimate)}), so its {stage.name} letters cannot be mailed yet"
            )
        return stage
    found = stage_on(campaign, phase, as_of)
    if found is None:
        raise UsageError(
            f"phase {phase}'s {remedy} is not available as of {as_of.isoformat()} "
            f"(announcement estimated {human_month(p.estimate)}); nothing can be mailed yet"
        )
    return campaign.stage(found)


def select_stage(ledger: Ledger, campaign: Campaign, rec: Reconciliation, phase: int, stage: Stage,
            as_of: date) -> Selection:  # fmt: skip
    """The letters ``stage`` sends for ``phase``: one per VIN per stage, repaired VINs excluded.

    Stages only move forward per VIN: a VIN that already has a letter of a later stage (a
    remedy letter, when this is the interim notice) is taken out as ``superseded``.
    """
    reserved = ledger.reserved_vins(campaign.code, stage.name)
    if stage.when == "after":
        cutoff = (as_of - timedelta(days=stage.days)).isoformat()
        earlier = ledger.mailed_on(campaign.code, stage.after)
        found = select(rec.pieces_in(phase), phase, reserved, True, lambda vin: earlier.get(vin, "9999") <= cutoff)
    else:
        found = select(rec.pieces_in(phase), phase, reserved, stage.when == "remedy-available")
    later = ledger.stage_pieces(campaign.code, later_stages(campaign, stage.name))
    if not later:
        return found
    superseded = tuple(p for p in found.pieces if p.vehicle.vin in later)
    if not superseded:
        return found
    return replace(found, pieces=tuple(p for p in found.pieces if p.vehicle.vin not in later), superseded=tuple(
        (p, superseded_reason(stage.name, *later[p.vehicle.vin])) for p in superseded))  # fmt: skip


def plan(ledger: Ledger, campaign: Campaign, phase: int, pieces: Sequence[Piece], rec: Reconciliation, as_of: date,
          options: MailOptions, out_dir: Path, kind: str, reason: str, stage: Stage,
          timings: dict[str, float] | None = None, superseded: Sequence[Superseded] = (),
          notes: Sequence[str] = (), pool: MailPool | None = None) -> RunInfo:  # fmt: skip
    """Check the run can be made, then reserve its pieces in the ledger.

    Everything that can refuse a run (a missing translation, a template that fails, serials
    that would repeat, an output folder that cannot be written) is tried first, so a refused
    run reserves nothing, gives its IMb serials back and leaves no run folder, and a later
    run with the problem fixed (or another ``-o``) starts clean. ``superseded`` are the
    phase's letters this stage does not send (listed in rejects.csv); ``notes`` are warnings
    the job ticket keeps beside the templates' own. ``pool``: the call's workers, which plan a
    large run (its addresses past ``PARALLEL_PIECES``, its preflight when it has more than one
    batch) and then render it; without one, a large run's addresses get a pool of their own.
    """
    if pool is not None and (len(pieces) > options.batch_size or len(pieces) >= PARALLEL_PIECES):
        pool.start()  # the run will use the call's workers: they start while the checks below run
    # Only a revision approved as it is now is mailed for real (``--draft`` stamps DRAFT instead).
    require_approved(campaign.code, campaign.revision.date.isoformat(), options.draft, kind)
    clock = Clock(tree_cpu_seconds)
    run_id = run_id_for(phase, stage.name, ledger.run_ids(campaign.code))
    # Resolved: a run resumed from another working directory finishes in this same folder.
    folder = out_dir.resolve() / campaign.code / f"phase-{phase}" / run_id
    if not options.proof:
        require_logos(str(campaign.kind))
    warnings = [*rec.warnings, *notes]
    run = RunInfo(
        run_id, campaign.code, phase, campaign.revision.date.isoformat(), as_of.isoformat(), kind, stage.name,
        reason, str(folder), {"duplex": options.duplex, "renderer": options.renderer,
                              "batch_size": options.batch_size, "warnings": warnings, "document": stage.document,
                              "proof": options.proof, "draft": options.draft,
                              "timings": dict(timings or {})},
        summary_of(campaign, rec, superseded),
    )  # fmt: skip
    first = ledger.next_batch(campaign.code, phase)
    registry, block = _serials(ledger, campaign, len(pieces), run_id)
    try:
        try:
            assert campaign.mailing is not None  # _serials refuses a campaign without [mailing]
            template = _Chunk(campaign.mailing, block.first, block.capacity, 0, ())
            printed = _printed(template, [p.owner for p in pieces], options.workers, ledger, pool)
            clock.lap("plan_address")  # Pub 28 blocks and barcodes, on all cores for a large run
            size = options.batch_size
            fields: dict[tuple[Any, ...], dict[str, str]] = {}
            planned = []
            for index, (p, (lines, imb)) in enumerate(zip(pieces, printed, strict=True)):
                batch, seq = first + index // size, index % size + 1
                vehicle = p.vehicle
                key = vehicle[1:5] + vehicle[6:]
                if key not in fields:
                    fields[key] = PieceInput.vehicle_fields(vehicle)
                language = language_of(p.owner, options.pr_language, campaign.letter_languages)
                planned.append(PlannedPiece(piece_id(campaign.code_for(stage.name), phase, batch, seq), vehicle.vin,
                                            batch, seq, language, lines, p.owner.zip, fields[key], imb))  # fmt: skip
            clock.lap("plan_pieces")
            # Every letter keyed into its layout variant, every variant laid out and checked: a refusal
            # here reserves nothing.
            inputs = [piece_input(p) for p in planned]
            workers = pool.executor() if pool is not None and pool.workers > 1 and len(planned) > size else None
            checked = preflight(campaign, stage, phase, as_of, inputs, options.renderer, workers)
            warnings.extend([*checked.warnings, *mailer_warnings(campaign)])
            run.settings["variants"] = checked.laid_out
            if options.renderer == "fast":
                planned = [replace(p, fields={**(p.fields or {}), LAYOUT: layout})
                           for p, layout in zip(planned, checked.layouts, strict=True)]  # fmt: skip
                keep_templates(run_id, checked.templates)
            clock.lap("plan_preflight")
            created = _make_run_folder(folder)
            try:
                durable_write(folder / "rejects.csv", rejects_csv(rec, superseded))
                ledger.plan(run, [(first + i // size, f"batch-{first + i // size:04d}.pdf", planned[i : i + size])
                                  for i in range(0, len(planned), size)])  # fmt: skip
                keep_planned(run_id, {first + i // size: tuple(map(piece_input, planned[i : i + size]))
                                      for i in range(0, len(planned), size)})  # fmt: skip
            except BaseException:
                _remove_run_folder(folder, created)
                raise
            clock.lap("plan_ledger")
        except BaseException:
            with suppress(LettersError):
                registry.release(block)
            raise
        with suppress(LettersError):  # if not, the next plan of this ledger finds the run and keeps the block
            registry.confirm(block)
    finally:
        registry.close()
    run.settings["timings"].update(clock.laps)  # type: ignore[attr-defined]
    return run


def _make_run_folder(folder: Path) -> list[Path]:
    """Create the run folder; returns the folders this created, deepest first."""
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    make_folder(folder)
    return missing


def _remove_run_folder(folder: Path, created: Sequence[Path]) -> None:
    """A refused plan leaves no run folder: remove what ``_make_run_folder`` created, and only that."""
    if folder in created:
        with suppress(OSError):
            shutil.rmtree(folder)
    for parent in created:
        if parent != folder:
            with suppress(OSError):
                parent.rmdir()  # only if empty


def mailer_warnings(campaign: Campaign) -> list[str]:
    """A warning for a test Mailer ID: its barcodes are not tracked, so a real mailing would go out untracked."""
    m = campaign.mailing
    if m is None or not (m.test or m.mailer_id in TEST_MAILER_IDS):
        return []
    return [f"Mailer ID {m.mailer_id} is a test Mailer ID ([mailing] of campaign {campaign.code}"
            f"{': test = true' if m.test else ''}): USPS does not track these barcodes; set the mailer's own "
            "Mailer ID before a real mailing"]  # fmt: skip


TEST_MAILER_IDS = frozenset({"123456"})
"""Mailer IDs only ever used as examples and tests (USPS-B-3200's sample tracking code uses 123456)."""


PARALLEL_PIECES = 50_000
"""From this many pieces, addresses and barcodes are made on all cores. Streets that need the Pub 28
parser now cost about 13 us each and a piece's block and barcode about 30 us, so below this the
pickling to and from the workers costs more than it saves (``benchmarks/plan.py --pieces 20000
--distinct-addresses``: 4.4 s of address CPU on two workers, 0.8 s in the main process)."""


@dataclass(frozen=True)
class _Chunk:
    """Consecutive owners of a run to address and barcode; independent of the other chunks."""

    mailing: Mailing
    """Barcode settings."""
    serial: int
    """IMb serial of the run's first piece."""
    capacity: int
    """Serials wrap at this."""
    start: int
    """Index of this chunk's first piece in the run."""
    owners: Sequence[Owner]
    """The pieces' addressees."""
    known: Mapping[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    """(street, unit) -> its Pub 28 form, for the streets already standardised."""


Printed = tuple[tuple[str, ...], tuple[str, str, str]]
"""A piece's address block and its IMb (tracking, routing, bars)."""


def _printed(template: _Chunk, owners: Sequence[Owner], workers: int | None, ledger: Ledger,
             pool: MailPool | None = None) -> list[Printed]:  # fmt: skip
    """Each piece's address block (Pub 28) and barcode, in order; on all cores for a large run.

    Each distinct street line that needs the Pub 28 parser goes through it once: streets an
    earlier run of this ledger standardised come from the ledger, and the rest are parsed
    (on all cores for a large run: lists repeat streets, and each worker would otherwise
    parse them again) and kept in the ledger for the next stage. Then the pieces are
    addressed and barcoded in chunks, each chunk given what its streets became. Only
    owners go out and lines come back: pickling whole pieces cost more than the work.
    """
    count = min(workers or os.cpu_count() or 1, 8)
    parallel = len(owners) >= PARALLEL_PIECES and count >= 2
    streets = list(dict.fromkeys((o.address[1], o.address[2]) for o in owners
                                 if needs_parser(o.address[1], o.address[2], o.state)))  # fmt: skip
    rules = standard_rules()
    known = ledger.standard_streets(streets, rules)
    missing = [street for street in streets if street not in known]
    if not parallel:
        new = dict(zip(missing, _standardise(missing), strict=True))
        ledger.remember_streets(new, rules)
        return _print_chunk(replace(template, owners=owners, known=known | new))
    size = -(-len(owners) // (count * 4))
    with MailPool(count) if pool is None else nullcontext(pool) as shared:
        step = max(1, -(-len(missing) // (count * 4)))
        parts = shared.executor().map(_standardise, [missing[i : i + step] for i in range(0, len(missing), step)])
        new = dict(zip(missing, (line for part in parts for line in part), strict=True))
        ledger.remember_streets(new, rules)
        known |= new
        chunks = []
        for i in range(0, len(owners), size):
            chunk = owners[i : i + size]
            mine = {k: known[k] for k in {(o.address[1], o.address[2]) for o in chunk} if k in known}
            chunks.append(replace(template, start=i, owners=chunk, known=mine))
        return [printed for part in shared.executor().map(_print_chunk, chunks) for printed in part]


def _standardise(streets: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [standard_delivery(street, unit) for street, unit in streets]


def _print_chunk(chunk: _Chunk) -> list[Printed]:
    m = chunk.mailing
    known = chunk.known

    def standard(street: str, unit: str) -> tuple[str, str]:
        found = known.get((street, unit))
        return found if found is not None else standard_delivery(street, unit)

    out = []
    for index, owner in enumerate(chunk.owners, start=chunk.start):
        imb = encode_imb(m.barcode_id, m.service_type, m.mailer_id, (chunk.serial + index) % chunk.capacity, owner.zip)
        out.append((owner.envelope_lines(standard), (imb.tracking, imb.routing, imb.bars)))
    return out


def _serials(ledger: Ledger, campaign: Campaign, count: int, run_id: str) -> tuple[Registry, Block]:
    """The Mailer ID's shared registry, and the block of ``count`` IMb serials it handed to ``run_id``."""
    settings = campaign.mailing
    if settings is None:
        raise UsageError(
            f"campaign {campaign.code} has no [mailing] settings: each piece's Intelligent Mail barcode needs a "
            'mailer_id (and service_type); add e.g. [mailing] mailer_id = "123456" to campaign.toml'
        )
    registry = Registry(settings.mailer_id, 10 ** serial_digits(settings.mailer_id))
    try:
        block = registry.reserve(count, ledger_key(ledger.path), run_id, ledger.has_run,
                                 ledger.legacy_serials(settings.mailer_id))  # fmt: skip
    except BaseException:
        registry.close()
        raise
    return registry, block


def piece_input(p: PlannedPiece) -> PieceInput:
    """The planned piece as a renderer reads it back from the ledger."""
    return PieceInput(p.piece_id, p.vin, p.address, p.language, tuple(sorted((p.fields or {}).items())), p.imb[2])


_TEMPLATES: dict[str, dict[str, TemplateData]] = {}
"""Variant templates the preflight laid out and verified in this process, by run ID: shipped to its workers."""


def keep_templates(run_id: str, templates: Sequence[TemplateData]) -> None:
    """Keep the run's templates for its execution (only the latest run's: a run executes right after its plan)."""
    _TEMPLATES.clear()
    _TEMPLATES[run_id] = {t.key: t for t in templates}


def templates_for(run_id: str, pieces: Sequence[PieceInput]) -> tuple[TemplateData, ...]:
    """The templates this process laid out for the variants ``pieces`` print (none for a run planned elsewhere)."""
    known = _TEMPLATES.get(run_id)
    if not known:
        return ()
    keys = {str(e["key"]) for p in pieces for e in (p.layout() or []) if "key" in e}
    return tuple(known[k] for k in sorted(keys) if k in known)


def brands_of(campaign: Campaign, pieces: list[tuple[str, str]]) -> list[str]:
    """The brand (short name) of each piece, from its VIN and the vehicle data its ledger row keeps."""
    from letters.campaign.brands import choose
    from letters.campaign.values import decode
    from letters.render.pieces import VEHICLE_DATA

    brands = campaign.brand_list
    out = []
    for vin, fields in pieces:
        data = json.loads(json.loads(fields or "{}").get(VEHICLE_DATA, "{}"))
        out.append(choose(brands, vin, campaign.brand_column, dict(decode(data.get("values", [])))).name)
    return out


def warnings_of(run: RunInfo) -> list[str]:
    return [f"warning: {w}" for w in run.settings.get("warnings", [])]  # type: ignore[attr-defined]


def rejects_csv(rec: Reconciliation, superseded: Sequence[Superseded] = ()) -> bytes:
    """rejects.csv: every record the reconciliation reported, then the vehicles this run's stage does not mail."""
    reported = ([r.source.file, r.source.line, r.kind, r.vin, r.outcome, r.reason] for r in rec.reported)
    later = ([p.vehicle.source.file, p.vehicle.source.line, "vehicle", p.vehicle.vin, "superseded", why]
             for p, why in superseded)  # fmt: skip
    return csv_bytes(REJECTS_HEADER, itertools.chain(reported, later))
