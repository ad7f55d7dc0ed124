"""The ledger's tables, the columns added since the first ledgers, and its time stamps."""

from __future__ import annotations

from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id     TEXT PRIMARY KEY,
    campaign   TEXT NOT NULL,
    phase      INTEGER NOT NULL,
    revision   TEXT NOT NULL,
    as_of      TEXT NOT NULL,
    kind       TEXT NOT NULL,          -- 'mail' or 'remail'
    stage      TEXT NOT NULL DEFAULT 'remedy',  -- owner-letter stage mailed
    reason     TEXT NOT NULL DEFAULT '',
    folder     TEXT NOT NULL,
    settings   TEXT NOT NULL,          -- JSON: letter date, duplex, renderer, batch size
    summary    TEXT NOT NULL,          -- JSON: the reconciliation the run was planned from
    started    TEXT NOT NULL,
    finished   TEXT,
    error      TEXT NOT NULL DEFAULT '',  -- the last error that stopped the run
    cancelled  TEXT,                   -- when 'letters cancel' ended it
    cancel_reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS batches (
    campaign   TEXT NOT NULL,
    phase      INTEGER NOT NULL,
    batch      INTEGER NOT NULL,
    run_id     TEXT NOT NULL REFERENCES runs(run_id),
    file       TEXT NOT NULL,
    status     TEXT NOT NULL,          -- 'planned', 'done', or 'void' (its run cancelled before it was written)
    sha256     TEXT,
    pages      INTEGER,
    fallbacks  TEXT NOT NULL DEFAULT '{}',  -- JSON: letters the fast renderer handed over, by reason
    finished   TEXT,
    PRIMARY KEY (campaign, phase, batch)
);
CREATE TABLE IF NOT EXISTS pieces (
    piece_id   TEXT PRIMARY KEY,
    vin        TEXT NOT NULL,
    campaign   TEXT NOT NULL,
    phase      INTEGER NOT NULL,
    revision   TEXT NOT NULL,
    run_id     TEXT NOT NULL REFERENCES runs(run_id),
    stage      TEXT NOT NULL DEFAULT 'remedy',  -- owner-letter stage: one piece per (campaign, stage, VIN)
    batch      INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    language   TEXT NOT NULL,
    zip        TEXT NOT NULL,
    address    TEXT NOT NULL,          -- envelope lines, newline-separated, as printed
    fields     TEXT NOT NULL DEFAULT '{}',  -- JSON: other per-owner fields printed (model, model year)
    remail     TEXT NOT NULL DEFAULT '',  -- reason, for remailed pieces
    first_page INTEGER,
    last_page  INTEGER,
    pages      INTEGER,
    sheets     INTEGER,
    sha256     TEXT,
    created    TEXT NOT NULL,
    void       TEXT NOT NULL DEFAULT ''   -- why it was voided (its run cancelled unrendered); never printed
);
CREATE INDEX IF NOT EXISTS pieces_vin ON pieces (campaign, vin);
CREATE INDEX IF NOT EXISTS pieces_batch ON pieces (campaign, phase, batch);
"""

# Columns added after the first ledgers were written. A ledger that lacks one gets it with
# its default, so its pieces keep their meaning: they were the campaign's single stage,
# "remedy", and printed no fields beyond address, VIN and piece ID.
MIGRATIONS = (
    ("runs", "stage", "TEXT NOT NULL DEFAULT 'remedy'"),
    ("pieces", "stage", "TEXT NOT NULL DEFAULT 'remedy'"),
    ("pieces", "fields", "TEXT NOT NULL DEFAULT '{}'"),
    ("pieces", "imb_tracking", "TEXT NOT NULL DEFAULT ''"),
    ("pieces", "imb_routing", "TEXT NOT NULL DEFAULT ''"),
    ("pieces", "imb", "TEXT NOT NULL DEFAULT ''"),
    ("runs", "error", "TEXT NOT NULL DEFAULT ''"),
    ("runs", "cancelled", "TEXT"),
    ("runs", "cancel_reason", "TEXT NOT NULL DEFAULT ''"),
    ("pieces", "void", "TEXT NOT NULL DEFAULT ''"),
)
SERIALS = """
CREATE TABLE IF NOT EXISTS imb_serials (
    mailer_id  TEXT PRIMARY KEY,
    next       INTEGER NOT NULL           -- next serial number to hand out (before wrapping)
);
"""
# Made after the migrations (they index columns added later), so an older ledger gets them on opening.
# Each fits a query that would otherwise read its whole table (tests/ledger/test_queries.py runs
# EXPLAIN QUERY PLAN on every statement a mailing runs): a run's pieces and batches by run and
# batch, a campaign's runs, and the serials a Mailer ID used in the last 45 days (covering: the
# count reads the index alone).
INDEXES = """
CREATE INDEX IF NOT EXISTS pieces_stage ON pieces (campaign, stage, vin);
CREATE INDEX IF NOT EXISTS pieces_run ON pieces (run_id, batch, seq);
CREATE INDEX IF NOT EXISTS pieces_serials ON pieces (created, imb_tracking);
CREATE INDEX IF NOT EXISTS batches_run ON batches (run_id, batch);
CREATE INDEX IF NOT EXISTS runs_campaign ON runs (campaign, finished, started);
"""
STREETS = """
CREATE TABLE IF NOT EXISTS streets (
    street     TEXT NOT NULL,             -- delivery line as the owner file gave it
    unit       TEXT NOT NULL,             -- secondary unit as given
    rules      TEXT NOT NULL,             -- standardiser and version that produced the result
    line       TEXT NOT NULL,             -- Pub 28 delivery line
    second     TEXT NOT NULL,             -- Pub 28 secondary unit
    PRIMARY KEY (street, unit, rules)
) WITHOUT ROWID;
"""


def now() -> str:
    """UTC time stamp for ledger rows."""
    return datetime.now(UTC).isoformat(timespec="seconds")
