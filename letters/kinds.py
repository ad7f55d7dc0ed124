"""What every campaign of a kind must carry: required letter content and the envelope label.

Kinds are data (``templates/_kinds/<kind>.toml``): adding a kind, or an item a kind's
letters must carry, touches no Python. A kind without a file requires nothing.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import pydantic
from pydantic import BaseModel, ConfigDict

from letters import paths
from letters.errors import LettersError, Problem, ValidationError


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Requirement(_Model):
    """One item an owner letter of the kind must carry."""

    item: str
    """Name used in the template's data-require attribute."""
    rule: str
    """Where the requirement comes from, e.g. "49 CFR 577.5(b)"."""
    says: str
    """What the block must say."""
    stages: list[str] = []
    """Stages the item applies to (empty: every stage)."""


class Label(_Model):
    """The envelope label's text in one language."""

    heading: str
    """White on red, capitals."""
    line: str
    """Black on white, beneath."""


class Words(_Model):
    """The words shared parts and commands use for a kind (a recall's remedy, an extension's coverage)."""

    remedy: str = "remedy"
    """What the fix is called."""
    available: str = "remedy available"
    """A phase whose fix can be had (lookup, status, the phase table)."""
    estimated: str = "remedy estimated"
    """A phase whose fix is expected, followed by the month."""
    mailing: str = "owner letter mailing"
    """The owner letter mailing, followed by the month."""


class EnvelopeText(_Model):
    """Text printed above the envelope's recipient window (kinds without a federal label)."""

    text: str
    """The heading, in capitals."""
    line: str = ""
    """A smaller line beneath it."""


class KindRules(_Model):
    """What every campaign of one kind must carry, and the words it speaks with."""

    words: Words = Words()
    """Vocabulary of shared parts and commands."""
    default_stage: str = "remedy"
    """Name of the one stage of a campaign of the kind that declares no ``[[stages]]``."""
    stage_labels: dict[str, str] = {}
    """How stage names read to people, e.g. notice = "Coverage notice"."""
    envelope: EnvelopeText | None = None
    """Envelope text when the kind has no federal label; none: plain envelopes."""

    envelope_label: bool = False
    """Each run writes the envelope artwork with the federal label (49 CFR 577.14)."""
    require: list[Requirement] = []
    """Items every owner letter must carry."""
    label: dict[str, Label] = {}
    """Envelope label text by language code."""
    logos: dict[str, str] = {}
    """Label logo files by name ("dot", "nhtsa"), under templates/_shared/; empty: a marked placeholder."""


class ContentError(LettersError):
    """An owner letter lacks an item its campaign's kind requires."""


def rules_of(kind: str) -> KindRules:
    """The rules of ``kind`` (none when there is no file for it), read once per project folder."""
    return _rules_at(paths.templates_dir() / "_kinds" / f"{kind}.toml")


@cache
def _rules_at(path: Path) -> KindRules:
    if not path.is_file():
        return KindRules()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return KindRules.model_validate(data)
    except tomllib.TOMLDecodeError as exc:
        raise LettersError(f"{path}: not valid TOML ({exc})") from None
    except pydantic.ValidationError as exc:
        problems = [Problem(f"{path}: {'.'.join(str(p) for p in e['loc'])}", e["msg"]) for e in exc.errors()]
        raise ValidationError(f"kind file {path} is not valid:", problems) from None


def required(kind: str, stage: str) -> list[Requirement]:
    """Items an owner letter of ``kind`` at ``stage`` must carry."""
    return [r for r in rules_of(kind).require if not r.stages or stage in r.stages]


def missing(kind: str, stage: str, marked: dict[str, str]) -> list[Requirement]:
    """Required items that ``marked`` (item -> the text of its block) lacks or leaves empty."""
    return [r for r in required(kind, stage) if not marked.get(r.item, "").strip()]


def check_letter(kind: str, stage: str, marked: dict[str, str], where: Path | str) -> None:
    """Refuse an owner letter that lacks an item its kind requires, naming each missing item."""
    gaps = missing(kind, stage, marked)
    if gaps:
        lines = "\n".join(f'  - {r.item} ({r.rule}): {r.says}; mark its block data-require="{r.item}"' for r in gaps)
        raise ContentError(f"{where}: the {stage} letter of this {kind} lacks required content:\n{lines}")
