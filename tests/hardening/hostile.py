"""Builders for hostile and broken transcript files (all content fictional, written for these tests).

`make_corpus.py` uses them to write the committed corpus; the tests use them to generate the large
inputs (200,000 turns, 20 MB, zip bombs) into tmp_path instead of committing them.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Iterable, Sequence

GOOD = "T: How are you today?\nC: Fine, I guess.\nT: Just fine?\nC: Yeah.\n"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>')
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _zip(members: dict[str, bytes | str]) -> bytes:
    """A zip with fixed timestamps, so the same members always give the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def docx_bytes(paragraphs: Sequence[str], doctype: str = "", raw_body: str | None = None) -> bytes:
    """A minimal .docx (content types, package relationship, document part) that Word and
    python-docx open. `doctype` is inserted before the root element; `raw_body` replaces the
    escaped paragraphs (for entity tricks)."""
    body = raw_body if raw_body is not None else "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{_xml_text(p)}</w:t></w:r></w:p>' for p in paragraphs)
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{doctype}'
                f'<w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>')
    return _zip({"[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _RELS, "word/document.xml": document})


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    return _zip(members)


def write_docx_bomb(path: Path, unpacked_mb: int = 210) -> Path:
    """A .docx whose document part unpacks to `unpacked_mb` MB of spaces (a few hundred KB packed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            block = b" " * (1 << 20)
            for _ in range(unpacked_mb):
                fh.write(block)
    return path


def alternating_turns(n: int) -> Iterable[tuple[str, str]]:
    for i in range(n):
        yield ("T", f"Question {i}, how was that?") if i % 2 == 0 else ("C", f"Answer {i}, it was fine.")


def write_many_turns(path: Path, n: int, fmt: str) -> Path:
    """A transcript of n alternating turns in 'text', 'csv' or 'jsonl', streamed to disk."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            fh.write("speaker,text\n")
        for who, text in alternating_turns(n):
            if fmt == "text":
                fh.write(f"{who}: {text}\n")
            elif fmt == "csv":
                fh.write(f'{who},"{text}"\n')
            else:
                fh.write(json.dumps({"speaker": who, "text": text}) + "\n")
    return path


# --- round-trip writers: well-formed transcripts in every format, for property tests -------------

def _clock(seconds: float, sep: str) -> str:
    ms = int(round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _cue_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render(turns: Sequence[tuple[str, str, float]], fmt: str) -> bytes:
    """(speaker, text, start seconds) rows as a file of format `fmt`."""
    import csv

    if fmt == "text":
        return "".join(f"[{_clock(t, '.')[:8]}] {who}: {text}\n" for who, text, t in turns).encode()
    if fmt in ("vtt", "srt"):
        sep = "." if fmt == "vtt" else ","
        blocks = []
        for k, (who, text, t) in enumerate(turns, 1):
            timing = f"{_clock(t, sep)} --> {_clock(t + 0.5, sep)}"
            payload = f"<v {who}>{_cue_text(text)}" if fmt == "vtt" else f"{who}: {_cue_text(text)}"
            blocks.append(f"{k}\n{timing}\n{payload}\n")
        head = "WEBVTT\n\n" if fmt == "vtt" else ""
        return (head + "\n".join(blocks)).encode()
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        w = csv.writer(buf, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        w.writerow(["speaker", "text", "start"])
        for who, text, t in turns:
            w.writerow([who, text, f"{t:.3f}"])
        return buf.getvalue().encode()
    if fmt == "json":
        return json.dumps({"turns": [{"speaker": w, "text": x, "start": t} for w, x, t in turns]},
                          ensure_ascii=False).encode()
    if fmt == "jsonl":
        return "".join(json.dumps({"speaker": w, "text": x, "start": t}, ensure_ascii=False) + "\n"
                       for w, x, t in turns).encode()
    if fmt == "docx":
        return docx_bytes([f"{who}: {text}" for who, text, _ in turns])
    raise ValueError(fmt)


EXTENSION = {"text": ".txt", "vtt": ".vtt", "srt": ".srt", "csv": ".csv", "tsv": ".tsv", "json": ".json",
             "jsonl": ".jsonl", "docx": ".docx"}
