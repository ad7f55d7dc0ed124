"""CPU and wall time as the job ticket and the benchmarks report them.

CPU seconds are user + system time. A process's own (``time.process_time``) counts all its
threads (Arrow and Polars read on several). The tree's (``tree_cpu_seconds``) adds every
process it started: those still running, read through psutil, and those that have ended,
which the kernel adds to whichever live process waited for them (the multiprocessing fork
server waits for the workers it forks, so a finished pool's CPU stays counted while the
fork server lives). Wall seconds are ``time.perf_counter``; on a shared machine they follow
its load, CPU seconds much less.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path

import psutil


def tree_cpu_seconds() -> float:
    """User + system seconds of this process, its threads and every process descended from it."""
    me = psutil.Process()
    total = 0.0
    for process in [me, *me.children(recursive=True)]:
        try:
            t = process.cpu_times()
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue  # ended between the listing and the reading: its waiter has it
        total += t.user + t.system + t.children_user + t.children_system
    return total


def reset_peak_rss() -> bool:
    """Start this process's peak resident memory again from what it holds now (Linux 4.0+).

    So a benchmark can report the peak of what it times, not of the data it generated first.
    False where the system cannot (the peak then still counts everything before).
    """
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> int:
    """This process's peak resident memory in MB, since it started or since ``reset_peak_rss``."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


class Clock:
    """CPU and wall seconds per named part of a piece of work, laps accumulating by name."""

    def __init__(self, cpu: Callable[[], float] = time.process_time) -> None:
        self.cpu = cpu
        """What counts as CPU: this process (the default) or ``tree_cpu_seconds``."""
        self.cpu_laps: dict[str, float] = {}
        """CPU seconds per part."""
        self.wall_laps: dict[str, float] = {}
        """Wall seconds per part."""
        self.last_cpu = cpu()
        self.last_wall = time.perf_counter()

    def lap(self, name: str) -> None:
        """Charge the time since the last lap (or the start) to ``name``."""
        cpu, wall = self.cpu(), time.perf_counter()
        self.cpu_laps[name] = self.cpu_laps.get(name, 0.0) + cpu - self.last_cpu
        self.wall_laps[name] = self.wall_laps.get(name, 0.0) + wall - self.last_wall
        self.last_cpu, self.last_wall = cpu, wall

    @property
    def laps(self) -> dict[str, float]:
        """Both, in one mapping: ``name`` is CPU seconds, ``name_wall`` wall seconds."""
        return {**self.cpu_laps, **{f"{name}_wall": s for name, s in self.wall_laps.items()}}
