"""Symbolic values: a letter's own data seen by a template without the template learning more than it uses.

The mail preflight keys every letter by rendering it through its template
(``letters.render.variants``). Most letters of a run render alike but for the owner's own
values (name, address, VIN, piece ID), which the template only prints. ``letters.render.symbolic``
renders one letter with each of its strings wrapped in a ``Sym`` and learns, from the trace the
render leaves, exactly which facts about the letter's values its output depends on; every
other letter that has the same facts gets the same HTML with its own values printed in.

A ``Sym`` holds the letter's concrete value and an expression saying how it was made from the
letter's data (``("leaf", ("vin",))``, ``("attr", ..., "upper")``...). Operations that only
carry a value along (an attribute, a method call, a filter, arithmetic, a comparison) give a new
``Sym`` with the concrete result, computed by the very code the template would run. Anything
that decides the template's course or makes text, truth, length, iteration, ``str()``, hashing,
is an *observation*: the concrete answer is given and the trace records (expression, answer).
Printing a ``Sym`` straight into the document (``emit``, written by the sandbox's code generator
for output that is not captured) records where the value goes instead of its text.

A class of letters is therefore every letter for which each recorded expression evaluates to
the recorded answer (``evaluate``, through the same sandboxed operations): the template runs
the same course for each of them and prints the same text but at the recorded places. Any
exception in a symbolic render, or in evaluating an expression for another letter, makes that
letter render for real: nothing is inferred from a failure.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any

from markupsafe import Markup

Expr = tuple[Any, ...]
"""How a value was made from a letter's data: a hashable tuple (see ``evaluate``)."""

TRACE: ContextVar[Trace | None] = ContextVar("letters_symbolic_trace", default=None)
"""The symbolic render under way in this context, if any (its nested prose renders too)."""
EMITTING: ContextVar[bool] = ContextVar("letters_symbolic_emitting", default=False)
"""Whether ``emit`` may write sentinels: only in the letter template's own render, never in a nested one (a
prose render's output is a value the template can inspect)."""

SENTINEL = "\ue000{}\ue001"
"""What ``emit`` writes in place of a printed value: private-use characters around its index."""


class SymbolicEscape(TypeError):
    """A symbolic value was used in a way the trace cannot record: the letter renders for real."""


class Trace:
    """What one symbolic render observed, and where it printed values."""

    def __init__(self) -> None:
        self.observed: list[tuple[Expr, Any]] = []
        """(expression, answer) of each observation, in the order the render made them."""
        self.printed: list[Expr] = []
        """The expression of each value ``emit`` printed; its index is in the sentinel."""
        self.context: Any = None
        """A template context of the render, for calls evaluated later (bound methods use none of it)."""
        self.views: dict[int, tuple[Any, ...]] = {}
        """Path of each symbolic view, by ``id``, for the engine functions templates hand a view to."""
        self.functions: dict[str, Callable[..., Any]] = {}
        """The engine functions called with symbolic arguments, by name."""

    def observe(self, expr: Expr, answer: Any) -> Any:
        self.observed.append((expr, answer))
        return answer


class Sym:
    """A value of one letter's data (or made from it) with the expression that made it."""

    __slots__ = ("expr", "trace", "value")

    def __init__(self, expr: Expr, value: Any, trace: Trace) -> None:
        self.expr, self.value, self.trace = expr, value, trace

    def _derive(self, expr: Expr, value: Any) -> Any:
        return make(expr, value, self.trace)

    def _concrete(self) -> Any:
        return self.trace.observe(("value", self.expr), self.value)

    # -- observations: the answer given, the question recorded ------------------------------
    def __bool__(self) -> bool:
        return bool(self.trace.observe(("bool", self.expr), bool(self.value)))

    def __len__(self) -> int:
        return int(self.trace.observe(("len", self.expr), len(self.value)))

    def __iter__(self) -> Any:
        return iter(self._concrete())

    def __str__(self) -> str:
        return str(self._concrete())

    def __repr__(self) -> str:
        return repr(self._concrete())

    def __format__(self, spec: str) -> str:
        return format(self._concrete(), spec)

    def __hash__(self) -> int:
        # A dict lookup or ``in`` a set: the value itself is observed, then compared by ``__eq__``.
        return hash(self._concrete())

    # -- derived values ------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Any:
        k = _key_expr(key)
        return self._derive(("subscript", self.expr, k), self.value[_value(key)])

    def __contains__(self, item: Any) -> bool:
        return bool(self._derive(("contains", self.expr, _arg(item)), _value(item) in self.value))

    def _compare(self, name: str, other: Any) -> Any:
        return self._derive(("cmp", name, self.expr, _arg(other)), COMPARE[name](self.value, _value(other)))

    def __eq__(self, other: object) -> Any:
        return self._compare("eq", other)

    def __ne__(self, other: object) -> Any:
        return self._compare("ne", other)

    def __lt__(self, other: Any) -> Any:
        return self._compare("lt", other)

    def __le__(self, other: Any) -> Any:
        return self._compare("le", other)

    def __gt__(self, other: Any) -> Any:
        return self._compare("gt", other)

    def __ge__(self, other: Any) -> Any:
        return self._compare("ge", other)


class SymNumber(Sym):
    """A symbolic number: converting it is an observation of its value."""

    __slots__ = ()

    def __int__(self) -> int:
        return int(self._concrete())

    def __float__(self) -> float:
        return float(self._concrete())

    def __index__(self) -> int:
        return operator.index(self._concrete())

    def __neg__(self) -> Any:
        return -self._concrete()

    def __pos__(self) -> Any:
        return +self._concrete()

    def __abs__(self) -> Any:
        return abs(self._concrete())


class SymMarkup(Sym):
    """A symbolic value that escapes itself (``Markup``, a view that prints as a label)."""

    __slots__ = ()

    def __html__(self) -> str:
        return str(self._concrete().__html__())


class SymCallable(Sym):
    """A symbolic bound method (``letter.vin.startswith``): the sandbox calls it (``call``)."""

    __slots__ = ()


COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge,
}  # fmt: skip


def make(expr: Expr, value: Any, trace: Trace) -> Any:
    """A symbolic value of ``value``'s kind: a string has no ``__html__`` and no number conversions, as a string
    has none (code that asks ``hasattr(x, "__html__")`` must get the answer the real value gives)."""
    if isinstance(value, Markup) or (hasattr(value, "__html__") and not isinstance(value, str)):
        return SymMarkup(expr, value, trace)
    if isinstance(value, (bool, int, float)):
        return SymNumber(expr, value, trace)
    if callable(value):
        return SymCallable(expr, value, trace)
    return Sym(expr, value, trace)


def _value(x: Any) -> Any:
    if isinstance(x, Sym):
        return x.value
    if type(x) is tuple:
        return tuple(_value(v) for v in x)
    return x


def _arg(x: Any) -> Expr:
    """The expression of an operand: a ``Sym``'s own, or a hashable constant (else the letter renders for real)."""
    if isinstance(x, Sym):
        return x.expr
    if isinstance(x, slice):
        return ("slice", _arg(x.start), _arg(x.stop), _arg(x.step))
    if type(x) is tuple and contains_sym(x):
        return ("tuple", tuple(_arg(v) for v in x))
    if not isinstance(x, Hashable) or contains_sym(x):
        raise SymbolicEscape("an operand that is not a plain constant")
    try:
        hash(x)
    except TypeError:
        raise SymbolicEscape("an operand that is not a plain constant") from None
    return ("const", type(x), x)


def _key_expr(key: Any) -> Expr:
    if isinstance(key, slice):
        return ("slice", _arg(key.start), _arg(key.stop), _arg(key.step))
    return _arg(key)


def contains_sym(x: Any) -> bool:
    """Whether a container (tuple, list, dict, view) holds a symbolic value, at any depth."""
    if isinstance(x, Sym):
        return True
    if isinstance(x, (list, tuple)):
        return any(contains_sym(v) for v in x)
    if isinstance(x, dict):
        return any(contains_sym(v) for v in x.values())
    from letters.render.view import View

    if isinstance(x, View):
        return id(x) in _views_of(x) or any(contains_sym(v) for v in x._values.values())
    return False


def _views_of(x: Any) -> dict[int, Any]:
    trace = TRACE.get()
    return trace.views if trace is not None else {}
