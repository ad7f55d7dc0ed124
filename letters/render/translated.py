"""Translated messages a sandbox keeps: a letter's ``{% trans %}`` blocks and ``_()`` calls repeat from letter to
letter, so each message with its values is translated and formatted once (``letters.render.sandbox``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2.runtime import Context
from markupsafe import Markup

TRANSLATIONS_KEPT = 4096
"""Translated messages a sandbox keeps, by message and values (the values that differ from letter to letter make
their own entries; the table is emptied when full)."""
_PLAIN = frozenset({str, Markup, int})
_LOCALS = ("_loop_vars", "_block_vars")
"""What Jinja passes along to a function that reads the context: the block's and the loop's variables."""


def translation_key(installed: Mapping[str, Any], context: Context, function: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> tuple[Any, ...] | None:  # fmt: skip
    """What a call of an installed gettext ``function`` returns depends on, when that is all it can: the
    function, the message and every value as its exact type (a ``Markup`` value is not escaped, a ``str`` is),
    and autoescaping. None (not kept) when a value is anything but text or a whole number, or when ``_`` would
    call a ``gettext`` the template defined itself (``installed``: the environment's globals)."""
    alias = function is installed.get("_")
    named = []
    for name, value in kwargs.items():
        if name in _LOCALS:
            if alias and value and "gettext" in value:
                return None
            continue
        kind = type(value)
        if kind not in _PLAIN:
            return None
        named.append((name, kind, value))
    kinds = tuple(type(v) for v in args)
    if not _PLAIN.issuperset(kinds):
        return None
    if alias and context.resolve("gettext") is not installed.get("gettext"):
        return None
    return function, context.eval_ctx.autoescape, args, tuple(named), kinds
