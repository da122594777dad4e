"""The real packaged encoder (all-MiniLM-L6-v2): verified, fine-tuned a few steps with the cached
frozen lower layers, saved and reloaded with identical scores."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline.classify.transformer import TransformerTurnClassifier
from pipeline.corpus.schema import load_items
from pipeline.taxonomy import load_taxonomy

MINI = Path(__file__).resolve().parent / "fixtures" / "corpus" / "mini.jsonl"


def test_classify_real_encoder_cached_layers_match_full_forward_and_round_trip(tmp_path):
    items, _ = load_items(MINI)
    train = [i for i in items if i["split"] == "train"]
    dev = [i for i in items if i["split"] == "dev"]
    cfg = {"epochs": 1, "batch_size": 8, "lr": 5e-5, "freeze_embeddings": True, "freeze_layers": 4, "threads": 2}
    clf = TransformerTurnClassifier(load_taxonomy(), {"encoder": "minilm", "max_length": 64, "max_target": 40},
                                    cfg, seed=3).fit(train, dev, progress=False)
    # the frozen parts really stayed at the pretrained values
    assert not clf.net_.encoder.embeddings.word_embeddings.weight.requires_grad
    assert all(not p.requires_grad for layer in clf.net_.encoder.encoder.layer[:4] for p in layer.parameters())
    # the cached path computes the same function as the full network
    enc = clf._encode(items[:6])
    from pipeline.classify.inputs import collate

    batch = collate(enc)
    with torch.no_grad():
        full = clf.net_(**batch)
        lower = clf.net_.lower_hidden(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"], 4)
        cached = clf.net_.forward_from_layer(lower, batch["attention_mask"], batch["token_type_ids"], 4)
    assert torch.allclose(full["family"], cached["family"], atol=1e-5)
    clf.save_pretrained(tmp_path / "m")
    again = TransformerTurnClassifier.from_pretrained(tmp_path / "m")
    assert np.allclose(clf.predict_proba(items).family, again.predict_proba(items).family, atol=1e-6)


def test_classify_real_encoder_layers_keeps_the_lowest_pretrained_layers(tmp_path):
    from transformers import BertModel

    from pipeline.classify.encoder import packaged_encoder_dir
    from pipeline.errors import ModelError

    items, _ = load_items(MINI)
    train = [i for i in items if i["split"] == "train"]
    cfg = {"epochs": 1, "batch_size": 8, "freeze_embeddings": True, "freeze_layers": 2, "threads": 2}
    clf = TransformerTurnClassifier(load_taxonomy(), {"encoder": "minilm", "layers": 3, "max_length": 48},
                                    cfg, seed=3).fit(train, None, progress=False)
    assert len(clf.net_.encoder.encoder.layer) == 3
    # the two frozen layers are still exactly the pretrained ones
    full = BertModel.from_pretrained(str(packaged_encoder_dir()), local_files_only=True, add_pooling_layer=False)
    for ours, theirs in zip(clf.net_.encoder.encoder.layer[:2], full.encoder.layer[:2]):
        for a, b in zip(ours.parameters(), theirs.parameters()):
            assert torch.equal(a, b)
    clf.save_pretrained(tmp_path / "m")
    again = TransformerTurnClassifier.from_pretrained(tmp_path / "m")
    assert again.encoder_config_["num_hidden_layers"] == 3 and len(again.net_.encoder.encoder.layer) == 3
    assert np.allclose(clf.predict_proba(items).family, again.predict_proba(items).family, atol=1e-6)
    with pytest.raises(ModelError, match="model.layers"):
        TransformerTurnClassifier(load_taxonomy(), {"encoder": "minilm", "layers": 9}, cfg).fit(train, None, progress=False)
