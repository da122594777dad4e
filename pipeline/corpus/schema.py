"""The corpus JSONL schema (documented in data/README.md), its validation and loaders.

Turn items (data/turns.jsonl), one per line:
  id, scenario, split (train/dev/test), role (client/therapist), context [{role, speaker, text}] (1-4,
  oldest first), text, family (none/withdrawal/confrontation; client items), subtype (3RS code or null),
  strategy (therapist items: a strategy or "none"), style (clean/asr/disfluent), hard_negative, severity,
  modality, source.
Sessions (data/sessions.jsonl), one per line: id, split, meta, turns [...], episodes [...].
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError
from ..taxonomy import NONE, Taxonomy, load_taxonomy

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
SPLITS = ("train", "dev", "test")
STYLES = ("clean", "asr", "disfluent")
# Fixed split rule: a stable hash of the scenario id, 70/15/15 for turn items; whole sessions
# 60/15/25, so that the test split holds enough gold episodes to evaluate timelines on.
SPLIT_BOUNDS = ((70, "train"), (85, "dev"), (100, "test"))
SESSION_SPLIT_BOUNDS = ((60, "train"), (75, "dev"), (100, "test"))


def split_of(group: str, bounds: tuple[tuple[int, str], ...] = SPLIT_BOUNDS) -> str:
    bucket = int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16) % 100
    return next(name for bound, name in bounds if bucket < bound)


@dataclass
class ItemProblem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def validate_item(item: Any, taxonomy: Taxonomy) -> list[str]:
    """Problems with one turn item (empty list when valid)."""
    if not isinstance(item, dict):
        return ["item is not a JSON object"]
    problems = []
    for key in ("id", "text", "role"):
        if not isinstance(item.get(key), str) or not item.get(key, "").strip():
            problems.append(f"'{key}' must be a non-empty string")
    ctx = item.get("context")
    if not isinstance(ctx, list) or not 1 <= len(ctx) <= 4:
        problems.append("'context' must be a list of 1-4 turns")
    else:
        for i, turn in enumerate(ctx):
            if not isinstance(turn, dict) or turn.get("role") not in ("therapist", "client") \
                    or not isinstance(turn.get("text"), str) or not turn["text"].strip():
                problems.append(f"context[{i}] needs role therapist/client and non-empty text")
    role = item.get("role")
    if role == "client":
        fam, sub = item.get("family"), item.get("subtype")
        if fam not in taxonomy.family_labels:
            problems.append(f"'family' must be one of {', '.join(taxonomy.family_labels)}, got {fam!r}")
        elif fam == NONE and sub is not None:
            problems.append("'subtype' must be null when family is none")
        elif fam != NONE and (sub not in taxonomy.subtype_family or taxonomy.subtype_family[sub] != fam):
            problems.append(f"'subtype' {sub!r} is not a {fam} code")
    elif role == "therapist":
        if item.get("strategy") not in taxonomy.strategy_labels:
            problems.append(f"'strategy' must be one of {', '.join(taxonomy.strategy_labels)}, got {item.get('strategy')!r}")
    elif isinstance(role, str):
        problems.append(f"'role' must be client or therapist, got {role!r}")
    if item.get("style", "clean") not in STYLES:
        problems.append(f"'style' must be one of {', '.join(STYLES)}")
    if item.get("split") is not None and item.get("split") not in SPLITS:
        problems.append(f"'split' must be one of {', '.join(SPLITS)}")
    return problems


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(path, f"invalid JSON ({err.msg})", line=lineno) from None


def _normalise(item: dict[str, Any]) -> dict[str, Any]:
    out = {
        "id": item["id"], "scenario": item.get("scenario") or item["id"], "role": item["role"],
        "context": [{"role": c["role"], "speaker": c.get("speaker") or c["role"][0].upper(), "text": c["text"]}
                    for c in item["context"]],
        "text": item["text"], "family": item.get("family"), "subtype": item.get("subtype"),
        "strategy": item.get("strategy"), "style": item.get("style", "clean"),
        "hard_negative": item.get("hard_negative"), "severity": item.get("severity"),
        "modality": item.get("modality"), "source": item.get("source"),
    }
    if out["role"] == "therapist":
        out["family"], out["subtype"] = None, None
    else:
        out["strategy"] = None
    out["split"] = item.get("split") or split_of(out["scenario"])
    return out


def load_items(paths: str | Path | list[str | Path] | None = None, taxonomy: Taxonomy | None = None,
               strict: bool = True) -> tuple[list[dict[str, Any]], list[ItemProblem]]:
    """Read and validate turn items from JSONL files; return (items, problems).

    With strict=True any problem raises an InputError naming the first bad file and line.
    """
    taxonomy = taxonomy or load_taxonomy()
    if paths is None:
        paths = [DATA_DIR / "turns.jsonl"]
    elif isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.jsonl")) if p.is_dir() else [p])
    items, problems, seen = [], [], {}
    for path in files:
        if not path.exists():
            raise InputError(path, "corpus file not found")
        for lineno, raw in iter_jsonl(path):
            errs = validate_item(raw, taxonomy)
            if not errs and raw["id"] in seen:
                errs = [f"duplicate id {raw['id']!r} (first at {seen[raw['id']]})"]
            for e in errs:
                problems.append(ItemProblem(str(path), lineno, e))
            if not errs:
                seen[raw["id"]] = f"{path.name}:{lineno}"
                items.append(_normalise(raw))
    if strict and problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InputError(first.path, first.message + more, line=first.line)
    return items, problems


def load_turn_dataset(paths: str | Path | list[str | Path] | None = None, taxonomy: Taxonomy | None = None):
    """The validated corpus as a `datasets.DatasetDict` with train/dev/test splits (offline)."""
    import datasets

    items, _ = load_items(paths, taxonomy)
    columns = list(items[0]) if items else []
    by_split = {s: [i for i in items if i["split"] == s] for s in SPLITS}
    return datasets.DatasetDict({
        s: datasets.Dataset.from_list(rows) if rows else datasets.Dataset.from_dict({c: [] for c in columns})
        for s, rows in by_split.items()
    })


def load_sessions(path: str | Path | None = None) -> list[dict[str, Any]]:
    """Gold sessions (data/sessions.jsonl): turns with labels and rupture episodes."""
    path = Path(path) if path else DATA_DIR / "sessions.jsonl"
    sessions = []
    for lineno, raw in iter_jsonl(path):
        if not isinstance(raw, dict) or not isinstance(raw.get("turns"), list) or "episodes" not in raw:
            raise InputError(path, "session needs 'turns' and 'episodes'", line=lineno)
        raw.setdefault("split", split_of(raw["id"], SESSION_SPLIT_BOUNDS))
        sessions.append(raw)
    return sessions
