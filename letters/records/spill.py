"""Checked records kept on disk between reading and merging, split by VIN into buckets.

Every merge rule is about the rows of one VIN (repeated vehicles, a VIN's owners, whether
a vehicle has an owner and an owner a vehicle), so the merge can take the records a
bucket of VINs at a time: each valid row goes, as it is judged, to the bucket its VIN
hashes to, and each bucket is merged on its own. Memory then holds one chunk being judged,
or one bucket being merged, whatever the size of the list.

A small list (both files under ``BUCKET_BYTES`` together) is one bucket, kept in memory as
it always was; a larger one has a bucket per ``BUCKET_BYTES`` of CSV, written as Arrow IPC
streams to a temporary folder (under ``TMPDIR``) that lives as long as its ``Reconciliation``.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letters.errors import OutputError

if TYPE_CHECKING:
    import polars as pl

BUCKET_BYTES = 64 << 20
"""CSV bytes (both files together) per bucket: the size of the largest table the merge holds."""


def bucket_count(*paths: Path) -> int:
    """Buckets for these input files: one per ``BUCKET_BYTES`` of them (at least one)."""
    size = 0
    for path in paths:
        with contextlib.suppress(OSError):  # reading the file says what is wrong with it
            size += path.stat().st_size
    return max(1, -(-size // BUCKET_BYTES))


class Buckets:
    """The valid rows of each kind ("vehicle", "owner"), by bucket of VINs, in file order within a bucket."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.folder: tempfile.TemporaryDirectory[str] | None = None
        self.frames: dict[str, list[pl.DataFrame]] = {}
        self.writers: dict[tuple[str, int], Any] = {}
        if count > 1:
            with _writing(Path(tempfile.gettempdir())):
                self.folder = tempfile.TemporaryDirectory(prefix="letters-records-")

    @property
    def path(self) -> Path:
        """The temporary folder (a store of several buckets only)."""
        assert self.folder is not None
        return Path(self.folder.name)

    def add(self, kind: str, frame: pl.DataFrame) -> None:
        """Keep ``frame``'s rows (a ``vin`` column among them), each in its VIN's bucket."""
        if self.folder is None:
            self.frames.setdefault(kind, []).append(frame)
            return
        import polars as pl

        keyed = frame.with_columns((pl.col("vin").hash() % self.count).alias("_bucket"))
        with _writing(self.path):
            self._write(kind, keyed)

    def _write(self, kind: str, keyed: pl.DataFrame) -> None:
        import polars as pl
        import pyarrow as pa

        for (bucket,), part in keyed.partition_by("_bucket", as_dict=True, maintain_order=True,
                                                  include_key=False).items():  # fmt: skip
            table = part.to_arrow(compat_level=pl.CompatLevel.oldest())
            writer = self.writers.get((kind, int(bucket)))
            if writer is None:
                path = self.path / f"{kind}-{bucket}.arrows"
                writer = self.writers[(kind, int(bucket))] = pa.ipc.new_stream(path, table.schema)
            writer.write_table(table)

    def clear(self, kind: str) -> None:
        """Forget the rows of ``kind`` (its file is being read again from the start)."""
        self.frames.pop(kind, None)
        for key in [k for k in self.writers if k[0] == kind]:
            self.writers.pop(key).close()
            (self.path / f"{kind}-{key[1]}.arrows").unlink()

    def take(self, kind: str, bucket: int) -> list[pl.DataFrame]:
        """The rows of ``kind`` in ``bucket``, as tables in file order; off the disk (and deleted) once taken."""
        if self.folder is None:
            return self.frames.pop(kind, [])
        import polars as pl
        import pyarrow as pa

        writer = self.writers.pop((kind, bucket), None)
        if writer is None:
            return []
        with _writing(self.path):
            writer.close()
        path = self.path / f"{kind}-{bucket}.arrows"
        with _writing(path, "read"), pa.OSFile(str(path)) as source, pa.ipc.open_stream(source) as reader:
            frame = pl.from_arrow(reader.read_all())
        path.unlink()
        assert isinstance(frame, pl.DataFrame)
        return [frame]

    def keep_letters(self, bucket: int, letters: pl.DataFrame) -> Path:
        """Write one bucket's letters to a file of their own (Arrow IPC), and return its path."""
        import polars as pl
        import pyarrow as pa

        path = self.path / f"letters-{bucket}.arrow"
        table = letters.to_arrow(compat_level=pl.CompatLevel.oldest())
        with _writing(path), pa.ipc.new_file(path, table.schema) as writer:
            writer.write_table(table)
        del table
        # The bucket's tables are freed: give Arrow's pool back to the system, which it would otherwise
        # keep, and the next bucket find in use.
        pa.default_memory_pool().release_unused()
        return path

    def close(self) -> None:
        """Close every file still open (the folder goes with the ``Reconciliation`` that keeps it)."""
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()


@contextlib.contextmanager
def _writing(path: Path, doing: str = "write") -> Iterator[None]:
    """An ``OSError`` (a full disk, say) as an ``OutputError`` naming the working folder and what to do."""
    try:
        yield
    except OSError as exc:
        error = OutputError.from_os(path, exc, doing)
        raise OutputError(
            f"{error}; the records of a large list are kept in a temporary folder while "
            "they are merged: set TMPDIR to a folder with room for about 1.5 times the CSV files"
        ) from None
