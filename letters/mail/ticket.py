"""A finished run's manifest.csv and job ticket (job.json), written from the ledger."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from letters.campaign import load_campaign
from letters.envelope import envelope_of, write_envelopes
from letters.ledger import Ledger, RunInfo
from letters.mail.plan import brands_of
from letters.press.finish import conformance
from letters.press.marks import describe as describe_marks
from letters.usage import Clock
from letters.write import MANIFEST_COLUMNS, write_json, write_manifest


def finish(ledger: Ledger, run: RunInfo, folder: Path, worker_rss_mb: int = 0,
           parts: dict[str, float] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
    """Write manifest.csv and job.json from the ledger (its finished batches), then mark the run finished.

    ``extra`` adds keys to the job ticket (``cancelled``, for a run ``letters cancel`` ended)."""
    clock = Clock()
    timings: dict[str, float] = run.settings.get("timings", {})  # type: ignore[assignment]
    pieces = ledger.pieces(run.run_id)
    batches = ledger.batch_files(run.run_id)
    rows = [
        {"piece_id": p["piece_id"], "vin": p["vin"], "batch": p["batch"], "file": f"batch-{p['batch']:04d}.pdf",
         "first_page": p["first_page"], "last_page": p["last_page"], "pages": p["pages"], "sheets": p["sheets"],
         "language": p["language"], "zip": p["zip"], "phase": p["phase"], "stage": p["stage"],
         "imb_tracking": p["imb_tracking"], "imb_routing": p["imb_routing"], "imb": p["imb"]}
        for p in pieces
    ]  # fmt: skip
    proof, draft = bool(run.settings.get("proof", False)), bool(run.settings.get("draft", False))
    envelopes = write_envelopes(run.campaign, run.revision, folder, {p["language"] for p in pieces}, proof, draft)
    campaign = load_campaign(run.campaign, revision=run.revision).campaign
    brands = brands_of(campaign, [(p["vin"], p["fields"]) for p in pieces])
    for row, brand in zip(rows, brands, strict=True):
        row["envelope"] = envelope_of(str(row["language"]), envelopes)
        row["brand"] = brand
    write_manifest(folder / "manifest.csv", rows)
    per_batch = Counter(p["batch"] for p in pieces)
    clock.lap("finish")
    job = {
        "campaign": run.campaign,
        "code": campaign.code_for(run.stage),
        "nhtsa_number": campaign.nhtsa_for(run.phase),
        "phase": run.phase,
        "stage": run.stage,
        "revision": run.revision,
        "as_of": run.as_of,
        "run_id": run.run_id,
        "kind": run.kind,
        "reason": run.reason,
        "records_read": run.summary["records_read"],
        "outcomes": run.summary["outcomes"],
        "letters": len(pieces),
        "pages": sum(int(b["pages"]) for b in batches),
        "sheets": sum(int(p["sheets"]) for p in pieces),
        **{"proof": proof, "draft": draft, "conformance": conformance()},
        "duplex": run.settings.get("duplex", True),
        "renderer": run.settings.get("renderer", "full"),
        "variants": int(run.settings.get("variants", 0)),  # type: ignore[call-overload]
        "fallbacks": _fallbacks(batches),
        "languages": dict(Counter(p["language"] for p in pieces)),
        "files": [
            {"name": b["file"], "sha256": b["sha256"], "letters": per_batch[b["batch"]], "pages": b["pages"]}
            for b in batches
        ],
        "manifest_columns": MANIFEST_COLUMNS,
        "envelopes": envelopes,
        "marks": describe_marks(
            pieces[0]["piece_id"] if pieces else f"{run.campaign}-{run.phase}-0001-000001",
            int(pieces[0]["batch"]) if pieces else 1,
        ),
        "imb": _imb_settings(run),
        "warnings": list(run.settings.get("warnings", [])),  # type: ignore[call-overload]
        "worker_peak_rss_mb": worker_rss_mb,
        # CPU seconds per stage over the processes that ran it, wall seconds as NAME_wall_s (README: Benchmarks).
        "timings": {f"{k}_s": round(v, 3) for k, v in {**timings, **(parts or {}), **clock.laps}.items()},
    }
    job.update(extra or {})
    write_json(folder / "job.json", job)
    ledger.finish_run(run.run_id)
    return job


def _imb_settings(run: RunInfo) -> dict[str, Any]:
    settings = load_campaign(run.campaign, revision=run.revision).campaign.mailing
    return settings.model_dump() if settings else {}


def _fallbacks(batches: Sequence[Any]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for b in batches:
        total.update(json.loads(b["fallbacks"] or "{}"))
    return dict(sorted(total.items()))
