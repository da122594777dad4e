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
# One session, not a corpus: far above any real session, low enough to fail fast and bounded.
MAX_BYTES = 20 * 1024 * 1024
MAX_TURNS = 50_000


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
    if sample[:1] in (b"{", b"["):
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
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a directory, not a transcript file")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(path, f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit for one "
                               "session (split it, or raise the limit with --max-mb)")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(path, f"cannot read file ({err.strerror})") from None
    fmt = format or detect_format(path, data[:4096])
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
    turns = merge_utterances(utterances)
    if not turns:
        raise InputError(path, "no turns with text found")
    if len(turns) > MAX_TURNS:
        raise InputError(path, f"{len(turns)} turns is over the {MAX_TURNS} limit for one session")
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
