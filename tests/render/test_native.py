"""Native libraries used from several threads of one process: serialised, so the process lives.

Each check runs in a child process: without the PDFium lock it dies of SIGSEGV, which must fail
this test rather than end the whole test session (as it once ended CI, inside WeasyPrint,
some time after the review app's two job threads had rasterised pages at once). Forms laid
out and written on four threads at once must come out byte for byte as one thread writes them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

THREADS = """
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from letters.render.fast import page_fingerprints
from letters.review.web.jobs import png_job

pdf = Path(sys.argv[1])
data = pdf.read_bytes()
out = Path(sys.argv[2])
serial = page_fingerprints(data, [0, 1, 2])

def fingerprints(i):
    return page_fingerprints(data, [i % 3])[0] == serial[i % 3]

def png(i):
    png_job(pdf, 1 + i % 3, 96, out / f"{i}.png")
    return (out / f"{i}.png").read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"

from letters.campaign import load_campaign
from letters.documents import RenderOptions
from letters.notice import render_one

loaded = load_campaign("23LJ01")
render_one(loaded, "disclosure-form", out / "serial.pdf", RenderOptions())
serial_form = (out / "serial.pdf").read_bytes()

def form(i):
    render_one(loaded, "disclosure-form", out / f"form-{i}.pdf", RenderOptions())
    return (out / f"form-{i}.pdf").read_bytes() == serial_form

with ThreadPoolExecutor(4) as pool:
    same = list(pool.map(fingerprints, range(40))) + list(pool.map(png, range(40))) + list(pool.map(form, range(8)))
print(sum(same), len(same))
"""


def test_threads_rasterise_and_lay_out_one_at_a_time(notice_pdf: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", THREADS, str(notice_pdf), str(tmp_path)],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["88", "88"]  # every page read, every PNG and form written as one thread writes it


LOOKUP = """
import subprocess
runs = []
real_init = subprocess.Popen.__init__

def counted(self, args, *rest, **kw):
    runs.append(str(args if isinstance(args, str) else args[0]).rsplit("/", 1)[-1])
    real_init(self, args, *rest, **kw)

subprocess.Popen.__init__ = counted
import ctypes.util
real = ctypes.util.find_library
import letters
from weasyprint.text.ffi import fontconfig, harfbuzz, pango, pangoft2

print(runs, ctypes.util.find_library is real, all(lib is not None for lib in (fontconfig, harfbuzz, pango, pangoft2)))
"""


def test_weasyprint_libraries_found_from_one_ldconfig_listing() -> None:
    """Loading WeasyPrint runs ``ldconfig -p`` once, not ldconfig, gcc and ld for every name a library may have
    on some platform (52 programs, ~0.25 s of a process's start), and leaves ``find_library`` as it was."""
    done = subprocess.run([sys.executable, "-c", LOOKUP], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["['ldconfig']", "True", "True"]
