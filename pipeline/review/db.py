"""The review database: sessions, model moments, reviewers' decisions and an audit trail, in SQLite.

One file (WAL mode, foreign keys on, synchronous=FULL). Every write is one transaction that
also writes its audit rows, so a killed process loses nothing it had committed and never leaves
half a decision. Each reviewer has at most one current decision per moment; later actions update
it, and `audit` keeps every previous value. The connection is shared between threads behind a lock
(the web app serves requests from a thread pool).
"""
from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError, UserError
from ..taxonomy import Taxonomy, load_taxonomy
from . import importing, migrations
from .spans import reviewer_moment_fields

ACTIONS = ("confirm", "reject", "relabel", "comment", "adjust_span")
VERDICT_OF = {"confirm": "confirmed", "reject": "rejected", "relabel": "relabelled"}
POSITIVE = ("confirmed", "relabelled")
DECISION_FIELDS = ("verdict", "family", "subtype", "start_turn", "end_turn", "comment")
MAX_REVIEWER = 64
MAX_COMMENT = 5000


class NotFound(UserError):
    """A session or moment id the database does not have."""


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def clean_reviewer(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text or len(text) > MAX_REVIEWER or not text.isprintable():
        raise UserError(f"reviewer name must be 1-{MAX_REVIEWER} printable characters, got {name!r}")
    return text


def _text(v: Any) -> str | None:
    return None if v is None else str(v)


class ReviewDB:
    """Open (or create and migrate) the review database at `path`."""

    def __init__(self, path: str | Path, taxonomy: Taxonomy | None = None):
        self.path = Path(path)
        if self.path.is_dir():
            raise UserError(f"{self.path}: is a folder; give the database file (e.g. {self.path / 'reviews.sqlite'})")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.taxonomy = taxonomy or load_taxonomy()
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=15)
            self._conn.row_factory = sqlite3.Row
            mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA busy_timeout=15000")
            if str(mode).lower() != "wal":
                raise UserError(f"{self.path}: could not switch the database to WAL mode (got {mode!r})")
            migrations.migrate(self._conn, where=str(self.path))
        except sqlite3.DatabaseError as err:
            raise UserError(f"{self.path}: not a usable review database ({err})") from None

    # -- plumbing -------------------------------------------------------------------------------
    def __enter__(self) -> "ReviewDB":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @property
    def schema_version(self) -> int:
        with self._lock:
            return migrations.current_version(self._conn)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def _audit(self, conn: sqlite3.Connection, now: str, who: str, action: str, table: str, row_id: int | None,
               field: str | None, old: Any, new: Any) -> None:
        conn.execute("INSERT INTO audit(at, who, action, table_name, row_id, field, old_value, new_value) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (now, who, action, table, row_id, field, _text(old), _text(new)))

    # -- import ---------------------------------------------------------------------------------
    def import_annotations(self, folder: str | Path) -> dict[str, Any]:
        """Upsert every annotation document (*.json) in `folder`; one transaction per document.

        Returns counts; `failed` lists one message per bad file (the others are still imported)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(folder, "not a folder of annotation documents (run rupture annotate first)")
        counts: dict[str, Any] = {"sessions_added": 0, "sessions_updated": 0, "sessions_unchanged": 0,
                                  "moments": 0, "moments_added": 0, "moments_updated": 0, "moments_retired": 0,
                                  "files": 0, "skipped": 0, "failed": []}
        seen: dict[str, Path] = {}
        stored = {r["sha256"]: r["id"] for r in self._rows("SELECT id, sha256 FROM sessions")}
        for path in sorted(folder.glob("*.json")):
            try:
                raw, sha = importing.read_bytes(path)
                if sha in stored and stored[sha] not in seen:  # byte-identical to what is stored: skip parsing
                    seen[stored[sha]] = path
                    counts["files"] += 1
                    counts["sessions_unchanged"] += 1
                    counts["moments"] += self._rows("SELECT n_moments FROM sessions WHERE id = ?", (stored[sha],))[0][0]
                    continue
                doc = importing.read_document(path, raw)
                if doc is None:
                    counts["skipped"] += 1
                    continue
                sid = doc["session"]["id"]
                if sid in seen:
                    raise InputError(path, f"session id {sid!r} is also the id in {seen[sid].name}; not imported")
                seen[sid] = path
                now = utc_now()
                with self._tx() as conn:
                    res = importing.upsert_document(
                        conn, doc, sha, str(path.resolve()), now,
                        lambda *a: self._audit(conn, now, "import", *a))
            except UserError as err:
                counts["failed"].append(str(err))
                continue
            counts["files"] += 1
            counts[f"sessions_{res['session']}"] += 1
            for k in ("moments", "moments_added", "moments_updated", "moments_retired"):
                counts[k] += res[k]
        return counts

    # -- reading --------------------------------------------------------------------------------
    def sessions(self, reviewer: str | None = None) -> list[dict[str, Any]]:
        """One row per session with counts; `reviewed` counts moments with a verdict by `reviewer` (or anyone)."""
        who = "AND d.reviewer = ?" if reviewer else ""
        rows = self._rows(
            "SELECT s.id, s.source_file, s.n_turns, s.n_moments, s.max_significance, s.sha256, s.imported_at, "
            "s.updated_at, "
            "(SELECT COUNT(*) FROM moments m WHERE m.session_id = s.id AND m.origin = 'reviewer') AS n_added, "
            "(SELECT COUNT(DISTINCT m.id) FROM moments m JOIN decisions d ON d.moment_id = m.id "
            f" WHERE m.session_id = s.id AND d.verdict IS NOT NULL {who}) AS reviewed "
            "FROM sessions s ORDER BY s.id", (reviewer,) if reviewer else ())
        return [dict(r) for r in rows]

    def session(self, session_id: str) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if not rows:
            raise NotFound(f"no session {session_id!r} in {self.path}")
        out = dict(rows[0])
        out["document"] = json.loads(out["document"])
        return out

    def _moment_dicts(self, where: str, args: tuple) -> list[dict[str, Any]]:
        rows = self._rows(f"SELECT * FROM moments WHERE {where} ORDER BY start_turn, family, id", args)
        ids = [r["id"] for r in rows]
        decisions: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        if ids:
            for d in self._rows(f"SELECT * FROM decisions WHERE moment_id IN ({', '.join('?' * len(ids))}) "
                                "ORDER BY reviewer", tuple(ids)):
                decisions[d["moment_id"]].append(dict(d))
        out = []
        for r in rows:
            m = dict(r)
            for k in ("subtypes", "evidence_turns", "resolution"):
                m[k] = json.loads(m[k]) if m[k] is not None else None
            m["subtype"] = m["subtypes"][0] if m["subtypes"] else None
            m["active"] = bool(m["active"])
            m["decisions"] = decisions[r["id"]]
            out.append(m)
        return out

    def moments(self, session_id: str) -> list[dict[str, Any]]:
        """The session's model moments and reviewer-added ones, each with every reviewer's decision."""
        self.session(session_id)  # NotFound for an unknown id
        return self._moment_dicts("session_id = ?", (session_id,))

    def moment(self, moment_id: int) -> dict[str, Any]:
        found = self._moment_dicts("id = ?", (int(moment_id),))
        if not found:
            raise NotFound(f"no moment {moment_id!r} in {self.path}")
        return found[0]

    def reviewers(self) -> list[str]:
        return [r["name"] for r in self._rows("SELECT name FROM reviewers ORDER BY name")]

    # -- writing --------------------------------------------------------------------------------
    def _check_label(self, family: str | None, subtype: str | None) -> None:
        if family not in self.taxonomy.families:
            raise UserError(f"family must be one of {', '.join(self.taxonomy.families)}, got {family!r}")
        if subtype is not None and self.taxonomy.subtype_family.get(subtype) != family:
            codes = [c for c in self.taxonomy.subtypes if self.taxonomy.subtype_family[c] == family]
            raise UserError(f"subtype {subtype!r} is not a {family} code ({', '.join(codes)})")

    def _check_span(self, conn: sqlite3.Connection, session_id: str, start: Any, end: Any) -> tuple[int, int]:
        try:
            start, end = int(start), int(end)
        except (TypeError, ValueError):
            raise UserError(f"span turns must be whole numbers, got {start!r}-{end!r}") from None
        n = conn.execute("SELECT n_turns FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
        if not 0 <= start <= end < n:
            raise UserError(f"span {start}-{end} is not within the session's turns 0-{n - 1} (start <= end)")
        return start, end

    def record_decision(self, moment_id: int, reviewer: str, action: str, *, family: str | None = None,
                        subtype: str | None = None, start_turn: int | None = None, end_turn: int | None = None,
                        comment: str | None = None) -> int:
        """Apply one reviewer action to a moment; returns the (moment, reviewer) decision's id.

        confirm/reject/relabel set the verdict; adjust_span and comment leave it as it was. Any
        label, span or comment given with an action is applied too. The first decision starts from
        the model's label and span, so the row always holds that reviewer's effective moment."""
        reviewer = clean_reviewer(reviewer)
        if action not in ACTIONS:
            raise UserError(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        if action == "relabel" and (family is None or subtype is None):
            raise UserError("relabel needs a family and a subtype")
        if action == "adjust_span" and (start_turn is None or end_turn is None):
            raise UserError("adjust_span needs start_turn and end_turn")
        if action == "comment" and comment is None:
            raise UserError("comment needs the comment text")
        if comment is not None and len(comment) > MAX_COMMENT:
            raise UserError(f"comment is longer than {MAX_COMMENT} characters")
        now = utc_now()
        with self._tx() as conn:
            m = conn.execute("SELECT * FROM moments WHERE id = ?", (int(moment_id),)).fetchone()
            if m is None:
                raise NotFound(f"no moment {moment_id!r} in {self.path}")
            cur = conn.execute("SELECT * FROM decisions WHERE moment_id = ? AND reviewer = ?",
                               (m["id"], reviewer)).fetchone()
            subtypes = json.loads(m["subtypes"])
            old = dict(cur) if cur else {"verdict": None, "family": m["family"],
                                         "subtype": subtypes[0] if subtypes else None,
                                         "start_turn": m["start_turn"], "end_turn": m["end_turn"], "comment": None}
            new = {k: old[k] for k in DECISION_FIELDS}
            if family is not None or subtype is not None:
                fam = family if family is not None else old["family"]
                self._check_label(fam, subtype)
                new["family"], new["subtype"] = fam, subtype
            if start_turn is not None or end_turn is not None:
                new["start_turn"], new["end_turn"] = self._check_span(
                    conn, m["session_id"], old["start_turn"] if start_turn is None else start_turn,
                    old["end_turn"] if end_turn is None else end_turn)
            if comment is not None:
                new["comment"] = comment.strip() or None
            if action in VERDICT_OF:
                new["verdict"] = VERDICT_OF[action]
            if cur is None:
                did = conn.execute(
                    "INSERT INTO decisions(moment_id, reviewer, verdict, family, subtype, start_turn, end_turn, comment, "
                    "last_action, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (m["id"], reviewer, *(new[k] for k in DECISION_FIELDS), action, now, now)).lastrowid
                changed = {k: v for k, v in new.items() if v is not None}
                conn.execute("INSERT OR IGNORE INTO reviewers(name, first_seen) VALUES (?, ?)", (reviewer, now))
                old = {k: None for k in DECISION_FIELDS}
            else:
                did = cur["id"]
                changed = {k: v for k, v in new.items() if v != old[k]}
                conn.execute(f"UPDATE decisions SET {''.join(f'{k} = ?, ' for k in changed)}last_action = ?, "
                             "updated_at = ? WHERE id = ?", (*changed.values(), action, now, did))
            for k, v in changed.items():
                self._audit(conn, now, reviewer, action, "decisions", did, k, old[k], v)
            if not changed:  # e.g. confirming twice: nothing changed, but the action is still on record
                self._audit(conn, now, reviewer, action, "decisions", did, None, None, None)
        return did

    def add_moment(self, session_id: str, reviewer: str, family: str, subtype: str, start_turn: int, end_turn: int,
                   comment: str | None = None) -> int:
        """A moment the model missed (origin 'reviewer'); it counts as confirmed by that reviewer."""
        reviewer = clean_reviewer(reviewer)
        self._check_label(family, subtype)
        if subtype is None:
            raise UserError("a new moment needs a subtype")
        doc = self.session(session_id)["document"]
        now = utc_now()
        with self._tx() as conn:
            start_turn, end_turn = self._check_span(conn, session_id, start_turn, end_turn)
            taken = {r[0] for r in conn.execute("SELECT moment_key FROM moments WHERE session_id = ?", (session_id,))}
            k = 1
            while f"r{k}" in taken:
                k += 1
            fields = reviewer_moment_fields(doc, family, subtype, start_turn, end_turn)
            cols = list(fields)
            mid = conn.execute(
                f"INSERT INTO moments(session_id, moment_key, origin, {', '.join(cols)}, created_by, created_at) "
                f"VALUES (?, ?, 'reviewer', {', '.join('?' * len(cols))}, ?, ?)",
                (session_id, f"r{k}", *fields.values(), reviewer, now)).lastrowid
            self._audit(conn, now, reviewer, "add_moment", "moments", mid, "created", None,
                        f"{session_id}/r{k} {family} {subtype} {start_turn}-{end_turn}")
            new = {"verdict": "confirmed", "family": family, "subtype": subtype, "start_turn": start_turn,
                   "end_turn": end_turn, "comment": (comment or "").strip() or None}
            did = conn.execute(
                "INSERT INTO decisions(moment_id, reviewer, verdict, family, subtype, start_turn, end_turn, comment, "
                "last_action, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'add_moment', ?, ?)",
                (mid, reviewer, *new.values(), now, now)).lastrowid
            for key, v in new.items():
                if v is not None:
                    self._audit(conn, now, reviewer, "add_moment", "decisions", did, key, None, v)
            conn.execute("INSERT OR IGNORE INTO reviewers(name, first_seen) VALUES (?, ?)", (reviewer, now))
        return mid

    # -- results --------------------------------------------------------------------------------
    def decisions(self, reviewer: str | None = None, verdicts: tuple[str, ...] = ("confirmed", "rejected",
                                                                                  "relabelled")) -> list[dict[str, Any]]:
        """Decisions with a verdict, joined with their moment (model values prefixed `model_`)."""
        sql = ("SELECT d.id AS decision_id, d.moment_id, d.reviewer, d.verdict, d.family, d.subtype, d.start_turn, "
               "d.end_turn, d.comment, d.last_action, d.updated_at, m.session_id, m.moment_key, m.origin, "
               "m.family AS model_family, m.subtypes AS model_subtypes, m.start_turn AS model_start_turn, "
               "m.end_turn AS model_end_turn, m.peak_turn, m.peak_score, m.significance, m.evidence_turns, "
               "m.resolution, m.active FROM decisions d JOIN moments m ON m.id = d.moment_id "
               f"WHERE d.verdict IN ({', '.join('?' * len(verdicts))})")
        args: list[Any] = list(verdicts)
        if reviewer is not None:
            sql += " AND d.reviewer = ?"
            args.append(reviewer)
        out = []
        for r in self._rows(sql + " ORDER BY m.session_id, d.start_turn, m.id, d.reviewer", tuple(args)):
            d = dict(r)
            for k in ("model_subtypes", "evidence_turns", "resolution"):
                d[k] = json.loads(d[k]) if d[k] is not None else None
            d["active"] = bool(d["active"])
            out.append(d)
        return out

    def confirmed_moments(self, family: str | None = None, subtype: str | None = None,
                          reviewer: str | None = None) -> list[dict[str, Any]]:
        """Moments a reviewer confirmed, relabelled or added, with that reviewer's effective label and span."""
        return [d for d in self.decisions(reviewer, verdicts=POSITIVE)
                if (family is None or d["family"] == family) and (subtype is None or d["subtype"] == subtype)]

    def reviewer_agreement(self) -> dict[str, Any]:
        from .agreement import agreement_report

        return agreement_report(self.decisions())

    def audit_log(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Audit rows, newest first: at (UTC ISO), who, action, table, row_id, field, previous, new."""
        sql = ("SELECT id, at, who, action, table_name AS 'table', row_id, field, old_value AS previous, "
               "new_value AS new FROM audit ORDER BY id DESC")
        return [dict(r) for r in self._rows(sql + (" LIMIT ?" if limit is not None else ""),
                                            (int(limit),) if limit is not None else ())]
