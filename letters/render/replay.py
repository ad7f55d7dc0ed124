"""Replaying a symbolic render's expressions for another letter (``letters.render.sym``): each expression compiled
once into a function of the letter's view that runs the very sandboxed operations the template ran."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2.nodes import EvalContext
from jinja2.runtime import Undefined

from letters.render.sym import COMPARE, Expr, SymbolicEscape, Trace


def walk(root: Any, path: tuple[Any, ...]) -> Any:
    node = root
    for step in path:
        node = node[step]
    return node


def _same_value(value: Any) -> Any:
    return value


Evaluator = Callable[[Any, dict[int, Any]], Any]
"""An expression compiled: its value for the letter whose (concrete) view is given, with a memo of values."""


def compiled(expr: Expr, env: Any, trace: Trace, cache: dict[Expr, Evaluator]) -> Evaluator:
    """``expr`` as a function of a letter's view, by the operations the template ran (each value worked out once a
    letter, in ``memo``); an ``Undefined`` result is a ``SymbolicEscape``."""
    found = cache.get(expr)
    if found is not None:
        return found
    kind = expr[0]
    if kind in ("const", "environment", "eval_context"):
        if kind == "const":
            constant = expr[2]
        elif kind == "environment":
            constant = env
        else:
            constant = EvalContext(env)
            constant.autoescape = expr[1]
        cache[expr] = lambda root, memo: constant
        return cache[expr]

    def sub(e: Expr) -> Evaluator:
        return compiled(e, env, trace, cache)

    def many(es: Expr) -> Callable[[Any, dict[int, Any]], list[Any]]:
        fs = [sub(e) for e in es]
        return lambda root, memo: [f(root, memo) for f in fs]

    def named(es: Expr) -> Callable[[Any, dict[int, Any]], dict[str, Any]]:
        fs = [(k, sub(e)) for k, e in es]
        return lambda root, memo: {k: f(root, memo) for k, f in fs}

    work: Evaluator
    if kind in ("leaf", "view", "label"):
        path, label = expr[1], kind == "label"

        def work(root: Any, memo: dict[int, Any]) -> Any:
            node = walk(root, path)
            return str(node) if label else node

    elif kind == "tuple":
        items = [sub(e) for e in expr[1]]
        work = lambda root, memo: tuple(f(root, memo) for f in items)  # noqa: E731
    elif kind == "slice":
        a, b, c = sub(expr[1]), sub(expr[2]), sub(expr[3])
        work = lambda root, memo: slice(a(root, memo), b(root, memo), c(root, memo))  # noqa: E731
    elif kind in ("attr", "getitem", "subscript", "contains"):
        base, name = sub(expr[1]), expr[2]
        key = sub(name) if kind != "attr" else None
        if kind == "attr":
            work = lambda root, memo: env.getattr(base(root, memo), name)  # noqa: E731
        elif kind == "getitem":
            work = lambda root, memo: env.getitem(base(root, memo), key(root, memo))  # type: ignore[misc]  # noqa: E731
        elif kind == "subscript":
            work = lambda root, memo: base(root, memo)[key(root, memo)]  # type: ignore[misc]  # noqa: E731
        else:
            work = lambda root, memo: key(root, memo) in base(root, memo)  # type: ignore[misc]  # noqa: E731
    elif kind in ("call", "function", "translation", "filter", "test"):
        args, kwargs = many(expr[2]), named(expr[3]) if kind != "function" else (lambda root, memo: dict(expr[3]))
        if kind == "call":
            target = sub(expr[1])
        else:
            table = {"function": trace.functions, "translation": env.globals, "filter": env.filters,
                     "test": env.tests}[kind]  # fmt: skip
            function = table[expr[1]]
            target = lambda root, memo: function  # noqa: E731
        if kind in ("call", "function", "translation"):
            work = lambda root, memo: env._call(trace.context, target(root, memo), *args(root, memo),  # noqa: E731
                                                **kwargs(root, memo))  # fmt: skip
        else:
            work = lambda root, memo: target(root, memo)(*args(root, memo), **kwargs(root, memo))  # noqa: E731
    elif kind in ("binop", "cmp"):
        op, left, right = expr[1], sub(expr[2]), sub(expr[3])
        if kind == "binop":
            work = lambda root, memo: env.call_binop(trace.context, op, left(root, memo), right(root, memo))  # noqa: E731
        else:
            compare = COMPARE[op]
            work = lambda root, memo: compare(left(root, memo), right(root, memo))  # noqa: E731
    elif kind in ("bool", "len", "value"):
        inner = sub(expr[1])
        apply_: Callable[[Any], Any] = {"bool": bool, "len": len, "value": _same_value}[kind]
        work = lambda root, memo: apply_(inner(root, memo))  # noqa: E731
    else:
        raise SymbolicEscape(f"unknown expression {kind!r}")
    slot = len(cache)

    def memoised(root: Any, memo: dict[int, Any]) -> Any:
        if slot in memo:
            return memo[slot]
        value = work(root, memo)
        if isinstance(value, Undefined):
            raise SymbolicEscape("undefined for this letter")
        memo[slot] = value
        return value

    cache[expr] = memoised
    return memoised


def same(a: Any, b: Any) -> bool:
    """Whether two answers are the same: equal, and of one type (``1`` is not ``True``)."""
    return type(a) is type(b) and bool(a == b)
