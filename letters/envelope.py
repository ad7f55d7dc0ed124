"""The envelope artwork a run's pieces are mailed in, with the federal label where the kind needs one.

A safety recall's owner notices (interim, remedy and follow-up alike) go out in envelopes
carrying the 49 CFR 577.14 label; Puerto Rico owners get the Spanish label. Each run folder
gets the artwork the vendor prints: ``envelope-en.pdf``, and ``envelope-es.pdf`` when the
run has Spanish pieces. Other kinds get the text their kind file (or the campaign's
``[envelope]``) prints above the recipient window, in ``envelope-en.pdf``; a kind with
neither gets plain envelopes and no artwork. ``envelope_of`` says which file each piece
goes in (the manifest's ``envelope`` column).

The label's DOT and NHTSA logos (577.14(b)(3)) are files the kind names (``[logos]`` in
``templates/_kinds/<kind>.toml``, under ``templates/_shared/``). While either is empty or
missing the envelope can only print a marked placeholder, so a real mailing is refused
(``require_logos``); a ``--proof`` run prints the placeholders with PROOF stamped across
the envelope and every letter. All artwork is PDF/X-4 under the batch files' output
intent: black K only, the label's red a named spot colour with a CMYK alternate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from letters import paths
from letters.campaign import Campaign, load_campaign
from letters.errors import LettersError
from letters.kinds import rules_of
from letters.press.finish import finish_envelope
from letters.render.env import make_environment, template_errors
from letters.render.pdf import PdfMetadata, layout, write
from letters.write import durable_write

LOGOS = {"dot": "DOT", "nhtsa": "NHTSA"}
"""The logos the 577.14 label carries: setting name -> whose logo."""


class PlaceholderLogos(LettersError):
    """A real mailing of a kind whose envelope label needs logos, while they are placeholders."""


def missing_logos(kind: str) -> list[str]:
    """The label logos of ``kind`` that would print as placeholders: settings empty or naming no file."""
    rules = rules_of(kind)
    if not rules.envelope_label:
        return []
    shared = paths.shared_templates_dir()
    return [key for key in LOGOS if not rules.logos.get(key) or not (shared / rules.logos[key]).is_file()]


def colour_logos(kind: str) -> list[str]:
    """The label logos of ``kind`` that are colour raster images (PDF/X-4 under a CMYK intent allows no RGB)."""
    from PIL import Image, UnidentifiedImageError

    rules = rules_of(kind)
    shared = paths.shared_templates_dir()
    found = []
    for key in LOGOS:
        path = shared / rules.logos.get(key, "")
        if not rules.logos.get(key) or not path.is_file() or path.suffix.lower() == ".svg":
            continue
        try:
            with Image.open(path) as image:
                if image.mode not in ("1", "L", "LA"):
                    found.append(f"logos.{key} = {rules.logos[key]!r} is a {image.mode} image")
        except (OSError, UnidentifiedImageError):
            found.append(f"logos.{key} = {rules.logos[key]!r} is not an image file")
    return found


def require_logos(kind: str) -> None:
    """Refuse a real mailing while the kind's envelope label would print placeholder logos, or colour ones."""
    colour = colour_logos(kind)
    if colour:
        where = paths.templates_dir() / "_kinds" / f"{kind}.toml"
        raise PlaceholderLogos(
            f"{where}: {'; '.join(colour)}: the label's logos print black on white, and the envelope is "
            f"PDF/X-4 under a CMYK output intent: give grayscale (or SVG) artwork"
        )
    missing = missing_logos(kind)
    if missing:
        where = paths.templates_dir() / "_kinds" / f"{kind}.toml"
        settings = ", ".join(f"logos.{key} ({LOGOS[key]} logo) = {rules_of(kind).logos.get(key, '')!r}"
                             for key in missing)  # fmt: skip
        raise PlaceholderLogos(
            f"{where}: {settings}: the 49 CFR 577.14(b)(3) envelope label would print a placeholder instead "
            f"of the logo, so a real mailing is refused. Set each to the official artwork (a file under "
            f"{paths.shared_templates_dir()}), or mail a proof with --proof (envelope and letters stamped PROOF)"
        )


@dataclass(frozen=True)
class LabelBox:
    """Where the label sits on the envelope face, inches from its top-left corner."""

    left: float = 5.95
    """Right of the recipient window (which ends 4.875 in from the left)."""
    top: float = 2.35
    """Below the return window and the postage area, above the barcode clear zone."""
    width: float = 3.0
    """577.14(c): 3 inches long."""
    height: float = 1.0
    """577.14(c): 1 inch high."""


LABEL = LabelBox()
ENVELOPE_IN = (9.5, 4.125)
"""#10 envelope, inches."""
WINDOWS_IN = {"return": (0.75, 0.5, 3.25, 0.875), "recipient": (0.875, 2.0, 4.0, 1.125)}
"""Die-cut windows (left, top, width, height), inches: the same places the owner letter prints through."""


def write_envelopes(code: str, revision: str, folder: Path, languages: set[str],
                    proof: bool = False, draft: bool = False) -> dict[str, str]:  # fmt: skip
    """Write the run's envelope artwork when its kind needs a label; file names by language."""
    loaded = load_campaign(code, revision=revision)
    rules = rules_of(str(loaded.campaign.kind))
    if not rules.envelope_label:
        return _text_envelope(loaded.campaign, folder, proof, draft)
    wanted = ["en"] + (["es"] if any("es" in code.split("+") for code in languages) else [])
    written = {}
    shared = paths.shared_templates_dir()
    env = make_environment([shared])
    for lang in wanted:
        label = rules.label.get(lang) or rules.label["en"]
        with template_errors(str(shared / "envelope.html")):
            html = env.get_template("envelope.html").render(
                lang=lang, code=loaded.campaign.code, label=label, label_box=LABEL, logos=rules.logos
            )
        document, _ = layout(html, shared, [shared])
        name = f"envelope-{lang}.pdf"
        meta = PdfMetadata(f"{loaded.campaign.code} envelope ({lang})", "Envelope front, #10 double window",
                           loaded.campaign.code, loaded.campaign.revision.date)  # fmt: skip
        identity = f"{loaded.campaign.code}/{loaded.campaign.revision.date.isoformat()}/envelope-{lang}"
        artwork = finish_envelope(write(document, meta), meta.title, identity, loaded.campaign.revision.date, proof,
                                  draft)  # fmt: skip
        durable_write(folder / name, artwork)
        written[lang] = name
    return written


def envelope_of(language: str, written: dict[str, str]) -> str:
    """The envelope file a piece of ``language`` ("en", "es", "es+en") goes in; "" for a plain envelope.

    A bilingual piece goes in the envelope of its first language (Puerto Rico: the Spanish label).
    """
    first = language.split("+")[0]
    return written.get(first) or written.get("en", "")


def _text_envelope(campaign: Campaign, folder: Path, proof: bool = False, draft: bool = False) -> dict[str, str]:
    """The envelope of a kind without a federal label: its (or the campaign's) text, else none."""
    text = campaign.envelope or rules_of(str(campaign.kind)).envelope
    if text is None:
        return {}
    shared = paths.shared_templates_dir()
    env = make_environment([shared])
    with template_errors(str(shared / "envelope-text.html")):
        html = env.get_template("envelope-text.html").render(lang="en", code=campaign.code, text=text,
                                                              windows=WINDOWS_IN)  # fmt: skip
    document, _ = layout(html, shared, [shared])
    meta = PdfMetadata(f"{campaign.code} envelope (en)", "Envelope front, #10 double window", campaign.code,
                       campaign.revision.date)  # fmt: skip
    identity = f"{campaign.code}/{campaign.revision.date.isoformat()}/envelope-en"
    artwork = finish_envelope(write(document, meta), meta.title, identity, campaign.revision.date, proof, draft)
    durable_write(folder / "envelope-en.pdf", artwork)
    return {"en": "envelope-en.pdf"}
