"""What templates may read: the allow-list of attributes and methods the sandbox (``letters.render.sandbox``) checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from jinja2.environment import TemplateModule
from jinja2.runtime import BlockReference, LoopContext
from jinja2.utils import Cycler, Namespace
from markupsafe import Markup

from letters.render.view import MAPPING_METHODS, View

STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "format", "format_map", "index", "isalnum", "isalpha",
    "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "lower", "lstrip", "partition",
    "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit", "rstrip", "split", "splitlines",
    "startswith", "strip", "swapcase", "title", "upper",
})  # fmt: skip
"""String methods templates may call: they read or shrink a string (``format`` is checked)."""
MARKUP_METHODS = STR_METHODS | {"striptags", "unescape"}
"""Markup's own read-only methods besides."""
SEQUENCE_METHODS = frozenset({"count", "index"})
"""List and tuple methods templates may call (none changes the list)."""
DATE_ATTRIBUTES = frozenset({"day", "isoformat", "isoweekday", "month", "replace", "weekday", "year"})
"""Date attributes templates may read (no clock: ``today()`` is not one)."""
LOOP_ATTRIBUTES = frozenset({
    "changed", "cycle", "depth", "depth0", "first", "index", "index0", "last", "length", "nextitem", "previtem",
    "revindex", "revindex0",
})  # fmt: skip
"""The ``loop`` variable's attributes."""
CYCLER_METHODS = frozenset({"current", "next", "reset"})
"""A ``cycler``'s."""
I18N_FUNCTIONS = ("_", "gettext", "ngettext", "pgettext", "npgettext")
"""Globals the i18n extension installs."""


_BY_TYPE: tuple[tuple[type | tuple[type, ...], frozenset[str]], ...] = (
    (Markup, MARKUP_METHODS),  # before str: Markup is one
    (str, STR_METHODS),
    (Mapping, MAPPING_METHODS),
    ((list, tuple), SEQUENCE_METHODS),
    (date, DATE_ATTRIBUTES),
    (LoopContext, LOOP_ATTRIBUTES),
    (BlockReference, frozenset({"super"})),
    (Cycler, CYCLER_METHODS),
)
"""The names templates may read on each kind of value, first match wins."""


def readable(obj: Any, attr: str) -> bool:
    """Whether templates may read ``obj.attr`` (names with an underscore are refused before this)."""
    if isinstance(obj, View):
        return attr in obj._readable()
    if isinstance(obj, (Namespace, TemplateModule)):
        return True  # their attributes are what templates put there: macros and values
    for kind, names in _BY_TYPE:
        if isinstance(obj, kind):
            return attr in names
    return False
