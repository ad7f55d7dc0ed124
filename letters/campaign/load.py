"""Reading a campaign file: TOML in, a validated ``Campaign`` and its warnings out."""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pydantic

from letters import paths
from letters.campaign.base import CODE_PATTERN, CODE_RULE
from letters.campaign.brands import raw_problems as brand_problems
from letters.campaign.history import (
    SKIPPED,
    RevisionEntry,
    merge,
    merged,
    pick,
    read_history,
    read_toml,
    template_folders,
)
from letters.campaign.model import Campaign, ChartRow
from letters.errors import CampaignError, Problem, ValidationError
from letters.i18n import locale_of, strict_prose

CAMPAIGN_FILE = "campaign.toml"

# Implied phase volumes further than this from the stated ones earn a warning: the chart
# is a month-level reconstruction, so only a gross mismatch says something is wrong.
PHASE_VOLUME_TOLERANCE = 0.25


@dataclass(frozen=True)
class LoadedCampaign:
    """A campaign together with where it came from and what looked inconsistent."""

    campaign: Campaign
    """The validated campaign."""
    folder: Path
    """Its template folder (templates/<CODE>)."""
    warnings: tuple[str, ...]
    """Inconsistencies in the stated figures; kept as stated, reported to the user."""
    history: tuple[RevisionEntry, ...] = ()
    """Every revision, oldest first."""
    index: int = 0
    """Position of this campaign's revision in ``history``."""
    overrides: tuple[Path, ...] = ()
    """Template folders of revisions that replace campaign templates, newest first."""
    states: tuple[Campaign, ...] = ()
    """The campaign as each revision left it, oldest first (a topic quotes its own revision's figures)."""

    def state_on(self, day: date) -> Campaign:
        """The campaign as the revision published on ``day`` left it (this one when there is none)."""
        return next((s for s in self.states if s.revision.date == day), self.campaign)

    def localized(self, lang: str, strict: bool, warnings: list[str]) -> Campaign:
        """The campaign with its ``lang`` prose merged over the English.

        Missing prose is an error in strict mode; otherwise the English stays and a warning
        says so.
        """
        if lang == "en":
            return self.campaign
        data = self.campaign.model_dump(by_alias=True)
        warnings.extend(strict_prose(data, lang, strict))
        return localize(data, lang, Path(f"{self.folder / CAMPAIGN_FILE} [translations.{lang}]"))

    @property
    def template_folders(self) -> list[Path]:
        """Where templates are looked up, in order."""
        return [*self.overrides, self.folder, paths.shared_templates_dir()]


_CODE = re.compile(CODE_PATTERN, re.IGNORECASE)  # typed in any case; the folder has capitals


def known_codes() -> list[str]:
    """Codes of every campaign under templates/, sorted."""
    return sorted(
        p.parent.name for p in paths.templates_dir().glob(f"*/{CAMPAIGN_FILE}") if not p.parent.name.startswith("_")
    )


def canonical_code(raw: str) -> str:
    """The campaign code ``raw`` means, spelled as its folder is; raises if there is none.

    Users type codes as paths (``./23LJ01``, ``templates/23LJ01/``) and in any case; the
    ledger, output folders and piece IDs must see one spelling, or the same owners are
    mailed twice under two.
    """
    name = re.split(r"[/\\]", raw.strip().rstrip("/\\"))[-1]
    if not _CODE.fullmatch(name):
        raise CampaignError(f"{raw!r} is not a campaign code: {CODE_RULE}")
    known = known_codes()
    if name in known:
        return name
    matches = [code for code in known if code.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    folder = paths.templates_dir() / name
    raise CampaignError(
        f"no campaign {raw!r}: {folder / CAMPAIGN_FILE} does not exist (campaigns here: {', '.join(known) or 'none'})"
    )


def campaign_dir(code: str) -> Path:
    """The template folder of campaign ``code`` (any spelling ``canonical_code`` accepts)."""
    return paths.templates_dir() / canonical_code(code)


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_campaign(data: dict[str, object], source: Path) -> Campaign:
    """Validate parsed TOML; every problem is reported with its key path."""
    try:
        return Campaign.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = []
        for err in exc.errors():
            if err["loc"]:
                problems.append(Problem(f"{source}: {_key_path(err['loc'])}", _describe(err)))
            else:  # the rules across the whole file, one per line, each naming its key
                problems += [_rule(source, line) for line in _describe(err).splitlines()]
        if all(err["loc"] for err in exc.errors()):
            # A field failed, so those rules never ran: the brands' are still checked (on the file as read).
            problems += [_rule(source, line) for line in brand_problems(data)]
        raise ValidationError(f"campaign file {source} is not valid:", problems) from None


_RULE_KEY = re.compile(r"([a-z_][\w.\[\]-]*): (.+)", re.DOTALL)


def _rule(source: Path, text: str) -> Problem:
    """A cross-field rule's problem, located at the key it starts with ("brands: ...") if any."""
    found = _RULE_KEY.fullmatch(text)
    return Problem(f"{source}: {found[1]}", found[2]) if found else Problem(f"{source}: (top level)", text)


def _describe(err: object) -> str:
    assert isinstance(err, dict)
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        return "required key is missing"
    if err["type"] == "extra_forbidden":
        return f"unknown key (value {_short(err['input'])})"
    if isinstance(err["input"], (dict, list)) and not err["loc"]:
        return msg  # a rule across the whole file: its input is the whole campaign
    return f"{msg} (value {_short(err['input'])})"


def _short(value: object) -> str:
    """A value as an error quotes it: at most a short excerpt."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}... ({len(text):,} characters)"


_ONCE: ContextVar[dict[tuple[str, frozenset[str]], tuple[list[RevisionEntry], list[Campaign]]] | None] = ContextVar(
    "campaigns_loaded_once", default=None
)
"""Within ``loading_once``: each campaign folder's revisions, read and validated."""


@contextmanager
def loading_once() -> Iterator[None]:
    """Within the block (one ``mail`` call), each campaign is read and validated once, however often it is
    loaded: by date, by revision, for the approval check, the envelopes, the job ticket. Its files are read
    at the first load; one call mails from that reading throughout. Nested blocks share the outer one's."""
    token = _ONCE.set({} if _ONCE.get() is None else _ONCE.get())
    try:
        yield
    finally:
        _ONCE.reset(token)


def load_campaign(code: str, as_of: date | None = None, revision: str | None = None) -> LoadedCampaign:
    """Campaign ``code`` as of a date (the last revision published by then) or at a revision ID.

    Without either, the latest revision.
    """
    folder = campaign_dir(code)
    source = folder / CAMPAIGN_FILE
    memo = _ONCE.get()
    key = (str(folder), SKIPPED.get())
    if memo is not None and key in memo:
        entries, revisions = memo[key]
    else:
        entries = read_history(folder, read_toml(source), source)
        # Every revision is validated, not only the one asked for: a bad value in the original
        # that a later revision overrides is still a bad value in the history.
        revisions = [_revision(entries, i, source) for i in range(len(entries))]
        if memo is not None:
            memo[key] = entries, revisions
    index = pick(entries, as_of, revision)
    campaign = revisions[index]
    if campaign.code != folder.name:
        raise ValidationError(
            f"campaign file {source} is not valid:",
            [Problem(f"{source}: code", f"{campaign.code!r} differs from its folder name {folder.name!r}")],
        )
    # Every revision rendered is checked: an older one with the same figures warns the same.
    warnings = tuple(consistency_warnings(campaign))
    return LoadedCampaign(campaign, folder, warnings, tuple(entries), index, tuple(template_folders(entries, index)),
                          tuple(revisions))  # fmt: skip


def _revision(entries: list[RevisionEntry], index: int, source: Path) -> Campaign:
    target = entries[index]
    data = merged(entries, index)
    data["revision"] = {"date": target.date}
    # The cover's rows: history before the original (superseded programs), the original's own
    # topic when the campaign words one, then each revision's topics.
    history = [{"date": h.get("date"), "topic": h.get("topic")} for h in data.get("history", [])
               if isinstance(h, dict)]  # fmt: skip
    original = [{"date": entries[0].date, "topic": data["original_topic"]}] if data.get("original_topic") else []
    revised = [{"date": e.date, "topic": t} for e in entries[1 : index + 1] for t in e.topics]
    data["updates"] = [*history, *original, *revised]
    label = source if index == 0 else Path(f"{source} as revised by {target.source.name}")
    campaign = parse_campaign(data, label)
    for lang in campaign.translations:
        locale_of(lang)
        localize(data, lang, Path(f"{label} [translations.{lang}]"))
    return campaign


def localize(data: dict[str, Any], lang: str, label: Path) -> Campaign:
    """Validate ``data`` with its ``lang`` overlay merged in."""
    overlay = dict(data.get("translations", {}).get(lang, {}))
    # Translations only restate what exists: an FAQ item a revision removed stays removed.
    ids = {item.get("id") for item in data.get("faq", [])}
    overlay["faq"] = [item for item in overlay.get("faq", []) if item.get("id") in ids]
    return parse_campaign(merge(data, overlay, ""), label)


def implied_phase_volumes(campaign: Campaign) -> dict[int, float]:
    """Vehicles per phase implied by the chart, spreading each volume evenly over its days.

    A chart row without a volume (TBD) takes the volume of its covered-models entry
    (same model and location) over its production window, ending with the chart's last
    covered month when the row is ongoing.
    """
    volumes: dict[int, float] = defaultdict(float)
    for row in campaign.chart.rows if campaign.chart else []:
        volume, end = _row_volume(campaign, row)
        if volume is None:
            continue
        days = (end - row.start).days + 1
        day = row.start
        while day <= end:
            month_end = date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
            span_end = min(month_end, end)
            phase = row.phase_of(day)
            if phase is not None:
                volumes[phase] += volume * ((span_end - day).days + 1) / days
            day = date.fromordinal(span_end.toordinal() + 1)
    return dict(sorted(volumes.items()))


def _row_volume(campaign: Campaign, row: ChartRow) -> tuple[int | None, date]:
    if row.volume is not None and row.end is not None:
        return row.volume, row.end
    for entry in campaign.models:
        if entry.model == row.model and entry.location == row.location:
            # Ongoing rows: the models table counts production up to the last month a
            # phase with a stated volume covers.
            counted = [p.number for p in campaign.phases if p.vehicles is not None]
            last = max((s.to for s in row.phases if s.phase in counted), default=row.start)
            end = row.end or date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])
            return entry.volume, end
    return None, row.end or row.start


def consistency_warnings(campaign: Campaign) -> list[str]:
    """Figures that disagree with each other; the documents keep them as stated."""
    out = []
    total = sum(m.volume for m in campaign.models)
    if total != campaign.covered.vehicles:
        out.append(
            f"covered.vehicles is {campaign.covered.vehicles:,} but the models table adds up "
            f"to {total:,}; the documents print the stated figure"
        )
    for number, implied in implied_phase_volumes(campaign).items():
        stated = campaign.phase(number).vehicles
        if stated and abs(implied - stated) > PHASE_VOLUME_TOLERANCE * stated:
            out.append(
                f"phase {number}: the chart implies about {implied:,.0f} vehicles, the phase table states {stated:,}"
            )
    return out
