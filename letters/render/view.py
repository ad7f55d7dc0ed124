"""What a template sees: plain, read-only data, never the engine's objects.

Templates and campaign prose are untrusted. A pydantic model handed to one carries
``parse_raw(..., allow_pickle=True)``, ``parse_file`` and the rest of its class, so every
value crosses into a template through ``plain``: strings, numbers, dates, tuples, and
``View``s, read-only mappings of names to plain values that templates read as attributes
(``c.distributor.name``) or items (``row[column.field]``). A class opts its computed names in
with a ``template_names`` class variable: properties are read once, when the view is made;
methods become ``TemplateFunction``s, which hand the engine's own objects back to the method
and make its result plain again. Nothing else of the class is reachable.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel

MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
"""The read-only methods every view (and any mapping) offers templates."""


class View(Mapping[str, Any]):
    """A read-only record of plain data: its names are attributes and items at once."""

    __slots__ = ("_kind", "_methods", "_names", "_source", "_values")

    _kind: str
    _methods: dict[str, TemplateFunction]
    _names: frozenset[str]
    _source: object
    _values: dict[str, Any]

    def __init__(self, kind: str, values: dict[str, Any], methods: dict[str, TemplateFunction], source: object) -> None:
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_methods", methods)
        object.__setattr__(self, "_source", source)
        object.__setattr__(self, "_names", frozenset(values) | frozenset(methods) | MAPPING_METHODS)

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_"):
            if name in self._values:
                return self._values[name]
            if name in self._methods:
                return self._methods[name]
        raise AttributeError(f"{self._kind!r} has no attribute {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{self._kind!r} is read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{self._kind!r} is read-only")

    def __repr__(self) -> str:
        return repr(self._values)

    def _readable(self) -> frozenset[str]:
        """Every attribute a template may read: values, methods and the mapping methods."""
        return self._names


class TemplateFunction:
    """A function templates may call: plain data in (views handed back as what they show), plain data out."""

    __slots__ = ("_function", "_name")

    _function: Callable[..., Any]
    _name: str

    def __init__(self, function: Callable[..., Any], name: str = "") -> None:
        object.__setattr__(self, "_function", function)
        object.__setattr__(self, "_name", name or getattr(function, "__name__", "function"))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(_source(a) for a in args)
        kwargs = {k: _source(v) for k, v in kwargs.items()}
        return plain(self._function(*args, **kwargs))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a template function is read-only")

    def __repr__(self) -> str:
        return f"<function {self._name}>"


def _source(value: Any) -> Any:
    return value._source if isinstance(value, View) else value


_SCALARS = (bool, int, float, Decimal, date, type(None))
_AS_IS = frozenset({str, *_SCALARS})
"""Types ``plain`` returns as they are (checked inline where a view's fields are made)."""


def plain(value: Any) -> Any:
    """``value`` as data a template may see; a ``TypeError`` for anything that is not data."""
    kind = type(value)
    if kind in _AS_IS:  # the common cases first: a letter's data is mostly these
        return value
    if kind is tuple:
        return tuple(v if type(v) in _AS_IS else plain(v) for v in value)
    if isinstance(value, (View, TemplateFunction, Markup)) or type(value) in _SCALARS:
        return value
    if isinstance(value, str):
        return str(value) if isinstance(value, Enum) else value
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    if isinstance(value, Mapping):
        return View("mapping", {k: plain(v) for k, v in value.items()}, {}, value)
    if isinstance(value, BaseModel):
        names = [*type(value).model_fields, *(value.model_extra or {})]
        return _view(value, {name: getattr(value, name) for name in names})
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _view(value, {name: getattr(value, name) for name in _layout(type(value))[0]})
    if isinstance(value, _SCALARS):  # e.g. a datetime, an IntEnum
        return value
    raise TypeError(f"{type(value).__name__} is not template data: pass plain values or a TemplateFunction")


def _view(obj: object, fields: dict[str, Any]) -> View:
    """A view of ``obj``: its fields, and the computed names its class lists in ``template_names``."""
    values = {name: value if type(value) in _AS_IS else plain(value) for name, value in fields.items()}
    methods: dict[str, TemplateFunction] = {}
    _, properties, functions = _layout(type(obj))
    for name in properties:
        values[name] = plain(getattr(obj, name))
    for name in functions:
        methods[name] = TemplateFunction(getattr(obj, name), name)
    return View(type(obj).__name__, values, methods, obj)


_LAYOUTS: dict[type, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}


def _layout(kind: type) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """A class's dataclass fields, and its ``template_names`` that are properties and that are methods (a
    property, a data descriptor, is found on the class whatever an instance holds)."""
    found = _LAYOUTS.get(kind)
    if found is None:
        names = tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else ()
        computed = getattr(kind, "template_names", ())
        properties = tuple(n for n in computed if isinstance(inspect.getattr_static(kind, n), property))
        found = _LAYOUTS[kind] = (names, properties, tuple(n for n in computed if n not in properties))
    return found


def context(values: Mapping[str, Any]) -> dict[str, Any]:
    """A template context: every value plain."""
    return {name: plain(value) for name, value in values.items()}
