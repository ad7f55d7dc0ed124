"""CPU, wall and peak-memory accounting: what the job ticket and the benchmarks report."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from letters.usage import Clock, peak_rss_mb, reset_peak_rss, tree_cpu_seconds

BURN_S = 0.3


def _burn(seconds: float) -> float:
    """Spin until this process has used ``seconds`` of CPU; returns what it used in all."""
    while time.process_time() < seconds:
        sum(range(1000))
    return time.process_time()


def test_tree_cpu_counts_workers_of_a_fork_server_after_they_ended() -> None:
    # The render and planning pools fork their workers from a fork server, so their CPU is
    # neither this process's nor (once they end) any child's this process waits for.
    before_tree, before_own = tree_cpu_seconds(), time.process_time()
    with ProcessPoolExecutor(2, mp_context=get_context("forkserver")) as pool:
        used = list(pool.map(_burn, [BURN_S, BURN_S]))
    spent = tree_cpu_seconds() - before_tree
    assert min(used) >= BURN_S
    assert spent >= sum(used) - 0.05  # both workers' CPU counted, though they have ended
    assert time.process_time() - before_own < spent / 2  # most of it was not this process's


def test_clock_charges_cpu_and_wall_to_named_parts() -> None:
    clock = Clock()
    _burn(time.process_time() + 0.05)
    clock.lap("work")
    time.sleep(0.05)  # wall passes, CPU does not
    clock.lap("wait")
    _burn(time.process_time() + 0.05)
    clock.lap("work")
    laps = clock.laps
    assert set(laps) == {"work", "wait", "work_wall", "wait_wall"}
    assert laps["work"] >= 0.1 - 0.005 and laps["work_wall"] >= laps["work"] - 0.005
    assert laps["wait_wall"] >= 0.05 and laps["wait"] < laps["wait_wall"]


def test_peak_memory_restarts_from_what_is_held() -> None:
    block = bytearray(200 << 20)
    block[:: 1 << 12] = b"x" * len(block[:: 1 << 12])  # touch every page: resident
    held = peak_rss_mb()
    del block
    assert reset_peak_rss()
    assert peak_rss_mb() < held - 150  # the freed 200 MB no longer counts
