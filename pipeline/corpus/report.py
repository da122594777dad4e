"""`rupture corpus check`: validation, counts against the targets, duplicates and repeated openings."""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..taxonomy import NONE, load_taxonomy
from .quality import near_duplicates, repeated_openings
from .schema import DATA_DIR, load_items, load_sessions

TARGETS = {"client_items": 4000, "none": 2000, "hard_negatives": 700, "per_subtype": 100,
           "therapist_items": 800, "sessions": 40}


def corpus_counts(items: list[dict[str, Any]], sessions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    client = [i for i in items if i["role"] == "client"]
    therapist = [i for i in items if i["role"] == "therapist"]
    sessions = sessions or []
    return {
        "client_items": len(client),
        "none": sum(i["family"] == NONE for i in client),
        "hard_negatives": sum(bool(i.get("hard_negative")) for i in client),
        "family": dict(Counter(i["family"] for i in client)),
        "subtype": dict(sorted(Counter(i["subtype"] for i in client if i["subtype"]).items())),
        "hard_negative": dict(sorted(Counter(i["hard_negative"] for i in client if i.get("hard_negative")).items())),
        "style": dict(Counter(i["style"] for i in items)),
        "split": dict(Counter(i["split"] for i in items)),
        "therapist_items": len(therapist),
        "strategy": dict(sorted(Counter(i["strategy"] for i in therapist).items())),
        "sessions": len(sessions),
        "session_turns": sum(len(s["turns"]) for s in sessions),
        "sessions_without_rupture": sum(not s["episodes"] for s in sessions),
        "episodes": sum(len(s["episodes"]) for s in sessions),
    }


def corpus_report(paths: list[str] | None = None) -> tuple[str, bool]:
    taxonomy = load_taxonomy()
    items, problems = load_items(paths, taxonomy, strict=False)
    sess_path = DATA_DIR / "sessions.jsonl"
    sessions = load_sessions(sess_path) if paths is None and sess_path.exists() else []
    c = corpus_counts(items, sessions)
    lines = [f"{len(items)} valid items, {len(problems)} problems"]
    lines += [f"  {p}" for p in problems[:20]]
    ok = not problems
    checks = [("client items", c["client_items"], TARGETS["client_items"]), ("none", c["none"], TARGETS["none"]),
              ("hard negatives", c["hard_negatives"], TARGETS["hard_negatives"]),
              ("therapist items", c["therapist_items"], TARGETS["therapist_items"])]
    checks += [(f"subtype {s}", c["subtype"].get(s, 0), TARGETS["per_subtype"]) for s in taxonomy.subtypes]
    if paths is None:
        checks.append(("sessions", c["sessions"], TARGETS["sessions"]))
    for name, have, want in checks:
        lines.append(f"{'ok ' if have >= want else 'LOW'} {name}: {have} (target {want})")
    for key in ("style", "split", "strategy", "hard_negative"):
        lines.append(f"{key}: {c[key]}")
    dups = near_duplicates(items)
    opens = repeated_openings(items)
    lines.append(f"near-duplicate pairs: {len(dups)}")
    lines += [f"  {a} ~ {b} ({s})" for a, b, s in dups[:15]]
    lines.append(f"over-used openings: {len(opens)}")
    lines += [f"  '{o}' x{n}" for o, n in opens[:15]]
    ok = ok and not dups and not opens
    return "\n".join(lines), ok
