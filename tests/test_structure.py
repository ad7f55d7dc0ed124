"""The package's shape: no import cycles, no module over 400 lines, the README's module paths real.

The import graph is built with the standard library's ``ast`` from every ``import`` in
``letters/`` (top level and inside functions alike: a deferred import is still a dependency).
An import names the module it loads, ``from letters.x import y`` the submodule ``letters.x.y``
when there is one, else ``letters.x``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "letters"
MAX_LINES = 400


def module_name(path: Path, root: Path = ROOT) -> str:
    """``letters/ledger/runs.py`` -> ``letters.ledger.runs``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    return {module_name(p, package.parent): p for p in sorted(package.rglob("*.py"))}


def imports_of(name: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The package's own modules that module ``name`` (file ``path``) imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source for alias in node.names
            ]
        for target in targets:
            # `import letters.a.b` loads letters.a.b; name the deepest module of ours it reaches.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""
    known = modules(package)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def find_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path that returns to its start) per strongly connected group of modules.

    Tarjan's algorithm finds the groups; a path through each is reported so a failure names
    the imports to cut.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_through(group, graph) for group in sorted(groups)]


def _cycle_through(group: list[str], graph: Mapping[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, inside the group."""
    members = set(group)
    start = group[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                return [*paths[node], start]
            if nxt in members and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {group}")  # pragma: no cover - Tarjan found one


def long_modules(package: Path = PACKAGE, limit: int = MAX_LINES) -> dict[str, int]:
    """Modules over ``limit`` lines, with their line counts."""
    counts = {
        str(path.relative_to(package.parent)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(package.rglob("*.py"))
    }
    return {path: n for path, n in counts.items() if n > limit}


def test_no_import_cycles() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles in letters/:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_no_module_over_400_lines() -> None:
    long = long_modules()
    assert not long, "modules over 400 lines (split them):\n" + "\n".join(f"{p}: {n}" for p, n in long.items())


def test_the_graph_sees_real_imports() -> None:
    """The checker is not vacuous: it finds imports we know exist, deferred ones included."""
    graph = import_graph()
    assert "letters.ledger.runs" in graph["letters.ledger"]
    assert "letters.errors" in graph["letters.ledger.base"]
    # `from letters.render.fast import FastRenderer` inside renderer_for, a function-level import.
    assert "letters.render.fast" in graph["letters.render.workers"]
    # `from letters import paths` names the submodule, not the package.
    assert "letters.paths" in graph["letters.render.workers"]


def test_cycle_finder_reports_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}, "f": {"d"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["e", "e"]]
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_checker_fails_on_a_cycle_and_a_long_module_in_a_package(tmp_path: Path) -> None:
    """Built from files: a deferred import that closes a loop, and a 401-line module."""
    pkg = tmp_path / "letters"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from letters.sub.one import f\n")
    (pkg / "sub" / "one.py").write_text("from . import two\n\ndef f():\n    return two\n")
    (pkg / "sub" / "two.py").write_text("def g():\n    from letters.sub import one\n    return one\n")
    (pkg / "long.py").write_text("x = 1\n" * 401)
    assert find_cycles(import_graph(pkg)) == [["letters.sub.one", "letters.sub.two", "letters.sub.one"]]
    assert long_modules(pkg) == {"letters/long.py": 401}


def test_readme_module_paths_exist() -> None:
    """Every ``letters/...`` path the README's pipeline table and layout name is in the tree."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The pipeline", 1)[1].split("\n## Commands", 1)[0]
    named = set(re.findall(r"`(letters/[\w/]+(?:\.py|/))`", section))
    assert len(named) > 10
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"the README names modules that do not exist: {missing}"
    # The layout lists every subpackage of letters/.
    layout = readme.split("## Layout", 1)[1]
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    unlisted = [p for p in packages if f"{p}/" not in layout]
    assert not unlisted, f"the README's layout does not list letters/ subpackages {unlisted}"
