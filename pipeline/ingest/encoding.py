"""Bytes to clean text: BOMs, UTF-8 with a cp1252 fallback, CRLF, invisible characters."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from ..errors import InputError

# Zero-width and bidirectional control characters: invisible in a viewer, but they break speaker
# prefixes and can reorder displayed text (a right-to-left override can hide what a line says).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069\u200e\u200f]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, list[str]]:
    """Decode transcript bytes; return (text, warnings). Raise InputError for binary or undecodable data."""
    warnings: list[str] = []
    if not data.strip():
        raise InputError(path, "file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise InputError(path, f"invalid UTF-16 ({err.reason})") from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        nul = data.find(b"\x00", 0, 65536)
        if nul != -1:
            raise InputError(path, "looks like a binary file (NUL bytes), not a transcript", line=_line_of(data, nul))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = _line_of(data, err.start)
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise InputError(path, "invalid UTF-8 and not cp1252 either; save the file as UTF-8", line=line) from None
            controls = len(_CONTROL.findall(text))
            if controls > max(3, len(text) // 200):
                raise InputError(path, "invalid UTF-8 (looks like binary data); save the file as UTF-8", line=line)
            warnings.append(f"{path}: not valid UTF-8 (first bad byte on line {line}); read as cp1252 (Windows-1252)")
    return clean_text(text), warnings


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return unicodedata.normalize("NFC", text)
