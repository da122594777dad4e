"""WebVTT and SRT: cues with `<v Name>` voice tags or `Name:` prefixes; cues may split a turn."""
from __future__ import annotations

import html
import re

from ..errors import InputError
from ..model import Utterance
from .timecodes import parse_clock

_TIMING = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)(?:\s+.*)?$")
# Tag bodies stop at the next '<' as well as '>': otherwise a line of unclosed '<v <v <v' makes
# each match attempt scan to the end of the line (quadratic time).
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^<>]+)>")
_TAGS = re.compile(r"</?[a-zA-Z][^<>]*>")
_PREFIX = re.compile(r"^\s*(?:-\s*)?([A-Za-z][\w.'\- ]{0,30}?)\s*:\s+(.*)$")
_BRACKET = re.compile(r"^\s*[\[(]([A-Za-z][\w.'\- ]{0,30})[\])]\s*:?\s*(.*)$")


def _cue_speaker(payload: list[str]) -> tuple[str | None, str]:
    joined = " ".join(p.strip() for p in payload if p.strip())
    voice = _VOICE.search(joined)
    if voice:
        speaker = voice.group(1).strip()
        text = _TAGS.sub("", joined)
        return speaker, html.unescape(text).strip()
    text = html.unescape(_TAGS.sub("", joined)).strip()
    m = _PREFIX.match(text) or _BRACKET.match(text)
    if m and len(m.group(1).split()) <= 4:
        return m.group(1).strip(), m.group(2).strip()
    return None, text


def _parse_cues(text: str, path: str, kind: str) -> list[Utterance]:
    lines = text.split("\n")
    utterances: list[Utterance] = []
    i = 0
    if kind == "vtt":
        if not lines[0].lstrip().startswith("WEBVTT"):
            raise InputError(path, "WebVTT file must start with 'WEBVTT'", line=1)
        i = 1
    current_speaker: str | None = None
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if kind == "vtt" and line.startswith(("NOTE", "STYLE", "REGION")):
            while i < n and lines[i].strip():
                i += 1
            continue
        # Optional cue identifier (SRT: a number) before the timing line.
        if "-->" not in line:
            if i + 1 < n and "-->" in lines[i + 1]:
                i += 1
                line = lines[i]
            elif i + 1 < n and re.search(r"\d+:\d+", lines[i + 1]) and not re.search(r"\d+:\d+", line):
                raise InputError(path, f"malformed cue timing {lines[i + 1].strip()[:80]!r} "
                                       "(expected '00:00:01,000 --> 00:00:04,000')", line=i + 2)
            else:
                raise InputError(path, f"expected a cue timing line ('00:00:01.000 --> 00:00:04.000'), got {line.strip()[:60]!r}", line=i + 1)
        m = _TIMING.match(line)
        start = parse_clock(m.group(1)) if m else None
        end = parse_clock(m.group(2)) if m else None
        if start is None or end is None:
            raise InputError(path, f"malformed cue timing {line.strip()[:80]!r}", line=i + 1)
        if end < start:
            raise InputError(path, f"cue ends before it starts ({line.strip()})", line=i + 1)
        timing_line = i + 1
        i += 1
        payload = []
        while i < n and lines[i].strip():
            payload.append(lines[i])
            i += 1
        speaker, cue_text = _cue_speaker(payload)
        if not cue_text:
            continue
        if speaker is None:
            if current_speaker is None:
                raise InputError(path, "cue has no speaker (no <v Name> tag or 'Name:' prefix)", line=timing_line)
            speaker = current_speaker
        current_speaker = speaker
        utterances.append(Utterance(speaker=speaker, text=cue_text, start=start, end=end, line=timing_line))
    if not utterances:
        raise InputError(path, f"no cues with text found in this {kind.upper()} file")
    return utterances


def parse_vtt(text: str, path: str) -> list[Utterance]:
    return _parse_cues(text, path, "vtt")


def parse_srt(text: str, path: str) -> list[Utterance]:
    return _parse_cues(text, path, "srt")
