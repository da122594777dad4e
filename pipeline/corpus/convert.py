"""Bring your own 3RS-coded data: a CSV of coded turns -> corpus JSONL items.

CSV columns: session, speaker_role (therapist/client), text, code (blank, a 3RS code W1-C7 for
client turns, or a resolution strategy for therapist turns); optional: turn (order within the
session; file order otherwise), style. Each row becomes one item with the up to four preceding rows
of its session as context; items are split by session.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from ..errors import InputError
from ..io import atomic_write_text
from ..taxonomy import NONE, load_taxonomy
from .schema import split_of, validate_item

REQUIRED = ("session", "speaker_role", "text", "code")


def convert_coded_csv(path: str | Path, out: str | Path | None, context_turns: int = 4) -> int:
    path = Path(path)
    if out is None:
        raise InputError(path, "convert needs --out FILE.jsonl")
    taxonomy = load_taxonomy()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(path, f"missing column(s): {', '.join(missing)} (needs {', '.join(REQUIRED)})", line=1)
        rows = [(reader.line_num, r) for r in reader]
    by_session: dict[str, list] = {}
    for lineno, r in rows:
        by_session.setdefault(r["session"], []).append((lineno, r))
    items = []
    for session, srows in by_session.items():
        if all(r.get("turn") for _, r in srows):
            try:
                srows.sort(key=lambda x: float(x[1]["turn"]))
            except ValueError:
                raise InputError(path, f"session {session}: 'turn' must be a number") from None
        for k, (lineno, r) in enumerate(srows):
            role = r["speaker_role"].strip().lower()
            code = (r.get("code") or "").strip()
            if k == 0:
                continue  # the first turn of a session has no context to be judged in
            ctx = [{"role": c["speaker_role"].strip().lower(), "text": c["text"]} for _, c in srows[max(0, k - context_turns):k]]
            item = {"id": f"{session}#{k}", "scenario": session, "split": split_of(session), "role": role,
                    "context": ctx, "text": r["text"], "style": (r.get("style") or "clean").strip() or "clean",
                    "source": f"{path.name}:{lineno}"}
            if role == "client":
                item["family"] = taxonomy.subtype_family.get(code, NONE if not code or code == NONE else code)
                item["subtype"] = code if code in taxonomy.subtype_family else None
            else:
                item["strategy"] = code or NONE
            problems = validate_item(item, taxonomy)
            if problems:
                raise InputError(path, "; ".join(problems), line=lineno)
            items.append(item)
    atomic_write_text(out, "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    return len(items)
