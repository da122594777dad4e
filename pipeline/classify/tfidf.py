"""Baseline: TF-IDF n-grams of the judged turn and its last context turn + logistic regression."""
from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ModelError
from ..taxonomy import NONE, Taxonomy
from .base import DecisionRule, TurnProbabilities, decide
from .encoder import sha256_file, verify_weights
from .thresholds import choose_family_thresholds, choose_strategy_threshold


def _last_context(item: dict[str, Any]) -> str:
    ctx = item.get("context") or []
    return ctx[-1]["text"] if ctx else ""


class TfidfTurnClassifier:
    kind = "tfidf"

    def __init__(self, taxonomy: Taxonomy, C: float = 4.0, max_features: int = 60000, seed: int = 13):
        self.taxonomy = taxonomy
        self.C = C
        self.max_features = max_features
        self.seed = seed

    def _features(self, items: Sequence[dict[str, Any]], fit: bool = False):
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = [i["text"] for i in items]
        ctx = [_last_context(i) for i in items]
        if fit:
            self.word_ = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=self.max_features)
            self.char_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                         max_features=self.max_features)
            self.ctx_ = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=20000)
            return hstack([self.word_.fit_transform(texts), self.char_.fit_transform(texts),
                           0.5 * self.ctx_.fit_transform(ctx)]).tocsr()
        return hstack([self.word_.transform(texts), self.char_.transform(texts), 0.5 * self.ctx_.transform(ctx)]).tocsr()

    def _lr(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced", random_state=self.seed)

    def fit(self, train_items: Sequence[dict[str, Any]], dev_items: Sequence[dict[str, Any]] | None = None,
            **_: Any) -> "TfidfTurnClassifier":
        X = self._features(train_items, fit=True)
        client = [i for i, it in enumerate(train_items) if it["role"] == "client"]
        rupture = [i for i in client if train_items[i]["family"] != NONE]
        therapist = [i for i, it in enumerate(train_items) if it["role"] == "therapist"]
        self.family_ = self._lr().fit(X[client], [train_items[i]["family"] for i in client])
        self.subtype_ = self._lr().fit(X[rupture], [train_items[i]["subtype"] for i in rupture]) if rupture else None
        self.strategy_ = (self._lr().fit(X[therapist], [train_items[i].get("strategy") or NONE for i in therapist])
                          if len({train_items[i].get("strategy") for i in therapist}) > 1 else None)
        self.rule_ = DecisionRule({f: 0.5 for f in self.taxonomy.families}, 0.5)
        if dev_items:
            probs = self.predict_proba(dev_items)
            self.rule_ = DecisionRule(choose_family_thresholds(probs, dev_items, self.taxonomy),
                                      choose_strategy_threshold(probs, dev_items, self.taxonomy))
        return self

    @staticmethod
    def _aligned(model, X, labels: Sequence[str]) -> np.ndarray:
        out = np.zeros((X.shape[0], len(labels)))
        if model is None:
            out[:, 0] = 1.0
            return out
        p = model.predict_proba(X)
        for j, cls in enumerate(model.classes_):
            if cls in labels:
                out[:, list(labels).index(cls)] = p[:, j]
        return out

    def predict_proba(self, items: Sequence[dict[str, Any]], **_: Any) -> TurnProbabilities:
        if not items:
            t = self.taxonomy
            return TurnProbabilities(np.zeros((0, len(t.family_labels))), np.zeros((0, len(t.subtypes))),
                                     np.zeros((0, len(t.strategy_labels))), [])
        X = self._features(items)
        sub = self._aligned(self.subtype_, X, self.taxonomy.subtypes) if self.subtype_ is not None else \
            np.full((X.shape[0], len(self.taxonomy.subtypes)), 1.0 / len(self.taxonomy.subtypes))
        return TurnProbabilities(family=self._aligned(self.family_, X, self.taxonomy.family_labels), subtype=sub,
                                 strategy=self._aligned(self.strategy_, X, self.taxonomy.strategy_labels),
                                 roles=[i["role"] for i in items])

    def predict(self, items, **kwargs):
        return decide(self.predict_proba(items), self.rule_, self.taxonomy)

    def decide(self, probs):
        return decide(probs, self.rule_, self.taxonomy)

    def save_pretrained(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        # Pickle is only ever read back from a directory this toolkit wrote, after its checksum matches.
        (directory / "tfidf.pkl").write_bytes(pickle.dumps(self))
        (directory / "tfidf.json").write_text(json.dumps({"kind": self.kind, "sha256": sha256_file(directory / "tfidf.pkl"),
                                                          "thresholds": self.rule_.to_dict()}, indent=2))
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> "TfidfTurnClassifier":
        directory = Path(directory)
        meta_path = directory / "tfidf.json"
        if not meta_path.exists():
            raise ModelError(f"{directory}: no TF-IDF baseline here (tfidf.json missing); retrain with rupture train")
        meta = json.loads(meta_path.read_text())
        verify_weights(directory / "tfidf.pkl", meta["sha256"])
        return pickle.loads((directory / "tfidf.pkl").read_bytes())
