"""Phase mailings: records in, print-ready batches, manifest, job ticket and ledger out.

A run is planned in the ledger first (every piece reserved, one transaction), then its
batches render, on all cores, each written durably before the ledger marks it done; the
manifest and job ticket are written last. A run that was interrupted or killed is finished
by the next ``mail`` (or ``remail``) of the campaign before anything new is planned, so
every letter ends in exactly one batch file.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from letters import paths
from letters import vin as vins
from letters.batch import Selection, envelope_lines, language_of, piece_id, select, split
from letters.campaign import Campaign, load_campaign
from letters.campaign.model import Stage
from letters.documents import OWNER_LETTER, Letter, Renderer, RenderOptions, document_spec, stage_on
from letters.envelope import write_envelopes
from letters.errors import LedgerError, LettersError, OutputError, UsageError
from letters.ledger import Ledger, PieceResult, PlannedPiece, RunInfo
from letters.press.imb import encode as encode_imb
from letters.press.imb import serial_digits
from letters.press.marks import describe as describe_marks
from letters.records import Owner, Piece, Reconciliation, outcome_names, reconcile
from letters.records.repairs import read_completed
from letters.render.pdf import layout
from letters.render.pieces import BatchJob, BatchOutput, PieceInput, render_batch
from letters.report import REJECTS_HEADER, human_month, resolve_lists
from letters.write import (
    MANIFEST_COLUMNS,
    csv_bytes,
    durable_write,
    make_folder,
    remove_partials,
    write_json,
    write_manifest,
)

Progress = Callable[[int, int], None]
"""Called with (letters done, letters in the run) as batches finish."""


class Interrupted(LettersError):
    """The user stopped the run; what finished is recorded and the rest resumes next time."""

    exit_code = 130


@dataclass(frozen=True)
class MailOptions:
    """How to run a mailing."""

    phases: tuple[int, ...]
    """Phases to mail."""
    vehicles: Path | None = None
    """Vehicle records (default: the bundled list)."""
    owners: Path | None = None
    """Owner records (default: the bundled list)."""
    as_of: date | None = None
    """Mailing date: phases available on it are mailed, and letters carry it (default: today)."""
    batch_size: int = 1000
    """Letters per batch file."""
    workers: int | None = None
    """Processes rendering batches (default: CPU count)."""
    ledger: Path | None = None
    """Ledger database (default: output/ledger.sqlite)."""
    out_dir: Path | None = None
    """Output folder (default: output/)."""
    duplex: bool = True
    """Pad letters to an even page count."""
    renderer: str = "fast"
    """Letter renderer: "fast" (stamped fields, verified) or "full" (WeasyPrint per letter)."""
    pr_language: str = "bilingual"
    """Language of Puerto Rico letters without an explicit language: bilingual, es or en."""
    stage: str | None = None
    """Owner-letter stage to mail (default: the stage each phase is in on the mailing date)."""
    completed: Path | None = None
    """Dealers' completed repairs (CSV: VIN, repair date): repaired VINs are not mailed."""


@dataclass
class RunResult:
    """One finished run: what it wrote and where."""

    run: RunInfo
    """The run."""
    folder: Path
    """Its output folder."""
    job: dict[str, Any]
    """The job ticket written to job.json."""
    resumed: bool = False
    """True when this call finished a run an earlier call started."""


@dataclass
class MailReport:
    """What ``letters mail`` did."""

    runs: list[RunResult] = field(default_factory=list)
    """Runs finished by this call."""
    notes: list[str] = field(default_factory=list)
    """Phases with nothing new to mail, and other news for the user."""

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": [{**r.job, "folder": str(r.folder), "resumed": r.resumed} for r in self.runs],
            "notes": self.notes,
        }


def _run_id(phase: int, stage: str, taken: set[str]) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    while True:
        run_id = f"{stamp}-p{phase}-{stage}-{secrets.token_hex(2)}"
        if run_id not in taken:
            return run_id


def _summary(campaign: Campaign, rec: Reconciliation) -> dict[str, Any]:
    # Every outcome name, zeros included, as `letters check --json` reports them.
    return {"records_read": rec.records_read, "outcomes": {n: rec.outcomes.get(n, 0) for n in outcome_names(campaign)}}


def _ledger(options: MailOptions) -> Ledger:
    """The run ledger, locked for this process: a second run at once is refused, naming this one."""
    return Ledger(options.ledger or paths.output_dir() / "ledger.sqlite", lock=True)


def mail(code: str, options: MailOptions, progress: Progress | None = None) -> MailReport:
    """``letters mail``: mail the phases of ``options``; finishes interrupted runs first."""
    as_of = options.as_of or date.today()
    # The campaign as published on the mailing date: its chart, phases and letter text.
    campaign = load_campaign(code, as_of=as_of).campaign
    code = campaign.code  # canonical from here on: the ledger knows one spelling
    stages = {phase: stage_for(campaign, phase, as_of, options.stage) for phase in options.phases}
    repaired = read_completed(options.completed) if options.completed else {}
    ledger = _ledger(options)
    report = MailReport()
    try:
        _resume(ledger, code, options, report, progress)
        vehicles, owners = resolve_lists(code, options.vehicles, options.owners)
        started = time.perf_counter()
        rec = reconcile(campaign, vehicles, owners, as_of, repaired)
        records_s = time.perf_counter() - started
        out_dir = options.out_dir or paths.output_dir()
        for phase, stage in stages.items():
            selection = _select(ledger, campaign, rec, phase, stage, as_of)
            if not selection.pieces:
                report.notes.append(
                    f"phase {phase} ({stage.name}): nothing new to mail: {selection.eligible:,} eligible, "
                    f"{selection.already_mailed:,} already in the ledger"
                )
                continue
            started = time.perf_counter()
            run = _plan(ledger, campaign, phase, selection.pieces, rec, as_of, options, out_dir, "mail", "", stage,
                        {"records": records_s})  # fmt: skip
            run.settings["timings"]["plan"] = time.perf_counter() - started  # type: ignore[index]
            report.notes.extend(_warnings(run))
            report.runs.append(_execute(ledger, run, options, progress))
    finally:
        ledger.close()
    return report


def remail(code: str, raw_vins: Sequence[str], reason: str, options: MailOptions,
           progress: Progress | None = None) -> MailReport:  # fmt: skip
    """``letters remail``: new pieces for VINs already mailed, with the reason recorded."""
    if not reason.strip():
        raise UsageError("--reason must say why the letters are mailed again")
    campaign = load_campaign(code, as_of=options.as_of or date.today()).campaign
    code = campaign.code
    wanted = []
    for raw in raw_vins:
        try:
            wanted.append(vins.parse(raw).value)
        except vins.VinError as exc:
            raise UsageError(str(exc)) from None
    ledger = _ledger(options)
    report = MailReport()
    try:
        _resume(ledger, code, options, report, progress)
        mailed = ledger.reserved_vins(code)
        never = [v for v in wanted if v not in mailed]
        if never:
            raise UsageError(f"never mailed for {code}, so not remailed (use 'letters mail'): {', '.join(never)}")
        vehicles, owners = resolve_lists(code, options.vehicles, options.owners)
        as_of = options.as_of or date.today()
        repaired = read_completed(options.completed) if options.completed else {}
        rec = reconcile(campaign, vehicles, owners, as_of, repaired)
        by_vin = {p.vehicle.vin: p for p in rec.pieces}
        missing = [v for v in wanted if v not in by_vin]
        if missing:
            raise UsageError(f"no current owner record, or already repaired: {', '.join(missing)}")
        out_dir = options.out_dir or paths.output_dir()
        by_phase: dict[int, list[Piece]] = {}
        for v in dict.fromkeys(wanted):
            by_phase.setdefault(by_vin[v].phase, []).append(by_vin[v])
        for phase, pieces in sorted(by_phase.items()):
            stage = stage_for(campaign, phase, as_of, options.stage)
            run = _plan(ledger, campaign, phase, tuple(pieces), rec, as_of, options, out_dir, "remail",
                        reason.strip(), stage)  # fmt: skip
            report.notes.extend(_warnings(run))
            report.runs.append(_execute(ledger, run, options, progress))
    finally:
        ledger.close()
    return report


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
    if requested is not None:
        if requested not in names:
            raise UsageError(f"campaign {campaign.code} has no stage {requested!r}; stages: {', '.join(names)}")
        stage = campaign.stage(requested)
        if stage.when == "remedy-unavailable" and available:
            raise UsageError(f"the {stage.name} stage is for phases whose remedy is not yet available; phase {phase}'s "
                             f"was available on {p.announced.isoformat() if p.announced else '?'}")  # fmt: skip
        if stage.when != "remedy-unavailable" and not available:
            raise UsageError(
                f"phase {phase}'s remedy is not available as of {as_of.isoformat()} (announcement estimated "
                f"{human_month(p.estimate)}), so its {stage.name} letters cannot be mailed yet"
            )
        return stage
    found = stage_on(campaign, phase, as_of)
    if found is None:
        raise UsageError(
            f"phase {phase}'s remedy is not available as of {as_of.isoformat()} "
            f"(announcement estimated {human_month(p.estimate)}); nothing can be mailed yet"
        )
    return campaign.stage(found)


def _select(ledger: Ledger, campaign: Campaign, rec: Reconciliation, phase: int, stage: Stage,
            as_of: date) -> Selection:  # fmt: skip
    """The letters ``stage`` sends for ``phase``: one per VIN per stage, repaired VINs excluded."""
    reserved = ledger.reserved_vins(campaign.code, stage.name)
    if stage.when == "after":
        cutoff = (as_of - timedelta(days=stage.days)).isoformat()
        earlier = ledger.mailed_on(campaign.code, stage.after)
        return select(rec.pieces, phase, reserved, True, lambda vin: earlier.get(vin, "9999") <= cutoff)
    return select(rec.pieces, phase, reserved, stage.when == "remedy-available")


def _plan(ledger: Ledger, campaign: Campaign, phase: int, pieces: Sequence[Piece], rec: Reconciliation, as_of: date,
          options: MailOptions, out_dir: Path, kind: str, reason: str, stage: Stage,
          timings: dict[str, float] | None = None) -> RunInfo:  # fmt: skip
    """Check the run can be made, then reserve its pieces in the ledger.

    Everything that can refuse a run (a missing translation, a template that fails, an
    output folder that cannot be written) is tried first, so a refused run reserves
    nothing and a later run with the problem fixed (or another ``-o``) starts clean.
    """
    run_id = _run_id(phase, stage.name, ledger.run_ids(campaign.code))
    # Resolved: a run resumed from another working directory finishes in this same folder.
    folder = out_dir.resolve() / campaign.code / f"phase-{phase}" / run_id
    languages = {lang for p in pieces for lang in language_of(p.owner, options.pr_language).split("+")}
    warnings = _preflight(campaign, languages, stage, phase, as_of)
    make_folder(folder)
    durable_write(folder / "rejects.csv", _rejects(rec))
    run = RunInfo(
        run_id, campaign.code, phase, campaign.revision.date.isoformat(), as_of.isoformat(), kind, stage.name,
        reason, str(folder), {"duplex": options.duplex, "renderer": options.renderer,
                              "batch_size": options.batch_size, "warnings": warnings, "document": stage.document,
                              "timings": dict(timings or {})},
        _summary(campaign, rec),
    )  # fmt: skip
    first = ledger.next_batch(campaign.code, phase)
    barcode = _barcodes(ledger, campaign, len(pieces))
    lines = iter(_address_blocks([p.owner for p in pieces], options.workers))
    planned = []
    for offset, chunk in enumerate(split(pieces, options.batch_size)):
        batch = first + offset
        planned.append((batch, f"batch-{batch:04d}.pdf", [
            PlannedPiece(piece_id(campaign.code, phase, batch, seq), p.vehicle.vin, batch, seq,
                         language_of(p.owner, options.pr_language),
                         next(lines), p.owner.zip,
                         PieceInput.vehicle_fields(p.vehicle.model, str(p.vehicle.model_year)),
                         barcode(p.owner.zip))
            for seq, p in enumerate(chunk, start=1)
        ]))  # fmt: skip
    ledger.plan(run, planned)
    return run


PARALLEL_ADDRESSES = 4000
"""Above this many pieces, addresses are standardised on all cores (the parser costs ~0.5 ms a line)."""


def _address_blocks(owners: Sequence[Owner], workers: int | None) -> list[tuple[str, ...]]:
    """Each owner's address block as printed (Pub 28), in order; on all cores for a large run."""
    count = min(workers or os.cpu_count() or 1, 8)
    if len(owners) < PARALLEL_ADDRESSES or count < 2:
        return [envelope_lines(o) for o in owners]
    size = -(-len(owners) // (count * 4))
    chunks = [owners[i : i + size] for i in range(0, len(owners), size)]
    with ProcessPoolExecutor(count, mp_context=get_context("forkserver")) as pool:
        return [block for part in pool.map(_blocks_of, chunks) for block in part]


def _blocks_of(owners: Sequence[Owner]) -> list[tuple[str, ...]]:
    return [envelope_lines(o) for o in owners]


def _barcodes(ledger: Ledger, campaign: Campaign, count: int) -> Callable[[str], tuple[str, str, str]]:
    """A function giving each next piece its IMb (tracking, routing, bars), serials from the ledger."""
    settings = campaign.mailing
    if settings is None:
        raise UsageError(
            f"campaign {campaign.code} has no [mailing] settings: each piece's Intelligent Mail barcode needs a "
            'mailer_id (and service_type); add e.g. [mailing] mailer_id = "123456" to campaign.toml'
        )
    digits = serial_digits(settings.mailer_id)
    serial = ledger.allocate_serials(settings.mailer_id, count, digits)
    capacity = 10**digits

    def next_barcode(zip_code: str) -> tuple[str, str, str]:
        nonlocal serial
        imb = encode_imb(settings.barcode_id, settings.service_type, settings.mailer_id, serial, zip_code)
        serial = (serial + 1) % capacity
        return imb.tracking, imb.routing, imb.bars

    return next_barcode


def _preflight(campaign: Campaign, langs: set[str], stage: Stage, phase: int, as_of: date) -> list[str]:
    """Lay out a sample letter of the stage in every language the run needs, strictly, before planning it.

    A missing translation, a template that fails, or a letter lacking content its kind
    requires then stops the run before anything is reserved in the ledger. Returns what
    the templates were refused (resources outside the campaign), which the letters print
    without: the run says so rather than stay silent.
    """
    loaded = load_campaign(campaign.code, revision=campaign.revision.date.isoformat())
    refused: dict[str, None] = {}
    sample = Letter(date=as_of, stage=stage.name, phase=phase)
    for lang in sorted(langs):
        renderer = Renderer(loaded, lang, strict=True)
        spec = document_spec(renderer.campaign, stage.document)
        html = renderer.html(spec, RenderOptions(lang=lang, strict=True, mailing=True, letter=sample))
        renderer.check_required(spec, html, stage.name)
        _, refused_urls = layout(html, loaded.folder, renderer.folders)
        refused.update(dict.fromkeys(refused_urls))
    return [f"owner letter: refused resource {url} (outside the campaign); the letters print without it"
            for url in refused]  # fmt: skip


def _warnings(run: RunInfo) -> list[str]:
    return [f"warning: {w}" for w in run.settings.get("warnings", [])]  # type: ignore[attr-defined]


def _rejects(rec: Reconciliation) -> bytes:
    return csv_bytes(
        REJECTS_HEADER, ([r.source.file, r.source.line, r.kind, r.vin, r.outcome, r.reason] for r in rec.reported)
    )


def _resume(ledger: Ledger, code: str, options: MailOptions, report: MailReport, progress: Progress | None) -> None:
    for run in ledger.unfinished_runs(code):
        report.notes.extend(_warnings(run))
        report.runs.append(_execute(ledger, run, options, progress, resumed=True))
        report.notes.append(f"finished run {run.run_id} (phase {run.phase}), which an earlier call did not finish")
        if not (Path(run.folder) / "rejects.csv").exists():
            report.notes.append(
                f"run {run.run_id} stopped before writing rejects.csv; "
                f"'letters check {code} --rejects FILE' lists the same records"
            )


def _jobs(ledger: Ledger, run: RunInfo) -> list[BatchJob]:
    folder = Path(run.folder)
    jobs = []
    for batch, file, status in ledger.batches(run.run_id):
        if status == "done":
            continue
        pieces = tuple(
            PieceInput(row["piece_id"], row["vin"], tuple(row["address"].split("\n")), row["language"],
                       tuple(sorted(json.loads(row["fields"]).items())), row["imb"])
            for row in ledger.pieces(run.run_id, batch)
        )  # fmt: skip
        jobs.append(BatchJob(
            run.campaign, run.phase, batch, date.fromisoformat(run.revision), date.fromisoformat(run.as_of),
            folder / file, pieces, bool(run.settings.get("duplex", True)), run.stage,
            str(run.settings.get("document", OWNER_LETTER)),
        ))  # fmt: skip
    return jobs


def _ignore_sigint() -> None:
    # Workers leave Ctrl-C to the parent, which lets running batches finish and records them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _execute(ledger: Ledger, run: RunInfo, options: MailOptions, progress: Progress | None,
             resumed: bool = False) -> RunResult:  # fmt: skip
    folder = Path(run.folder)
    try:
        return _execute_in(ledger, run, folder, options, progress, resumed)
    except (OutputError, LedgerError) as exc:
        left = sum(1 for batch in ledger.batches(run.run_id) if batch[2] != "done")
        raise type(exc)(
            f"{exc.message}\nrun {run.run_id} (phase {run.phase}) stopped with {left} batch file(s) to write; "
            f"what is done is recorded. Once {folder} can be written, run 'letters mail {run.campaign} --phase "
            f"{run.phase}' (any phase) to finish it there, exactly once"
        ) from None


def _execute_in(ledger: Ledger, run: RunInfo, folder: Path, options: MailOptions, progress: Progress | None,
                resumed: bool) -> RunResult:  # fmt: skip
    make_folder(folder)
    remove_partials(folder)
    jobs = _jobs(ledger, run)
    total = len(ledger.pieces(run.run_id))
    done = total - sum(len(j.pieces) for j in jobs)
    renderer = str(run.settings.get("renderer", options.renderer))
    if progress:
        progress(done, total)
    peak = [0]

    parts: Counter[str] = Counter()

    def record(out: BatchOutput, job: BatchJob) -> None:
        nonlocal done
        results = [
            PieceResult(p.piece_id, p.first_page, p.last_page, -(-(p.last_page - p.first_page + 1) // 2)
                        if job.duplex else p.last_page - p.first_page + 1)
            for p in out.pieces
        ]  # fmt: skip
        ledger.complete_batch(run.campaign, run.phase, job.batch, out.sha256, out.pages, results, out.fallbacks)
        done += len(job.pieces)
        peak[0] = max(peak[0], out.peak_rss_mb)
        parts.update(out.timings)
        if progress:
            progress(done, total)

    workers = min(options.workers or os.cpu_count() or 1, max(1, len(jobs)))
    if workers <= 1:
        for job in jobs:
            try:
                record(render_batch(job, renderer), job)
            except KeyboardInterrupt:
                raise Interrupted(_interrupted(run, done, total)) from None
    else:
        _execute_parallel(jobs, renderer, workers, record, run, lambda: (done, total))
    job_ticket = _finish(ledger, run, folder, peak[0], dict(parts))
    return RunResult(run, folder, job_ticket, resumed)


def _execute_parallel(jobs: list[BatchJob], renderer: str, workers: int,
                      record: Callable[[BatchOutput, BatchJob], None], run: RunInfo,
                      counts: Callable[[], tuple[int, int]]) -> None:  # fmt: skip
    # Workers come from a fork server started before this process loaded the records: they do
    # not inherit (and count as resident) the reconciliation of a 200,000-vehicle campaign,
    # so their memory stays flat however large the phase.
    context = get_context("forkserver")
    context.set_forkserver_preload(["letters.render.pieces", "letters.render.fast"])
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_sigint)
    pending: dict[Future[BatchOutput], BatchJob] = {}
    try:
        for job in jobs:
            pending[pool.submit(render_batch, job, renderer)] = job
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                record(future.result(), pending.pop(future))
    except KeyboardInterrupt:
        for future in pending:
            future.cancel()
        for future in [f for f in pending if not f.cancelled()]:
            # A batch that fails here stays planned and is redone when the run resumes.
            with suppress(Exception):
                record(future.result(), pending[future])
        pool.shutdown(wait=True)
        raise Interrupted(_interrupted(run, *counts())) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _interrupted(run: RunInfo, done: int, total: int) -> str:
    return (
        f"interrupted: {done:,} of {total:,} letters of run {run.run_id} are done and recorded; "
        f"run 'letters mail {run.campaign} --phase {run.phase}' again to finish the rest"
    )


def _finish(ledger: Ledger, run: RunInfo, folder: Path, worker_rss_mb: int = 0,
            parts: dict[str, float] | None = None) -> dict[str, Any]:  # fmt: skip
    """Write manifest.csv and job.json from the ledger, then mark the run finished."""
    pieces = ledger.pieces(run.run_id)
    batches = ledger.batch_files(run.run_id)
    rows = [
        {"piece_id": p["piece_id"], "vin": p["vin"], "batch": p["batch"], "file": f"batch-{p['batch']:04d}.pdf",
         "first_page": p["first_page"], "last_page": p["last_page"], "pages": p["pages"], "sheets": p["sheets"],
         "language": p["language"], "zip": p["zip"], "phase": p["phase"], "stage": p["stage"],
         "imb_tracking": p["imb_tracking"], "imb_routing": p["imb_routing"], "imb": p["imb"]}
        for p in pieces
    ]  # fmt: skip
    write_manifest(folder / "manifest.csv", rows)
    per_batch = Counter(p["batch"] for p in pieces)
    envelopes = write_envelopes(run.campaign, run.revision, folder, {p["language"] for p in pieces})
    job = {
        "campaign": run.campaign,
        "phase": run.phase,
        "stage": run.stage,
        "revision": run.revision,
        "as_of": run.as_of,
        "run_id": run.run_id,
        "kind": run.kind,
        "reason": run.reason,
        "records_read": run.summary["records_read"],
        "outcomes": run.summary["outcomes"],
        "letters": len(pieces),
        "pages": sum(int(b["pages"]) for b in batches),
        "sheets": sum(int(p["sheets"]) for p in pieces),
        "duplex": run.settings.get("duplex", True),
        "renderer": run.settings.get("renderer", "full"),
        "fallbacks": _fallbacks(batches),
        "languages": dict(Counter(p["language"] for p in pieces)),
        "files": [
            {"name": b["file"], "sha256": b["sha256"], "letters": per_batch[b["batch"]], "pages": b["pages"]}
            for b in batches
        ],
        "manifest_columns": MANIFEST_COLUMNS,
        "envelopes": envelopes,
        "marks": describe_marks(),
        "imb": _imb_settings(run),
        "warnings": list(run.settings.get("warnings", [])),  # type: ignore[call-overload]
        "worker_peak_rss_mb": worker_rss_mb,
        # Seconds: records and plan are wall time in this process; the render parts are summed
        # over the batches this call rendered (CPU seconds across workers).
        "timings": {
            f"{k}_s": round(v, 3)
            for k, v in {
                **run.settings.get("timings", {}),  # type: ignore[dict-item]
                **(parts or {}),
            }.items()
        },
    }
    write_json(folder / "job.json", job)
    ledger.finish_run(run.run_id)
    return job


def _imb_settings(run: RunInfo) -> dict[str, Any]:
    settings = load_campaign(run.campaign, revision=run.revision).campaign.mailing
    return settings.model_dump() if settings else {}


def _fallbacks(batches: Sequence[Any]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for b in batches:
        total.update(json.loads(b["fallbacks"] or "{}"))
    return dict(sorted(total.items()))


def status(code: str, ledger_path: Path | None, vehicles: Path | None, owners: Path | None,
           as_of: date | None, completed: Path | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """``letters status``: per phase and stage, eligible, mailed, pending and remailed letters."""
    when = as_of or date.today()
    campaign = load_campaign(code, as_of=when).campaign
    code = campaign.code
    vpath, opath = resolve_lists(code, vehicles, owners)
    repaired = read_completed(completed) if completed else {}
    rec = reconcile(campaign, vpath, opath, when, repaired)
    ledger = Ledger(ledger_path or paths.output_dir() / "ledger.sqlite")
    out = []
    try:
        counts = ledger.status(code)
        for p in campaign.phases:
            for stage in campaign.stages:
                c = counts.get((p.number, stage.name), {"mailed": 0, "planned": 0, "remailed": 0})
                selection = _select(ledger, campaign, rec, p.number, stage, when)
                out.append({
                    "phase": p.number, "stage": stage.name, "available": p.available(when),
                    "eligible": selection.eligible, "mailed": c["mailed"], "in_progress": c["planned"],
                    "pending": len(selection.pieces), "remailed": c["remailed"],
                })  # fmt: skip
    finally:
        ledger.close()
    return out
