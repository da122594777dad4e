"""Benchmark corpora: realistic sessions assembled from real turns, never from templates.

Turns come from AnnoMI (real, professionally transcribed counselling sessions) when
`../shared/external/annomi/annomi.csv` is present, otherwise from the project's gold sessions
(`data/sessions.jsonl`). A benchmark session is a run of contiguous windows cut from randomly
chosen source transcripts, so every turn keeps its real neighbours as context; consecutive
utterances of one speaker are merged first (as ingestion would), so the written file has exactly
the number of turns asked for. Output is speaker-prefixed text with timestamps, the commonest input.
"""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANNOMI = ROOT.parent / "shared" / "external" / "annomi" / "annomi.csv"
GOLD_SESSIONS = ROOT / "data" / "sessions.jsonl"
LABEL = {"therapist": "T", "client": "C"}

Transcript = list[tuple[str, str]]  # (role, text) turns, roles alternating


def _merge(turns: list[tuple[str, str]]) -> Transcript:
    out: Transcript = []
    for role, text in turns:
        text = " ".join(text.split())
        if not text or role not in LABEL:
            continue
        if out and out[-1][0] == role:
            out[-1] = (role, f"{out[-1][1]} {text}")
        else:
            out.append((role, text))
    return out


def load_source(source: str = "auto") -> tuple[str, list[Transcript]]:
    """('annomi' | 'gold-sessions', transcripts). 'auto': AnnoMI when present."""
    if source in ("auto", "annomi") and ANNOMI.exists():
        by_id: dict[str, list[tuple[int, str, str]]] = {}
        with open(ANNOMI, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                by_id.setdefault(row["transcript_id"], []).append(
                    (int(row["utterance_id"]), row["interlocutor"], row["utterance_text"]))
        transcripts = [_merge([(r, t) for _, r, t in sorted(rows)]) for rows in by_id.values()]
        return "annomi", [t for t in transcripts if len(t) >= 4]
    if source == "annomi":
        raise FileNotFoundError(f"{ANNOMI} not found")
    transcripts = []
    for line in GOLD_SESSIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            transcripts.append(_merge([(t["role"], t["text"]) for t in json.loads(line)["turns"]]))
    return "gold-sessions", transcripts


def make_session(pool: list[Transcript], n_turns: int, rng: random.Random, window: int = 40) -> Transcript:
    """`n_turns` alternating turns from contiguous windows of randomly chosen real transcripts."""
    out: Transcript = []
    while len(out) < n_turns:
        src = rng.choice(pool)
        start = rng.randrange(max(1, len(src) - 3))
        piece = src[start:start + window]
        if out and piece and piece[0][0] == out[-1][0]:
            piece = piece[1:]  # keep roles alternating across the seam
        out.extend(piece[: n_turns - len(out)])
    return out


def session_text(turns: Transcript, title: str) -> str:
    lines = [f"# Benchmark session {title}: real turns re-assembled for speed tests (see benchmarks/corpus.py)."]
    clock = 5.0
    for role, text in turns:
        s = int(clock)
        lines.append(f"[{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}] {LABEL[role]}: {text}")
        clock += 1.5 + len(text.split()) / 2.5  # speech at ~150 words a minute
    return "\n".join(lines) + "\n"


def write_corpus(directory: str | Path, n_sessions: int, n_turns: int, seed: int = 7,
                 source: str = "auto") -> tuple[str, list[Path]]:
    """Write `n_sessions` files of `n_turns` turns into `directory`; return (source name, paths)."""
    name, pool = load_source(source)
    rng = random.Random(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n_sessions):
        path = directory / f"bench-{k:05d}.txt"
        path.write_text(session_text(make_session(pool, n_turns, rng), f"{k:05d}"), encoding="utf-8")
        paths.append(path)
    return name, paths
