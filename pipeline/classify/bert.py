"""A saved model's encoder and tokenizer without importing `transformers`.

Importing transformers' BERT (its model registry, generation and distributed modules) and its
tokenizer wrapper takes 2-3 s on 2 cores: more than half of `rupture annotate`'s model load, for
a 4-layer encoder whose forward pass is a dozen lines. A saved model is therefore rebuilt here
from its recorded config with the same module names, parameter names and arithmetic as
`transformers.BertModel` (sdpa attention, exact GELU, post-LayerNorm), so its weights load
unchanged and every layer rewrite (oneDNN, int8, bf16, compilation) finds what it looks for.
Training still builds `transformers.BertModel` from the packaged encoder; the two give the same
hidden states (to float rounding) and a test holds them to it.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

import torch
from torch import nn


def bidirectional_mask(attention_mask: torch.Tensor | None, query_length: int) -> torch.Tensor | None:
    """The keys each query may attend to, as scaled_dot_product_attention takes them: None when no
    row is padded, else a boolean (batch, 1, query, key) mask (what transformers builds for sdpa).
    Under torch.compile the mask is always built: testing the values would split the graph."""
    if attention_mask is None:
        return None
    if not torch.compiler.is_compiling() and bool(attention_mask.all()):
        return None
    keys = attention_mask.bool()[:, None, None, :]
    return keys.expand(-1, 1, query_length, -1)


class BertEmbeddings(nn.Module):
    def __init__(self, cfg: SimpleNamespace):
        super().__init__()
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size, padding_idx=cfg.pad_token_id)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.hidden_dropout_prob)
        self.register_buffer("position_ids", torch.arange(cfg.max_position_embeddings)[None, :], persistent=False)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        # the order of the sums is transformers' (float addition is not associative)
        hidden = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        hidden = hidden + self.position_embeddings(self.position_ids[:, : input_ids.shape[1]])
        return self.dropout(self.LayerNorm(hidden))


class BertSelfAttention(nn.Module):
    def __init__(self, cfg: SimpleNamespace):
        super().__init__()
        self.head_size = cfg.hidden_size // cfg.num_attention_heads
        self.scaling = self.head_size ** -0.5
        self.query = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.key = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.value = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.dropout = nn.Dropout(cfg.attention_probs_dropout_prob)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        shape = (*hidden.shape[:-1], -1, self.head_size)
        q, k, v = (proj(hidden).view(shape).transpose(1, 2) for proj in (self.query, self.key, self.value))
        out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=self.scaling,
                                                         dropout_p=self.dropout.p if self.training else 0.0)
        return out.transpose(1, 2).reshape(*hidden.shape[:-1], -1)


class BertResidualOutput(nn.Module):
    """dense -> dropout -> LayerNorm(+ residual): both of transformers' BertSelfOutput and BertOutput."""

    def __init__(self, cfg: SimpleNamespace, in_features: int):
        super().__init__()
        self.dense = nn.Linear(in_features, cfg.hidden_size)
        self.LayerNorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.dropout = nn.Dropout(cfg.hidden_dropout_prob)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertAttention(nn.Module):
    def __init__(self, cfg: SimpleNamespace):
        super().__init__()
        self.self = BertSelfAttention(cfg)
        self.output = BertResidualOutput(cfg, cfg.hidden_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(hidden, mask), hidden)


class BertIntermediate(nn.Module):
    def __init__(self, cfg: SimpleNamespace):
        super().__init__()
        self.dense = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.intermediate_act_fn = nn.GELU()  # exact (erf) GELU, config "gelu"

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.intermediate_act_fn(self.dense(hidden))


class BertLayer(nn.Module):
    def __init__(self, cfg: SimpleNamespace):
        super().__init__()
        self.attention = BertAttention(cfg)
        self.intermediate = BertIntermediate(cfg)
        self.output = BertResidualOutput(cfg, cfg.intermediate_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        attended = self.attention(hidden, mask)
        return self.output(self.intermediate(attended), attended)


class BertStack(nn.Module):
    def __init__(self, cfg: SimpleNamespace):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(cfg) for _ in range(cfg.num_hidden_layers))


class BertEncoderModel(nn.Module):
    """`transformers.BertModel` without its pooler, for a saved model's encoder: same state_dict keys
    (`embeddings.*`, `encoder.layer.N.*`), same outputs (`.last_hidden_state`)."""

    SUPPORTED = {"model_type": "bert", "hidden_act": "gelu", "position_embedding_type": "absolute"}

    def __init__(self, config: dict[str, Any]):
        super().__init__()
        odd = {k: config.get(k) for k, v in self.SUPPORTED.items() if config.get(k, v) != v}
        if odd or config.get("is_decoder"):
            raise ValueError(f"not a plain BERT encoder config: {odd or 'is_decoder'}")
        self.config = cfg = SimpleNamespace(**{**config, "pad_token_id": config.get("pad_token_id", 0)})
        self.embeddings = BertEmbeddings(cfg)
        self.encoder = BertStack(cfg)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None) -> SimpleNamespace:
        hidden = self.embeddings(input_ids, token_type_ids)
        mask = bidirectional_mask(attention_mask, input_ids.shape[1])
        for layer in self.encoder.layer:
            hidden = layer(hidden, mask)
        return SimpleNamespace(last_hidden_state=hidden)


class WordPieceTokenizer:
    """The saved tokenizer (tokenizer.json) through the `tokenizers` library directly: the calls
    `encode_items` makes of a transformers fast tokenizer, with the same ids."""

    FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")

    def __init__(self, directory: str | Path):
        from tokenizers import Tokenizer

        self.directory = Path(directory)
        path = self.directory / "tokenizer.json"
        try:
            self.backend = Tokenizer.from_file(str(path))
        except Exception as err:  # the Rust library raises plain Exception for a malformed file
            raise ValueError(f"{path}: {err}") from None
        # transformers turns the file's own truncation and padding off unless asked for them
        self.backend.no_truncation()
        self.backend.no_padding()
        config_path = self.directory / "tokenizer_config.json"
        config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
        self.cls_token_id = self._id(config.get("cls_token", "[CLS]"))
        self.sep_token_id = self._id(config.get("sep_token", "[SEP]"))
        self.pad_token_id = self._id(config.get("pad_token", "[PAD]"))
        self.vocab_size = self.backend.get_vocab_size(with_added_tokens=False)

    def _id(self, token: Any) -> int:
        token = token.get("content") if isinstance(token, dict) else token
        found = self.backend.token_to_id(str(token))
        if found is None:
            raise ValueError(f"{self.directory / 'tokenizer.json'}: no special token {token!r} in the vocabulary")
        return found

    def __call__(self, texts: Sequence[str], add_special_tokens: bool = True, verbose: bool = True) -> dict[str, list]:
        encodings = self.backend.encode_batch(list(texts), add_special_tokens=add_special_tokens)
        return {"input_ids": [e.ids for e in encodings]}

    def save_pretrained(self, directory: str | Path) -> None:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for name in self.FILES:
            if (self.directory / name).exists():
                shutil.copyfile(self.directory / name, Path(directory) / name)
