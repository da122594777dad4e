"""The fine-tuned transformer turn classifier (sklearn-style estimator, setfit-style persistence)."""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ModelError
from ..taxonomy import NONE, Taxonomy
from .base import DecisionRule, TurnProbabilities, decide
from .calibration import fit_temperature, softmax
from .encoder import resolve_encoder, sha256_file, verify_weights
from .finetune import HEADS
from .inputs import collate, encode_items, length_buckets
from .thresholds import choose_family_thresholds, choose_strategy_threshold

WEIGHTS = "model.safetensors"


def set_seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class TransformerTurnClassifier:
    """Fit on turn items, predict calibrated probabilities, save and reload.

    Parameters are stored as given (`model` and `train` sections of a training config); learned
    state ends in `_`.
    """

    kind = "transformer"

    def __init__(self, taxonomy: Taxonomy, model: dict[str, Any] | None = None, train: dict[str, Any] | None = None,
                 seed: int = 13):
        self.taxonomy = taxonomy
        self.model = dict(model or {})
        self.train = dict(train or {})
        self.seed = seed

    # -- construction -------------------------------------------------------------------------
    def _build(self, init_from: str | None = None) -> None:
        import torch
        from transformers import AutoTokenizer, BertConfig, BertModel
        from transformers.utils import logging as hf_logging

        from .network import MultiHeadTurnModel

        hf_logging.set_verbosity_error()  # the dropped pooler weights are expected, not news
        torch.set_num_threads(int(self.train.get("threads", 2)))
        encoder_name = self.model.get("encoder", "minilm")
        tiny = self.model.get("tiny")
        tok_dir, _ = resolve_encoder("minilm" if tiny else encoder_name)
        self.tokenizer_ = AutoTokenizer.from_pretrained(str(tok_dir), local_files_only=True)
        if tiny:  # a tiny random encoder built from config, for tests and smoke runs
            cfg = BertConfig(vocab_size=self.tokenizer_.vocab_size, hidden_size=tiny.get("hidden_size", 32),
                             num_hidden_layers=tiny.get("layers", 2), num_attention_heads=tiny.get("heads", 2),
                             intermediate_size=tiny.get("intermediate", 64), max_position_embeddings=512)
            encoder = BertModel(cfg, add_pooling_layer=False)
        else:
            encoder = BertModel.from_pretrained(str(tok_dir), local_files_only=True, add_pooling_layer=False)
            keep = self.model.get("layers")
            if keep:  # the lowest `layers` pretrained layers only: inference cost falls in proportion
                if not 0 < int(keep) <= len(encoder.encoder.layer):
                    raise ModelError(f"model.layers must be 1-{len(encoder.encoder.layer)}, got {keep}")
                encoder.encoder.layer = encoder.encoder.layer[: int(keep)]
                encoder.config.num_hidden_layers = int(keep)
        self.encoder_config_ = encoder.config.to_dict()
        t = self.taxonomy
        self.net_ = MultiHeadTurnModel(encoder, encoder.config.hidden_size, len(t.family_labels), len(t.subtypes),
                                       len(t.strategy_labels), dropout=float(self.model.get("dropout", 0.1)),
                                       pooling=self.model.get("pooling", "target_context"))
        if self.train.get("freeze_embeddings", False):
            # The 30k x 384 word-embedding matrix is half the parameters; freezing it halves the
            # optimiser's work and keeps the pretrained vocabulary intact on small data.
            self.net_.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
        for layer in self.net_.encoder.encoder.layer[: int(self.train.get("freeze_layers", 0))]:
            # Lower layers carry general syntax; freezing them saves their backward pass (CPU budget).
            for p in layer.parameters():
                p.requires_grad_(False)
        if init_from:
            base = TransformerTurnClassifier.from_pretrained(init_from)
            if base.taxonomy.to_dict() != t.to_dict():
                raise ModelError(f"{init_from}: its taxonomy differs from this config's; cannot train on top of it")
            self.net_.load_state_dict(base.net_.state_dict())
        self.temperatures_ = {h: 1.0 for h in HEADS}

    def _encode(self, items: Sequence[dict[str, Any]]):
        return encode_items(items, self.tokenizer_, max_length=int(self.model.get("max_length", 128)),
                            max_target=int(self.model.get("max_target", 80)),
                            context_turns=int(self.model.get("context_turns", 4)))

    # -- training -----------------------------------------------------------------------------
    def _targets(self, items: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
        t = self.taxonomy
        fam_idx = {f: i for i, f in enumerate(t.family_labels)}
        sub_idx = {s: i for i, s in enumerate(t.subtypes)}
        strat_idx = {s: i for i, s in enumerate(t.strategy_labels)}
        n = len(items)
        y = {h: np.full(n, -100, dtype=np.int64) for h in HEADS}
        for i, it in enumerate(items):
            if it["role"] == "client":
                y["family"][i] = fam_idx[it["family"]]
                if it.get("subtype"):
                    y["subtype"][i] = sub_idx[it["subtype"]]
            else:
                y["strategy"][i] = strat_idx[it.get("strategy") or NONE]
        return y

    def fit(self, train_items: Sequence[dict[str, Any]], dev_items: Sequence[dict[str, Any]] | None = None,
            init_from: str | None = None, progress: bool = True) -> "TransformerTurnClassifier":
        from .finetune import run_finetuning

        set_seed(self.seed)
        self._build(init_from)
        t = self.taxonomy
        self.train_seconds_ = run_finetuning(
            self.net_, self._encode(train_items), self._targets(train_items),
            {"family": len(t.family_labels), "subtype": len(t.subtypes), "strategy": len(t.strategy_labels)},
            self.train, self.seed, progress)
        self.calibrate(dev_items or [])
        return self

    def calibrate(self, dev_items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Fit temperatures and decision thresholds on dev; return ECE before/after."""
        from .calibration import expected_calibration_error

        report: dict[str, Any] = {}
        self.temperatures_ = {h: 1.0 for h in HEADS}
        if not dev_items:
            self.rule_ = DecisionRule({f: 0.5 for f in self.taxonomy.families}, 0.5)
            return report
        logits = self.logits(dev_items, device=str(self.train.get("device", "cpu")))
        self.net_.to("cpu")
        y = self._targets(dev_items)
        for h in HEADS:
            sel = y[h] >= 0
            if sel.sum() == 0:
                continue
            before = expected_calibration_error(softmax(logits[h][sel]), y[h][sel])
            self.temperatures_[h] = fit_temperature(logits[h][sel], y[h][sel])
            after = expected_calibration_error(softmax(logits[h][sel], self.temperatures_[h]), y[h][sel])
            report[h] = {"temperature": round(self.temperatures_[h], 4), "ece_before": round(before, 4),
                         "ece_after": round(after, 4)}
        probs = self._probs_from_logits(logits, [i["role"] for i in dev_items])
        self.rule_ = DecisionRule(choose_family_thresholds(probs, dev_items, self.taxonomy),
                                  choose_strategy_threshold(probs, dev_items, self.taxonomy))
        self.calibration_report_ = report
        return report

    # -- inference ----------------------------------------------------------------------------
    def logits(self, items: Sequence[dict[str, Any]], batch_size: int = 64, device: str = "cpu",
               progress: bool = False, encoded=None) -> dict[str, np.ndarray]:
        import torch
        from tqdm.auto import tqdm

        if not items:
            return {h: np.zeros((0, n)) for h, n in (("family", len(self.taxonomy.family_labels)),
                                                      ("subtype", len(self.taxonomy.subtypes)),
                                                      ("strategy", len(self.taxonomy.strategy_labels)))}
        encoded = encoded if encoded is not None else self._encode(items)
        net = self.net_.to(device)
        net.eval()
        out = {h: [None] * len(items) for h in HEADS}
        with torch.inference_mode():
            for idx, rows in tqdm(self.batch_rows(encoded, batch_size), desc="scoring turns", unit="batch",
                                  disable=not progress):
                batch = {k: v.to(device) for k, v in collate([encoded[i] for i in rows]).items()}
                res = net(**batch)
                for h in HEADS:
                    arr = res[h].float().cpu().numpy()
                    for row, i in enumerate(idx):
                        out[h][i] = arr[row]
        return {h: np.stack(v) for h, v in out.items()}

    def batch_rows(self, encoded, batch_size: int) -> list[tuple[list[int], list[int]]]:
        """(items, rows fed to the network) per batch: length buckets; a compiled encoder would
        build a second graph for a one-row batch, so that row is fed twice (the extra is ignored)."""
        compiled = getattr(self, "compiled_", False)
        return [(idx, idx * 2 if compiled and len(idx) == 1 else idx)
                for idx in length_buckets([len(e["input_ids"]) for e in encoded], batch_size)]

    def _probs_from_logits(self, logits: dict[str, np.ndarray], roles: list[str]) -> TurnProbabilities:
        return TurnProbabilities(family=softmax(logits["family"], self.temperatures_["family"]),
                                 subtype=softmax(logits["subtype"], self.temperatures_["subtype"]),
                                 strategy=softmax(logits["strategy"], self.temperatures_["strategy"]), roles=roles)

    def predict_proba(self, items: Sequence[dict[str, Any]], batch_size: int = 64, device: str = "cpu",
                      progress: bool = False) -> TurnProbabilities:
        """Calibrated probabilities for turn items, batched by length; CPU unless told otherwise."""
        return self._probs_from_logits(self.logits(items, batch_size, device, progress), [i["role"] for i in items])

    def predict(self, items: Sequence[dict[str, Any]], **kwargs):
        return decide(self.predict_proba(items, **kwargs), self.rule_, self.taxonomy)

    def decide(self, probs: TurnProbabilities):
        return decide(probs, self.rule_, self.taxonomy)

    # -- persistence --------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in self.net_.state_dict().items()}
        save_file(state, str(directory / WEIGHTS))
        self.tokenizer_.save_pretrained(str(directory / "tokenizer"))
        meta = {
            "kind": self.kind, "seed": self.seed, "model": self.model, "train": self.train,
            "encoder_config": self.encoder_config_, "taxonomy": self.taxonomy.to_dict(),
            "labels": {"family": list(self.taxonomy.family_labels), "subtype": list(self.taxonomy.subtypes),
                       "strategy": list(self.taxonomy.strategy_labels)},
            "temperatures": self.temperatures_, "thresholds": self.rule_.to_dict(),
            "weights_sha256": sha256_file(directory / WEIGHTS),
        }
        (directory / "classifier.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return directory

    @classmethod
    def from_pretrained(cls, directory: str | Path, threads: int | None = None) -> "TransformerTurnClassifier":
        import torch
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        from ..taxonomy import Taxonomy as _Taxonomy
        from .bert import BertEncoderModel, WordPieceTokenizer
        from .network import MultiHeadTurnModel

        directory = Path(directory)
        meta_path = directory / "classifier.json"
        if not meta_path.exists():
            raise ModelError(f"{directory}: not a trained model directory (no classifier.json)")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        verify_weights(directory / WEIGHTS, meta["weights_sha256"])
        taxonomy = _Taxonomy.from_dict(meta["taxonomy"])
        obj = cls(taxonomy, meta["model"], meta["train"], meta.get("seed", 13))
        if threads:
            torch.set_num_threads(threads)
        # transformers' own classes would cost 2-3 s of imports here; these load the same files (bert.py)
        try:
            obj.tokenizer_ = WordPieceTokenizer(directory / "tokenizer")
            encoder = BertEncoderModel(meta["encoder_config"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            reason = str(err).splitlines()[0][:160]
            raise ModelError(f"{directory}: cannot rebuild the encoder or tokenizer ({reason})") from None
        obj.encoder_config_ = meta["encoder_config"]
        obj.net_ = MultiHeadTurnModel(encoder, encoder.config.hidden_size, len(taxonomy.family_labels),
                                      len(taxonomy.subtypes), len(taxonomy.strategy_labels),
                                      dropout=float(obj.model.get("dropout", 0.1)),
                                      pooling=obj.model.get("pooling", "target_context"))
        try:
            state = load_file(str(directory / WEIGHTS))
            obj.net_.load_state_dict(state)
        except (SafetensorError, RuntimeError, OSError) as err:
            raise ModelError(f"{directory / WEIGHTS}: cannot load weights ({str(err).splitlines()[0][:120]})") from None
        obj.net_.eval()
        obj.temperatures_ = {h: float(v) for h, v in meta["temperatures"].items()}
        obj.rule_ = DecisionRule.from_dict(meta["thresholds"])
        obj.meta_ = meta
        return obj
