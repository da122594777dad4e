"""JSON and JSONL transcripts: a list of turns, {"turns": [...]}, or Whisper/WhisperX segment JSON."""
from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from ..model import Utterance
from .encoding import clean_text
from .limits import MAX_JSON_DEPTH
from .timecodes import parse_clock

_SPEAKER_KEYS = ("speaker", "speaker_label", "role", "interlocutor", "name", "who")
_TEXT_KEYS = ("text", "utterance", "content", "transcript")


def _too_deep(data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether containers nest deeper than `limit` (iterative: no recursion on hostile input)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return False


def _loads(text: str, path: str, line: int | None = None) -> Any:
    too_deep = f"JSON is nested more than {MAX_JSON_DEPTH} levels deep: not a transcript"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(path, f"invalid JSON: {err.msg}", line=(line or err.lineno)) from None
    except RecursionError:
        raise InputError(path, too_deep, line=line) from None
    if _too_deep(data):
        raise InputError(path, too_deep, line=line)
    return data


def _label(value: Any) -> str | None:
    """A speaker label from a JSON value: strings and numbers only (a list or object is not a name)."""
    if isinstance(value, str):
        return clean_text(value).strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _time(value: Any, path: str, what: str, where: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if value >= 0 else None
    parsed = parse_clock(str(value))
    if parsed is None:
        raise InputError(path, f"{where}: cannot read {what} time {value!r}")
    return parsed


def _records_to_utterances(records: list[Any], path: str, line_of=None) -> list[Utterance]:
    out = []
    for i, rec in enumerate(records):
        where = f"item {i}"
        line = line_of(i) if line_of else None
        if not isinstance(rec, dict):
            raise InputError(path, f"{where} is not an object", line=line)
        raw_speaker = next((rec[k] for k in _SPEAKER_KEYS if rec.get(k) not in (None, "")), None)
        speaker = _label(raw_speaker)
        text = next((clean_text(rec[k]) for k in _TEXT_KEYS if isinstance(rec.get(k), str)), None)
        if text is None:
            raise InputError(path, f"{where} has no 'text'", line=line)
        if raw_speaker is not None and speaker is None:
            problem = ("is blank" if isinstance(raw_speaker, str)
                       else f"must be a name or number, not {type(raw_speaker).__name__}")
            raise InputError(path, f"{where}: 'speaker' {problem}", line=line)
        if speaker is None:
            if "words" in rec or "seek" in rec:
                raise InputError(path, f"{where}: Whisper segments without speaker labels; diarise first "
                                       "(e.g. WhisperX assign_word_speakers) or use CSV with a speaker column", line=line)
            raise InputError(path, f"{where} has no 'speaker'", line=line)
        out.append(Utterance(speaker=speaker, text=text,
                             start=_time(rec.get("start"), path, "start", where),
                             end=_time(rec.get("end"), path, "end", where), line=line))
    return out


def parse_json(text: str, path: str) -> tuple[list[Utterance], dict[str, Any]]:
    data = _loads(text, path)
    meta: dict[str, Any] = {}
    if isinstance(data, dict):
        meta = {k: clean_text(v) if isinstance(v, str) else v
                for k, v in data.items() if isinstance(v, (str, int, float)) and k not in ("text",)}
        for key in ("turns", "utterances", "segments"):
            if isinstance(data.get(key), list):
                if key == "segments":
                    meta["whisper"] = True
                data = data[key]
                break
        else:
            raise InputError(path, "JSON object needs a 'turns', 'utterances' or 'segments' list")
    if not isinstance(data, list):
        raise InputError(path, "JSON must be a list of turns or an object with a 'turns'/'segments' list")
    if not data:
        raise InputError(path, "JSON holds no turns")
    return _records_to_utterances(data, path), meta


def parse_jsonl(text: str, path: str) -> list[Utterance]:
    records, lines = [], []
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.strip():
            records.append(_loads(line, path, line=lineno))
            lines.append(lineno)
    if not records:
        raise InputError(path, "JSONL holds no turns")
    return _records_to_utterances(records, path, line_of=lambda i: lines[i])
