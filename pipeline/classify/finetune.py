"""The fine-tuning loop: weighted multi-head loss, warm-up + linear decay, length-grouped batches.

With the embeddings and the lowest `freeze_layers` layers frozen, their output never changes, so it
is computed once per example and cached: each epoch then runs only the upper layers, which on a
2-core CPU buys about twice the epochs in the same time (same function, same results as running
the full network: see `MultiHeadTurnModel.forward_from_layer`).
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

HEADS = ("family", "subtype", "strategy")


def class_weights(labels: np.ndarray, n_classes: int, power: float):
    import torch

    counts = np.bincount(labels[labels >= 0], minlength=n_classes).astype(float)
    weights = (counts.sum() / np.maximum(counts, 1.0) / n_classes) ** power
    weights[counts == 0] = 0.0
    return torch.tensor(weights, dtype=torch.float32)


def _cache_lower(net, encoded: Sequence[dict[str, list[int]]], n_layers: int, batch_size: int = 64,
                 device: str = "cpu") -> list:
    from .inputs import collate, length_buckets

    cached: list = [None] * len(encoded)
    net.eval()
    for idx in length_buckets([len(e["input_ids"]) for e in encoded], batch_size):
        batch = {k: v.to(device) for k, v in collate([encoded[i] for i in idx]).items()}
        hidden = net.lower_hidden(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"], n_layers)
        for row, i in enumerate(idx):
            cached[i] = hidden[row, : len(encoded[i]["input_ids"])].clone()
    return cached


def _pad_hidden(states: list, encoded: Sequence[dict[str, list[int]]]):
    import torch

    width = max(s.shape[0] for s in states)
    device = states[0].device
    hidden = torch.zeros((len(states), width, states[0].shape[1]), dtype=states[0].dtype, device=device)
    mask = torch.zeros((len(states), width), dtype=torch.long, device=device)
    types = torch.zeros((len(states), width), dtype=torch.long, device=device)
    for row, (s, e) in enumerate(zip(states, encoded)):
        n = s.shape[0]
        hidden[row, :n] = s
        mask[row, :n] = 1
        types[row, :n] = torch.tensor(e["token_type_ids"])
    return hidden, mask, types


def run_finetuning(net, encoded: Sequence[dict[str, list[int]]], y: dict[str, np.ndarray], n_classes: dict[str, int],
                   cfg: dict[str, Any], seed: int, progress: bool = True) -> float:
    """Train `net` in place; return the seconds spent."""
    import torch
    from torch import nn
    from tqdm.auto import tqdm

    from .inputs import collate

    # CPU by default (deterministic with a fixed seed); `train.device: cuda` for researchers with a GPU.
    device = str(cfg.get("device", "cpu"))
    net.to(device)
    power = float(cfg.get("class_weight_power", 0.5))
    losses = {h: nn.CrossEntropyLoss(weight=class_weights(y[h], n_classes[h], power).to(device), ignore_index=-100,
                                     label_smoothing=float(cfg.get("label_smoothing", 0.0)))
              for h in HEADS}
    head_weight = {"family": 1.0, "subtype": float(cfg.get("subtype_loss_weight", 0.5)),
                   "strategy": float(cfg.get("strategy_loss_weight", 1.0))}
    bs, epochs = int(cfg.get("batch_size", 32)), int(cfg.get("epochs", 3))
    frozen = int(cfg.get("freeze_layers", 0)) if cfg.get("freeze_embeddings") else 0
    enc_params = [p for p in net.encoder.parameters() if p.requires_grad]
    head_params = [p for n, p in net.named_parameters() if not n.startswith("encoder.")]
    opt = torch.optim.AdamW([{"params": enc_params, "lr": float(cfg.get("lr", 5e-5))},
                             {"params": head_params, "lr": float(cfg.get("head_lr", 1e-3))}],
                            weight_decay=float(cfg.get("weight_decay", 0.01)))
    total = max(1, ((len(encoded) + bs - 1) // bs) * epochs)
    warm = int(total * float(cfg.get("warmup", 0.1)))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    rng = np.random.default_rng(seed)
    lengths = np.array([len(e["input_ids"]) for e in encoded])
    started = time.time()
    cached = _cache_lower(net, encoded, frozen, device=device) if frozen else None
    net.train()
    bar = tqdm(total=total, desc="fine-tuning", unit="batch", disable=not progress)
    for _ in range(epochs):
        # Shuffle, then sort within chunks of 50 batches: similar lengths per batch, random order.
        order = rng.permutation(len(encoded))
        batches = []
        for start in range(0, len(order), bs * 50):
            chunk = order[start:start + bs * 50]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches.extend(chunk[i:i + bs] for i in range(0, len(chunk), bs))
        for b in rng.permutation(len(batches)):
            idx = batches[b]
            if cached is not None:
                hidden, mask, types = _pad_hidden([cached[i] for i in idx], [encoded[i] for i in idx])
                out = net.forward_from_layer(hidden, mask, types, frozen)
            else:
                out = net(**{k: v.to(device) for k, v in collate([encoded[i] for i in idx]).items()})
            loss = 0.0
            for h in HEADS:
                target = torch.from_numpy(y[h][idx]).to(device)
                if (target >= 0).any():
                    loss = loss + head_weight[h] * losses[h](out[h], target)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    net.to("cpu").eval()
    return round(time.time() - started, 1)
