"""The mailing's heap and campaign memo: what a ``mail`` call freezes it gives back; a campaign loads once a call."""

from __future__ import annotations

import gc
from datetime import date

import pytest

from letters.campaign import load as campaign_load
from letters.campaign import load_campaign
from letters.campaign.load import loading_once
from letters.mail.heap import long_lived, settle


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
