"""Languages: gettext catalogs for template text, campaign prose per language, Babel formats.

Template text is marked with Jinja's i18n extension and extracted with Babel into
``locales/messages.pot``; each language has ``locales/<lang>/LC_MESSAGES/messages.po``.
The compiled ``.mo`` files are build products (``letters i18n compile``, not committed);
when one is missing or older than its ``.po``, the catalog is compiled in memory instead.

Campaign prose (reason, remedy, FAQ questions and answers, opening hours) has per-language
values in the campaign file under ``[translations.<lang>]``, merged over the English.

Rendering in a language never falls back to English silently: in strict mode (the default
for mailings) a missing translation is an error; otherwise it is reported as a warning.
"""

from __future__ import annotations

import gettext
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from letters import paths
from letters.errors import LettersError, UsageError

DOMAIN = "messages"
LANGUAGES = {"en": "en_US", "es": "es_PR"}
"""Languages the engine writes, and the Babel locale used for their dates and numbers."""
PROSE_FIELDS = ("program", "subtitle", "reason", "remedy", "remedy_supply")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s")


class MissingTranslation(LettersError):
    """A text has no translation in the language asked for (strict mode)."""


def locale_of(lang: str) -> str:
    """Babel locale of a language code."""
    try:
        return LANGUAGES[lang]
    except KeyError:
        raise LettersError(f"language {lang!r} is not available ({', '.join(LANGUAGES)})") from None


def locales_dir() -> Path:
    return paths.home() / "locales"


def po_path(lang: str) -> Path:
    return locales_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        catalog: Catalog = read_po(handle, locale=locale)
    return catalog


@dataclass
class Translations(gettext.NullTranslations):
    """gettext for one language that records (or, strict, refuses) missing messages."""

    lang: str
    catalog: dict[str, str]
    strict: bool
    missing: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        super().__init__()

    def gettext(self, message: str) -> str:
        if self.lang == "en":
            return message
        found = self.catalog.get(message)
        if found:
            return found
        if self.strict:
            raise MissingTranslation(f"no {self.lang} translation for template text {message!r}")
        self.missing.add(message)
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


def load_translations(lang: str, strict: bool) -> Translations:
    """The template catalog of ``lang``: from its .mo when up to date, else compiled from its .po."""
    locale_of(lang)
    if lang == "en":
        return Translations(lang, {}, strict)
    po = po_path(lang)
    if not po.is_file():
        raise MissingTranslation(f"no catalog for {lang!r}: {po} does not exist (run 'letters i18n update')")
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        messages = {k: v for k, v in compiled._catalog.items() if isinstance(k, str) and k}  # type: ignore[attr-defined]
    else:
        catalog = read_catalog(po, LANGUAGES[lang])
        messages = {m.id: m.string for m in catalog if isinstance(m.id, str) and m.id and m.string and not m.fuzzy}
    return Translations(lang, messages, strict)


# --- Campaign prose -------------------------------------------------------------------


def prose_gaps(data: Mapping[str, Any], lang: str) -> list[str]:
    """Owner-facing campaign prose with no value in ``lang``, by key path."""
    if lang == "en":
        return []
    overlay = data.get("translations", {}).get(lang, {})
    gaps = [f"translations.{lang}.{name}" for name in PROSE_FIELDS if data.get(name) and not overlay.get(name)]
    translated = {item.get("id"): item for item in overlay.get("faq", [])}
    for item in data.get("faq", []):
        mine = translated.get(item["id"], {})
        for key in ("question", "answer", "note"):
            if _has_words(item.get(key, "")) and not mine.get(key):
                gaps.append(f"translations.{lang}.faq[{item['id']}].{key}")
    if (data.get("chart") or {}).get("example") and not overlay.get("chart", {}).get("example"):
        gaps.append(f"translations.{lang}.chart.example")
    for name, contact in data.get("contacts", {}).items():
        if contact.get("hours") and not overlay.get("contacts", {}).get(name, {}).get("hours"):
            gaps.append(f"translations.{lang}.contacts.{name}.hours")
    return gaps


_TEMPLATE_PART = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _has_words(text: str) -> bool:
    """True when ``text`` has words of its own, not only quotes of other (translated) fields."""
    return bool(re.search(r"[^\W\d_]", _TEMPLATE_PART.sub("", text)))


_PERIOD = re.compile(r"^(?:(Early|Mid|Late)[-\s]+)?(January|February|March|April|May|June|July|August|September|"
                     r"October|November|December)\s+(\d{4})$")  # fmt: skip
_PART = {"es": {"Early": "principios", "Mid": "mediados", "Late": "finales"}}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip


def translate_period(text: str, lang: str) -> str | None:
    """ "Early November 2022 - Mid-January 2023" (or "August 2022 - May 2023") in ``lang``, None if unparsed.

    The seed states production periods as English phrases; rather than typing each one
    again per language, the phrase is parsed and rebuilt with Babel's month names.
    """
    if lang == "en":
        return text
    from babel.dates import format_skeleton

    out = []
    for part in re.split(r"\s+[-\u2013]\s+", text.strip()):
        match = _PERIOD.match(part)
        if match is None:
            return None
        month = date(int(match[3]), _MONTHS.index(match[2]) + 1, 1)
        name = format_skeleton("yMMMM", month, locale=LANGUAGES[lang])
        out.append(f"{_PART[lang][match[1]]} de {name}" if match[1] else name)
    return " - ".join(out)


# --- letters i18n extract | update | compile | check ---------------------------------


@dataclass(frozen=True)
class CatalogReport:
    """What an i18n command did or found."""

    actions: tuple[str, ...] = ()
    """Files written."""
    problems: tuple[str, ...] = ()
    """Untranslated, fuzzy or mismatched messages and prose gaps (``check``)."""


def translated_languages(wanted: Iterable[str] = ()) -> list[str]:
    """The translated languages named in ``wanted`` (all of them when empty); an unknown one is an error."""
    known = [lang for lang in LANGUAGES if lang != "en"]
    unknown = [lang for lang in wanted if lang not in known]
    if unknown:
        raise UsageError(f"no catalog for {', '.join(map(repr, unknown))}; translated languages: {', '.join(known)}")
    return list(wanted) or known


def extract() -> CatalogReport:
    """Extract template text into locales/messages.pot."""
    catalog = Catalog(project="letters", domain=DOMAIN, charset="utf-8")
    method_map = [("**.html", "jinja2")]
    options_map = {"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}
    templates = paths.templates_dir()
    # Babel skips folders starting with "_" by default; templates/_shared holds shared text.
    for filename, lineno, message, comments, context in extract_from_dir(
        str(templates), method_map, options_map, strip_comment_tags=True,
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):  # fmt: skip
        catalog.add(message, None, [(f"templates/{filename}", lineno)], auto_comments=comments, context=context)
    # The phase table prints its kind's word for an available phase (``_(words.available|title)``).
    from letters.kinds import Words, rules_of

    kinds = sorted(p.stem for p in (templates / "_kinds").glob("*.toml"))
    catalog.add(Words().available.title(), None, [("templates/_shared/tables.html", 1)])
    for kind in kinds:
        catalog.add(rules_of(kind).words.available.title(), None, [(f"templates/_kinds/{kind}.toml", 1)])
    # ... or the campaign's own word for it ([words] available in campaign.toml).
    for source in sorted(templates.glob("[!_]*/campaign.toml")):
        with suppress(tomllib.TOMLDecodeError, OSError):
            own = tomllib.loads(source.read_text(encoding="utf-8")).get("words", {})
            if isinstance(own, dict) and isinstance(own.get("available"), str):
                catalog.add(own["available"].title(), None, [(f"templates/{source.parent.name}/campaign.toml", 1)])
    target = locales_dir() / f"{DOMAIN}.pot"
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=True, no_location=False)
    target.write_bytes(_stable(buffer.getvalue()))
    return CatalogReport((f"wrote {target} ({len(catalog)} messages)",))


def _stable(po: bytes) -> bytes:
    # The creation date in the header changes on every run; keep the file diffable.
    return re.sub(rb'"POT-Creation-Date: [^"]*"\n', b'"POT-Creation-Date: 2024-01-01 00:00+0000\\\\n"\n', po)


def update(langs: Iterable[str]) -> CatalogReport:
    """Merge messages.pot into each language's .po (new messages untranslated)."""
    template = read_catalog(locales_dir() / f"{DOMAIN}.pot")
    actions = []
    for lang in langs:
        if lang == "en":
            continue
        po = po_path(lang)
        catalog = read_catalog(po, LANGUAGES[lang]) if po.is_file() else Catalog(locale=LANGUAGES[lang], domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        po.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        write_po(buffer, catalog, width=100, sort_output=True, ignore_obsolete=True)
        po.write_bytes(_stable(buffer.getvalue()))
        actions.append(f"updated {po}")
    return CatalogReport(tuple(actions))


def compile_catalogs(langs: Iterable[str]) -> CatalogReport:
    """Write each language's .mo next to its .po."""
    actions = []
    for lang in langs:
        if lang == "en":
            continue
        po = po_path(lang)
        catalog = read_catalog(po, LANGUAGES[lang])
        mo = po.with_suffix(".mo")
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        mo.write_bytes(buffer.getvalue())
        actions.append(f"compiled {mo}")
    return CatalogReport(tuple(actions))


def check(langs: Iterable[str], campaigns: Iterable[Mapping[str, Any]] = ()) -> CatalogReport:
    """Every message translated, none fuzzy, placeholders equal; every campaign's prose translated."""
    template = read_catalog(locales_dir() / f"{DOMAIN}.pot")
    wanted = {m.id for m in template if m.id}
    places = {m.id: [str(f) for f, _ in m.locations] for m in template if m.id}
    problems = []
    campaigns = list(campaigns)
    for lang in langs:
        if lang == "en":
            continue
        po = po_path(lang)
        if not po.is_file():
            problems.append(f"{lang}: {po} does not exist")
            continue
        catalog = read_catalog(po, LANGUAGES[lang])
        have = {m.id: m for m in catalog if m.id}
        # A message only campaigns not written in ``lang`` use needs no ``lang`` text.
        elsewhere = {f"templates/{d.get('code')}/" for d in campaigns if lang not in declared_languages(d)}
        for msgid in sorted(wanted, key=str):
            if elsewhere and places[msgid] and all(p.startswith(tuple(elsewhere)) for p in places[msgid]):
                continue
            message = have.get(msgid)
            if message is None:
                problems.append(f"{lang}: missing from {po.name}: {msgid!r} (run 'letters i18n update')")
            elif not message.string:
                problems.append(f"{lang}: untranslated: {msgid!r}")
            elif message.fuzzy:
                problems.append(f"{lang}: fuzzy: {msgid!r}")
            elif sorted(_PLACEHOLDER.findall(str(msgid))) != sorted(_PLACEHOLDER.findall(str(message.string))):
                problems.append(f"{lang}: placeholders differ: {msgid!r} -> {message.string!r}")
        for data in campaigns:
            if lang not in declared_languages(data):
                continue
            problems.extend(f"{lang}: campaign {data.get('code')}: no translation for {gap}" for gap in
                            prose_gaps(data, lang))  # fmt: skip
            for model in data.get("models", []):
                if translate_period(model["period"], lang) is None:
                    problems.append(f"{lang}: campaign {data.get('code')}: cannot translate period {model['period']!r}")
    return CatalogReport((), tuple(dict.fromkeys(problems)))


def declared_languages(data: Mapping[str, Any]) -> list[str]:
    """The languages a campaign's letters are written in: ``languages``, else English and its translations."""
    return list(data.get("languages") or ["en", *(data.get("translations") or {})])


def strict_prose(data: Mapping[str, Any], lang: str, strict: bool) -> list[str]:
    """Prose gaps for ``lang``: an error in strict mode, else returned as warnings."""
    gaps = prose_gaps(data, lang)
    if gaps and strict:
        raise MissingTranslation(f"campaign {data.get('code')} has no {lang} text for: {', '.join(gaps)}")
    return [f"no {lang} text for {gap}: English used" for gap in gaps]
