"""The Jinja environment every document and every prose field renders in.

Templates and campaign prose are untrusted: the environment is sandboxed (no Python
internals), autoescaped (owner data cannot inject markup), and strict (an undefined name is
an error naming the template, line and name rather than an empty string in a letter).
Dates and numbers are formatted through Babel for the document's locale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from letters.errors import TemplateError
from letters.i18n import MissingTranslation, Translations, locale_of, translate_period


def make_environment(
    folders: list[Path], translations: Translations | None = None, warnings: list[str] | None = None
) -> SandboxedEnvironment:
    """A sandboxed, autoescaping, strict environment loading from ``folders`` in order.

    ``translations`` (default English) decides the language of template text and the
    locale of dates and numbers; text it cannot translate raises in strict mode, else it is
    noted in ``warnings``.
    """
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Whitespace inside {% trans %} blocks is collapsed, as the extractor does.
    env.policies["ext.i18n.trimmed"] = True
    translations = translations or Translations("en", {}, strict=True)
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    locale = locale_of(translations.lang)
    notes = warnings if warnings is not None else []

    def period(text: str) -> str:
        translated = translate_period(text, translations.lang)
        if translated is not None:
            return translated
        if translations.strict:
            raise MissingTranslation(f"cannot write the period {text!r} in {translations.lang}")
        notes.append(f"period {text!r} left in English")
        return text

    env.filters.update(
        date=lambda d, fmt="long": format_date(d, fmt, locale=locale),
        month=lambda d: format_skeleton("yMMMM", d, locale=locale),
        short_month=lambda d: format_date(d, "MMM", locale=locale),
        short_date=lambda d: format_skeleton("yMd", d, locale=locale),
        # The chart heading prints the seed's zero-padded month/day/year in every locale.
        short_date_padded=lambda d: format_date(d, "MM/dd/y", locale=locale),
        number=lambda n: format_decimal(n, locale=locale),
        hours=lambda n: format_decimal(n, "0.0", locale=locale),
        period=period,
    )
    return env


def render_string(env: jinja2.Environment, source: str, context: Mapping[str, Any], where: str) -> Markup:
    """Render a prose field (itself a small template) to markup."""
    with template_errors(where):
        return Markup(env.from_string(source).render(context))


def prose_renderer(env: jinja2.Environment, context: dict[str, Any], where: str) -> Callable[[str], Markup]:
    """A ``text(source)`` function templates call to render a prose field in context."""

    def text(source: str) -> Markup:
        return render_string(env, source, context, where)

    return text


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """File and line of the innermost template frame in ``exc``'s traceback.

    Jinja rewrites tracebacks so that template frames carry the template's file name and
    line; the innermost one is where the failing expression is.
    """
    found = None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".html", ".css", ".txt")) or name == "<template>":
            found = (name, tb.tb_lineno)
        tb = tb.tb_next
    return found


@contextmanager
def template_errors(what: str) -> Iterator[None]:
    """Turn Jinja's errors into a ``TemplateError`` naming file, line and problem."""
    try:
        yield
    except (TemplateError, MissingTranslation):
        raise
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or what
        raise TemplateError(f"{where}, line {exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{what}: template {exc.name!r} not found") from None
    except jinja2.UndefinedError as exc:
        frame = _template_frame(exc)
        where = f"{frame[0]}, line {frame[1]}" if frame else what
        raise TemplateError(f"{where}: undefined name: {exc.message}") from None
    except jinja2.exceptions.SecurityError as exc:
        frame = _template_frame(exc)
        where = f"{frame[0]}, line {frame[1]}" if frame else what
        raise TemplateError(f"{where}: not allowed in a template: {exc}") from None
    except (TypeError, ValueError, AttributeError, KeyError, ZeroDivisionError) as exc:
        frame = _template_frame(exc)
        if frame is None:
            raise
        raise TemplateError(f"{frame[0]}, line {frame[1]}: {type(exc).__name__}: {exc}") from None
