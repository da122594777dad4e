"""Ingestion: transcript files in the formats researchers bring -> role-labelled Sessions."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..model import Session, Utterance, merge_utterances
from ..roles import assign_roles
from .docx import docx_to_text
from .encoding import clean_text, decode_bytes
from .jsonfmt import parse_json, parse_jsonl
# MAX_BYTES and MAX_TURNS were defined here first; importing them from here still works.
from .limits import MAX_BYTES, MAX_TURNS, check_line_lengths, check_turns, check_utterances  # noqa: F401
from .subtitles import parse_srt, parse_vtt
from .tabular import parse_table
from .text import parse_text

FORMATS = ("text", "vtt", "srt", "csv", "tsv", "json", "jsonl", "docx")
_EXTENSIONS = {
    ".txt": "text", ".text": "text", ".md": "text", ".transcript": "text", ".vtt": "vtt", ".srt": "srt",
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".docx": "docx",
}
SUPPORTED_SUFFIXES = tuple(_EXTENSIONS)
# Formats read line by line with regular expressions: their lines are length-limited (JSON is not,
# minified JSON is one long line; its turns are limited instead).
_LINE_FORMATS = ("text", "vtt", "srt", "csv", "tsv")
# A JSON document starts a list of turns ([{...}), an empty list or an object; a text transcript may
# start with a bracketed timestamp ("[00:01] T: ...") or speaker ("[Therapist] ...").
_JSON_START = re.compile(rb"^(\{|\[\s*[\[{\]\"]|\[\s*$)")


def detect_format(path: Path, head: bytes) -> str:
    """Format from the extension, or from the content when the extension says nothing."""
    by_ext = _EXTENSIONS.get(path.suffix.lower())
    if by_ext:
        return by_ext
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    sample = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if sample.startswith(b"WEBVTT"):
        return "vtt"
    if _JSON_START.match(sample):
        first = sample.split(b"\n", 1)[0].strip()
        return "jsonl" if first.startswith(b"{") and first.endswith(b"}") and b"\n{" in sample else "json"
    if re.match(rb"^\d+\s*\n\d{1,2}:\d{2}:\d{2},\d{3} -->", sample):
        return "srt"
    return "text"


def read_session(
    path: str | Path,
    format: str | None = None,
    therapist: str | Iterable[str] | None = None,
    roles: dict[str, str] | None = None,
    columns: dict[str, str] | None = None,
    session_id: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> Session:
    """Read one transcript file into a Session with merged turns and speaker roles (no sentences yet).

    Raises InputError naming the file (and line) for anything a user must fix.
    """
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise InputError(path, f"unknown format {format!r} (choose from: {', '.join(FORMATS)})")
    data = _read_bounded(path, max_bytes)
    fmt = format or detect_format(path, data[:4096])
    try:
        return _parse(path, data, fmt, therapist, roles, columns, session_id)
    except RecursionError:
        raise InputError(path, "structure nested too deeply to be a transcript") from None
    except MemoryError:
        raise InputError(path, "not enough memory to read this file") from None


def _too_big(path: Path, size: float, max_bytes: int) -> InputError:
    return InputError(path, f"file is {size / 2**20:.3g} MB, over the {max_bytes / 2**20:.3g} MB limit for one "
                            "session (split it, or raise the limit with --max-mb)")


def _read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, never more than max_bytes: only regular files (a FIFO or /dev/zero would
    block or never end), and the size is checked again while reading (the file may grow)."""
    import stat

    try:
        st = path.stat()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as err:
        raise InputError(path, f"cannot read file ({err.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(path, "is a directory, not a transcript file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(path, "not a regular file (a device, pipe or socket); save the transcript to a file first")
    if st.st_size > max_bytes:
        raise _too_big(path, st.st_size, max_bytes)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as err:
        raise InputError(path, f"cannot read file ({err.strerror})") from None
    if len(data) > max_bytes:
        raise _too_big(path, len(data), max_bytes)
    return data


def _parse(path: Path, data: bytes, fmt: str, therapist, roles, columns, session_id) -> Session:
    warnings: list[str] = []
    metadata: dict[str, Any] = {}
    if fmt == "docx":
        if not data.startswith(b"PK"):
            raise InputError(path, "not a .docx file (no zip signature)")
        text = clean_text(docx_to_text(data, str(path)))
        fmt_parse = "text"
    else:
        text, warnings = decode_bytes(data, path)
        fmt_parse = fmt
    if not text.strip():
        raise InputError(path, "file has no text")
    if fmt_parse in _LINE_FORMATS:
        check_line_lengths(text, str(path))
    utterances: list[Utterance]
    if fmt_parse == "text":
        parsed = parse_text(text, str(path))
        utterances, metadata = parsed.utterances, dict(parsed.metadata)
        warnings += parsed.warnings
    elif fmt_parse == "vtt":
        utterances = parse_vtt(text, str(path))
    elif fmt_parse == "srt":
        utterances = parse_srt(text, str(path))
    elif fmt_parse in ("csv", "tsv"):
        utterances = parse_table(text, str(path), delimiter="\t" if fmt_parse == "tsv" else ",", columns=columns)
    elif fmt_parse == "json":
        utterances, metadata = parse_json(text, str(path))
    else:
        utterances = parse_jsonl(text, str(path))
    check_utterances(utterances, str(path))
    turns = merge_utterances(utterances)
    if not turns:
        raise InputError(path, "no turns with text found")
    check_turns(turns, str(path))
    session = Session(
        id=session_id or str(metadata.get("session") or path.stem),
        turns=turns, speakers=[], source=str(path), format=fmt,
        metadata={k: v for k, v in metadata.items() if k not in ("session",)}, warnings=warnings,
    )
    assign_roles(session, therapist=therapist, explicit=roles)
    return session


def expand_inputs(inputs: Iterable[str | Path]) -> tuple[list[Path], list[InputError]]:
    """Files, folders (recursively, supported extensions) and globs -> sorted unique files."""
    import glob

    files: list[Path] = []
    errors: list[InputError] = []
    for raw in inputs:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
                                and not f.name.startswith(".")))
        elif p.exists():
            files.append(p)
        elif any(ch in str(raw) for ch in "*?["):
            matches = sorted(Path(m) for m in glob.glob(str(raw), recursive=True) if Path(m).is_file())
            if not matches:
                errors.append(InputError(raw, "pattern matched no files"))
            files.extend(matches)
        else:
            errors.append(InputError(raw, "no such file or directory"))
    seen, unique = set(), []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, errors
