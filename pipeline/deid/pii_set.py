"""The PII test set: data/pii/src/pii_excerpts.txt (inline markup) -> data/pii/pii_turns.jsonl (gold spans).

Markup: `=== ID | STYLE | SPLIT | LABEL=ROLE; ...` starts an excerpt; `T: text` / `C: text` are turns;
identifiers are written {TYPE:text}. Run `python -m pipeline.deid.pii_set` to rebuild the JSONL.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io import atomic_write_text

ROOT = Path(__file__).resolve().parents[2]
PII_DIR = ROOT / "data" / "pii"
SOURCE = PII_DIR / "src" / "pii_excerpts.txt"
TURNS = PII_DIR / "pii_turns.jsonl"
TYPES = ("PERSON", "PLACE", "ORG", "DATE", "AGE", "PHONE", "EMAIL", "ADDRESS", "ID", "URL")
_MARK = re.compile(r"\{([A-Z]+):([^{}]+)\}")
_HEADER = re.compile(r"^===\s*(\S+)\s*\|\s*(clean|asr|disfluent)\s*\|\s*(dev|test|fresh)\s*\|\s*(.+)$")


def parse_marked(text: str, path: Path, line: int) -> tuple[str, list[dict[str, Any]]]:
    """'I saw {PERSON:Leah}' -> ('I saw Leah', [{start: 6, end: 10, type: PERSON, text: Leah}])."""
    out, spans, pos = [], [], 0
    length = 0
    for m in _MARK.finditer(text):
        kind, value = m.group(1), m.group(2)
        if kind not in TYPES:
            raise InputError(path, f"unknown identifier type {kind!r} (use one of {', '.join(TYPES)})", line)
        before = text[pos:m.start()]
        out.append(before)
        length += len(before)
        spans.append({"start": length, "end": length + len(value), "type": kind, "text": value})
        out.append(value)
        length += len(value)
        pos = m.end()
    out.append(text[pos:])
    plain = "".join(out)
    if "{" in plain or "}" in plain:
        raise InputError(path, "unbalanced identifier markup", line)
    return plain, spans


def build_records(path: Path = SOURCE) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    excerpt: dict[str, Any] | None = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("==="):
            m = _HEADER.match(line)
            if not m:
                raise InputError(path, "bad excerpt header (=== ID | STYLE | SPLIT | LABEL=ROLE; ...)", n)
            speakers = []
            for part in m.group(4).split(";"):
                label, _, role = part.strip().rpartition("=")
                if role not in ("client", "therapist"):
                    raise InputError(path, f"speaker role must be client or therapist, got {role!r}", n)
                speakers.append({"label": label.strip(), "role": role})
            excerpt = {"excerpt": m.group(1), "style": m.group(2), "split": m.group(3), "speakers": speakers,
                       "turn": 0}
            continue
        if excerpt is None or line[:3] not in ("T: ", "C: "):
            raise InputError(path, "expected an excerpt header or a 'T: ' / 'C: ' turn", n)
        role = "therapist" if line.startswith("T") else "client"
        text, spans = parse_marked(line[3:], path, n)
        label = next(s["label"] for s in excerpt["speakers"] if s["role"] == role)
        records.append({"id": f"{excerpt['excerpt']}-{excerpt['turn']:02d}", "excerpt": excerpt["excerpt"],
                        "style": excerpt["style"], "split": excerpt["split"], "speakers": excerpt["speakers"],
                        "speaker": label, "role": role, "text": text, "spans": spans})
        excerpt["turn"] += 1
    return records


def load_pii_set(path: str | Path = TURNS) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.exists():
        raise InputError(path, "PII test set not found (build it with `python -m pipeline.deid.pii_set`)")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(path, f"not JSON ({err.msg})", n) from None
        if not isinstance(rec, dict) or "text" not in rec or "spans" not in rec:
            raise InputError(path, "each line needs 'text' and 'spans'", n)
        for sp in rec["spans"]:
            if rec["text"][sp["start"]:sp["end"]] != sp["text"]:
                raise InputError(path, f"span {sp} does not match the text", n)
        out.append(rec)
    return out


def main() -> int:
    records = build_records()
    atomic_write_text(TURNS, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    n_spans = sum(len(r["spans"]) for r in records)
    print(f"wrote {TURNS.relative_to(ROOT)}: {len(records)} turns, {n_spans} identifiers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
