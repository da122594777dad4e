"""Turn classifiers: the fine-tuned transformer and two baselines (rules, TF-IDF + LR).

All share one interface: `predict_proba(items) -> TurnProbabilities` over turn items
({"role", "context": [{"role", "text"}], "text"}) and `decide(probs) -> list[TurnDecision]`.
"""
from .base import TurnDecision, TurnProbabilities
from .registry import load_classifier

__all__ = ["TurnDecision", "TurnProbabilities", "load_classifier"]
