"""Property-based tests of the readers: arbitrary bytes and text never raise anything but
InputError, and well-formed transcripts in every format read back to their speakers, texts and times."""
from __future__ import annotations

import json
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from guards import property_settings
from hostile import EXTENSION, render
from pipeline.errors import InputError
from pipeline.ingest import FORMATS, read_session
from pipeline.model import Session
from pipeline.segment import segment_sessions, sentences_of

SETTINGS = property_settings()
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"

# Pieces of every format's syntax, so random text reaches the parsers' deeper branches.
FRAGMENTS = ["T: ", "C: ", "Therapist:", "Client: ", "Dr. Lee: ", "Speaker 1: ", "[00:01] ", "(12:30)", "[99:99]",
             "[1:00:00:00]", "00:00:01.000 --> 00:00:02.000", "00:00:0", " --> ", "-->", "WEBVTT", "NOTE ",
             "<v T>", "<v ", "</v>", "<b>", "&amp;", "&lt;", '"', '""', ",", "\t", ";", "{", "}", "[", "]", ":",
             '{"speaker": "T", "text": "hi", "start": 1}', '"speaker": ', '"text": ', '"segments": [', "1e308",
             "NaN", "-1", "=HYPERLINK(", "# therapist: T", "# session: ../x", "\n", "\r\n", "\r", "\n\n",
             "\u200b", "\u202e", "\ufeff", "\x00", "\x1b[31m", "\ud800", "speaker,text,start\n", "1\n", "é", "日本"]
structured_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60).map("".join)


def _read_bytes(data: bytes, suffix: str, fmt: str | None = None):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        return read_session(path, format=fmt)


def _check_session(session: Session) -> None:
    """What every successfully read session must satisfy."""
    assert [t.index for t in session.turns] == list(range(len(session.turns)))
    assert len(session.speakers) >= 2
    roles = [s.role for s in session.speakers]
    assert "therapist" in roles and "client" in roles
    labels = {s.label for s in session.speakers}
    for a, b in zip(session.turns, session.turns[1:]):
        assert a.speaker != b.speaker  # merged speaker turns
    for t in session.turns:
        assert t.text.strip() and t.speaker in labels and t.role in ("therapist", "client")
        assert not any(ch in t.text or ch in t.speaker for ch in _INVISIBLE + "\x00\x1b")
        for v in (t.start, t.end):
            assert v is None or 0 <= v <= 100 * 3600
    json.dumps(session.to_dict(), ensure_ascii=False).encode("utf-8")


def _only_input_errors(read) -> Session | None:
    try:
        session = read()
    except InputError as err:
        assert err.path and str(err).startswith(err.path)
        return None
    _check_session(session)
    return session


@pytest.fixture(scope="module", autouse=True)
def _warm_segmenter():
    sentences_of(["Warm up. The segmenter loads once."])


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.binary(max_size=2000))
def test_hardening_readers_random_bytes_only_input_errors(fmt, data):
    _only_input_errors(lambda: _read_bytes(data, EXTENSION[fmt]))


@SETTINGS
@given(data=st.binary(max_size=2000).map(lambda b: b"PK\x03\x04" + b))
def test_hardening_docx_reader_random_zip_like_bytes_only_input_errors(data):
    _only_input_errors(lambda: _read_bytes(data, ".docx"))


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "docx"])
@SETTINGS
@given(text=structured_text, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_hardening_readers_random_text_only_input_errors(fmt, text, encoding):
    data = text.encode(encoding, errors="replace") if encoding == "cp1252" else text.encode(encoding, "surrogatepass")
    session = _only_input_errors(lambda: _read_bytes(data, EXTENSION[fmt]))
    if session is not None:
        segment_sessions([session])
        assert all(t.sentences for t in session.turns)


@SETTINGS
@given(text=structured_text)
def test_hardening_format_detection_random_text_only_input_errors(text):
    """No extension: the format is detected from the content."""
    _only_input_errors(lambda: _read_bytes(text.encode("utf-8", "surrogatepass"), ""))


# --- round trips ---------------------------------------------------------------------------------

THERAPISTS = ["Therapist", "T", "Counsellor", "Dr. Lee"]
CLIENTS = ["Client", "C", "Patient", "Client 2"]
_WORD_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,?!'\"&<>:;éüøßñ日本ش-"
words = st.text(alphabet=_WORD_ALPHABET, min_size=1, max_size=10)
utterance_text = st.lists(words, min_size=1, max_size=12).map(" ".join)


@st.composite
def transcripts(draw):
    therapist = draw(st.sampled_from(THERAPISTS))
    clients = draw(st.lists(st.sampled_from(CLIENTS), min_size=1, max_size=2, unique=True))
    people = [therapist, *clients]
    n = draw(st.integers(min_value=2, max_value=25))
    who = draw(st.lists(st.sampled_from(people), min_size=n, max_size=n))
    assume(therapist in who and any(c in who for c in clients))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=90_000), min_size=n, max_size=n))
    starts, t = [], 0
    for g in gaps:
        t += g
        starts.append(t / 1000)
    texts = draw(st.lists(utterance_text, min_size=n, max_size=n))
    return therapist, list(zip(who, texts, starts))


def _merged(rows):
    out: list[list] = []
    for who, text, start in rows:
        if out and out[-1][0] == who:
            out[-1][1] += " " + text
        else:
            out.append([who, text, start])
    return out


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(case=transcripts())
def test_hardening_readers_round_trip_speakers_texts_and_times(fmt, case):
    therapist, rows = case
    session = _read_bytes(render(rows, fmt), EXTENSION[fmt])
    _check_session(session)
    expected = _merged(rows)
    want = [(who, unicodedata.normalize("NFC", text)) for who, text, _ in expected]
    assert [(t.speaker, t.text) for t in session.turns] == want
    assert {s.label: s.role for s in session.speakers}[therapist] == "therapist"
    if fmt != "docx":
        tolerance = 1.0 if fmt == "text" else 0.0011
        for turn, (_, _, start) in zip(session.turns, expected):
            assert turn.start is not None and abs(turn.start - start) <= tolerance
    again = Session.from_dict(json.loads(json.dumps(session.to_dict())))
    assert again.to_dict() == session.to_dict()


@st.composite
def mutated(draw, fmt: str) -> bytes:
    """A well-formed transcript in `fmt`, then damaged: fragments inserted, ranges cut, truncated."""
    _, rows = draw(transcripts())
    data = bytearray(render(rows, fmt))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["insert", "cut", "truncate", "byte"]))
        if action == "insert":
            piece = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)))
            data[at:at] = piece.encode("utf-8", "surrogatepass")
        elif action == "cut":
            data[at:at + draw(st.integers(min_value=1, max_value=40))] = b""
        elif action == "truncate":
            del data[at:]
        else:
            data[at:at + 1] = bytes([draw(st.integers(min_value=0, max_value=255))])
    return bytes(data)


@pytest.mark.parametrize("fmt", FORMATS)
@SETTINGS
@given(data=st.data())
def test_hardening_readers_damaged_transcripts_only_input_errors(fmt, data):
    damaged = data.draw(mutated(fmt))
    session = _only_input_errors(lambda: _read_bytes(damaged, EXTENSION[fmt]))
    if session is not None:
        segment_sessions([session])


@SETTINGS
@given(texts=st.lists(st.text(max_size=300), max_size=5))
def test_hardening_segmenter_keeps_every_character(texts):
    """Sentences cover each text exactly: nothing lost, added or reordered but whitespace."""
    def squeeze(s: str) -> str:
        return "".join(ch for ch in s if not ch.isspace())

    out = sentences_of(texts)
    assert len(out) == len(texts)
    for text, sents in zip(texts, out):
        assert sents and squeeze("".join(sents)) == squeeze(text)
