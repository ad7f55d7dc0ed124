"""Executing a planned run: its batches rendered on all cores, each recorded in the ledger as it finishes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

from letters.documents import OWNER_LETTER
from letters.errors import LedgerError, LettersError, OutputError
from letters.ledger import Ledger, PieceResult, RunInfo
from letters.mail.options import Interrupted, MailOptions, Progress, RunResult
from letters.mail.plan import templates_for
from letters.mail.planned import planned_batch
from letters.mail.pool import MailPool
from letters.mail.ticket import finish
from letters.render import progress as letters_laid_out
from letters.render.pieces import BatchJob, BatchOutput, PieceInput
from letters.render.workers import render_batch
from letters.usage import Clock, tree_cpu_seconds
from letters.write import make_folder, remove_partials

PROGRESS_POLL_S = 0.25
"""How often a run with worker processes reads their letter count for the progress bar."""


def _jobs(ledger: Ledger, run: RunInfo) -> list[BatchJob]:
    folder = Path(run.folder)
    jobs = []
    for batch, file, status in ledger.batches(run.run_id):
        if status == "done":
            continue
        pieces = planned_batch(run.run_id, batch) or tuple(
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


def execute(ledger: Ledger, run: RunInfo, options: MailOptions, progress: Progress | None,
             resumed: bool = False, pool: MailPool | None = None) -> RunResult:  # fmt: skip
    """Render the run's batches not yet done, record each, then write its manifest and job ticket."""
    folder = Path(run.folder)
    try:
        return _execute_in(ledger, run, folder, options, progress, resumed, pool)
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
                resumed: bool, pool: MailPool | None) -> RunResult:  # fmt: skip
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
        with MailPool(workers) if pool is None else _kept(pool) as shared:
            _execute_parallel(jobs, renderer, shared, record, run, lambda: (done, total), poll)
    whole.lap("execute")
    parts.update({k: v for k, v in mine.laps.items() if not k.startswith("idle")})  # queue, ledger
    job_ticket = finish(ledger, run, folder, peak[0], {**parts, **whole.laps})
    return RunResult(run, folder, job_ticket, resumed)


def _execute_parallel(jobs: list[BatchJob], renderer: str, pool: MailPool,
                      record: Callable[[BatchOutput, BatchJob], None], run: RunInfo,
                      counts: Callable[[], tuple[int, int]],
                      poll: Callable[[int], None] = lambda n: None) -> None:  # fmt: skip
    base = pool.laid_out.value  # the pool's count goes on from run to run (and counts the preflight's letters)
    workers = pool.executor()
    pending: dict[Future[BatchOutput], BatchJob] = {}
    try:
        for job in jobs:
            pending[workers.submit(render_batch, job, renderer)] = job
        while pending:
            finished, _ = wait(pending, timeout=PROGRESS_POLL_S, return_when=FIRST_COMPLETED)
            poll(pool.laid_out.value - base)
            for future in finished:
                record(future.result(), pending.pop(future))
    except KeyboardInterrupt:
        for future in pending:
            future.cancel()
        for future in [f for f in pending if not f.cancelled()]:
            # A batch that fails here stays planned and is redone when the run resumes.
            with suppress(Exception):
                record(future.result(), pending[future])
        pool.close()
        raise Interrupted(_interrupted(run, *counts())) from None
    finally:
        # A batch that failed stops the run: what has not started is not started, what has is let finish
        # (unrecorded: it is redone when the run resumes), so the next run has the workers to itself.
        for future in pending:
            future.cancel()
        wait(pending)


@contextmanager
def _kept(pool: MailPool) -> Iterator[MailPool]:
    """The call's pool, left running for its next run."""
    yield pool


def _interrupted(run: RunInfo, done: int, total: int) -> str:
    return (
        f"interrupted: {done:,} of {total:,} letters of run {run.run_id} are done and recorded; "
        f"run 'letters mail {run.campaign} --phase {run.phase}' again to finish the rest"
    )
