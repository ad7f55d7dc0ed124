"""Locks for the native libraries that must never run on two threads of one process at once.

PDFium says so outright: two threads rasterising at once crash the process (two threads
rendering pages of one notice with pypdfium2 segfault within seconds on this machine).
WeasyPrint's lock is a precaution, not a reproduced crash: every document shares one font
configuration per process (``letters.render.pdf.font_config``), which WeasyPrint changes in
place when a stylesheet adds a font face (Fontconfig's application fonts, then Pango's
``config_changed``) while another thread may be shaping with it. Mailings and the review app's default pool run
in processes, where these locks are never contended; the review app's thread mode (tests, or
``workers=0``) and any caller's own threads are serialised by them instead of corrupting the heap.
"""

from __future__ import annotations

import threading

PDFIUM = threading.RLock()
"""Held around every use of pypdfium2 (rasterising, text extraction)."""
WEASYPRINT = threading.RLock()
"""Held around WeasyPrint's parse, layout and write (re-entrant: layout loads the shared stylesheet)."""
