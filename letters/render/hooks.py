"""The sandbox's hooks for symbolic values (``letters.render.sym``): each called where a symbolic value meets the
sandbox's own operations (printing, attributes, items, calls, operators, filters and tests)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from jinja2.runtime import BlockReference, LoopContext, Macro, Undefined
from markupsafe import Markup, escape

from letters.render.sym import (
    EMITTING,
    SENTINEL,
    TRACE,
    Expr,
    Sym,
    SymbolicEscape,
    _arg,
    _value,
    contains_sym,
    make,
)

_CONTEXT_VARS = frozenset({"_loop_vars", "_block_vars"})
"""What Jinja hands a call for its callee's context (the loop's and block's variables), not arguments: what a
callee reads from its context comes back as the values themselves."""
PURE_FUNCTIONS = frozenset({"remedy_status", "stage_label"})
"""Engine functions templates call on a letter whose result depends only on their arguments."""


def emit(value: Any) -> Any:
    """What the sandbox's generated code prints for ``value`` where output goes straight to the document."""
    if EMITTING.get():
        label = getattr(value, "symbolic_label", None)
        if label is not None:
            value = label()
        if isinstance(value, Sym):
            printed = value.trace.printed
            printed.append(value.expr)
            return Markup(SENTINEL.format(len(printed) - 1))
    return escape(value)


def concrete(x: Any) -> Any:
    """``x`` with every symbolic value in it observed and replaced by its value."""
    if isinstance(x, Sym):
        return x._concrete()
    if isinstance(x, tuple):
        return tuple(concrete(v) for v in x)
    if isinstance(x, list):
        return [concrete(v) for v in x]
    if isinstance(x, dict):
        return {k: concrete(v) for k, v in x.items()}
    trace = TRACE.get()
    if trace is not None and id(x) in trace.views:
        path, real = trace.views[id(x)]
        return trace.observe(("view", path), real)
    return x


def _exprs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Expr, Expr] | None:
    """The operands' expressions when each is symbolic or a plain constant; None when one is not (a container
    holding a view, something unhashable)."""
    try:
        return tuple(_arg(a) for a in args), tuple(sorted((k, _arg(v)) for k, v in kwargs.items()))
    except SymbolicEscape:
        return None


def _symbolic_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return any(contains_sym(a) for a in args) or any(
        contains_sym(v) for k, v in kwargs.items() if k not in _CONTEXT_VARS
    )


def apply(key: Expr, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
          passed: str | None) -> Any:  # fmt: skip
    """A filter or test, ``function(*args, **kwargs)``, with symbolic arguments: a symbolic result when its operands
    are symbolic or constant and what Jinja passes it first (``passed``: nothing, the environment, or an evaluation
    context that no ``{% autoescape %}`` block changes) is the same for every letter; else the arguments observed
    and the function called on their values."""
    trace = TRACE.get()
    if trace is None or not _symbolic_args(args, kwargs):
        return function(*args, **kwargs)
    lead: Expr | None = ()
    if passed == "environment":
        lead = (("environment",),)
    elif passed == "eval_context":
        lead = None if args[0].volatile else (("eval_context", bool(args[0].autoescape)),)
    elif passed is not None:  # the template context: the letter's own, not a constant
        lead = None
    found = _exprs(args[len(lead) :], kwargs) if lead is not None else None
    if lead is None or found is None:
        return function(*concrete(args), **concrete(kwargs))
    value = function(*(_value(a) for a in args), **{k: _value(v) for k, v in kwargs.items()})
    return make((*key, (*lead, *found[0]), found[1]), value, trace)


def call(env: Any, context: Any, obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The sandbox's ``call`` while a symbolic render is under way (``env._call`` is its concrete call)."""
    from letters.render.view import TemplateFunction

    trace = TRACE.get()
    assert trace is not None
    trace.context = trace.context or context
    if isinstance(obj, (Macro, BlockReference, LoopContext)):
        # What these return is a value the template may inspect, never output written to the page.
        token = EMITTING.set(False)
        try:
            return env._call(context, obj, *args, **kwargs)
        finally:
            EMITTING.reset(token)
    named = {k: v for k, v in kwargs.items() if k not in _CONTEXT_VARS}
    if isinstance(obj, Sym):  # a method of a symbolic value
        found = _exprs(args, named)
        if found is None:
            return env._call(context, obj._concrete(), *concrete(args), **concrete(kwargs))
        value = env._call(context, obj.value, *(_value(a) for a in args), **{k: _value(v) for k, v in named.items()})
        return obj._derive(("call", obj.expr, *found), value)
    if not _symbolic_args(args, kwargs):
        return env._call(context, obj, *args, **kwargs)
    if isinstance(obj, TemplateFunction):
        name = object.__getattribute__(obj, "_name")
        if name not in PURE_FUNCTIONS or contains_sym(named):
            raise SymbolicEscape(f"{name}() called with a letter's values")
        views = trace.views
        operands = tuple(("view", views[id(a)][0]) if id(a) in views else _arg(a) for a in args)
        value = env._call(context, obj, *(_value(a) for a in args), **named)
        trace.functions[name] = obj
        return make(("function", name, operands, tuple(sorted(named.items()))), value, trace)
    if id(obj) in env._i18n:
        # A message (a constant) formatted with a letter's values: the same call made again for another letter.
        name = next(n for n, f in env.globals.items() if f is obj)
        found = _exprs(args, named)
        local = {n for k in _CONTEXT_VARS for n in kwargs.get(k) or ()}
        if found is None or any(isinstance(a, Sym) for a in args) or local & {"_", "gettext", "ngettext"}:
            raise SymbolicEscape("a translation asked for with a letter's values")
        value = env._call(context, obj, *args, **{k: _value(v) for k, v in kwargs.items()})
        return make(("translation", name, *found), value, trace)
    if isinstance(obj, (types.MethodType, types.BuiltinMethodType)) or type(obj).__name__ == "_Formatted":
        # A method of a constant (``codes.get(letter.model)``, ``"{}".format(...)``): it sees the values.
        return env._call(context, obj, *concrete(args), **concrete(kwargs))
    return env._call(context, obj, *args, **kwargs)  # dict(), namespace(), range(): they hold the values


def getattr_(env: Any, obj: Sym, name: str) -> Any:
    """``obj.name`` as the sandbox answers it for the value."""
    value = env.getattr(obj.value, name)
    if isinstance(value, Undefined):
        raise SymbolicEscape(f"attribute {name!r} of a letter's value")
    return obj._derive(("attr", obj.expr, name), value)


def getitem(env: Any, obj: Any, key: Any) -> Any:
    """``obj[key]``: a symbolic key is observed (it picks an item of a constant), a symbolic object derived."""
    if isinstance(key, Sym):
        key = key._concrete()
    if not isinstance(obj, Sym):
        return env.getitem(obj, key)
    value = env.getitem(obj.value, key)
    if isinstance(value, Undefined):
        raise SymbolicEscape("an item of a letter's value")
    return obj._derive(("getitem", obj.expr, _arg(key)), value)


def binop(env: Any, context: Any, op: str, left: Any, right: Any) -> Any:
    """An intercepted operator (``+ - * / // % **``) with a symbolic operand, checked as the sandbox checks it."""
    value = env.call_binop(context, op, _value(left), _value(right))
    trace = left.trace if isinstance(left, Sym) else right.trace
    return make(("binop", op, _arg(left), _arg(right)), value, trace)
