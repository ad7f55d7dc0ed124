"""What a mailing is asked to do, and what it reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from letters.errors import LettersError
from letters.ledger import RunInfo

Progress = Callable[[int, int], None]
"""Called with (letters done, letters in the run) as batches finish."""


class Interrupted(LettersError):
    """The user stopped the run; what finished is recorded and the rest resumes next time."""

    exit_code = 130


@dataclass(frozen=True)
class MailOptions:
    """How to run a mailing."""

    phases: tuple[int, ...]
    """Phases to mail."""
    vehicles: Path | None = None
    """Vehicle records (default: the bundled list)."""
    owners: Path | None = None
    """Owner records (default: the bundled list)."""
    as_of: date | None = None
    """Mailing date: phases available on it are mailed, and letters carry it (default: today)."""
    batch_size: int = 1000
    """Letters per batch file."""
    workers: int | None = None
    """Processes rendering batches (default: CPU count)."""
    ledger: Path | None = None
    """Ledger database (default: output/ledger.sqlite)."""
    out_dir: Path | None = None
    """Output folder (default: output/)."""
    duplex: bool = True
    """Pad letters to an even page count."""
    renderer: str = "fast"
    """Letter renderer: "fast" (stamped fields, verified) or "full" (WeasyPrint per letter)."""
    pr_language: str = "bilingual"
    """Language of Puerto Rico letters without an explicit language: bilingual, es or en."""
    stage: str | None = None
    """Owner-letter stage to mail (default: the stage each phase is in on the mailing date)."""
    completed: Path | None = None
    """Dealers' completed repairs (CSV: VIN, repair date): repaired VINs are not mailed."""
    proof: bool = False
    """A proof run: envelopes and letters stamped PROOF, and allowed while the kind's label logos are
    placeholders (a real mailing is then refused)."""
    draft: bool = False
    """A draft run: a revision not approved as it is now may be mailed, every page stamped DRAFT (refused
    otherwise: ``letters.review.status``)."""
    backdate: bool = False
    """Allow an ``as_of`` before the campaign's latest mailing in the ledger (refused otherwise)."""
    resume_renderer: str | None = None
    """Renderer for the runs an earlier call left unfinished (``--renderer`` given explicitly): a run that
    failed with one renderer may be finished with the other. None: each run's own."""


@dataclass
class RunResult:
    """One finished run: what it wrote and where."""

    run: RunInfo
    """The run."""
    folder: Path
    """Its output folder."""
    job: dict[str, Any]
    """The job ticket written to job.json."""
    resumed: bool = False
    """True when this call finished a run an earlier call started."""


@dataclass
class MailReport:
    """What ``letters mail`` did."""

    runs: list[RunResult] = field(default_factory=list)
    """Runs finished by this call."""
    notes: list[str] = field(default_factory=list)
    """Phases with nothing new to mail, and other news for the user."""
    as_of: str = ""
    """The mailing date phases were judged as of, ISO (``--as-of``, else today)."""

    def warn(self, lines: Iterable[str]) -> None:
        """Add ``warning:`` lines to the notes, each once (two runs of one call share their campaign's)."""
        for line in lines:
            if line not in self.notes:
                self.notes.append(line)

    def as_json(self) -> dict[str, Any]:
        return {
            "runs": [{**r.job, "folder": str(r.folder), "resumed": r.resumed} for r in self.runs],
            "notes": self.notes,
            "as_of": self.as_of,
        }
