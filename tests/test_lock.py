"""The lock file, the README's install commands and CI agree, so a fresh machine installs what we tested."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version.split(";")[0].strip()
    return pins


def _quick_start() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, re.S)


def test_every_dependency_and_extra_is_pinned_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    pins = _pins()
    problems = []
    for text in wanted:
        requirement = Requirement(text)
        pin = pins.get(canonicalize_name(requirement.name))
        if pin is None:
            problems.append(f"{requirement.name}: not in requirements.lock")
        elif not requirement.specifier.contains(pin, prereleases=True):
            problems.append(f"{requirement.name}: locked at {pin}, outside {requirement.specifier}")
    assert not problems, (
        "requirements.lock no longer matches pyproject.toml (re-run the README's uv pip compile):\n"
        + ("\n".join(problems))
    )


def test_quick_start_installs_from_the_lock_into_a_venv() -> None:
    main_job, tests = _quick_start()[:2]
    for command in (main_job, tests):
        assert "python3 -m venv .venv" in command and "pip install -c requirements.lock" in command
        assert " pip install" not in command.replace(".venv/bin/pip install", "")  # never the system pip
    assert main_job.endswith(".venv/bin/letters mail 23LJ01 --phase 5")
    assert tests.endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    tests = _quick_start()[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()  # the README's test command, verbatim
    assert "bash .ci/quickstart" in ci


def test_the_readme_test_command_installs_every_extra_the_tests_run() -> None:
    # The benchmark tests run the benchmarks, which import the bench extra (typst); a test command
    # that installed only `test` passed here and failed on a fresh machine.
    tests = _quick_start()[1]
    installed = re.search(r"-e '\.\[([a-z,]+)\]'", tests)
    assert installed, tests
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert set(installed.group(1).split(",")) == set(project["optional-dependencies"])
