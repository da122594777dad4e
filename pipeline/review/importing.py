"""Reading annotation documents into the review database: sessions and their model moments.

Pure helpers turn a document into rows; `upsert_document` writes one document inside the
caller's transaction. Reviewer decisions are never touched here: a re-imported document updates
the session and its model moments, and a model moment the new document lacks is only marked
inactive (decisions may point to it).
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError

SCHEMA_PREFIX = "rupture-annotation/"
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "schemas" / "annotation-1.0.schema.json"
# The moment fields compared on re-import (and copied from the document).
MOMENT_FIELDS = ("family", "subtypes", "start_turn", "end_turn", "peak_turn", "peak_score", "significance",
                 "evidence_turns", "resolution")
_JSON_FIELDS = ("subtypes", "evidence_turns", "resolution")


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def read_bytes(path: Path) -> tuple[bytes, str]:
    """The file's bytes and their sha256 (what decides whether a document changed)."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read ({err.strerror or err})") from None
    return raw, hashlib.sha256(raw).hexdigest()


def read_document(path: Path, raw: bytes) -> dict[str, Any] | None:
    """The annotation document in `raw` (the bytes of `path`); None for JSON files of other kinds.

    Raises InputError naming the file for unreadable JSON or a document that breaks the schema."""
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise InputError(path, f"invalid JSON ({err.msg})", line=err.lineno) from None
    if not isinstance(doc, dict) or not str(doc.get("schema", "")).startswith(SCHEMA_PREFIX):
        return None
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(path, f"not a valid annotation document: at {where}: {errors[0].message}{more}")
    n = len(doc["turns"])
    for m in doc["moments"]:
        if not 0 <= m["start_turn"] <= m["end_turn"] < max(n, 1):
            raise InputError(path, f"moment {m['id']!r} spans turns {m['start_turn']}-{m['end_turn']}, "
                                   f"outside the session's {n} turns")
    return doc


def moment_row(m: dict[str, Any]) -> dict[str, Any]:
    """The database values of one document moment (JSON fields serialised canonically)."""
    row = {k: m.get(k) for k in MOMENT_FIELDS}
    for k in _JSON_FIELDS:
        row[k] = json.dumps(row[k], sort_keys=True)
    return row


def session_row(doc: dict[str, Any]) -> dict[str, Any]:
    sigs = [m["significance"] for m in doc["moments"]]
    return {"id": doc["session"]["id"], "source_file": doc["session"].get("source_file"),
            "n_turns": len(doc["turns"]), "n_moments": len(doc["moments"]), "max_significance": max(sigs, default=0)}


Audit = Callable[..., None]


def upsert_document(conn: sqlite3.Connection, doc: dict[str, Any], sha: str, source: str, now: str,
                    audit: Audit) -> dict[str, Any]:
    """Insert or update one session and its model moments; returns what happened (caller holds the transaction)."""
    srow = session_row(doc)
    text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
    old = conn.execute("SELECT sha256 FROM sessions WHERE id = ?", (srow["id"],)).fetchone()
    if old is not None and old["sha256"] == sha:
        return {"session": "unchanged", "moments_added": 0, "moments_updated": 0, "moments_retired": 0,
                "moments": srow["n_moments"]}
    if old is None:
        conn.execute("INSERT INTO sessions(id, source_file, n_turns, n_moments, max_significance, document, sha256, "
                     "imported_from, imported_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (srow["id"], srow["source_file"], srow["n_turns"], srow["n_moments"], srow["max_significance"],
                      text, sha, source, now, now))
        audit("import", "sessions", None, "created", None, srow["id"])
        status = "added"
    else:
        conn.execute("UPDATE sessions SET source_file = ?, n_turns = ?, n_moments = ?, max_significance = ?, "
                     "document = ?, sha256 = ?, imported_from = ?, updated_at = ? WHERE id = ?",
                     (srow["source_file"], srow["n_turns"], srow["n_moments"], srow["max_significance"], text, sha,
                      source, now, srow["id"]))
        audit("import", "sessions", None, "sha256", old["sha256"], sha)
        status = "updated"
    counts = {"moments_added": 0, "moments_updated": 0, "moments_retired": 0}
    existing = {r["moment_key"]: r for r in conn.execute(
        "SELECT * FROM moments WHERE session_id = ? AND origin = 'model'", (srow["id"],))}
    for m in doc["moments"]:
        new = moment_row(m)
        cur = existing.pop(m["id"], None)
        if cur is None:
            cols = ", ".join(MOMENT_FIELDS)
            mid = conn.execute(
                f"INSERT INTO moments(session_id, moment_key, origin, {cols}, created_at) "
                f"VALUES (?, ?, 'model', {', '.join('?' * len(MOMENT_FIELDS))}, ?)",
                (srow["id"], m["id"], *new.values(), now)).lastrowid
            audit("import", "moments", mid, "created", None, f"{srow['id']}/{m['id']}")
            counts["moments_added"] += 1
            continue
        changed = {k: v for k, v in new.items() if cur[k] != v}
        if not cur["active"]:
            changed["active"] = 1
        if changed:
            conn.execute(f"UPDATE moments SET {', '.join(f'{k} = ?' for k in changed)} WHERE id = ?",
                         (*changed.values(), cur["id"]))
            for k, v in changed.items():
                audit("import", "moments", cur["id"], k, cur[k], v)
            counts["moments_updated"] += 1
    for cur in existing.values():  # model moments the new document no longer has
        if cur["active"]:
            conn.execute("UPDATE moments SET active = 0 WHERE id = ?", (cur["id"],))
            audit("import", "moments", cur["id"], "active", 1, 0)
            counts["moments_retired"] += 1
    return {"session": status, **counts, "moments": srow["n_moments"]}
