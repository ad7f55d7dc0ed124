"""The Jinja environment every document and every prose field renders in.

Templates and campaign prose are untrusted: the environment is sandboxed (templates see
plain data and an allow-list of methods, and a render has limits on its work: see
``letters.render.sandbox``), autoescaped (owner data cannot inject markup), and strict (an
undefined name is an error naming the template, line and name rather than an empty string in
a letter). Dates and numbers are formatted through Babel for the document's locale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal
from markupsafe import Markup

from letters.errors import TemplateError
from letters.i18n import MissingTranslation, Translations, locale_of, translate_period
from letters.render.sandbox import DEFAULT_LIMITS, LimitError, Limits, Sandbox
from letters.render.view import TemplateFunction


def make_environment(
    folders: list[Path],
    translations: Translations | None = None,
    warnings: list[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Sandbox:
    """A sandboxed, autoescaping, strict environment loading from ``folders`` in order.

    ``translations`` (default English) decides the language of template text and the
    locale of dates and numbers; text it cannot translate raises in strict mode, else it is
    noted in ``warnings``. Each render runs within ``limits``.
    """
    env = Sandbox(
        limits,
        loader=ContainedLoader(folders),
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

    written: dict[tuple[str, object, str], str] = {}

    def kept(kind: str, day: date, fmt: str, write: Callable[[], str]) -> str:
        # Every letter of a run prints the same few dates: each is written once (Babel loads its locale per call).
        key = (kind, day, fmt)
        found = written.get(key)
        if found is None:
            if len(written) >= 1024:
                written.clear()
            found = written[key] = write()
        return found

    def long_date(d: object, fmt: str = "long") -> str:
        day = _day(d, "date")
        if type(fmt) is not str:  # Babel says what it makes of it
            return format_date(day, fmt, locale=locale)
        return kept("date", day, fmt, lambda: format_date(day, fmt, locale=locale))

    def month(d: object) -> str:
        day = _day(as_month(d), "month")
        return kept("month", day, "", lambda: format_skeleton("yMMMM", day, locale=locale))

    # A missing value is an error naming the template and line, never today's date (Babel's
    # default for None) or a made-up number.
    env.filters.update(
        date=long_date,
        month=month,
        short_month=lambda d: format_date(_day(d, "short_month"), "MMM", locale=locale),
        short_date=lambda d: format_skeleton("yMd", _day(d, "short_date"), locale=locale),
        # The chart heading prints the seed's zero-padded month/day/year in every locale.
        short_date_padded=lambda d: format_date(_day(d, "short_date_padded"), "MM/dd/y", locale=locale),
        number=lambda n: format_decimal(_number(n, "number"), locale=locale),
        hours=lambda n: format_decimal(_number(n, "hours"), "0.0", locale=locale),
        period=period,
    )
    env.seal()
    return env


class ContainedLoader(jinja2.FileSystemLoader):
    """Loads templates from ``folders`` only: a file that resolves outside them is refused.

    Jinja's own loader follows symlinks; a symlink in a campaign folder pointing at a
    system file would otherwise print that file into every letter.
    """

    def __init__(self, folders: list[Path]) -> None:
        super().__init__([str(f) for f in folders])
        self.roots = [f.resolve() for f in folders]

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(root) for root in self.roots):
            raise TemplateError(
                f"{filename}: template {template!r} resolves to {real}, outside the campaign and shared "
                "template folders; refused"
            )
        return source, filename, uptodate


class MissingValue(TemplateError):
    """A template formats a date, month or number that is not there (or is no date or number): the letter would
    print a fact nobody gave it, such as today's date."""


class _NoValue(Exception):
    """Raised by a filter given nothing to format; ``template_errors`` names the template and line."""


def _missing(value: Any) -> bool:
    return value is None or isinstance(value, jinja2.Undefined) or (isinstance(value, str) and not value.strip())


def _got(value: Any) -> str:
    """What a filter was given, for its error: an undefined value names the missing name or attribute."""
    if isinstance(value, jinja2.Undefined):
        return f"nothing: {value._undefined_message}"
    return repr(value)


def _day(value: Any, name: str) -> date:
    """``value`` if it is a date; else the error a ``name`` filter raises, naming what it was given."""
    if _missing(value):
        raise _NoValue(f"the {name} filter has no date to print (got {_got(value)}); a missing date is never "
                       "replaced by today's")  # fmt: skip
    if not isinstance(value, date):
        raise _NoValue(f"the {name} filter needs a date, got {type(value).__name__} {value!r}")
    return value


def _number(value: Any, name: str) -> Any:
    """``value`` unless it is missing (or a yes/no); else the error a ``name`` filter raises."""
    if _missing(value) or isinstance(value, bool):
        raise _NoValue(f"the {name} filter has no number to print (got {_got(value)})")
    return value


def as_month(value: Any) -> Any:
    """A date, or a "YYYY-MM" string from a campaign's free ``facts`` table, as a date."""
    if isinstance(value, str) and len(value) == 7 and value[4] == "-":
        try:
            return date(int(value[:4]), int(value[5:]), 1)
        except ValueError:
            raise ValueError(f"{value!r} is not a month as YYYY-MM") from None
    return value


def render_string(env: Sandbox, source: str, context: Mapping[str, Any], where: str) -> Markup:
    """Render a prose field (itself a small template) to markup."""
    if len(source) > env.limits.source:
        raise TemplateError(f"{where}: over a template limit: a prose string of {len(source):,} characters "
                            f"(at most {env.limits.source:,})")  # fmt: skip
    with template_errors(where):
        return Markup(env.from_string(source).render(context))


def prose_renderer(
    env: Sandbox, context: dict[str, Any], where: str, keys: Mapping[str, str] | None = None
) -> Callable[[str], Markup]:
    """A ``text(source)`` function templates call to render a prose field in context.

    ``keys`` maps each prose source to its key path in the campaign file, so an error
    names the key (``campaign.toml, key faq[2].answer, line 1``), not an anonymous string.
    """
    keys = keys or {}

    def text(source: str) -> Markup:
        key = keys.get(source)
        return render_string(env, source, context, f"{where}, key {key}" if key else where)

    return TemplateFunction(text, "text")


def key_paths(data: Any, prefix: str = "") -> dict[str, str]:
    """Every string in ``data`` (nested dicts and lists) mapped to its first key path."""
    out: dict[str, str] = {}
    if isinstance(data, str):
        out[data] = prefix
    elif isinstance(data, Mapping):
        for name, value in data.items():
            for text, path in key_paths(value, f"{prefix}.{name}" if prefix else str(name)).items():
                out.setdefault(text, path)
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            for text, path in key_paths(value, f"{prefix}[{index}]").items():
                out.setdefault(text, path)
    return out


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


def _source_line(frame: tuple[str, int] | None) -> str:
    """The template line ``frame`` points at, quoted (it names the value), or nothing for a prose field."""
    if frame is None or frame[0] == "<template>":
        return ""
    try:
        line = Path(frame[0]).read_text(encoding="utf-8").splitlines()[frame[1] - 1].strip()
    except (OSError, UnicodeError, IndexError):
        return ""
    return f", in: {line[:160]}"


def _where(frame: tuple[str, int] | None, what: str) -> str:
    """Where an error happened: the template file and line, or ``what`` for a prose field."""
    if frame is None:
        return what
    name, line = frame
    # Prose fields are compiled from strings ("<template>"): ``what`` names their key.
    return f"{what}, line {line}" if name == "<template>" else f"{name}, line {line}"


@contextmanager
def template_errors(what: str) -> Iterator[None]:
    """Turn Jinja's errors into a ``TemplateError`` naming file, line and problem."""
    try:
        yield
    except (TemplateError, MissingTranslation):
        raise
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename if exc.filename and exc.filename != "<template>" else (exc.name or what)
        raise TemplateError(f"{where}, line {exc.lineno}: template syntax error: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{what}: template {exc.name!r} not found") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{_where(_template_frame(exc), what)}: undefined name: {exc.message}") from None
    except LimitError as exc:
        raise TemplateError(f"{_where(_template_frame(exc), what)}: over a template limit: {exc}") from None
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"{_where(_template_frame(exc), what)}: not allowed in a template: {exc}") from None
    except jinja2.TemplateError as exc:
        frame = _template_frame(exc)
        where = _where(frame, what)
        raise TemplateError(f"{where}: {type(exc).__name__}: {exc}") from None
    except _NoValue as exc:
        frame = _template_frame(exc)
        raise MissingValue(f"{_where(frame, what)}: {exc}{_source_line(frame)}") from None
    except RecursionError:
        raise TemplateError(f"{what}: a template includes or calls itself without end") from None
    except Exception as exc:
        # A template is untrusted code: whatever it raises at run time ([1].index(2), a range
        # the sandbox refuses, a bad filter argument) is the template's mistake.
        frame = _template_frame(exc)
        if frame is None and not isinstance(exc, (TypeError, ValueError, AttributeError, KeyError, LookupError,
                                                  ArithmeticError)):  # fmt: skip
            raise
        raise TemplateError(f"{_where(frame, what)}: {type(exc).__name__}: {exc}") from None
