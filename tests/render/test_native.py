"""Native libraries used from several threads of one process: serialised, so the process lives.

Each check runs in a child process: without the locks it dies of SIGSEGV, which must fail
this test rather than end the whole test session (as it once ended CI, inside WeasyPrint,
some time after the review app's two job threads had rasterised pages at once).
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

with ThreadPoolExecutor(4) as pool:
    same = list(pool.map(fingerprints, range(40))) + list(pool.map(png, range(40)))
print(sum(same), len(same))
"""


def test_threads_rasterise_one_at_a_time(notice_pdf: Path, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", THREADS, str(notice_pdf), str(tmp_path)],
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["80", "80"]
