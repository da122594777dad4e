"""The encoder and tokenizer a saved model is rebuilt with (classify/bert.py) against transformers'."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertModel
from transformers.masking_utils import create_bidirectional_mask

from pipeline.classify.bert import BertEncoderModel, WordPieceTokenizer, bidirectional_mask
from pipeline.errors import ModelError

ROOT = Path(__file__).resolve().parents[1]
TEXTS = ["I said it's FINE. Can we do something else?", "um i dunno whatever", "", "   ",
         "Ünïcödé — naïve café\u200b\tand\nnew lines", "<script>alert(1)</script>", "日本語 😀 ok",
         "word " * 700, "hm...!!!???,,,;;;" * 20]


def _pair(layers: int = 2):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=150, hidden_size=48, num_hidden_layers=layers, num_attention_heads=4,
                        intermediate_size=96, max_position_embeddings=64)
    reference = BertModel(config, add_pooling_layer=False).eval()
    lite = BertEncoderModel(config.to_dict()).eval()
    lite.load_state_dict(reference.state_dict(), strict=True)
    return reference, lite


def test_bert_encoder_gives_transformers_hidden_states():
    reference, lite = _pair()
    ids = torch.randint(1, 150, (3, 11))
    types = torch.zeros_like(ids)
    types[:, 6:] = 1
    padded = torch.ones_like(ids)
    padded[0, 7:] = 0
    padded[2, 4:] = 0
    with torch.inference_mode():
        for mask in (torch.ones_like(ids), padded):
            want = reference(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            got = lite(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
            keep = mask.bool()
            assert torch.allclose(got[keep], want[keep], atol=1e-6)
        assert torch.allclose(lite(input_ids=ids).last_hidden_state, reference(input_ids=ids).last_hidden_state,
                              atol=1e-6)


def test_bert_mask_is_the_one_transformers_builds_for_sdpa():
    reference, _ = _pair(1)
    hidden = torch.zeros(2, 5, 48)
    for mask in (torch.ones(2, 5, dtype=torch.long), torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])):
        want = create_bidirectional_mask(config=reference.config, inputs_embeds=hidden, attention_mask=mask)
        got = bidirectional_mask(mask, 5)
        assert (got is None and want is None) or torch.equal(got, want)


def test_bert_encoder_refuses_a_config_it_does_not_implement():
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, hidden_act="relu").to_dict()
    with pytest.raises(ValueError, match="hidden_act"):
        BertEncoderModel(config)


def test_bert_tokenizer_gives_the_fast_tokenizers_ids(tiny_model_dir):
    ours = WordPieceTokenizer(tiny_model_dir / "tokenizer")
    theirs = AutoTokenizer.from_pretrained(str(tiny_model_dir / "tokenizer"), local_files_only=True)
    assert ours(TEXTS, add_special_tokens=False)["input_ids"] == theirs(TEXTS, add_special_tokens=False,
                                                                        verbose=False)["input_ids"]
    assert ours(TEXTS)["input_ids"] == theirs(TEXTS, verbose=False)["input_ids"]
    assert (ours.cls_token_id, ours.sep_token_id, ours.pad_token_id, ours.vocab_size) == \
        (theirs.cls_token_id, theirs.sep_token_id, theirs.pad_token_id, theirs.vocab_size)


def test_bert_saved_model_scores_as_the_transformers_build(tiny_model_dir):
    """The classifier a saved model loads as scores like one rebuilt with transformers' classes."""
    from pipeline.classify.network import MultiHeadTurnModel
    from pipeline.classify.registry import load_classifier

    items = [{"role": "client", "text": t, "context": [{"role": "therapist", "text": "How was the week?"}]}
             for t in TEXTS]
    ours = load_classifier(str(tiny_model_dir))
    assert isinstance(ours.net_.encoder, BertEncoderModel)
    want = ours.predict_proba(items)
    encoder = BertModel(BertConfig.from_dict(ours.encoder_config_), add_pooling_layer=False)
    net = ours.net_
    ours.net_ = MultiHeadTurnModel(encoder, encoder.config.hidden_size, net.family_head.out_features,
                                   net.subtype_head.out_features, net.strategy_head.out_features,
                                   pooling=net.pooling)
    ours.net_.load_state_dict(net.state_dict())
    ours.net_.eval()
    ours.tokenizer_ = AutoTokenizer.from_pretrained(str(tiny_model_dir / "tokenizer"), local_files_only=True)
    got = ours.predict_proba(items)
    for head in ("family", "subtype", "strategy"):
        assert abs(getattr(got, head) - getattr(want, head)).max() < 1e-5


def test_bert_broken_tokenizer_file_is_a_model_error(tiny_model_dir, tmp_path):
    import shutil

    from pipeline.classify.registry import load_classifier

    copy = tmp_path / "model"
    shutil.copytree(tiny_model_dir, copy)
    (copy / "tokenizer" / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="cannot rebuild the encoder or tokenizer"):
        load_classifier(str(copy))


def test_bert_loading_a_model_and_segmenter_imports_neither_transformers_nor_presidio(tiny_model_dir):
    """Their imports were more than half of the model load (presidio's through spaCy's entry points)."""
    code = ("import sys, json; from pipeline.engines.work import ModelSpec, load_model; "
            f"load_model(ModelSpec({str(tiny_model_dir)!r}, 'x')); "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'transformers', 'presidio_analyzer'})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_bert_training_on_top_of_a_saved_model_starts_from_its_weights(tiny_model_dir):
    """`rupture train --init-from DIR` loads DIR through bert.py and trains transformers' BertModel:
    the weights must carry over whole."""
    import yaml

    from pipeline.classify.registry import load_classifier
    from pipeline.classify.transformer import TransformerTurnClassifier

    saved = load_classifier(str(tiny_model_dir))
    cfg = yaml.safe_load((ROOT / "configs" / "tiny.yaml").read_text(encoding="utf-8"))
    fresh = TransformerTurnClassifier(saved.taxonomy, cfg["model"], cfg["train"], seed=99)
    fresh._build(init_from=str(tiny_model_dir))
    assert isinstance(fresh.net_.encoder, BertModel)
    want, got = saved.net_.state_dict(), fresh.net_.state_dict()
    assert want.keys() == got.keys() and all(torch.equal(want[k], got[k]) for k in want)
