"""Training-time augmentation: written turns re-written the way speech recognisers print them.

Transcripts from ASR arrive in lower case, without punctuation or apostrophes ("i dont know its
fine"). The corpus has such turns, but two thirds of it is written text, and a model trained on it
lost 1-2 points of family macro-F1 on dev when the same turns were stripped of punctuation (three
seeds; `rupture evaluate --asr-style`). Re-writing a seeded share of the written training turns,
context included, teaches it that the marker is in the words, not the commas.
"""
from __future__ import annotations

import random
import re
from typing import Any, Sequence

# Non-verbal annotations ([laughs], [pause]) carry meaning (W6 is laughing off): keep the brackets.
_NOT_SPOKEN = re.compile(r"[^\w\s\[\]]")
_APOSTROPHES = re.compile(r"['\u2019`]")


def asr_style(text: str) -> str:
    """Lower case, apostrophes dropped ("don't" -> "dont"), other punctuation as spaces."""
    text = _APOSTROPHES.sub("", text.lower())
    return " ".join(_NOT_SPOKEN.sub(" ", text).split())


def asr_style_item(item: dict[str, Any]) -> dict[str, Any]:
    """The item with its text and every context turn in ASR style; labels unchanged."""
    out = dict(item)
    out["text"] = asr_style(item["text"])
    out["context"] = [dict(c, text=asr_style(c["text"])) for c in item.get("context") or []]
    out["style"] = "asr"
    return out


def asr_style_session(session: dict[str, Any]) -> dict[str, Any]:
    """A gold session (data/sessions.jsonl) with every turn's text in ASR style; labels unchanged."""
    return dict(session, turns=[dict(t, text=asr_style(t["text"])) for t in session["turns"]])


def with_asr_style(items: Sequence[dict[str, Any]], fraction: float, seed: int) -> list[dict[str, Any]]:
    """A seeded `fraction` of the items that are not already ASR-style, re-written; the rest as they are.

    Re-writing in place (not adding copies) keeps the training set, and so the build time, the same
    size."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"asr_style_fraction must be between 0 and 1, not {fraction}")
    rng = random.Random(seed)
    out = []
    for item in items:
        written = item.get("style") != "asr" and asr_style(item["text"]) != item["text"]
        out.append(asr_style_item(item) if written and rng.random() < fraction else item)
    return out
