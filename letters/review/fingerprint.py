"""What an approval approves: a fingerprint of a revision's content.

The content of a revision is the rendered text of every document it declares (each stage
of a stage's letter, and each language owners read it in: the text its HTML prints, read
with the standard library's parser, so a change in how diffs split blocks changes no
fingerprint), as of the revision's date, and
every file it is made of: the campaign folder (``campaign.toml``, its data files, its
templates), the revision files and template folders up to and including this revision, the
shared templates and assets (``_shared/``), and the kind's rules (``_kinds/KIND.toml``). The
review log, compiled catalogs (``*.mo``) and hidden files are not content; nor are later
revisions.

Each part is hashed on its own (SHA-256): text files with their line endings made LF, and
named by their path under templates/ with ``/``, so the same checkout gives the same hashes
on every machine and in every run; file times play no part. The fingerprint hashes the
parts' names and hashes together. Comparing an approval's parts with today's says what
changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from pathlib import Path

from letters import paths
from letters.campaign import LoadedCampaign, load_campaign
from letters.errors import LettersError

TEXT_SUFFIXES = frozenset({".toml", ".html", ".css", ".csv", ".txt", ".json", ".md", ".po", ".svg", ".xml"})
"""Files hashed with their line endings made LF (a Windows checkout gives the same hash)."""
_SKIP_SUFFIXES = frozenset({".mo", ".pyc", ".lock", ".swp", ".tmp"})
_cache: dict[tuple[str, str, str, str], dict[str, str]] = {}
"""Rendered-text hashes per (project folder, campaign, revision, hash of its files): rendering is the slow
part. The project folder is in the key: its catalogs (``locales/``) give the Spanish text."""


def content(code: str, revision: str) -> dict[str, str]:
    """The hash of every part of ``revision`` of campaign ``code``: ``document:...`` and ``file:...`` keys."""
    loaded = load_campaign(code, revision=revision)
    files = dict(_files(loaded))
    key = (str(paths.home()), loaded.campaign.code, revision, fingerprint(files))
    documents = _cache.get(key)
    if documents is None:
        documents = _cache[key] = dict(_documents(loaded))
    return {**documents, **files}


def fingerprint(parts: Mapping[str, str]) -> str:
    """One hash over the parts' names and hashes."""
    digest = hashlib.sha256()
    for name in sorted(parts):
        digest.update(f"{name}\0{parts[name]}\n".encode())
    return "sha256:" + digest.hexdigest()


def changes(approved: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    """What differs between an approval's parts and today's, in words, documents first."""
    out = []
    for name in sorted(set(approved) | set(current), key=lambda n: (not n.startswith("document:"), n)):
        kind, _, what = name.partition(":")
        label = f"the rendered text of {what}" if kind == "document" else what
        if name not in current:
            out.append(f"{label}: removed")
        elif name not in approved:
            out.append(f"{label}: added")
        elif approved[name] != current[name]:
            out.append(f"{label}: changed")
    return out


class _Text(HTMLParser):
    """The text of an HTML document, whitespace collapsed, without its styles and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self.hidden += 1
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


_BREAKS = frozenset({"p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "br", "dt", "dd",
                     "section", "table", "caption", "figcaption"})  # fmt: skip


def printed_text(html: str) -> str:
    """What a document prints, as text: its own, not how any diff splits it (stdlib ``html.parser``)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(loaded: LoadedCampaign) -> Iterator[tuple[str, str]]:
    root = paths.templates_dir()
    rev = loaded.campaign.revision.date.isoformat()
    wanted: list[Path] = []
    for path in sorted(loaded.folder.rglob("*")):
        parts = path.relative_to(loaded.folder).parts
        if parts[0] == "revisions" and (len(parts) < 2 or parts[1].removesuffix(".toml") > rev):
            continue  # a later revision is not part of this one
        wanted.append(path)
    wanted.extend(sorted(paths.shared_templates_dir().rglob("*")))
    wanted.append(root / "_kinds" / f"{loaded.campaign.kind}.toml")
    for path in wanted:
        if not path.is_file() or path.name == "approvals.toml" or path.suffix in _SKIP_SUFFIXES:
            continue
        relative = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        data = path.read_bytes()
        if path.suffix.lower() in TEXT_SUFFIXES:
            data = data.replace(b"\r\n", b"\n")
        yield f"file:{relative.as_posix()}", _hash(data)


def _documents(loaded: LoadedCampaign) -> Iterator[tuple[str, str]]:
    from letters.documents import Renderer, RenderOptions, documents_of

    campaign = loaded.campaign
    when = campaign.revision.date
    stages: dict[str, list[str]] = {s.document: [] for s in campaign.stages}
    for declared in campaign.stages:
        stages[declared.document].append(declared.name)
    renderers: dict[str, Renderer] = {}
    for name, spec in documents_of(campaign).items():
        langs = campaign.letter_languages if spec.audience == "owner" else ["en"]
        for lang in dict.fromkeys(["en", *langs]):
            for stage in stages.get(name, [""]):
                label = name + (f" ({stage} stage)" if stage else "") + (f" [{lang}]" if lang != "en" else "")
                try:
                    renderer = renderers.get(lang) or renderers.setdefault(lang, Renderer(loaded, lang))
                    html = renderer.html(spec, RenderOptions(as_of=when, lang=lang, stage=stage))
                    text = printed_text(html)
                except LettersError as exc:
                    # Without the project's own path: the same failure hashes the same on every machine.
                    text = f"cannot be rendered: {exc.message.replace(str(paths.home()), '')}"
                yield f"document:{label}", _hash(text.encode("utf-8"))
