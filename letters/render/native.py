"""Locks for the native libraries that must never run on two threads of one process at once.

PDFium says so outright: two threads rasterising at once crash the process (two threads
rendering pages of one notice with pypdfium2 segfault within seconds on this machine).
WeasyPrint shares one Pango font map per process (``letters.render.pdf.font_config``), and
Pango's font maps are not thread-safe either. Mailings and the review app's default pool run
in processes, where these locks are never contended; the review app's thread mode (tests, or
``workers=0``) and any caller's own threads are serialised by them instead of corrupting the heap.
"""

from __future__ import annotations

import threading

PDFIUM = threading.RLock()
"""Held around every use of pypdfium2 (rasterising, text extraction)."""
WEASYPRINT = threading.RLock()
"""Held around WeasyPrint's parse, layout and write (re-entrant: layout loads the shared stylesheet)."""
