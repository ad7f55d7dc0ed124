"""Locks for the native libraries that must never run on two threads of one process at once.

PDFium says so outright: two threads rasterising at once crash the process (two threads
rendering pages of one notice with pypdfium2 segfault within seconds on this machine).
WeasyPrint's lock is a precaution, not a reproduced crash: every document shares one font
configuration per process (``letters.render.pdf.font_config``), which WeasyPrint changes in
place when a stylesheet adds a font face (Fontconfig's application fonts, then Pango's
``config_changed``) while another thread may be shaping with it. Mailings and the review app's
default pool run in processes, where these locks are never contended; the review app's thread
mode (tests, or ``workers=0``) and any caller's own threads are serialised by them instead of
corrupting the heap.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from typing import Any

PDFIUM = threading.RLock()
"""Held around every use of pypdfium2 (rasterising, text extraction)."""
WEASYPRINT = threading.RLock()
"""Held around WeasyPrint's parse, layout and write (re-entrant: layout loads the shared stylesheet)."""


# WeasyPrint looks each native library up under six names (Windows', macOS', Linux's) and cffi
# sends every name that does not load as given through ``ctypes.util.find_library``, which on
# Linux runs ``ldconfig -p``, then ``gcc`` and ``ld``, each time: about 16 ms of CPU per name
# that is not there, 0.3 s per process that imports WeasyPrint (the CLI, each fork server).
# While ``weasyprint.text.ffi`` runs, and only then, a name is answered from one ``ldconfig -p``
# listing, as the first of those three steps would answer it. What the other two could add (a
# library only on ``gcc``'s or ``ld``'s search path) is loaded by WeasyPrint's next name, the
# library's soname, which the dynamic loader finds on its own path (``LD_LIBRARY_PATH`` too).
_FFI_MODULE = "weasyprint.text.ffi"


def _ldconfig_listing() -> bytes:
    import shutil
    import subprocess

    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    try:
        done = subprocess.run([ldconfig, "-p"], stdin=subprocess.DEVNULL, capture_output=True, timeout=30,
                              env={"LC_ALL": "C", "LANG": "C"}, check=False)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return b""
    return done.stdout


class _Listed:
    """``ctypes.util.find_library`` answered from one ``ldconfig -p`` listing."""

    def __init__(self) -> None:
        self._listing: bytes | None = None

    def __call__(self, name: str) -> str | None:
        if self._listing is None:
            self._listing = _ldconfig_listing()
        found = re.search(rb"\s+(lib%s\.[^\s]+)\s+\(" % re.escape(os.fsencode(name)), self._listing)
        return os.fsdecode(found.group(1)) if found else None


class _FfiLoader:
    """Runs WeasyPrint's ffi module with the listing's ``find_library`` in place, then puts the real one back."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        import ctypes.util

        real = ctypes.util.find_library
        ctypes.util.find_library = _Listed()
        try:
            self._loader.exec_module(module)
        finally:
            ctypes.util.find_library = real


class _FfiFinder:
    """Finds ``weasyprint.text.ffi`` as Python would, to load it with ``_FfiLoader``."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != _FFI_MODULE:
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _FfiLoader(spec.loader)  # type: ignore[assignment]
        return spec


def quick_library_lookup() -> None:
    """On Linux, have WeasyPrint's native libraries looked up as above (once per process, before it loads)."""
    if sys.platform.startswith("linux") and _FFI_MODULE not in sys.modules:
        if not any(isinstance(finder, _FfiFinder) for finder in sys.meta_path):
            sys.meta_path.insert(0, _FfiFinder())


# Polars' allocator (jemalloc) gives freed pages back to the system after 0.5 s by default.
# The records merge frees one bucket's tables and builds the next one's within seconds, so the
# same memory was given back and faulted in again: 373,000-403,000 page faults and 2.2-2.3 s of
# system time at 2,000,000 vehicles, 184,000-200,000 and 1.35-1.54 s with five seconds. Pages
# kept longer also raise the peak: at 10,000,000 vehicles 716 MB with 0.5 s, 846-901 with five
# seconds, 910 with ten.
# Polars reads this variable once, when first imported, and appends it to its own settings.
ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"
ALLOCATOR_SETTINGS = "dirty_decay_ms:5000,muzzy_decay_ms:5000"


def tune_allocator() -> None:
    """Set Polars' allocator to keep freed pages for five seconds, unless the user has set it (before Polars loads)."""
    os.environ.setdefault(ALLOCATOR_VARIABLE, ALLOCATOR_SETTINGS)
