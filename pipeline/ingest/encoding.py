"""Bytes to clean text: BOMs, UTF-8 with a cp1252 fallback, CRLF, invisible characters."""
from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from ..errors import InputError

# Zero-width and bidirectional control characters: invisible in a viewer, but they break speaker
# prefixes and can reorder displayed text (a right-to-left override can hide what a line says).
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069\u200e\u200f]")
# C0 controls except tab/newline, DEL, and the C1 range (what stray cp1252 bytes read as Latin-1 become).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _utf8_or_cp1252(err: UnicodeDecodeError) -> tuple[str, int]:
    """Decode error handler: a byte that is not UTF-8 is read as cp1252 (Latin-1 where cp1252 has no
    character), so a file mixing UTF-8 with pasted Windows text keeps both parts readable."""
    bad = err.object[err.start:err.end]
    codec = "latin-1" if any(b in _CP1252_HOLES for b in bad) else "cp1252"
    return bad.decode(codec), err.end


_CP1252_HOLES = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
codecs.register_error("rupture-cp1252", _utf8_or_cp1252)


def _looks_utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when (nearly) every other byte of the start is NUL, as in ASCII text saved
    as UTF-16 without a byte-order mark; else None."""
    head = data[:4096]
    if len(head) < 8:
        return None
    head = head[: len(head) // 2 * 2]
    odd_nul = head[1::2].count(0) / (len(head) // 2)
    even_nul = head[0::2].count(0) / (len(head) // 2)
    if odd_nul > 0.9 and even_nul < 0.1:
        return "utf-16-le"
    if even_nul > 0.9 and odd_nul < 0.1:
        return "utf-16-be"
    return None


def _decode_unicode(data: bytes, codec: str, path: str | Path) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        raise InputError(path, f"invalid {codec.upper()} ({err.reason})") from None


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, list[str]]:
    """Decode transcript bytes; return (text, warnings). Raise InputError for binary or undecodable data."""
    warnings: list[str] = []
    if not data.strip():
        raise InputError(path, "file is empty")
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return clean_text(_decode_unicode(data, "utf-32", path)), warnings
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return clean_text(_decode_unicode(data, "utf-16", path)), warnings
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00", 0, 65536)
    if nul != -1:
        codec = _looks_utf16_without_bom(data)
        if codec:
            text = _decode_unicode(data, codec, path)
            warnings.append(f"{path}: no byte-order mark; read as {codec.upper()} (every other byte is NUL)")
            return clean_text(text), warnings
        raise InputError(path, "looks like a binary file (NUL bytes), not a transcript", line=_line_of(data, nul))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = _line_of(data, err.start)
        text = data.decode("utf-8", errors="rupture-cp1252")
        controls = len(_CONTROL.findall(text))
        if controls > max(3, len(text) // 200):
            raise InputError(path, "invalid UTF-8 (looks like binary data); save the file as UTF-8", line=line)
        warnings.append(f"{path}: not valid UTF-8 (first bad byte on line {line}); bytes that are not UTF-8 "
                        "were read as cp1252 (Windows-1252)")
    return clean_text(text), warnings


# Lone UTF-16 surrogates: JSON escapes can carry them ("\\ud800"); no UTF-8 writer can encode them.
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    text = _SURROGATE.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)
