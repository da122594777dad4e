"""Limits on what one transcript file may hold, and the checks that enforce them.

A session is a conversation of at most a few hours. Every limit below is far above any real
session and low enough that a broken or hostile file fails fast with a clear InputError instead
of hanging a batch or exhausting memory. SECURITY.md lists them; keep the two in step.
"""
from __future__ import annotations

import math
from typing import Sequence

from ..errors import InputError
from ..model import Turn, Utterance

MAX_BYTES = 20 * 1024 * 1024      # size of one file (CLI: --max-mb)
MAX_TURNS = 50_000                # merged speaker turns in one session
MAX_LINE_CHARS = 100_000          # one physical line of a line-oriented format (text, VTT, SRT, CSV/TSV, docx)
MAX_TURN_CHARS = 100_000          # one merged turn (about two hours of uninterrupted speech)
MAX_SPEAKER_CHARS = 100           # one speaker label
MAX_SECONDS = 100 * 3600          # any start/end time (100 hours)
MAX_JSON_DEPTH = 32               # nesting of JSON/JSONL (a WhisperX file needs 4)
MAX_DOCX_UNPACKED = 200 * 1024 * 1024  # total unpacked size of a .docx (zip bomb guard)


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def check_line_lengths(text: str, path: str, limit: int = MAX_LINE_CHARS) -> None:
    """Refuse any physical line over `limit` characters, naming the first such line."""
    if len(text) <= limit:
        return
    pos, lineno = 0, 1
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl == -1 else nl
        if end - pos > limit:
            raise InputError(path, f"line is {end - pos:,} characters long, over the {limit:,}-character limit "
                                   "(is this really a transcript?)", line=lineno)
        pos, lineno = end + 1, lineno + 1


def check_utterances(utterances: Sequence[Utterance], path: str) -> None:
    """Speaker labels of sane length; times finite, non-negative and within MAX_SECONDS."""
    for k, u in enumerate(utterances):
        where = {"line": u.line} if u.line is not None else {}
        item = "" if u.line is not None else f"item {k}: "
        if len(u.speaker) > MAX_SPEAKER_CHARS:
            raise InputError(path, f"{item}speaker label {_short(u.speaker)!r} is {len(u.speaker):,} characters long, "
                                   f"over the {MAX_SPEAKER_CHARS}-character limit (are the speaker and text "
                                   "columns swapped?)", **where)
        for what, value in (("start", u.start), ("end", u.end)):
            if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_SECONDS):
                raise InputError(path, f"{item}{what} time {value!r} is outside 0 to {MAX_SECONDS // 3600} hours",
                                 **where)


def check_turns(turns: Sequence[Turn], path: str) -> None:
    if len(turns) > MAX_TURNS:
        raise InputError(path, f"{len(turns):,} turns is over the {MAX_TURNS:,} limit for one session")
    for t in turns:
        if len(t.text) > MAX_TURN_CHARS:
            raise InputError(path, f"turn {t.index} ({t.speaker}) is {len(t.text):,} characters long, over the "
                                   f"{MAX_TURN_CHARS:,}-character limit for one turn (are speaker changes "
                                   "missing?)", line=t.line)
