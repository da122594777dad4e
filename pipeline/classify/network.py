"""The multi-head network: one shared encoder pass per turn, three small heads.

One model rather than two: a turn is encoded once whatever its role, which halves load time,
memory and inference cost; the heads are cheap and trained jointly on client and therapist items.
"""
from __future__ import annotations

import torch
from torch import nn

from .bert import bidirectional_mask


def _masked_mean(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


class MultiHeadTurnModel(nn.Module):
    """pooling='target_context' (default): the mean of the judged turn's tokens next to the mean of
    the context's, so the heads see what was said apart from what it answers. pooling='mean': one
    mean over all tokens, as all-MiniLM-L6-v2 was trained with."""

    def __init__(self, encoder: nn.Module, hidden_size: int, n_family: int, n_subtype: int, n_strategy: int,
                 dropout: float = 0.1, pooling: str = "target_context"):
        super().__init__()
        self.encoder = encoder
        self.pooling = pooling
        width = hidden_size * 2 if pooling == "target_context" else hidden_size
        self.dropout = nn.Dropout(dropout)
        self.family_head = nn.Linear(width, n_family)
        self.subtype_head = nn.Linear(width, n_subtype)
        self.strategy_head = nn.Linear(width, n_strategy)

    def forward(self, input_ids, attention_mask, token_type_ids=None) -> dict[str, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        return self.heads(hidden, attention_mask, token_type_ids)

    def _layer_mask(self, hidden: torch.Tensor, attention_mask: torch.Tensor):
        # what BertModel.forward builds for its sdpa layers (and the encoder of bert.py too)
        return bidirectional_mask(attention_mask, hidden.shape[1])

    @torch.no_grad()
    def lower_hidden(self, input_ids, attention_mask, token_type_ids, n_layers: int) -> torch.Tensor:
        """Hidden states after the embeddings and the first `n_layers` layers (frozen: computed once)."""
        hidden = self.encoder.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        mask = self._layer_mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[:n_layers]:
            hidden = layer(hidden, mask)
        return hidden

    def forward_from_layer(self, hidden, attention_mask, token_type_ids, start_layer: int) -> dict[str, torch.Tensor]:
        """The rest of the network from cached lower hidden states: the same function as `forward`."""
        mask = self._layer_mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[start_layer:]:
            hidden = layer(hidden, mask)
        return self.heads(hidden, attention_mask, token_type_ids)

    def heads(self, hidden, attention_mask, token_type_ids=None) -> dict[str, torch.Tensor]:
        if self.pooling == "target_context" and token_type_ids is not None:
            target = attention_mask * (token_type_ids == 1)
            context = attention_mask * (token_type_ids == 0)
            pooled = torch.cat([_masked_mean(hidden, target), _masked_mean(hidden, context)], dim=-1)
        else:
            pooled = _masked_mean(hidden, attention_mask)
        pooled = self.dropout(pooled)
        return {"family": self.family_head(pooled), "subtype": self.subtype_head(pooled),
                "strategy": self.strategy_head(pooled)}
