"""Baseline: lexical cues per 3RS code (spaCy PhraseMatcher) plus a few context rules.

Also the evidence reviewers see: `evidence(text)` names the cue phrases found in a turn.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import yaml

from ..errors import ModelError
from ..taxonomy import CONFIG_DIR, Taxonomy
from .base import DecisionRule, TurnProbabilities, decide
from .thresholds import choose_family_thresholds, choose_strategy_threshold

DEFAULT_CUES = CONFIG_DIR / "rules" / "3rs-cues.yaml"


class RuleTurnClassifier:
    kind = "rules"

    def __init__(self, taxonomy: Taxonomy, cues: str | Path = DEFAULT_CUES):
        self.taxonomy = taxonomy
        self.cues = str(cues)
        self._load()

    def _load(self) -> None:
        import spacy
        from spacy.matcher import PhraseMatcher

        with open(self.cues, encoding="utf-8") as fh:
            self.config_ = yaml.safe_load(fh)
        self.nlp_ = spacy.blank("en")
        self.matcher_ = PhraseMatcher(self.nlp_.vocab, attr="LOWER")
        for code, phrases in {**self.config_["subtypes"], **self.config_["strategies"]}.items():
            self.matcher_.add(code, list(self.nlp_.tokenizer.pipe(phrases)))
        self.weight_ = float(self.config_.get("default_weight", 0.35))
        self.open_q_ = tuple(self.config_.get("open_question", []))
        self.rule_ = DecisionRule({f: 0.5 for f in self.taxonomy.families}, 0.5)

    def __getstate__(self):
        return {"taxonomy": self.taxonomy, "cues": self.cues, "rule_": self.rule_}

    def __setstate__(self, state):
        self.__dict__.update(state)
        rule = state["rule_"]
        self._load()
        self.rule_ = rule

    def evidence(self, texts: Sequence[str]) -> list[list[tuple[str, str]]]:
        """Per text: (code, matched phrase) pairs."""
        out = []
        for doc in self.nlp_.tokenizer.pipe(texts):
            out.append([(self.nlp_.vocab.strings[mid], doc[s:e].text) for mid, s, e in self.matcher_(doc)])
        return out

    def _open_invitation(self, item: dict[str, Any]) -> bool:
        ctx = item.get("context") or []
        last = next((c["text"].lower() for c in reversed(ctx) if c["role"] == "therapist"), "")
        return any(last.lstrip(" ,.").startswith(q) or f" {q} " in last for q in self.open_q_)

    def predict_proba(self, items: Sequence[dict[str, Any]], **_: Any) -> TurnProbabilities:
        t = self.taxonomy
        n = len(items)
        fam = np.zeros((n, len(t.family_labels)))
        sub = np.full((n, len(t.subtypes)), 1e-3)
        strat = np.zeros((n, len(t.strategy_labels)))
        for i, (item, ev) in enumerate(zip(items, self.evidence([it["text"] for it in items]))):
            counts: dict[str, int] = {}
            for code, _ in ev:
                counts[code] = counts.get(code, 0) + 1
            words = len(item["text"].split())
            if item["role"] == "client":
                scores = {c: 1 - (1 - self.weight_) ** counts.get(c, 0) for c in t.subtypes}
                if "W2" in scores:  # minimal response only counts as one to an open invitation
                    scores["W2"] = max(scores["W2"], 0.6) if words <= 4 and self._open_invitation(item) else (
                        scores["W2"] * 0.3 if words > 6 else scores["W2"])
                if "W4" in scores and words > 90:
                    scores["W4"] = 1 - (1 - scores["W4"]) * 0.6
                for k, c in enumerate(t.subtypes):
                    sub[i, k] += scores[c]
                sub[i] /= sub[i].sum()
                fam_scores = [max(scores[c] for c in t.subtypes if t.subtype_family[c] == f) for f in t.families]
                fam[i, 1:] = fam_scores
                fam[i, 0] = max(0.05, 1 - max(fam_scores))
                fam[i] /= fam[i].sum()
                strat[i, 0] = 1.0
            else:
                fam[i, 0] = 1.0
                s = [1 - (1 - self.weight_) ** counts.get(c, 0) for c in t.strategies]
                strat[i, 1:] = s
                strat[i, 0] = max(0.05, 1 - max(s))
                strat[i] /= strat[i].sum()
        return TurnProbabilities(fam, sub, strat, [it["role"] for it in items])

    def fit(self, train_items=None, dev_items: Sequence[dict[str, Any]] | None = None, **_: Any) -> "RuleTurnClassifier":
        """Rules are not learned; only the decision thresholds are chosen on dev."""
        if dev_items:
            probs = self.predict_proba(dev_items)
            self.rule_ = DecisionRule(choose_family_thresholds(probs, dev_items, self.taxonomy),
                                      choose_strategy_threshold(probs, dev_items, self.taxonomy))
        return self

    def predict(self, items, **kwargs):
        return decide(self.predict_proba(items), self.rule_, self.taxonomy)

    def decide(self, probs):
        return decide(probs, self.rule_, self.taxonomy)

    def save_pretrained(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "rules-cues.yaml").write_text(yaml.safe_dump(self.config_, sort_keys=False), encoding="utf-8")
        (directory / "rules.json").write_text(json.dumps({"kind": self.kind, "thresholds": self.rule_.to_dict()}, indent=2))
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path, taxonomy: Taxonomy) -> "RuleTurnClassifier":
        path = Path(directory) / "rules.json"
        if not path.exists():
            raise ModelError(f"{directory}: no rule baseline here (rules.json missing)")
        obj = cls(taxonomy, cues=Path(directory) / "rules-cues.yaml")
        obj.rule_ = DecisionRule.from_dict(json.loads(path.read_text())["thresholds"])
        return obj
