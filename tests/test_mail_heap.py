"""A mail call's fixed costs cut: the heap it freezes it gives back, a campaign loads once, batch jobs from the plan."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from letters.campaign import load as campaign_load
from letters.campaign import load_campaign
from letters.campaign.load import loading_once
from letters.ledger import Ledger, RunInfo
from letters.mail import mail
from letters.mail.heap import long_lived, settle
from tests.conftest import options


def test_long_lived_freezes_for_the_call_and_gives_everything_back() -> None:
    before = gc.get_freeze_count()
    assert before == 0
    with long_lived():
        assert gc.get_freeze_count() > 0
        kept = [[i] for i in range(1000)]
        frozen = gc.get_freeze_count()
        settle()  # what is alive now joins the frozen heap
        assert gc.get_freeze_count() >= frozen + len(kept)
    assert gc.get_freeze_count() == 0


def test_long_lived_unfreezes_when_the_call_fails() -> None:
    with pytest.raises(RuntimeError), long_lived():
        raise RuntimeError("a failed mailing")
    assert gc.get_freeze_count() == 0


def test_long_lived_leaves_a_callers_own_freeze_alone() -> None:
    gc.freeze()
    try:
        held = gc.get_freeze_count()
        with long_lived():
            settle()  # not this call's freeze: nothing added
            assert gc.get_freeze_count() == held
        assert gc.get_freeze_count() == held
    finally:
        gc.unfreeze()


def test_cycles_made_during_the_call_are_still_collected() -> None:
    class Node:
        pass

    with long_lived():
        a, b = Node(), Node()
        a.other, b.other = b, a  # type: ignore[attr-defined]
        del a, b
        assert gc.collect() >= 2


def test_a_campaign_loads_once_within_loading_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = campaign_load.read_history
    monkeypatch.setattr(campaign_load, "read_history", lambda *a: calls.append(1) or real(*a))
    outside = load_campaign("23LJ01", as_of=date(2024, 2, 5))
    with loading_once():
        by_date = load_campaign("23LJ01", as_of=date(2024, 2, 5))
        by_revision = load_campaign("23LJ01", revision=by_date.campaign.revision.date.isoformat())
        latest = load_campaign("23LJ01")
        with loading_once():  # nested: the outer block's reading
            load_campaign("23LJ01")
    assert len(calls) == 2  # once outside, once inside
    assert by_date == outside  # the same campaign as a load of its own
    assert by_revision == by_date
    assert latest == load_campaign("23LJ01")
    assert len(calls) == 3  # after the block, each load reads again


@pytest.mark.parametrize("renderer", ["fast", "full"])
def test_batch_jobs_from_the_plan_are_those_the_ledger_gives_back(
    records: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, renderer: str
) -> None:
    """Differential: a run executed right after its plan renders from the pieces kept in memory; read back from the
    ledger (as a resumed run is) they are the same jobs, piece for piece."""
    from letters.mail import execute as execute_module
    from letters.mail import planned

    seen: list[tuple[list[Any], list[Any]]] = []
    real = execute_module._jobs

    def both(ledger: Ledger, run: RunInfo) -> list[Any]:
        kept = real(ledger, run)
        assert all(planned.planned_batch(run.run_id, job.batch) is not None for job in kept)  # from memory
        saved = dict(planned._PLANNED)
        planned.forget_planned()
        try:
            seen.append((kept, real(ledger, run)))  # read back from the ledger
        finally:
            planned._PLANNED.update(saved)
        return kept

    monkeypatch.setattr(execute_module, "_jobs", both)
    monkeypatch.setenv("LETTERS_SERIALS", str(tmp_path / "serials"))
    report = mail("23LJ01", options(tmp_path, records, renderer=renderer, batch_size=4))
    (run,) = report.runs
    ((kept, read_back),) = seen
    assert len(kept) > 1
    assert kept == read_back
    assert sum(len(job.pieces) for job in kept) == run.job["letters"]
