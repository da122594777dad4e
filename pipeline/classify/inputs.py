"""Turn items -> encoder inputs: role-marked context (left-truncated) paired with the judged turn."""
from __future__ import annotations

from typing import Any, Sequence

ROLE_MARK = {"therapist": "therapist:", "client": "client:"}


def context_string(context: Sequence[dict[str, Any]], n_turns: int) -> str:
    turns = list(context)[-n_turns:] if n_turns > 0 else []
    return " | ".join(f"{ROLE_MARK.get(t['role'], 'client:')} {t['text']}" for t in turns)


def target_string(item: dict[str, Any]) -> str:
    return f"{ROLE_MARK.get(item['role'], 'client:')} {item['text']}"


def encode_items(items: Sequence[dict[str, Any]], tokenizer, max_length: int = 128, max_target: int = 80,
                 context_turns: int = 4) -> list[dict[str, list[int]]]:
    """Token ids per item: [CLS] context [SEP] target [SEP].

    The judged turn keeps up to `max_target` tokens (its start: what the client says first); the
    context fills the rest from the *end*, so the turns nearest the judged one survive truncation.
    """
    # Whole turns are tokenised and cut here, so a turn longer than the encoder's 512 positions is
    # expected: verbose=False keeps the tokenizer from warning about it.
    ctx_ids = tokenizer([context_string(i.get("context") or [], context_turns) for i in items],
                        add_special_tokens=False, verbose=False)["input_ids"]
    tgt_ids = tokenizer([target_string(i) for i in items], add_special_tokens=False, verbose=False)["input_ids"]
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    out = []
    for ctx, tgt in zip(ctx_ids, tgt_ids):
        tgt = tgt[:max_target]
        room = max_length - len(tgt) - 3
        ctx = ctx[-room:] if room > 0 else []
        ids = [cls] + ctx + [sep] + tgt + [sep]
        types = [0] * (len(ctx) + 2) + [1] * (len(tgt) + 1)
        out.append({"input_ids": ids, "token_type_ids": types})
    return out


def collate(encoded: Sequence[dict[str, list[int]]], pad_id: int = 0):
    """Dynamic padding to the longest sequence in the batch."""
    import torch

    width = max(len(e["input_ids"]) for e in encoded)
    ids = torch.full((len(encoded), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(encoded), width), dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, e in enumerate(encoded):
        n = len(e["input_ids"])
        ids[row, :n] = torch.tensor(e["input_ids"])
        types[row, :n] = torch.tensor(e["token_type_ids"])
        mask[row, :n] = 1
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def length_buckets(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (inference: least padding, same results)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
