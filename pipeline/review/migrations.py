"""The review database's schema, as numbered migrations applied in order.

Each migration runs in its own transaction together with the row that records it in
`schema_migrations`, so a database is always at a whole version: a crash mid-migration rolls the
migration back and the next open applies it again. Never edit a released migration; append a new
one (docs/review.md, "Schema and migrations").
"""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from typing import Callable

from ..errors import UserError

Step = str | Callable[[sqlite3.Connection], None]

_INITIAL = [
    """CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        source_file TEXT,
        n_turns INTEGER NOT NULL,
        n_moments INTEGER NOT NULL,
        max_significance INTEGER NOT NULL DEFAULT 0,
        document TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        imported_from TEXT,
        imported_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    # Model moments (origin 'model', moment_key = the document's moment id) and moments a reviewer
    # added (origin 'reviewer', moment_key 'r1', 'r2', ...). `active` = 0 marks a model moment that a
    # re-imported document no longer contains; it is kept because reviewers' decisions point to it.
    """CREATE TABLE moments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE RESTRICT,
        moment_key TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('model', 'reviewer')),
        family TEXT NOT NULL,
        subtypes TEXT NOT NULL DEFAULT '[]',
        start_turn INTEGER NOT NULL,
        end_turn INTEGER NOT NULL,
        peak_turn INTEGER,
        peak_score REAL,
        significance INTEGER,
        evidence_turns TEXT NOT NULL DEFAULT '[]',
        resolution TEXT,
        created_by TEXT,
        created_at TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        UNIQUE (session_id, moment_key),
        CHECK (start_turn <= end_turn))""",
    # One current decision per (moment, reviewer); its fields hold that reviewer's effective
    # label and span. Every change is also written to `audit`.
    """CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        moment_id INTEGER NOT NULL REFERENCES moments(id) ON DELETE RESTRICT,
        reviewer TEXT NOT NULL,
        verdict TEXT CHECK (verdict IN ('confirmed', 'rejected', 'relabelled')),
        family TEXT,
        subtype TEXT,
        start_turn INTEGER,
        end_turn INTEGER,
        comment TEXT,
        last_action TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (moment_id, reviewer))""",
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        table_name TEXT NOT NULL,
        row_id INTEGER,
        field TEXT,
        old_value TEXT,
        new_value TEXT)""",
    "CREATE INDEX moments_by_session ON moments(session_id)",
    "CREATE INDEX decisions_by_reviewer ON decisions(reviewer)",
]


def _backfill_reviewers(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT OR IGNORE INTO reviewers(name, first_seen) "
                 "SELECT reviewer, MIN(created_at) FROM decisions GROUP BY reviewer")
    conn.execute("INSERT OR IGNORE INTO reviewers(name, first_seen) "
                 "SELECT created_by, MIN(created_at) FROM moments WHERE created_by IS NOT NULL GROUP BY created_by")


# Version 2: the reviewers the app has seen (for the reviewer switcher), filled from existing decisions.
_REVIEWERS = [
    "CREATE TABLE reviewers (name TEXT PRIMARY KEY, first_seen TEXT NOT NULL)",
    _backfill_reviewers,
    "CREATE INDEX audit_by_row ON audit(table_name, row_id)",
]

MIGRATIONS: list[tuple[int, str, list[Step]]] = [
    (1, "sessions, moments, decisions, audit", _INITIAL),
    (2, "reviewers table (back-filled) and audit index", _REVIEWERS),
]
LATEST = MIGRATIONS[-1][0]


def current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, upto: int | None = None, where: str = "database") -> list[int]:
    """Apply the pending migrations (up to `upto`) in order, each in one transaction; return their numbers.

    `conn` must be in autocommit mode (isolation_level=None): the transactions are explicit."""
    version = current_version(conn)
    if version > LATEST:
        raise UserError(f"{where}: schema version {version} is newer than this toolkit knows ({LATEST}); "
                        "upgrade rupture-markers to open it")
    applied = []
    for number, name, steps in MIGRATIONS:
        if number <= version or (upto is not None and number > upto):
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if current_version(conn) >= number:  # another process applied it since we looked
                conn.execute("ROLLBACK")
                continue
            for step in steps:
                step(conn) if callable(step) else conn.execute(step)
            conn.execute("INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
                         (number, name, datetime.now(timezone.utc).isoformat(timespec="milliseconds")))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(number)
    return applied
