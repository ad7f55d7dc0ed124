"""For campaign authors: the list of campaigns, a new campaign's scaffold, the file's JSON Schema."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from letters import paths
from letters.campaign.base import CODE_PATTERN, CODE_RULE
from letters.campaign.load import CAMPAIGN_FILE, known_codes, load_campaign
from letters.campaign.model import Campaign, Kind
from letters.errors import CampaignError, LettersError, UsageError
from letters.i18n import CatalogReport, check

SCAFFOLD = "_scaffold"
"""Folder under templates/ holding what ``letters new`` copies."""
_CODE = re.compile(CODE_PATTERN)
# Set by the loader from the revision history, never written by an author.
_COMPUTED = ("revision", "updates")


def campaigns() -> list[dict[str, Any]]:
    """``letters campaigns``: every campaign under templates/, as of its latest revision.

    A campaign whose files do not load is listed with its error rather than hidden. ``review``
    says where the latest revision stands (``letters.review.status``): its state, and what
    changed since its approval.
    """
    from letters.review.status import state

    out: list[dict[str, Any]] = []
    for code in known_codes():
        try:
            loaded = load_campaign(code)
        except LettersError as exc:
            out.append({"code": code, "error": exc.message})
            continue
        c = loaded.campaign
        out.append({
            "code": c.code, "kind": str(c.kind), "title": c.title, "published": c.published.isoformat(),
            "latest_revision": c.revision.date.isoformat(),
            "phases": [
                {"phase": p.number, "remedy_available": p.announced.isoformat() if p.announced else None,
                 "estimate": p.estimate.strftime("%Y-%m")}
                for p in c.phases
            ],
            "stages": stages_of(c),
            "review": _review(state(c.code, c.revision.date.isoformat()).as_json()),
            "words": c.spoken_words().model_dump(),
        })  # fmt: skip
    return out


def _review(review: dict[str, Any]) -> dict[str, Any]:
    """Where the latest revision stands, without its log (``letters revisions --json`` has that)."""
    return {k: v for k, v in review.items() if k != "reviews"}


def stages_of(campaign: Campaign) -> list[str]:
    """The owner-letter stages the campaign mails."""
    return [s.name for s in campaign.stages]


def new_campaign(code: str, kind: str, source: str | None = None, today: date | None = None) -> Path:
    """``letters new``: a campaign folder that renders at once (as a draft), from the scaffold or a copy."""
    code = code.strip().upper()
    if not _CODE.fullmatch(code):
        raise UsageError(f"{code!r} is not a campaign code: {CODE_RULE}")
    kinds = [k.value for k in Kind]
    if kind not in kinds:
        raise UsageError(f"{kind!r} is not a campaign kind; kinds: {', '.join(kinds)}")
    folder = paths.templates_dir() / code
    if folder.exists():
        raise UsageError(f"{folder} already exists; pick another code or remove it")
    today = today or date.today()
    if source is not None:
        origin = load_campaign(source).folder
        # The copy starts a new history: no revisions, no approvals.
        shutil.copytree(origin, folder, ignore=shutil.ignore_patterns("revisions", "approvals.toml", "*.mo"))
        text = (folder / CAMPAIGN_FILE).read_text(encoding="utf-8")
        text = re.sub(r'(?m)^code = ".*"$', f'code = "{code}"', text, count=1)
        text = re.sub(r'(?m)^kind = ".*"$', f'kind = "{kind}"', text, count=1)
        (folder / CAMPAIGN_FILE).write_text(text, encoding="utf-8")
    else:
        scaffold = paths.templates_dir() / SCAFFOLD
        if not (scaffold / CAMPAIGN_FILE).is_file():
            raise CampaignError(f"{scaffold / CAMPAIGN_FILE} is missing: the scaffold letters new copies")
        # The scaffold's own files, then its kind's (a folder named after the kind): templates
        # replace the generic ones, campaign-extra.toml adds to campaign.toml (e.g. stages).
        shutil.copytree(scaffold, folder, ignore=lambda _, names: [n for n in names if (scaffold / n).is_dir()])
        text = (folder / CAMPAIGN_FILE).read_text(encoding="utf-8")
        extra = scaffold / kind
        if extra.is_dir():
            for item in sorted(extra.iterdir()):
                if item.name == "campaign-extra.toml":
                    text += item.read_text(encoding="utf-8")
                elif item.is_file():
                    shutil.copy2(item, folder / item.name)
        for key, value in {"@@CODE@@": code, "@@KIND@@": kind, "@@TODAY@@": today.isoformat(),
                           "@@MONTH@@": today.strftime("%Y-%m")}.items():  # fmt: skip
            text = text.replace(key, value)
        (folder / CAMPAIGN_FILE).write_text(text, encoding="utf-8")
    try:
        load_campaign(code)
    except LettersError:
        shutil.rmtree(folder)
        raise
    return folder


def schema() -> dict[str, Any]:
    """The JSON Schema of campaign.toml, for editors that validate and complete it as it is typed."""
    data = Campaign.model_json_schema(by_alias=True, mode="validation")
    for name in _COMPUTED:
        data["properties"].pop(name, None)
    data["required"] = [name for name in data.get("required", []) if name not in _COMPUTED]
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "letters campaign file (templates/CODE/campaign.toml)"
    return data


def write_schema(target: Path | None) -> str:
    """The schema as JSON text, also written to ``target`` when given."""
    import json

    from letters.write import durable_write

    text = json.dumps(schema(), indent=2) + "\n"
    if target is not None:
        durable_write(target, text.encode("utf-8"))
    return text


def check_all(langs: Iterable[str]) -> CatalogReport:
    """``letters i18n check``: the catalogs and every campaign's prose, every revision."""
    campaigns = []
    for folder in sorted(paths.templates_dir().glob("*/campaign.toml")):
        if folder.parent.name.startswith("_"):
            continue
        latest = load_campaign(folder.parent.name)
        for entry in latest.history:
            campaigns.append(load_campaign(folder.parent.name, revision=entry.id).campaign.model_dump(by_alias=True))
    return check(langs, campaigns)
