"""What every turn classifier returns, and the decision rule shared by all of them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..taxonomy import NONE, Taxonomy


@dataclass
class TurnProbabilities:
    """Calibrated probabilities for n turns. Rows of client-only heads are meaningful for client
    turns, the strategy head for therapist turns; `roles` says which is which."""

    family: np.ndarray    # (n, 1 + n_families): none first, then taxonomy.families
    subtype: np.ndarray   # (n, n_subtypes): P(subtype | rupture), taxonomy.subtypes order
    strategy: np.ndarray  # (n, 1 + n_strategies): none first
    roles: list[str]

    def __len__(self) -> int:
        return len(self.roles)


@dataclass
class TurnDecision:
    role: str
    family: str | None = None      # client turns
    subtype: str | None = None
    strategy: str | None = None    # therapist turns
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class DecisionRule:
    """Thresholds chosen on dev and stored with the model (never hard-coded at call sites)."""

    family_thresholds: dict[str, float]
    strategy_threshold: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {"family_thresholds": self.family_thresholds, "strategy_threshold": self.strategy_threshold}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DecisionRule":
        return cls(family_thresholds=dict(d["family_thresholds"]), strategy_threshold=float(d.get("strategy_threshold", 0.5)))


def require_transformer(classifier, option: str) -> None:
    """Inference options (--int8, --bf16, --compile) change the transformer's encoder; the
    baselines have none, so asking for one there is a user error, said in one line."""
    from ..errors import UserError

    if getattr(classifier, "kind", None) != "transformer":
        raise UserError(f"{option} applies to transformer models, not the {getattr(classifier, 'kind', '?')!r} baseline")


def decide(probs: TurnProbabilities, rule: DecisionRule, taxonomy: Taxonomy) -> list[TurnDecision]:
    """Family: the most likely rupture family whose probability clears its threshold, else none.
    Subtype: the most likely code of that family. Strategy: most likely non-none strategy if
    P(any strategy) clears the threshold."""
    fams = taxonomy.families
    out = []
    for i, role in enumerate(probs.roles):
        if role == "client":
            scores = {f: float(probs.family[i, j + 1]) for j, f in enumerate(fams)}
            passing = [f for f in fams if scores[f] >= rule.family_thresholds.get(f, 0.5)]
            family = max(passing, key=lambda f: scores[f]) if passing else NONE
            subtype = None
            if family != NONE:
                codes = [k for k, s in enumerate(taxonomy.subtypes) if taxonomy.subtype_family[s] == family]
                subtype = taxonomy.subtypes[max(codes, key=lambda k: probs.subtype[i, k])]
            out.append(TurnDecision(role=role, family=family, subtype=subtype, scores=scores))
        else:
            p_any = 1.0 - float(probs.strategy[i, 0])
            strategy = NONE
            if p_any >= rule.strategy_threshold:
                strategy = taxonomy.strategies[int(np.argmax(probs.strategy[i, 1:]))]
            out.append(TurnDecision(role=role, strategy=strategy, scores={"strategy": p_any}))
    return out
