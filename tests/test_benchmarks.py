"""The benchmark scripts the README quotes: each runs (tiny sizes) and prints the keys it promises."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(result, dict)
    return result


def test_readme_benchmark_options_exist() -> None:
    """Every ``python benchmarks/X.py --option`` the README names is an option of that script."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"python benchmarks/(\w+\.py)([^`\n]*(?:\n[^`\n]*)?)`", readme)
    assert {script for script, _ in found} >= {"throughput.py", "records.py", "plan.py"}
    for script, options in found:
        help_text = subprocess.run([sys.executable, f"benchmarks/{script}", "--help"], cwd=ROOT, capture_output=True,
                                   text=True, check=True).stdout  # fmt: skip
        for option in re.findall(r"--[a-z][a-z-]*", options):
            assert option in help_text, f"{script} has no {option}"


def test_records_benchmark(tmp_path: Path) -> None:
    result = run("records.py", "--vehicles", "300", "--repeat", "1")
    assert result["records_read"] == result["vehicles"] + result["owners"]  # type: ignore[operator]
    assert {"records_per_s", "reconcile_peak_rss_mb", "seconds"} <= result.keys()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_plan_benchmark(workers: str) -> None:
    result = run("plan.py", "--pieces", "60", "--vehicles", "400", "--workers", workers)
    assert result["pieces"] == 60 and {"pieces_per_s", "ledger_mb", "peak_rss_mb"} <= result.keys()


def test_throughput_benchmark() -> None:
    result = run("throughput.py", "--letters", "40", "--batch-size", "20")
    assert result["letters"] > 0 and result["fallbacks"] == 0  # type: ignore[operator]
    breakdown = result["breakdown"]
    assert isinstance(breakdown, dict)
    assert {"records_s", "plan_s", "stamp_s", "verify_s", "save_s", "write_s"} <= breakdown.keys()
