"""The sandbox templates and campaign prose run in: an allow-list, and limits on their work.

``Sandbox`` is Jinja's ``SandboxedEnvironment`` made strict in two ways.

What a template may touch: the plain data of ``letters.render.view`` (views, strings,
numbers, dates, tuples), Jinja's own loop, namespace, macro and block objects, and an
allow-list of read-only methods (``str.upper``, ``dict.get``, ``date.replace`` ...). Any
other attribute is refused, and so is calling anything but macros, the i18n functions,
``range``/``dict``/``namespace``/``cycler``/``joiner``, the engine's ``TemplateFunction``s
and those allowed methods.

How much a template may do: one render (its includes, macros and the prose it quotes
together) makes at most ``Limits.steps`` loop iterations and calls, runs at most
``Limits.seconds``, writes at most ``Limits.output`` characters and holds no string longer
than that, no list longer than ``Limits.items``; ``'x' * n``, ``range``, ``batch``, format
widths (``'%300000000d'``, ``'{:>300000000}'``) and the other ways to ask for a huge value
at once are checked before the value is made. A loop or a call counts as it happens (a
code generator wraps every ``for`` loop's iterable), so a runaway template stops with a
``LimitError`` naming its line within the limits, not when the machine runs out.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import BlockReference, Context, LoopContext, Macro, Undefined
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup

from letters.render import hooks
from letters.render.allowed import I18N_FUNCTIONS, readable
from letters.render.limits import (
    BUDGET,
    DEFAULT_LIMITS,
    FILTER_CHECKS,
    Budget,
    CheckedEscapeFormatter,
    CheckedFormatter,
    LimitError,
    Limits,
    check_percent,
)
from letters.render.sym import EMITTING, TRACE, Sym
from letters.render.translated import TRANSLATIONS_KEPT, translation_key
from letters.render.view import MAPPING_METHODS, TemplateFunction, View, context

__all__ = ["DEFAULT_LIMITS", "LimitError", "Limits", "Sandbox"]


class _Formatted:
    """``str.format`` of one string, with the sandbox's field access and checked widths and size."""

    __slots__ = ("_format",)

    def __init__(self, format: Callable[..., str]) -> None:
        self._format = format

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        return self._format(*args, **kwargs)


_REMOVED_FILTERS = ("random",)
"""Not deterministic: the same inputs must print the same letter."""
_REMOVED_GLOBALS = ("lipsum",)
"""Random text, and unbounded work."""


class GuardedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with every loop's items counted and every ``~`` checked.

    (Jinja forbids custom node types, so the loops' iterables are marked by identity.)
    """

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self._loop_iterables = {id(loop.iter) for loop in node.find_all(nodes.For)}
        super().visit_Template(node, frame)

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if id(node) in getattr(self, "_loop_iterables", ()):
            self.write("environment.guard_loop(")
            super().visit(node, *args, **kwargs)
            self.write(")")
            return None
        return super().visit(node, *args, **kwargs)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        # Output that goes straight to the document (not into a macro's, a set block's or a filter
        # block's buffer) passes through ``emit``, where a symbolic render notes the value printed.
        if frame.buffer is None and not frame.eval_ctx.volatile and frame.eval_ctx.autoescape and finalize.src is None:
            self.write("environment.emit(")
            return
        super()._output_child_pre(node, frame, finalize)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.guard_value(")
        super().visit_Concat(node, frame)
        self.write(")")


class GuardedTemplate(jinja2.Template):
    """A template whose ``render`` takes plain data only and runs within the limits."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        env = self.environment
        assert isinstance(env, Sandbox)
        values = context(dict(*args, **kwargs))
        nested = BUDGET.get() is not None
        emitting = EMITTING.set(False) if nested else None  # a nested render's output is a value, not the page
        try:
            with env.budget():
                return super().render(values)
        finally:
            if emitting is not None:
                EMITTING.reset(emitting)

    def generate(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        raise TypeError("render a template with render(): its limits apply to the whole render")


class Sandbox(SandboxedEnvironment):
    """Jinja's sandbox with an allow-list of what templates touch and limits on what they do."""

    code_generator_class = GuardedCodeGenerator
    template_class = GuardedTemplate
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def __init__(self, limits: Limits = DEFAULT_LIMITS, **options: Any) -> None:
        super().__init__(**options)
        self.limits = limits
        self._i18n: frozenset[int] = frozenset()
        self._callable_globals: frozenset[int] = frozenset()
        self._translated: dict[tuple[Any, ...], str] = {}
        for name in _REMOVED_GLOBALS:
            self.globals.pop(name, None)
        for name in _REMOVED_FILTERS:
            self.filters.pop(name, None)

    def seal(self) -> None:
        """Call once its filters and globals are installed: every filter is wrapped (its arguments
        checked where they can ask for much, its result checked) and the callable globals noted."""
        for name, function in list(self.filters.items()):
            if not getattr(function, "letters_guarded", False):
                self.filters[name] = self._guarded(name, function)
        for name, function in list(self.tests.items()):
            if not getattr(function, "letters_guarded", False):
                self.tests[name] = _symbolic("test", name, function,  # type: ignore[arg-type]
                                             getattr(function, "jinja_pass_arg", None))  # fmt: skip
        self._i18n = frozenset(id(self.globals[name]) for name in I18N_FUNCTIONS if name in self.globals)
        self._callable_globals = self._i18n | {id(self.globals["range"])}

    def _guarded(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        check = FILTER_CHECKS.get(name)
        signature = inspect.signature(function) if check is not None else None

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if check is not None and signature is not None:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                check(self.limits, bound.arguments, self)
                args, kwargs = bound.args, bound.kwargs
            return self.guard_value(function(*args, **kwargs))

        return _symbolic("filter", name, guarded, getattr(function, "jinja_pass_arg", None))

    @contextmanager
    def budget(self) -> Iterator[Budget]:
        """The budget of the render under way, or a new one for a render that starts here."""
        current = BUDGET.get()
        if current is not None:
            yield current
            return
        budget = Budget(self.limits)
        token = BUDGET.set(budget)
        try:
            yield budget
        finally:
            BUDGET.reset(token)

    # -- what templates may touch ---------------------------------------------------------

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return super().is_safe_attribute(obj, attr, value) and readable(obj, attr)

    def is_safe_callable(self, obj: Any) -> bool:
        if id(obj) in self._callable_globals:
            return True
        if isinstance(obj, (Macro, BlockReference, LoopContext, TemplateFunction, _Formatted, Joiner, Undefined)):
            return True
        if any(obj is allowed for allowed in (Namespace, Cycler, Joiner, dict)):
            return True
        if isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
            owner = obj.__self__
            return not isinstance(owner, type) and readable(owner, obj.__name__)
        return False

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Sym):
            return hooks.getattr_(self, obj, attribute)
        if isinstance(obj, View) and not attribute.startswith("_"):
            # A view's names are data and its own functions: the common case, answered directly.
            if attribute in obj._values:
                return obj._values[attribute]
            if attribute in obj._methods:
                return obj._methods[attribute]
            if attribute not in MAPPING_METHODS:
                return self.undefined(obj=obj, name=attribute, hint=f"{obj._kind!r} has no attribute {attribute!r}")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, Sym) or isinstance(argument, Sym):
            return hooks.getitem(self, obj, argument)
        return super().getitem(obj, argument)

    def emit(self, value: Any) -> Any:
        """Output printed straight into the document (a symbolic render notes symbolic values)."""
        return hooks.emit(value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        kind = obj._kind if isinstance(obj, View) else type(obj).__name__
        return self.undefined(f"access to attribute {attribute!r} of {kind!r} is unsafe", name=attribute, obj=obj,
                              exc=SecurityError)  # fmt: skip

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if not isinstance(value, (types.MethodType, types.BuiltinMethodType)) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        text = value.__self__
        if not isinstance(text, str):
            return None
        is_map = value.__name__ == "format_map"
        formatter: CheckedFormatter | CheckedEscapeFormatter
        if isinstance(text, Markup):
            formatter = CheckedEscapeFormatter(self, escape=text.escape)
        else:
            formatter = CheckedFormatter(self)
        formatter.limits = self.limits

        def formatted(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return type(text)(formatter.vformat(text, (), args[0]))
            return type(text)(formatter.vformat(text, args, kwargs))

        return _Formatted(formatted)

    # -- how much they may do -------------------------------------------------------------

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if TRACE.get() is not None:
            return hooks.call(__self, __context, __obj, args, kwargs)
        return __self._call(__context, __obj, *args, **kwargs)

    def _call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = BUDGET.get()
        if budget is not None:
            budget.step()
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"{_describe(__obj)} may not be called")
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (__self.guard_loop(args[0]), *args[1:])
        if id(__obj) in __self._i18n:
            key = translation_key(__self.globals, __context, __obj, args, kwargs)
            found = __self._translated.get(key) if key is not None else None
            if found is not None:
                return __self.guard_value(found)
            for text in args:
                if isinstance(text, str):
                    check_percent(__self.limits, text, kwargs)
            found = __self.guard_value(__context.call(__obj, *args, **kwargs))
            if key is not None and isinstance(found, str):
                if len(__self._translated) >= TRANSLATIONS_KEPT:
                    __self._translated.clear()
                __self._translated[key] = found
            return found
        return __self.guard_value(__context.call(__obj, *args, **kwargs))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if isinstance(left, Sym) or isinstance(right, Sym):
            return hooks.binop(self, context, operator, left, right)
        if operator == "*":
            self._check_repeat(left, right)
            self._check_repeat(right, left)
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            if right * left.bit_length() > self.limits.int_bits:
                raise LimitError(f"{left} ** {right} is over the limit of {self.limits.int_bits:,} bits")
        elif operator == "%" and isinstance(left, str):
            check_percent(self.limits, left, right)
        return self.guard_value(self.binop_table[operator](left, right))

    def _check_repeat(self, sequence: Any, times: Any) -> None:
        if isinstance(sequence, (str, list, tuple)) and isinstance(times, int):
            cap = self.limits.output if isinstance(sequence, str) else self.limits.items
            if len(sequence) * times > cap:
                what = "characters" if isinstance(sequence, str) else "items"
                raise LimitError(f"repeating {len(sequence):,} {what} {times:,} times is over the limit of {cap:,}")

    def guard_loop(self, iterable: Iterable[Any]) -> Iterable[Any]:
        """``iterable``, counting each item it yields against the render's budget."""
        budget = BUDGET.get()
        if budget is None:
            return iterable
        return _counted(iterable, budget)

    def guard_value(self, value: Any) -> Any:
        """``value``, refused when it is a string, list or number over the limits."""
        if isinstance(value, str):
            if len(value) > self.limits.output:
                raise LimitError(f"a string of {len(value):,} characters is over the limit of {self.limits.output:,}")
            budget = BUDGET.get()
            if budget is not None:
                budget.charge(len(value))
        elif isinstance(value, (list, tuple)):
            if len(value) > self.limits.items:
                raise LimitError(f"a list of {len(value):,} items is over the limit of {self.limits.items:,}")
        elif isinstance(value, int) and value.bit_length() > self.limits.int_bits:
            raise LimitError(f"a number of {value.bit_length():,} bits is over the limit of {self.limits.int_bits:,}")
        return value

    def concat(self, parts: Iterable[str]) -> str:
        """Join a render's (or a block's, a macro's) output, refusing more than ``Limits.output``."""
        out: list[str] = []
        size = 0
        for part in parts:
            size += len(part)
            if size > self.limits.output:
                raise LimitError(f"the template wrote more than {self.limits.output:,} characters")
            out.append(part)
        budget = BUDGET.get()
        if budget is not None:
            budget.charge(size)
        return "".join(out)


def _symbolic(kind: str, name: str, function: Callable[..., Any], passed: Any = None) -> Callable[..., Any]:
    """A filter or test that, in a symbolic render, takes symbolic arguments (``letters.render.sym.apply``)."""

    @functools.wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if TRACE.get() is None:
            return function(*args, **kwargs)
        return hooks.apply((kind, name), function, args, kwargs, getattr(passed, "name", None))

    wrapped.letters_guarded = True  # type: ignore[attr-defined]
    return wrapped


def _describe(obj: Any) -> str:
    """``str.center``, ``dict.fromkeys``, ``Campaign``: what a template tried to call, without its address."""
    owner = getattr(obj, "__self__", None)
    name = getattr(obj, "__name__", type(obj).__name__)
    if owner is not None and not isinstance(owner, types.ModuleType):
        kind = owner.__name__ if isinstance(owner, type) else type(owner).__name__
        return f"{kind}.{name}"
    return str(name)


def _counted(iterable: Iterable[Any], budget: Budget) -> Iterator[Any]:
    for item in iterable:
        budget.step()
        yield item
