"""Corpus hygiene: near-duplicate items and repeated openings (stock phrases teach templates)."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def _shingles(words: list[str], n: int = 3) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def near_duplicates(items: list[dict[str, Any]], threshold: float = 0.6, min_words: int = 6) -> list[tuple[str, str, float]]:
    """Pairs of judged texts whose word-trigram Jaccard similarity is at least `threshold`."""
    shingles = {}
    for item in items:
        words = _words(item["text"])
        if len(words) >= min_words:
            shingles[item["id"]] = _shingles(words)
    index: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for item_id, sh in shingles.items():
        for s in sh:
            index[s].append(item_id)
    pairs = []
    candidates: Counter = Counter()
    for ids in index.values():
        if len(ids) > 50:  # a very common trigram says nothing about duplication
            continue
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                candidates[(a, b) if a < b else (b, a)] += 1
    for (a, b), shared in candidates.items():
        union = len(shingles[a] | shingles[b])
        score = shared / union if union else 0.0
        if score >= threshold:
            pairs.append((a, b, round(score, 3)))
    return sorted(pairs, key=lambda p: -p[2])


def repeated_openings(items: list[dict[str, Any]], n_words: int = 3, max_count: int | None = None,
                      min_words: int = 5) -> list[tuple[str, int]]:
    """Openings (first n words of the judged text) used more often than allowed.

    Short answers ("Yes.", "I guess so.") are exempt: brevity is their point. The default allowance
    grows with the corpus: at most max(6, 0.25% of items) share an opening.
    """
    texts = [_words(i["text"]) for i in items]
    counts = Counter(" ".join(w[:n_words]) for w in texts if len(w) >= min_words)
    limit = max_count if max_count is not None else max(6, len(items) // 400)
    return [(opening, n) for opening, n in counts.most_common() if n > limit]


def stock_phrases(items: list[dict[str, Any]], n: int = 6, max_count: int = 4) -> list[tuple[str, int]]:
    """Word 6-grams that recur across more than `max_count` different items."""
    counts: Counter = Counter()
    for item in items:
        counts.update({" ".join(g) for g in _shingles(_words(item["text"]), n)})
    return [(p, c) for p, c in counts.most_common(50) if c > max_count]
