"""Running a mailing: resume what was interrupted, plan each phase, execute it (``letters.mail.execute``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from letters import paths
from letters import vin as vins
from letters.campaign import load_campaign
from letters.campaign.load import loading_once
from letters.errors import LedgerBusy, LedgerError, LettersError, UsageError
from letters.ledger import Ledger
from letters.mail.execute import execute
from letters.mail.heap import long_lived, settle
from letters.mail.options import Interrupted, MailOptions, MailReport, Progress
from letters.mail.plan import plan, select_stage, stage_for, warnings_of
from letters.mail.pool import MailPool
from letters.mail.stages import check_as_of, remail_stages, selection_notes, stage_order
from letters.records import Piece, reconcile
from letters.records.repairs import read_completed
from letters.report import resolve_lists
from letters.usage import Clock, tree_cpu_seconds


def _ledger(options: MailOptions) -> Ledger:
    """The run ledger, locked for this process: a second run at once is refused, naming this one."""
    return Ledger(options.ledger or paths.output_dir() / "ledger.sqlite", lock=True)


@long_lived()  # what the call loads stays loaded until it ends: no collection walks it
@loading_once()  # the campaign is read once, not at each of its six loads
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
    pool = MailPool(options.workers)  # started at first use, shared by every run of this call
    try:
        report.notes.extend(check_as_of(ledger, code, as_of, options.backdate))
        _resume(ledger, code, options, report, progress, pool)
        vehicles, owners = resolve_lists(code, options.vehicles, options.owners)
        clock = Clock(tree_cpu_seconds)
        rec = reconcile(campaign, vehicles, owners, as_of, completed.dates if completed else None)
        settle()  # the records live until the call ends
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
                       records, selection.superseded, doubtful, pool)  # fmt: skip
            clock.lap("plan")  # selecting the phase's letters, and planning them on all cores
            run.settings["timings"].update(clock.laps)  # type: ignore[attr-defined]
            report.warn(warnings_of(run))
            report.runs.append(execute(ledger, run, options, progress, pool=pool))
    finally:
        pool.close()
        ledger.close()
    return report


@long_lived()
@loading_once()
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
    pool = MailPool(options.workers)
    try:
        report.notes.extend(check_as_of(ledger, code, as_of, options.backdate))
        _resume(ledger, code, options, report, progress, pool)
        order = stage_order(campaign)
        stage_of = remail_stages(ledger, campaign, wanted, options.stage)
        vehicles, owners = resolve_lists(code, options.vehicles, options.owners)
        rec = reconcile(campaign, vehicles, owners, as_of, completed.dates if completed else None)
        settle()
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
                       reason.strip(), stage, notes=doubtful, pool=pool)  # fmt: skip
            report.warn(warnings_of(run))
            report.runs.append(execute(ledger, run, options, progress, pool=pool))
    finally:
        pool.close()
        ledger.close()
    return report


def _resume(ledger: Ledger, code: str, options: MailOptions, report: MailReport, progress: Progress | None,
            pool: MailPool) -> None:  # fmt: skip
    """Finish runs earlier calls left unfinished; one failing again is reported, keeps its pieces, blocks nothing."""
    for run in ledger.unfinished_runs(code):
        report.notes.extend(warnings_of(run))
        try:
            result = execute(ledger, run, options, progress, resumed=True, pool=pool)
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
