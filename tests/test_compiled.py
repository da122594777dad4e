"""`--compile`: the encoder through torch.compile gives the eager model's scores, on any batch shape."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.classify.compiled import compile_encoder
from pipeline.classify.registry import load_classifier
from pipeline.corpus.schema import load_items
from pipeline.errors import UserError

ROOT = Path(__file__).resolve().parent
MINI = ROOT / "fixtures" / "corpus" / "mini.jsonl"


def test_compiled_encoder_scores_like_eager_on_every_batch_shape(tiny_model_dir):
    items, _ = load_items(MINI)
    eager = load_classifier(str(tiny_model_dir))
    compiled = compile_encoder(load_classifier(str(tiny_model_dir)))
    assert compiled.compiled_ is True
    assert compile_encoder(compiled) is compiled  # idempotent
    for batch_size in (16, 5):  # full and ragged batches of several lengths
        np.testing.assert_allclose(compiled.predict_proba(items, batch_size=batch_size).family,
                                   eager.predict_proba(items, batch_size=batch_size).family, atol=1e-5)
    one = compiled.predict_proba(items[:1])  # a one-row batch is scored as two rows, then one is kept
    assert one.family.shape == (1, 3)
    np.testing.assert_allclose(one.family, eager.predict_proba(items[:1]).family, atol=1e-5)
    assert [d.family for d in compiled.predict(items)] == [d.family for d in eager.predict(items)]


def test_compiled_encoder_refuses_baselines(tiny_model_dir):
    with pytest.raises(UserError, match="--compile applies to transformer models"):
        compile_encoder(load_classifier("rules", baseline_of=str(tiny_model_dir)))


def test_compiled_annotate_cli_writes_the_same_documents(tiny_model_dir, tmp_path):
    from pipeline.cli import main

    sample = ROOT.parent / "pipeline" / "samples" / "sample-session.txt"
    for name, extra in (("eager", []), ("compiled", ["--compile"])):
        assert main(["annotate", str(sample), "--out", str(tmp_path / name), "--model", str(tiny_model_dir),
                     "--quiet", *extra]) == 0
    a, b = (json.loads((tmp_path / n / "sample-session.json").read_text()) for n in ("eager", "compiled"))
    assert [t["label"] for t in a["turns"]] == [t["label"] for t in b["turns"]]
    assert [(m["start_turn"], m["family"]) for m in a["moments"]] == [(m["start_turn"], m["family"]) for m in b["moments"]]
