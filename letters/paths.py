"""Where the project's folders are.

The engine runs from a checkout (``pip install -e .``); ``LETTERS_HOME`` points it at
another project folder holding templates/, mailing_lists/ and output/.
"""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The project folder."""
    env = os.environ.get("LETTERS_HOME")
    return Path(env).resolve() if env else Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """Folder of campaign template folders and the shared templates."""
    return home() / "templates"


def shared_templates_dir() -> Path:
    """Templates and assets every campaign shares (layouts, styles, fonts)."""
    return templates_dir() / "_shared"


def mailing_lists_dir() -> Path:
    """Folder of bundled vehicle and owner lists, one subfolder per campaign."""
    return home() / "mailing_lists"


def output_dir() -> Path:
    """Default output folder."""
    return home() / "output"
