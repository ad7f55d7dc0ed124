"""Running a mailing: resume what was interrupted, plan, render on all cores, write, report."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any

from letters import paths
from letters import vin as vins
from letters.campaign import load_campaign
from letters.documents import OWNER_LETTER
from letters.envelope import envelope_of, write_envelopes
from letters.errors import LedgerBusy, LedgerError, LettersError, OutputError, UsageError
from letters.ledger import Ledger, PieceResult, RunInfo
from letters.mail.options import Interrupted, MailOptions, MailReport, Progress, RunResult
from letters.mail.plan import brands_of, plan, select_stage, stage_for, templates_for, warnings_of
from letters.mail.pool import this_run, watch_run, worker_context
from letters.mail.stages import check_as_of, remail_stages, selection_notes, stage_order
from letters.press.finish import conformance
from letters.press.marks import describe as describe_marks
from letters.records import Piece, reconcile
from letters.records.repairs import read_completed
from letters.render import progress as letters_laid_out
from letters.render.pieces import BatchJob, BatchOutput, PieceInput
from letters.render.workers import render_batch
from letters.report import resolve_lists
from letters.usage import Clock, tree_cpu_seconds
from letters.write import (
    MANIFEST_COLUMNS,
    make_folder,
    remove_partials,
    write_json,
    write_manifest,
)

PROGRESS_POLL_S = 0.25
"""How often a run with worker processes reads their letter count for the progress bar."""


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
    completed = read_completed(options.completed) if options.completed else None
    ledger = _ledger(options)
    report = MailReport(as_of=as_of.isoformat())
    try:
        report.notes.extend(check_as_of(ledger, code, as_of, options.backdate))
        _resume(ledger, code, options, report, progress)
        vehicles, owners = resolve_lists(code, options.vehicles, options.owners)
        clock = Clock(tree_cpu_seconds)
        rec = reconcile(campaign, vehicles, owners, as_of, completed.dates if completed else None)
        clock.lap("records")
        records = clock.laps
        doubtful = completed.warnings(code, as_of, rec.uncovered_repairs) if completed else []
        report.notes.extend(f"warning: {w}" for w in doubtful)
        out_dir = options.out_dir or paths.output_dir()
        for phase, stage in stages.items():
            clock = Clock(tree_cpu_seconds)
            selection = select_stage(ledger, campaign, rec, phase, stage, as_of)
            report.notes.extend(selection_notes(phase, stage.name, selection))
            if not selection.pieces:
                continue
            run = plan(ledger, campaign, phase, selection.pieces, rec, as_of, options, out_dir, "mail", "", stage,
                       records, selection.superseded, doubtful)  # fmt: skip
            clock.lap("plan")  # selecting the phase's letters, and planning them on all cores
            run.settings["timings"].update(clock.laps)  # type: ignore[attr-defined]
            report.warn(warnings_of(run))
            report.runs.append(_execute(ledger, run, options, progress))
    finally:
        ledger.close()
    return report


def remail(code: str, raw_vins: Sequence[str], reason: str, options: MailOptions,
           progress: Progress | None = None) -> MailReport:  # fmt: skip
    """``letters remail``: new pieces for VINs already mailed, with the reason recorded.

    Each piece prints the stage of the latest piece it replaces, or ``--stage``; a stage
    earlier than a letter the VIN already had is refused.
    """
    if not reason.strip():
        raise UsageError("--reason must say why the letters are mailed again")
    as_of = options.as_of or date.today()
    campaign = load_campaign(code, as_of=as_of).campaign
    code = campaign.code
    wanted = []
    for raw in raw_vins:
        try:
            wanted.append(vins.parse(raw).value)
        except vins.VinError as exc:
            raise UsageError(str(exc)) from None
    wanted = list(dict.fromkeys(wanted))
    completed = read_completed(options.completed) if options.completed else None
    ledger = _ledger(options)
    report = MailReport(as_of=(options.as_of or date.today()).isoformat())
    try:
        report.notes.extend(check_as_of(ledger, code, as_of, options.backdate))
        _resume(ledger, code, options, report, progress)
        order = stage_order(campaign)
        stage_of = remail_stages(ledger, campaign, wanted, options.stage)
        vehicles, owners = resolve_lists(code, options.vehicles, options.owners)
        rec = reconcile(campaign, vehicles, owners, as_of, completed.dates if completed else None)
        doubtful = completed.warnings(code, as_of, rec.uncovered_repairs) if completed else []
        report.notes.extend(f"warning: {w}" for w in doubtful)
        by_vin = {p.vehicle.vin: p for p in rec.pieces}
        missing = [v for v in wanted if v not in by_vin]
        if missing:
            raise UsageError(f"no current owner record, or already repaired: {', '.join(missing)}")
        out_dir = options.out_dir or paths.output_dir()
        groups: dict[tuple[int, str], list[Piece]] = {}
        for v in wanted:
            groups.setdefault((by_vin[v].phase, stage_of[v]), []).append(by_vin[v])
        for (phase, name), pieces in sorted(groups.items(), key=lambda item: (item[0][0], order[item[0][1]])):
            # A named stage must fit the phase's remedy status; a replaced piece's stage is reprinted as it was.
            stage = stage_for(campaign, phase, as_of, name) if options.stage else campaign.stage(name)
            run = plan(ledger, campaign, phase, tuple(pieces), rec, as_of, options, out_dir, "remail",
                       reason.strip(), stage, notes=doubtful)  # fmt: skip
            report.warn(warnings_of(run))
            report.runs.append(_execute(ledger, run, options, progress))
    finally:
        ledger.close()
    return report


def _resume(ledger: Ledger, code: str, options: MailOptions, report: MailReport, progress: Progress | None) -> None:
    """Finish runs earlier calls left unfinished; one failing again is reported, keeps its pieces, blocks nothing."""
    for run in ledger.unfinished_runs(code):
        report.notes.extend(warnings_of(run))
        try:
            result = _execute(ledger, run, options, progress, resumed=True)
        except (Interrupted, LedgerError, LedgerBusy):
            raise
        except LettersError as exc:
            report.notes.append(f"warning: run {run.run_id} (phase {run.phase}, {run.stage}), which an earlier call "
                                f"did not finish, failed again and is left as it was: {exc.message}")  # fmt: skip
            continue
        report.runs.append(result)
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
            str(run.settings.get("document", OWNER_LETTER)), bool(run.settings.get("proof", False)),
            draft=bool(run.settings.get("draft", False)),
            variants=templates_for(run.run_id, pieces),  # laid out by this process's preflight, if it planned the run
        ))  # fmt: skip
    return jobs


def _ignore_sigint() -> None:
    # Workers leave Ctrl-C to the parent, which lets running batches finish and records them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_worker(laid_out: Any, run: tuple[int, float]) -> None:
    _ignore_sigint()
    watch_run(*run)
    letters_laid_out.share(laid_out)


def _execute(ledger: Ledger, run: RunInfo, options: MailOptions, progress: Progress | None,
             resumed: bool = False) -> RunResult:  # fmt: skip
    folder = Path(run.folder)
    try:
        return _execute_in(ledger, run, folder, options, progress, resumed)
    except Interrupted:
        raise
    except LettersError as exc:
        with suppress(LettersError):  # a ledger that cannot be written cannot keep the error either
            ledger.fail_run(run.run_id, exc.message.splitlines()[0] if exc.message else type(exc).__name__)
        if not isinstance(exc, (OutputError, LedgerError)):
            exc.message += (f"\nrun {run.run_id} (phase {run.phase}) stopped, its finished batches recorded: the "
                            f"next 'letters mail {run.campaign}' (with --renderer full, if the fast one refused it) "
                            f"finishes it, or 'letters cancel {run.run_id} --reason TEXT' ends it")  # fmt: skip
            raise
        left = sum(1 for batch in ledger.batches(run.run_id) if batch[2] != "done")
        raise type(exc)(
            f"{exc.message}\nrun {run.run_id} (phase {run.phase}) stopped with {left} batch file(s) to write; "
            f"what is done is recorded. Once {folder} can be written, run 'letters mail {run.campaign} --phase "
            f"{run.phase}' (any phase) to finish it there, exactly once"
        ) from None


def _execute_in(ledger: Ledger, run: RunInfo, folder: Path, options: MailOptions, progress: Progress | None,
                resumed: bool) -> RunResult:  # fmt: skip
    whole = Clock(tree_cpu_seconds)  # this process and the workers, start-up and shutdown included
    mine = Clock()  # this process alone
    make_folder(folder)
    remove_partials(folder)
    jobs = _jobs(ledger, run)
    total = len(ledger.pieces(run.run_id))
    done = total - sum(len(j.pieces) for j in jobs)
    mine.lap("queue")  # the run's pieces read back from the ledger as batch jobs
    renderer = str(run.settings.get("renderer", options.renderer))
    if resumed and options.resume_renderer and options.resume_renderer != renderer:
        run = ledger.set_renderer(run, renderer := options.resume_renderer)  # job.json says which finished it
    base = done
    live = [0]  # letters laid out by this call so far, as the renderers count them
    shown = [done]

    def show() -> None:
        # Letters laid out advance the bar between batches; it never goes back or past the end.
        if progress:
            shown[0] = min(total, max(shown[0], done, base + live[0]))
            progress(shown[0], total)

    def counted(n: int) -> None:
        live[0] += n
        show()

    show()
    peak = [0]

    parts: dict[str, float] = {}

    def record(out: BatchOutput, job: BatchJob) -> None:
        nonlocal done
        mine.lap("idle")
        results = [
            PieceResult(p.piece_id, p.first_page, p.last_page, -(-(p.last_page - p.first_page + 1) // 2)
                        if job.duplex else p.last_page - p.first_page + 1)
            for p in out.pieces
        ]  # fmt: skip
        ledger.complete_batch(run.campaign, run.phase, job.batch, out.sha256, out.pages, results, out.fallbacks)
        done += len(job.pieces)
        peak[0] = max(peak[0], out.peak_rss_mb)
        for name, seconds in out.timings.items():
            parts[name] = parts.get(name, 0.0) + seconds
        show()
        mine.lap("ledger")  # recording the batch

    def poll(laid_out: int) -> None:
        live[0] = laid_out
        show()

    workers = min(options.workers or os.cpu_count() or 1, max(1, len(jobs)))
    if workers <= 1:
        with letters_laid_out.watch(counted):
            for job in jobs:
                try:
                    record(render_batch(job, renderer), job)
                except KeyboardInterrupt:
                    raise Interrupted(_interrupted(run, done, total)) from None
    else:
        _execute_parallel(jobs, renderer, workers, record, run, lambda: (done, total), poll)
    whole.lap("execute")
    parts.update({k: v for k, v in mine.laps.items() if not k.startswith("idle")})  # queue, ledger
    job_ticket = finish(ledger, run, folder, peak[0], {**parts, **whole.laps})
    return RunResult(run, folder, job_ticket, resumed)


def _execute_parallel(jobs: list[BatchJob], renderer: str, workers: int,
                      record: Callable[[BatchOutput, BatchJob], None], run: RunInfo,
                      counts: Callable[[], tuple[int, int]],
                      poll: Callable[[int], None] = lambda n: None) -> None:  # fmt: skip
    context = worker_context()  # see there: flat worker memory, the code loaded once
    laid_out = context.Value("q", 0)  # letters the workers have laid out, for the progress bar
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(laid_out, this_run()))
    pending: dict[Future[BatchOutput], BatchJob] = {}
    try:
        for job in jobs:
            pending[pool.submit(render_batch, job, renderer)] = job
        while pending:
            finished, _ = wait(pending, timeout=PROGRESS_POLL_S, return_when=FIRST_COMPLETED)
            poll(laid_out.value)
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


def finish(ledger: Ledger, run: RunInfo, folder: Path, worker_rss_mb: int = 0,
           parts: dict[str, float] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Write manifest.csv and job.json from the ledger (its finished batches), then mark the run finished.

    ``extra`` adds keys to the job ticket (``cancelled``, for a run ``letters cancel`` ended)."""
    clock = Clock()
    timings: dict[str, float] = run.settings.get("timings", {})  # type: ignore[assignment]
    pieces = ledger.pieces(run.run_id)
    batches = ledger.batch_files(run.run_id)
    rows = [
        {"piece_id": p["piece_id"], "vin": p["vin"], "batch": p["batch"], "file": f"batch-{p['batch']:04d}.pdf",
         "first_page": p["first_page"], "last_page": p["last_page"], "pages": p["pages"], "sheets": p["sheets"],
         "language": p["language"], "zip": p["zip"], "phase": p["phase"], "stage": p["stage"],
         "imb_tracking": p["imb_tracking"], "imb_routing": p["imb_routing"], "imb": p["imb"]}
        for p in pieces
    ]  # fmt: skip
    proof, draft = bool(run.settings.get("proof", False)), bool(run.settings.get("draft", False))
    envelopes = write_envelopes(run.campaign, run.revision, folder, {p["language"] for p in pieces}, proof, draft)
    campaign = load_campaign(run.campaign, revision=run.revision).campaign
    brands = brands_of(campaign, [(p["vin"], p["fields"]) for p in pieces])
    for row, brand in zip(rows, brands, strict=True):
        row["envelope"] = envelope_of(str(row["language"]), envelopes)
        row["brand"] = brand
    write_manifest(folder / "manifest.csv", rows)
    per_batch = Counter(p["batch"] for p in pieces)
    clock.lap("finish")
    job = {
        "campaign": run.campaign,
        "code": campaign.code_for(run.stage),
        "nhtsa_number": campaign.nhtsa_for(run.phase),
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
        **{"proof": proof, "draft": draft, "conformance": conformance()},
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
        "marks": describe_marks(
            pieces[0]["piece_id"] if pieces else f"{run.campaign}-{run.phase}-0001-000001",
            int(pieces[0]["batch"]) if pieces else 1,
        ),
        "imb": _imb_settings(run),
        "warnings": list(run.settings.get("warnings", [])),  # type: ignore[call-overload]
        "worker_peak_rss_mb": worker_rss_mb,
        # CPU seconds per stage over the processes that ran it, wall seconds as NAME_wall_s (README: Benchmarks).
        "timings": {f"{k}_s": round(v, 3) for k, v in {**timings, **(parts or {}), **clock.laps}.items()},
    }
    job.update(extra or {})
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
