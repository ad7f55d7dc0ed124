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


ALLOCATOR = """
import os, resource, time
import letters
import polars as pl

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

table = pl.zeros(25_000_000, pl.Int64, eager=True) + 1  # 200 MB, then freed
del table
time.sleep(1.5)  # longer than Polars' own 0.5 s decay
pl.Series([1]) * 2  # an allocation, on which jemalloc gives back what has decayed
before = faults()
table = pl.zeros(25_000_000, pl.Int64, eager=True) + 1
print(faults() - before, os.environ["_RJEM_MALLOC_CONF"])
"""


def _allocator_run(env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-c", ALLOCATOR], capture_output=True, text=True, timeout=300,
                          env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    faults, settings = done.stdout.split()
    return int(faults), settings


def test_freed_table_memory_is_reused_not_faulted_in_again() -> None:
    """A table built a second after another was freed reuses its pages (the records merge, bucket after bucket);
    with Polars' own settings, which a user may still choose, the pages go back and are faulted in again."""
    import os

    base = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    ours, settings = _allocator_run(base)
    theirs, kept = _allocator_run({**base, "_RJEM_MALLOC_CONF": "dirty_decay_ms:500"})
    assert settings.endswith(",dirty_decay_ms:5000,muzzy_decay_ms:5000")
    assert kept.endswith(",dirty_decay_ms:500")  # the user's own setting wins
    # 400 MB allocated again: 98,000 pages faulted in with Polars' settings, half of that with ours.
    assert ours < 0.75 * theirs, (ours, theirs)
