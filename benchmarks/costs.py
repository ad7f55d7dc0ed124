"""Where a mailing's CPU goes: a fixed cost per run, a cost per letter and a cost per layout variant, per stage.

    python benchmarks/costs.py [--small 2000] [--large 20000] [--variants 6] [--fewer-variants 1]
                               [--distinct-addresses] [--workers N] [--repeat N]

Runs ``throughput.py`` (each run in its own process) at two sizes with the same options, and
once more at the large size with --fewer-variants, then splits the CPU the way a straight
line through the two sizes does: the cost per letter is the slope (``marginal``), what is left
at zero letters is the run's fixed cost (``fixed``). The same split is made for every stage of
the job ticket's timings. The run with fewer variants prices a layout variant: the CPU the
large run spent on the layouts it had beyond the other's, per layout (each variant is laid out
and verified once per language, so ``layouts`` counts variants times languages).

The last line is one JSON object: ``small`` and ``large`` (letters, ``cpu_s``, ``layouts``:
the least CPU of --repeat runs), ``marginal_cpu_ms_per_letter``, ``fixed_cpu_s``,
``by_stage`` (stage -> ``marginal_ms_per_letter`` and ``fixed_s``), ``cpu_s_per_layout``
(with its ``fewer`` run), and ``projected_cpu_ms_per_letter`` (the fixed cost spread over
1,000, 10,000, 100,000 and 1,000,000 letters, plus the marginal cost): what a run of that size
would cost with this build. Stages whose fixed share comes out below zero are noise (a few
milliseconds either way).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from options import positive

HERE = Path(__file__).resolve().parent
PROJECTED = (1_000, 10_000, 100_000, 1_000_000)


def throughput(letters: int, variants: int, args: argparse.Namespace) -> dict[str, Any]:
    """The least-CPU of ``--repeat`` throughput runs at this size."""
    command = [sys.executable, str(HERE / "throughput.py"), "--letters", str(letters), "--variants", str(variants),
               "--workers", str(args.workers), "--batch-size", str(args.batch_size)]  # fmt: skip
    if args.distinct_addresses:
        command.append("--distinct-addresses")
    runs = []
    for _ in range(args.repeat):
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=HERE.parent)
        if done.returncode != 0:
            sys.exit(f"costs.py: {' '.join(command[1:])} failed:\n{done.stderr.strip()}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["cpu_s"] / r["letters"])


def split(small: dict[str, Any], large: dict[str, Any]) -> tuple[float, float, dict[str, dict[str, float]]]:
    """(marginal ms a letter, fixed s, the same per stage) of a straight line through the two runs."""
    n_small, n_large = small["letters"], large["letters"]
    if n_large <= n_small:
        sys.exit(f"costs.py: the large run mailed {n_large} letters, no more than the small run's {n_small}")

    def line(a: float, b: float) -> tuple[float, float]:
        slope = (b - a) / (n_large - n_small)
        return round(slope * 1000, 4), round(a - slope * n_small, 3)

    marginal, fixed = line(small["cpu_s"], large["cpu_s"])
    stages = {}
    for key, value in small["breakdown"].items():
        if key.endswith("_s") and not key.endswith("_wall_s") and key in large["breakdown"]:
            m, f = line(value, large["breakdown"][key])
            stages[key.removesuffix("_s")] = {"marginal_ms_per_letter": m, "fixed_s": f}
    return marginal, fixed, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=positive, default=2000, help="approximate letters of the small run")
    parser.add_argument("--large", type=positive, default=20000, help="approximate letters of the large run")
    parser.add_argument("--variants", type=positive, default=6, help="layout variants of both runs")
    parser.add_argument("--fewer-variants", type=int, default=1,
                        help="variants of the run that prices a layout (0: not run)")  # fmt: skip
    parser.add_argument("--distinct-addresses", action="store_true", help="no two households share a street line")
    parser.add_argument("--workers", type=positive, default=os.cpu_count() or 1)
    parser.add_argument("--batch-size", type=positive, default=1000)
    parser.add_argument("--repeat", type=positive, default=1, help="runs per size; the least CPU a letter is kept")
    args = parser.parse_args()
    small = throughput(args.small, args.variants, args)
    large = throughput(args.large, args.variants, args)
    marginal, fixed, stages = split(small, large)
    result: dict[str, Any] = {
        "small": {k: small[k] for k in ("letters", "cpu_s", "layouts", "seconds")},
        "large": {k: large[k] for k in ("letters", "cpu_s", "layouts", "seconds")},
        "marginal_cpu_ms_per_letter": marginal,
        "fixed_cpu_s": fixed,
        "by_stage": stages,
        "projected_cpu_ms_per_letter": {str(n): round(marginal + fixed * 1000 / n, 3) for n in PROJECTED},
    }
    print(f"{small['letters']:,} and {large['letters']:,} letters: {marginal:.3f} ms of CPU a letter, "
          f"{fixed:.2f} s a run")  # fmt: skip
    if args.fewer_variants and args.fewer_variants != args.variants:
        fewer = throughput(args.large, args.fewer_variants, args)
        extra = large["layouts"] - fewer["layouts"]
        if extra:
            # The same letters either way: the difference is the layouts (and the letters' share of noise).
            per_letter = (large["cpu_s"] - fewer["cpu_s"]) - marginal / 1000 * (large["letters"] - fewer["letters"])
            result["cpu_s_per_layout"] = round(per_letter / extra, 3)
            result["fewer"] = {k: fewer[k] for k in ("letters", "cpu_s", "layouts", "seconds")}
            print(f"{extra} more layouts: {result['cpu_s_per_layout']:.3f} s of CPU each")
    for name, figures in stages.items():
        print(f"  {name:16} {figures['marginal_ms_per_letter']:8.3f} ms/letter {figures['fixed_s']:7.2f} s/run")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
