"""``letters status``: what each phase and stage has mailed, and what is still pending."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from letters import paths
from letters.campaign import load_campaign
from letters.errors import InputError
from letters.ledger import Ledger
from letters.mail.plan import select_stage
from letters.records import reconcile
from letters.records.repairs import read_completed
from letters.report import resolve_lists


def status(code: str, ledger_path: Path | None, vehicles: Path | None, owners: Path | None,
           as_of: date | None, completed: Path | None = None,
           create_ledger: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """``letters status``: per phase and stage, eligible, mailed, pending and remailed letters.

    A ledger path that does not exist is refused unless ``create_ledger``.
    """
    when = as_of or date.today()
    campaign = load_campaign(code, as_of=when).campaign
    code = campaign.code
    vpath, opath = resolve_lists(code, vehicles, owners)
    repaired = read_completed(completed).dates if completed else None
    path = ledger_path or paths.output_dir() / "ledger.sqlite"
    if not create_ledger and not path.exists():  # only status can start an empty one: say so here, not in runs
        raise InputError(f"no ledger at {path.resolve()}: check --ledger (mail writes output/ledger.sqlite by "
                         "default), or give --create-ledger to start an empty one")  # fmt: skip
    ledger = Ledger(path, create=create_ledger)
    out = []
    try:
        rec = reconcile(campaign, vpath, opath, when, repaired)
        counts = ledger.status(code)
        for p in campaign.phases:
            for stage in campaign.stages:
                c = counts.get((p.number, stage.name), {"mailed": 0, "planned": 0, "remailed": 0})
                selection = select_stage(ledger, campaign, rec, p.number, stage, when)
                out.append({
                    "phase": p.number, "stage": stage.name, "available": p.available(when),
                    "eligible": selection.eligible, "mailed": c["mailed"], "in_progress": c["planned"],
                    "pending": len(selection.pieces), "remailed": c["remailed"], "as_of": when.isoformat(),
                })  # fmt: skip
    finally:
        ledger.close()
    return out
