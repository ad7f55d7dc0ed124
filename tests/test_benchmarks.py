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
    assert {script for script, _ in found} >= {"throughput.py", "records.py", "plan.py", "ledger.py"}
    for script, options in found:
        help_text = subprocess.run([sys.executable, f"benchmarks/{script}", "--help"], cwd=ROOT, capture_output=True,
                                   text=True, check=True).stdout  # fmt: skip
        for option in re.findall(r"--[a-z][a-z-]*", options):
            assert option in help_text, f"{script} has no {option}"


def test_records_benchmark(tmp_path: Path) -> None:
    result = run("records.py", "--vehicles", "300", "--repeat", "1", "--distinct-addresses")
    assert result["records_read"] == result["vehicles"] + result["owners"]  # type: ignore[operator]
    assert {"records_per_s", "reconcile_peak_rss_mb", "seconds", "cpu_s", "cpu_us_per_record"} <= result.keys()
    assert 0 < result["import_cpu_s"] < result["cpu_s"]  # type: ignore[operator]
    assert 0 < result["steady_cpu_us_per_record"] < result["cpu_us_per_record"]  # type: ignore[operator]
    assert result["cpu_s"] > 0  # type: ignore[operator]
    per_record = result["cpu_s"] * 1e6 / result["records_read"]  # type: ignore[operator]
    assert result["cpu_us_per_record"] == pytest.approx(per_record, rel=0.01)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_plan_benchmark(workers: str) -> None:
    result = run("plan.py", "--pieces", "60", "--vehicles", "400", "--workers", workers, "--distinct-addresses")
    assert result["pieces"] == 60 and {"pieces_per_s", "ledger_mb", "peak_rss_mb", "cpu_s"} <= result.keys()
    assert result["cpu_ms_per_letter"] == pytest.approx(result["cpu_s"] * 1000 / 60, rel=0.05)  # type: ignore[operator]
    breakdown = result["breakdown"]
    assert isinstance(breakdown, dict)
    parts = ("plan_preflight", "plan_address", "plan_pieces", "plan_ledger")
    assert {f"{p}_s" for p in parts} | {f"{p}_wall_s" for p in parts} <= breakdown.keys()


def test_throughput_benchmark() -> None:
    result = run("throughput.py", "--letters", "40", "--batch-size", "20", "--compare-typst")
    letters = result["letters"]
    assert isinstance(letters, int) and letters > 0 and result["fallbacks"] == 0
    breakdown = result["breakdown"]
    assert isinstance(breakdown, dict)
    stages = {"records", "plan", "execute", "finish", "stamp", "verify", "save", "write", "press", "queue", "ledger"}
    assert {f"{s}_s" for s in stages} | {f"{s}_wall_s" for s in stages} | {"other_s"} <= breakdown.keys()
    # The whole is the mailing's CPU over every process: its stages, and what lies between them.
    cpu = result["cpu_s"]
    assert isinstance(cpu, float)
    between = sum(breakdown[f"{s}_s"] for s in ("records", "plan", "execute", "finish")) + breakdown["other_s"]
    assert between == pytest.approx(cpu, abs=0.02)
    assert result["cpu_ms_per_letter"] == pytest.approx(cpu * 1000 / letters, rel=0.01)
    # The rendering phase counts its workers: at least the parts they timed themselves.
    worker_parts = sum(breakdown[f"{s}_s"] for s in ("stamp", "press", "save", "verify", "write"))
    assert breakdown["execute_s"] >= worker_parts - 0.01
    assert {"peak_rss_mb", "worker_peak_rss_mb", "ratio_vs_typst_cpu", "typst_cpu_ms_per_letter"} <= result.keys()
    ratio = result["typst_cpu_ms_per_letter"] / result["cpu_ms_per_letter"]  # type: ignore[operator]
    assert result["ratio_vs_typst_cpu"] == pytest.approx(ratio, rel=0.02, abs=0.001)  # rounded to 3 places


def test_throughput_benchmark_with_variants_and_distinct_addresses() -> None:
    # The headline run's options: the scratch copy's edited letter is approved, so it mails (not as a draft).
    result = run("throughput.py", "--letters", "60", "--batch-size", "30", "--variants", "3",
                 "--distinct-addresses")  # fmt: skip
    assert result["variants"] == 3 and result["fallbacks"] == 0
    assert isinstance(result["layouts"], int) and 1 <= result["layouts"] <= 3 * 2  # variants x languages
    assert isinstance(result["letters"], int) and result["letters"] > 0


def test_costs_benchmark() -> None:
    """The split is a straight line through the two runs: fixed + marginal x letters gives each run's CPU back."""
    result = run("costs.py", "--small", "30", "--large", "90", "--variants", "2", "--fewer-variants", "1",
                 "--batch-size", "30")  # fmt: skip
    small, large = result["small"], result["large"]
    assert isinstance(small, dict) and isinstance(large, dict) and large["letters"] > small["letters"] > 0
    marginal, fixed = result["marginal_cpu_ms_per_letter"], result["fixed_cpu_s"]
    assert isinstance(marginal, float) and isinstance(fixed, float)
    for figures in (small, large):
        assert fixed + marginal / 1000 * figures["letters"] == pytest.approx(figures["cpu_s"], abs=0.01)
    stages = result["by_stage"]
    assert isinstance(stages, dict) and {"records", "plan_preflight", "stamp", "press", "save"} <= stages.keys()
    # The stages that follow each other add up to the whole, per letter and per run.
    body = ("records", "plan", "execute", "finish", "other")
    assert sum(stages[s]["marginal_ms_per_letter"] for s in body) == pytest.approx(marginal, abs=0.01)
    assert sum(stages[s]["fixed_s"] for s in body) == pytest.approx(fixed, abs=0.01)
    projected = result["projected_cpu_ms_per_letter"]
    assert isinstance(projected, dict)
    assert projected["1000000"] == pytest.approx(marginal + fixed / 1000, abs=0.001)
    assert result["fewer"]["layouts"] < large["layouts"]  # type: ignore[index]
    assert isinstance(result["cpu_s_per_layout"], float)


def test_costs_benchmark_refuses_sizes_that_give_no_line() -> None:
    done = subprocess.run([sys.executable, "benchmarks/costs.py", "--small", "60", "--large", "20", "--fewer-variants",
                           "0", "--variants", "1"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)  # fmt: skip
    assert done.returncode != 0 and "no more than the small run's" in done.stderr
    assert "Traceback" not in done.stderr


def test_keying_benchmark() -> None:
    result = run("keying.py", "--letters", "300", "--repeat", "1")
    assert result["letters"] == 300 and result["cpu_us_per_letter"] > 0  # type: ignore[operator]
    # After the first call learned the classes, every timed letter was keyed from one.
    assert result["classes"] >= 1 and result["filled"] >= 300  # type: ignore[operator]


@pytest.mark.parametrize(("script", "option"), [("keying.py", "--letters"), ("throughput.py", "--letters"),
                                                ("costs.py", "--small")])  # fmt: skip
def test_benchmarks_refuse_a_count_below_one(script: str, option: str) -> None:
    done = subprocess.run([sys.executable, f"benchmarks/{script}", option, "0"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip
    assert done.returncode == 2 and f"argument {option}: 0 is not at least 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_ledger_benchmark() -> None:
    result = run("ledger.py", "--pieces", "3000", "--runs", "3", "--batch-size", "100")
    assert result["pieces"] == 3000 and result["index_build_s"] >= 0  # type: ignore[operator]
    for when in ("before", "after"):
        figures = result[when]
        assert isinstance(figures, dict) and {"batch_ms", "batches_ms", "serials_ms"} <= figures.keys()


def test_review_pages_benchmark() -> None:
    result = run("review_pages.py", "--campaign", "24A07")
    for key in ("revision_cold", "revision_warm", "history_cold", "history_warm", "home", "image_warm"):
        assert set(result[key]) == {"wall_s", "cpu_s"}  # type: ignore[arg-type]
    assert isinstance(result["home_during_render"]["render_still_running"], bool)  # type: ignore[index]
