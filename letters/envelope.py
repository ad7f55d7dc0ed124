"""The envelope artwork a run's pieces are mailed in, with the federal label where the kind needs one.

A safety recall's owner notices (interim, remedy and follow-up alike) go out in envelopes
carrying the 49 CFR 577.14 label; Puerto Rico owners get the Spanish label. Each run folder
gets the artwork the vendor prints: ``envelope-en.pdf``, and ``envelope-es.pdf`` when the
run has Spanish pieces. Other kinds get the text their kind file (or the campaign's
``[envelope]``) prints above the recipient window, in ``envelope-en.pdf``; a kind with
neither gets plain envelopes and no artwork. ``envelope_of`` says which file each piece
goes in (the manifest's ``envelope`` column).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from letters import paths
from letters.campaign import Campaign, load_campaign
from letters.kinds import rules_of
from letters.render.env import make_environment, template_errors
from letters.render.pdf import PdfMetadata, layout, write
from letters.write import durable_write


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


def write_envelopes(code: str, revision: str, folder: Path, languages: set[str]) -> dict[str, str]:
    """Write the run's envelope artwork when its kind needs a label; file names by language."""
    loaded = load_campaign(code, revision=revision)
    rules = rules_of(str(loaded.campaign.kind))
    if not rules.envelope_label:
        return _text_envelope(loaded.campaign, folder)
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
        durable_write(folder / name, write(document, meta))
        written[lang] = name
    return written


def envelope_of(language: str, written: dict[str, str]) -> str:
    """The envelope file a piece of ``language`` ("en", "es", "es+en") goes in; "" for a plain envelope.

    A bilingual piece goes in the envelope of its first language (Puerto Rico: the Spanish label).
    """
    first = language.split("+")[0]
    return written.get(first) or written.get("en", "")


def _text_envelope(campaign: Campaign, folder: Path) -> dict[str, str]:
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
    durable_write(folder / "envelope-en.pdf", write(document, meta))
    return {"en": "envelope-en.pdf"}
