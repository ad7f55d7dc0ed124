"""Keying a run's letters by class: one symbolic render per class of letters, each letter's own values filled in.

The preflight keys every letter by its masked HTML (``letters.render.variants``). A template
renders most letters alike but for the values it only prints, so ``SymbolicKeyer`` renders one
letter of each class with its values symbolic (``letters.render.sym``) and keys every other
letter of the class from that render: the recorded observations answered for the letter decide
its class, and its HTML is the class's with its own values, escaped, in the printed places.

It is used only where that is what rendering the letter alone gives (``eligible``): the
template's output reaches the page only through the sandbox's ``emit`` (no output of a block
re-rendered by ``super()`` or ``self``, none of an include or block captured by a macro, a
``set`` block or a filter block), it reads ``letters`` only in its one loop over them and that
loop's ``loop`` only for the section's ``index0``, it keeps no state from one letter to the next
(no namespace assignment, no ``cycler`` or ``joiner``), and the prose rendered when the context
is made does not read ``letters``. A class's first letter is also rendered for real and must
give the filled-in HTML exactly, else the keyer stops and every letter renders for real.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from jinja2 import nodes
from markupsafe import escape

from letters.campaign.values import VehicleView
from letters.documents import DocumentSpec, Letter, Renderer, RenderOptions
from letters.render.replay import Evaluator, compiled, same
from letters.render.sym import EMITTING, TRACE, Expr, Sym, SymbolicEscape, Trace, make
from letters.render.view import View, plain

_SYMBOLIC = (int, float, date, datetime)
"""Value types (besides strings) a letter's data holds symbolically; others (none, booleans) are in its shape."""
_LEAF_SHAPES: dict[type, tuple[str, type]] = {str: ("s", str), **{kind: ("n", kind) for kind in _SYMBOLIC}}
"""``shape_of`` of a value of exactly these types, made once."""
_SENTINEL = re.compile("\ue000(\\d+)\ue001")
LEARN_LIMIT = 200
"""Classes a keyer learns before it stops learning (a template that sets most letters apart renders each for
real, in chunks, which costs less than a symbolic render each)."""


FAILURES_KEPT = 25
"""Symbolic renders that may fail before a keyer stops trying (a template that uses letters' values in ways a
trace cannot record)."""


class SymbolicVehicleView(VehicleView):
    """A vehicle view whose label (what it prints as) is symbolic."""

    __slots__ = ("_path", "_trace")

    def symbolic_label(self) -> Sym:
        found: Sym = make(("label", self._path), self._label, self._trace)
        return found

    def __str__(self) -> str:
        return str(self.symbolic_label())

    def __html__(self) -> str:
        return str(escape(str(self.symbolic_label())))


def shape_of(value: Any) -> Any:
    """What a letter's data must share with another's for one symbolic render to serve both: its structure and
    every value that is not a string or a number (dates, none, booleans)."""
    if type(value) in (View, VehicleView):
        if value._methods:
            raise SymbolicEscape("a view with methods")
        leaf = _LEAF_SHAPES.get  # most of a letter's values are plain strings and numbers: no call for those
        return ("v", type(value), value._kind,
                tuple((k, leaf(type(v)) or shape_of(v)) for k, v in value._values.items()))  # fmt: skip
    if type(value) is tuple:
        return ("t", tuple(_LEAF_SHAPES.get(type(v)) or shape_of(v) for v in value))
    if isinstance(value, str):
        return ("s", type(value))
    if type(value) in _SYMBOLIC:
        return ("n", type(value))
    if isinstance(value, (View, list, dict)):
        raise SymbolicEscape(f"a {type(value).__name__} in a letter's data")
    hash(value)
    return ("c", type(value), value)


def symbolic_view(value: Any, path: tuple[Any, ...], trace: Trace) -> Any:
    """``value`` (a letter's plain view) with each string and number symbolic; views registered in ``trace``."""
    if isinstance(value, View):
        values = {k: symbolic_view(v, (*path, k), trace) for k, v in value._values.items()}
        kind = SymbolicVehicleView if type(value) is VehicleView else View
        view = object.__new__(kind)
        for name in ("_kind", "_methods", "_names", "_source"):
            object.__setattr__(view, name, getattr(value, name))
        object.__setattr__(view, "_values", values)
        if isinstance(view, SymbolicVehicleView):
            for name, slot in (("_label", value._label), ("_path", path), ("_trace", trace)):
                object.__setattr__(view, name, slot)
        trace.views[id(view)] = (path, value)
        return view
    if type(value) is tuple:
        return tuple(symbolic_view(v, (*path, i), trace) for i, v in enumerate(value))
    if isinstance(value, str) or type(value) in _SYMBOLIC:
        return make(("leaf", path), value, trace)
    return value


@dataclass
class _Leaf:
    """A class of letters: its render cut at the printed values."""

    parts: list[str | int]
    """Literal HTML, and the index of each printed value in ``trace.printed``."""
    trace: Trace
    """The class's symbolic render."""
    printers: list[Evaluator] = field(default_factory=list)
    """Each printed value's expression compiled."""


@dataclass
class _Branch:
    """An observation the render made; the next node by its answer."""

    expr: Expr
    evaluate: Evaluator
    """``expr`` compiled."""
    answers: dict[Any, Any] = field(default_factory=dict)
    unhashable: list[tuple[Any, Any]] = field(default_factory=list)

    def child(self, answer: Any) -> Any:
        try:
            node = self.answers.get((type(answer), answer))
        except TypeError:
            node = next((n for a, n in self.unhashable if same(a, answer)), None)
        return node

    def add(self, answer: Any, node: Any) -> None:
        try:
            self.answers[(type(answer), answer)] = node
        except TypeError:
            self.unhashable.append((answer, node))


class SymbolicKeyer:
    """The HTML of letters of one document and language, by class (None for a letter it cannot key)."""

    def __init__(self, renderer: Renderer, spec: DocumentSpec, options: RenderOptions) -> None:
        self.renderer, self.spec, self.options = renderer, spec, options
        self.stopped: str | None = eligible(renderer, spec)
        """Why letters are no longer keyed here (None: they are)."""
        self._roots: dict[Any, Any] = {}
        self._context: dict[str, Any] | None = None
        self._compiled: dict[Expr, Evaluator] = {}
        self.learned = 0
        """Classes learned (symbolic renders)."""
        self.filled = 0
        """Letters keyed from a class."""
        self.failed = 0
        """Symbolic renders that failed (those letters render for real)."""
        self.failure = ""
        """The last such failure, for diagnosis."""

    def html(self, letters: Sequence[Letter]) -> list[str | None]:
        """Each letter's one-letter document, or None where it must be rendered for real."""
        if self.stopped is not None or not letters:
            return [None] * len(letters)
        made = self.renderer._letters(replace(self.options, letters=tuple(letters)))
        out: list[str | None] = []
        for letter, full in zip(letters, made, strict=True):
            out.append(self._one(letter, plain(full)) if self.stopped is None else None)
        return out

    def _one(self, letter: Letter, view: View) -> str | None:
        try:
            shape = shape_of(view)
        except (SymbolicEscape, TypeError):
            return None
        memo: dict[int, Any] = {}
        node = self._roots.get(shape)
        try:
            while isinstance(node, _Branch):
                node = node.child(node.evaluate(view, memo))
            if isinstance(node, _Leaf):
                self.filled += 1
                return _fill(node, view, memo)
        except Exception:  # any failure for this letter: it renders for real, which says what is wrong
            return None
        if self.learned >= LEARN_LIMIT:
            return None
        return self._learn(letter, view, shape)

    def _learn(self, letter: Letter, view: View, shape: Any) -> str | None:
        """A symbolic render of the letter, checked against its real render, added as a class."""
        env = self.renderer.env
        one = replace(self.options, letters=(letter,))
        try:
            if self._context is None:
                self._context = self.renderer.context(self.spec, one)
            trace = Trace()
            context = dict(self._context, letters=(symbolic_view(view, (), trace),))
            template = env.get_template(self.spec.template)
            tokens = TRACE.set(trace), EMITTING.set(True)
            try:
                html = template.render(context)
            finally:
                EMITTING.reset(tokens[1])
                TRACE.reset(tokens[0])
        except Exception as exc:  # the letter renders for real: a template error is reported from there
            self.failure = f"{type(exc).__name__}: {exc}"
            self.failed += 1
            if self.failed >= FAILURES_KEPT:
                self.stopped = f"{self.failed} letters could not be rendered symbolically"
            return None
        self.learned += 1
        parts: list[str | int] = []
        at = 0
        for n, m in enumerate(_SENTINEL.finditer(html)):
            if int(m.group(1)) != n:
                self.stopped = "the symbolic render's printed values are out of order"
                return None
            parts += [html[at : m.start()], n]
            at = m.end()
        parts.append(html[at:])
        if len(parts) // 2 != len(trace.printed) or "\ue000" in "".join(p for p in parts if isinstance(p, str)):
            self.stopped = "the symbolic render's printed values do not all reach the page"
            return None
        try:
            leaf = _Leaf(parts, trace, [compiled(e, env, trace, self._compiled) for e in trace.printed])
            filled = _fill(leaf, view, {})
            real = self.renderer.html(self.spec, replace(one, letters=(letter,)))
        except Exception as exc:
            self.failure = f"{type(exc).__name__}: {exc}"
            return None
        if filled != real:
            self.stopped = "a symbolic render differed from the letter's real render"
            return None
        if not self._insert(shape, trace, leaf):
            return None
        return real

    def _insert(self, shape: Any, trace: Trace, leaf: _Leaf) -> bool:
        node, parent, answer = self._roots.get(shape), None, None
        for expr, found in trace.observed:
            if node is None:
                node = _Branch(expr, compiled(expr, self.renderer.env, trace, self._compiled))
                self._attach(shape, parent, answer, node)
            if not isinstance(node, _Branch) or node.expr != expr:
                self.stopped = "two symbolic renders of one class observed different things"
                return False
            parent, answer, node = node, found, node.child(found)
        if node is not None:
            self.stopped = "a symbolic render's class was already known"
            return False
        self._attach(shape, parent, answer, leaf)
        return True

    def _attach(self, shape: Any, parent: _Branch | None, answer: Any, node: Any) -> None:
        if parent is None:
            self._roots[shape] = node
        else:
            parent.add(answer, node)


def _fill(leaf: _Leaf, view: View, memo: dict[int, Any]) -> str:
    # ``parts`` alternates literal HTML and printed value n (checked when learned): the values, escaped, in between.
    out = leaf.parts.copy()
    out[1::2] = [escape(printer(view, memo)) for printer in leaf.printers]
    return "".join(out)  # type: ignore[arg-type]


# -- which templates may be keyed so ----------------------------------------------------------------------

_BUFFERED = (nodes.AssignBlock, nodes.FilterBlock)
"""Blocks whose output is a value (a macro's, a block's by ``self`` or ``super()``, is one too, and the sandbox's
symbolic call prints nothing inside them)."""
_PROSE_CONTEXT = ("reason", "remedy", "remedy_supply")
"""Prose the renderer renders when it makes a context (``Renderer.context``)."""


def eligible(renderer: Renderer, spec: DocumentSpec) -> str | None:
    """Why the document's letters cannot be keyed by class; None when they can."""
    env = renderer.env
    todo, seen, trees = [spec.template], set(), []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source = env.loader.get_source(env, name)[0] if env.loader is not None else None
        except Exception:
            return f"template {name} cannot be read"
        if source is None:
            return "no template loader"
        tree = env.parse(source)
        trees.append(tree)
        for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            named = getattr(node, "template", None)
            if not isinstance(named, nodes.Const) or not isinstance(named.value, str):
                return "a template named at run time"
            todo.append(named.value)
    letters_reads = 0
    counts = {"index0": 0, "other": 0}
    for tree in trees:
        if any(n.name in ("cycler", "joiner") for n in tree.find_all(nodes.Name)):
            return "a cycler or joiner (state kept from one letter to the next)"
        if any(True for _ in tree.find_all(nodes.NSRef)):
            return "a namespace assignment"
        for buffered in tree.find_all(_BUFFERED):
            if any(True for _ in buffered.find_all((nodes.Include, nodes.Block, nodes.Extends))):
                return "an include or block inside a set or filter block"
        letters_reads += sum(1 for n in tree.find_all(nodes.Name) if n.name == "letters" and n.ctx == "load")
        _loop_refs(tree, "top", counts)
    if letters_reads != 1:
        return "letters read outside the one loop over them"
    if counts["other"] or counts["index0"] > 1:
        return "the letters loop's loop variable used beyond the section's index"
    campaign = renderer.campaign
    for name in _PROSE_CONTEXT:
        problem = _prose_reads_letters(env, str(getattr(campaign, name, "") or ""), set())
        if problem:
            return problem
    return None


def _loop_refs(node: nodes.Node, scope: str, counts: dict[str, int]) -> None:
    """Count reads of the letters loop's ``loop``: ``scope`` is "letters" in its body, "inner" in another loop's
    body (whose ``loop`` is its own), "top" elsewhere (a block's ``loop`` there is the letters loop's too)."""
    if isinstance(node, nodes.For):
        over_letters = isinstance(node.iter, nodes.Name) and node.iter.name == "letters"
        _loop_refs(node.iter, scope, counts)
        for child in node.body:
            _loop_refs(child, "letters" if over_letters else "inner", counts)
        if node.test is not None:
            _loop_refs(node.test, "inner", counts)
        for child in node.else_:
            _loop_refs(child, scope, counts)
        return
    if isinstance(node, nodes.Name) and node.name == "loop" and scope != "inner":
        counts["other"] += 1
        return
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "loop":
        if scope != "inner":
            counts["index0" if scope == "letters" and node.attr == "index0" else "other"] += 1
        return
    for child in node.iter_child_nodes():
        _loop_refs(child, scope, counts)


def _prose_reads_letters(env: Any, source: str, seen: set[str]) -> str | None:
    if source in seen or ("{" not in source):
        return None
    seen.add(source)
    try:
        tree = env.parse(source)
    except Exception:
        return "prose that does not parse"
    if any(n.name == "letters" for n in tree.find_all(nodes.Name)):
        return "prose rendered with the context reads letters"
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "text":
            for arg in call.args:
                if not isinstance(arg, nodes.Const) or not isinstance(arg.value, str):
                    return "prose renders prose named at run time"
                problem = _prose_reads_letters(env, arg.value, seen)
                if problem:
                    return problem
    return None
