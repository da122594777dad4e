"""fp32 on oneDNN: the swapped layers compute what nn.Linear (+ GELU) does, keep the state_dict,
fall back where the fast path does not apply, pickle, and step aside for int8, bf16 and compile."""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from pipeline.classify import onednn as D
from pipeline.classify import quantize as Q

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "corpus" / "mini.jsonl"

pytestmark = pytest.mark.skipif(not D.onednn_available(), reason="no oneDNN in this PyTorch build")


def _bert(layers: int = 2) -> BertModel:
    torch.manual_seed(0)
    config = BertConfig(hidden_size=48, num_hidden_layers=layers, num_attention_heads=4, intermediate_size=96,
                        vocab_size=120)
    return BertModel(config, add_pooling_layer=False).eval()


def _hidden(model: BertModel, ids: torch.Tensor) -> torch.Tensor:
    return model(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state


def _items() -> list[dict]:
    return [json.loads(line) for line in MINI.read_text().splitlines() if line.strip()]


def test_onednn_swap_matches_plain_layers_and_keeps_the_state_dict():
    model, ids = _bert(), torch.randint(0, 120, (3, 9))
    keys = list(model.state_dict())
    with torch.inference_mode():
        reference = _hidden(model, ids)
    # 6 linear layers per BERT layer; the first feed-forward one carries the fused GELU
    assert D.use_onednn(model) == 12
    assert list(model.state_dict()) == keys
    dense = model.encoder.layer[0].intermediate.dense
    assert isinstance(dense, D.OneDnnLinear) and dense.gelu
    assert isinstance(model.encoder.layer[0].intermediate.intermediate_act_fn, torch.nn.Identity)
    with torch.inference_mode():
        got = _hidden(model, ids)
    assert dense._packed is not None  # the fast path ran
    assert torch.allclose(got, reference, atol=1e-5)


def test_onednn_layer_falls_back_with_gradients_or_autocast():
    linear = torch.nn.Linear(16, 8)
    fast = D.OneDnnLinear(linear, gelu=True)
    x = torch.randn(5, 16, requires_grad=True)
    y = fast(x)  # gradients on: the plain path, so training through it still works
    y.sum().backward()
    assert fast._packed is None and x.grad is not None
    assert torch.allclose(y, torch.nn.functional.gelu(linear(x)))
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        assert fast(x).dtype == torch.bfloat16 and fast._packed is None
    with torch.no_grad():
        assert torch.allclose(fast(x), torch.nn.functional.gelu(linear(x)), atol=1e-5)
        assert fast._packed is not None


def test_onednn_model_pickles_without_its_packed_weights():
    model, ids = _bert(1), torch.randint(0, 120, (2, 6))
    D.use_onednn(model)
    with torch.inference_mode():
        before = _hidden(model, ids)  # packs the weights
    copy = pickle.loads(pickle.dumps(model))  # what Ray does with a classifier handed to it
    assert all(m._packed is None for m in copy.modules() if isinstance(m, D.OneDnnLinear))
    with torch.inference_mode():
        assert torch.equal(_hidden(copy, ids), before)


def test_onednn_undo_restores_plain_layers():
    model, ids = _bert(1), torch.randint(0, 120, (2, 6))
    with torch.inference_mode():
        reference = _hidden(model, ids)
    D.use_onednn(model)
    assert D.use_default_linear(model) == 6
    assert not any(isinstance(m, D.OneDnnLinear) for m in model.modules())
    assert Q.plain_gelu(model.encoder.layer[0].intermediate.intermediate_act_fn)
    with torch.inference_mode():
        assert torch.allclose(_hidden(model, ids), reference, atol=1e-6)


def test_onednn_is_the_fp32_default_and_gives_the_same_labels(tiny_model_dir):
    from pipeline.classify.registry import load_classifier
    from pipeline.engines.work import ModelSpec, load_model

    items = _items()
    plain = load_classifier(str(tiny_model_dir))
    fast = load_model(ModelSpec(str(tiny_model_dir), "tiny", segmenter=None))
    assert fast.kernel_ == "onednn" and any(isinstance(m, D.OneDnnLinear) for m in fast.net_.modules())
    a, b = plain.predict_proba(items), fast.predict_proba(items)
    assert np.abs(a.family - b.family).max() < 1e-4 and np.abs(a.strategy - b.strategy).max() < 1e-4
    assert [d.family for d in plain.decide(a)] == [d.family for d in fast.decide(b)]


def test_onednn_steps_aside_for_int8(tiny_model_dir):
    """int8 rewrites nn.Linear layers itself: on a oneDNN model it must first undo the swap, or it
    would quantise the fused layer and lose its GELU."""
    from pipeline.classify.registry import load_classifier
    from pipeline.engines.work import ModelSpec, load_model

    items = _items()
    reference = Q.quantize_int8(load_classifier(str(tiny_model_dir))).predict_proba(items)
    swapped = load_model(ModelSpec(str(tiny_model_dir), "tiny", segmenter=None))
    got = Q.quantize_int8(swapped).predict_proba(items)
    assert getattr(swapped, "kernel_", None) is None
    assert any(isinstance(m, Q.Int8FeedForward) for m in swapped.net_.modules())
    assert np.allclose(got.family, reference.family, atol=1e-5)


def test_onednn_can_be_switched_off(tiny_model_dir, monkeypatch):
    from pipeline.engines.work import ModelSpec, load_model

    monkeypatch.setenv("RUPTURE_ONEDNN", "0")
    assert not D.onednn_available()
    classifier = load_model(ModelSpec(str(tiny_model_dir), "tiny", segmenter=None))
    assert getattr(classifier, "kernel_", None) is None
    assert not any(isinstance(m, D.OneDnnLinear) for m in classifier.net_.modules())


def test_onednn_leaves_a_classifier_prepared_for_another_option_alone(tiny_model_dir):
    """`annotate(paths, classifier=load_model(... --compile / --bf16 / --int8))` prepares the classifier
    again with the plain options: that must not swap layers under a compiled graph or an autocast."""
    from pipeline.annotate import annotate
    from pipeline.classify.bf16 import use_bf16
    from pipeline.classify.registry import load_classifier
    from pipeline.engines.work import prepare_model

    bf16 = use_bf16(load_classifier(str(tiny_model_dir)))
    bf16_layers = [m for m in bf16.net_.modules() if isinstance(m, D.OneDnnLinear)]
    prepare_model(bf16)
    assert getattr(bf16, "kernel_", None) is None and bf16.precision_ == "bf16"
    assert [m for m in bf16.net_.modules() if isinstance(m, D.OneDnnLinear)] == bf16_layers  # the same layers
    assert bf16_layers and all(m.bf16 for m in bf16_layers)
    int8 = Q.quantize_int8(load_classifier(str(tiny_model_dir)))
    layers_before = [type(m) for m in int8.net_.modules()]
    assert [type(m) for m in prepare_model(int8).net_.modules()] == layers_before
    compiled = load_classifier(str(tiny_model_dir))
    compiled.compiled_ = True  # what compile_encoder marks; compiling itself is the slow tests' job
    prepare_model(compiled)
    assert not any(isinstance(m, D.OneDnnLinear) for m in compiled.net_.modules())
    # and a handed-in bf16 classifier still annotates
    sample = ROOT / "pipeline" / "samples" / "sample-session.txt"
    result = annotate([sample], out=None, classifier=bf16)
    assert not result.failed and result.documents[0]["turns"]


def test_onednn_pads_rows_so_a_long_run_meets_few_kernel_shapes(monkeypatch):
    """oneDNN compiles and keeps a kernel per row count; unpadded, a batch run over turns of every
    length met thousands of row counts and its memory grew without bound."""
    layer = D.OneDnnLinear(torch.nn.Linear(16, 8), gelu=True).eval()
    real = torch.ops.mkldnn._linear_pointwise
    seen: set[int] = set()

    def recording(rows, *args):
        seen.add(rows.shape[0])
        return real(rows, *args)

    monkeypatch.setattr(torch.ops.mkldnn, "_linear_pointwise", recording)
    with torch.inference_mode():
        for n in range(1, 300):
            x = torch.randn(n, 16)
            expected = torch.nn.functional.gelu(torch.nn.functional.linear(x, layer.weight, layer.bias))
            got = layer(x)
            assert got.shape == (n, 8) and torch.allclose(got, expected, atol=1e-5)
    assert seen == {64, 128, 192, 256, 320} and D.ROW_STEP == 64


def test_onednn_bf16_layer_is_autocast_arithmetic_and_pads_rows(monkeypatch):
    """A bf16 layer computes what a linear layer under bf16 autocast does (bf16 inputs and weights,
    fp32 accumulation, bf16 out; GELU fused), keeps its fp32 parameters, and pads rows like the fp32 one."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(48, 40)
    layer = D.OneDnnLinear(linear, gelu=True, bf16=True)
    real = torch.ops.mkldnn._linear_pointwise
    seen: set[tuple[int, torch.dtype]] = set()

    def recording(rows, *args):
        seen.add((rows.shape[0], rows.dtype))
        return real(rows, *args)

    monkeypatch.setattr(torch.ops.mkldnn, "_linear_pointwise", recording)
    with torch.inference_mode():
        for n in (1, 63, 64, 65, 130):
            x = torch.randn(n, 48)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                expected = torch.nn.functional.gelu(linear(x))
            got = layer(x)
            assert got.dtype == torch.bfloat16 and got.shape == (n, 40)
            assert (got.float() - expected.float()).abs().max() < 0.02  # bf16 rounding, not a different function
            assert torch.equal(layer(x.bfloat16()), got)  # a bf16 input is the same input
    assert seen == {(64, torch.bfloat16), (128, torch.bfloat16), (192, torch.bfloat16)}
    assert layer.weight.dtype == torch.float32 and layer.weight is linear.weight
    copy = pickle.loads(pickle.dumps(layer))
    assert copy._packed is None and copy._packed_bias is None and copy.bf16


def test_onednn_bf16_classifier_stays_close_to_fp32_and_refuses_int8_and_compile(tiny_model_dir, monkeypatch):
    from pipeline.classify import bf16 as B
    from pipeline.classify.compiled import compile_encoder
    from pipeline.classify.registry import load_classifier
    from pipeline.errors import UserError

    monkeypatch.setattr(B, "bf16_supported", lambda: True)  # emulated where the CPU lacks the units: slower only
    items = _items()
    reference = load_classifier(str(tiny_model_dir)).predict_proba(items)
    bf16 = B.use_bf16(D.prefer_onednn(load_classifier(str(tiny_model_dir))))  # over the fp32 oneDNN layers
    layers = [m for m in bf16.net_.encoder.modules() if isinstance(m, D.OneDnnLinear)]
    assert layers and all(m.bf16 for m in layers) and getattr(bf16, "kernel_", None) is None
    assert not any(type(m) is torch.nn.Linear for m in bf16.net_.encoder.modules())
    got = bf16.predict_proba(items).family
    assert np.abs(got - reference.family).max() < 0.05 and not np.array_equal(got, reference.family)
    assert B.use_bf16(bf16) is bf16 and np.array_equal(bf16.predict_proba(items).family, got)  # idempotent
    with pytest.raises(UserError, match="exclude each other"):
        Q.quantize_int8(bf16)
    with pytest.raises(UserError, match="--bf16 and --compile exclude each other"):
        compile_encoder(bf16)
    assert D.use_default_linear(bf16.net_.encoder) == len(layers)
    monkeypatch.setenv("RUPTURE_ONEDNN", "0")
    with pytest.raises(UserError, match="runs on oneDNN"):
        B.use_bf16(load_classifier(str(tiny_model_dir)))
    assert not B.default_bf16(load_classifier(str(tiny_model_dir)))


def test_onednn_evaluate_scores_with_the_kernels_annotate_uses(tiny_model_dir, tmp_path, monkeypatch):
    """`rupture evaluate` and `rupture annotate` must print the same scores: both prepare the
    classifier the same way (oneDNN for plain fp32 where available)."""
    from pipeline import evaluate_cli
    from pipeline.cli import main

    seen = []
    real = evaluate_cli.load_classifier
    monkeypatch.setattr(evaluate_cli, "load_classifier", lambda *a, **k: seen.append(real(*a, **k)) or seen[-1])
    corpus = Path(__file__).resolve().parent / "fixtures" / "corpus" / "mini.jsonl"
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(corpus), "--split", "all",
                 "--no-baselines", "--out", str(tmp_path / "m.json")]) == 0
    assert len(seen) == 1
    expected = "onednn" if D.onednn_available() else None
    assert getattr(seen[0], "kernel_", None) == expected
    assert any(isinstance(m, D.OneDnnLinear) for m in seen[0].net_.modules()) == (expected == "onednn")


def test_onednn_evaluate_bf16_scores_as_annotate_does_by_default(tiny_model_dir, tmp_path, monkeypatch):
    """`rupture evaluate --bf16` prepares the classifier as annotate's default does on a CPU with bf16
    units, and says so in the metrics."""
    from pipeline import evaluate_cli
    from pipeline.classify import bf16 as B
    from pipeline.cli import main

    monkeypatch.setattr(B, "bf16_supported", lambda: True)  # emulated where the CPU lacks the units: slower only
    seen = []
    real = evaluate_cli.load_classifier
    monkeypatch.setattr(evaluate_cli, "load_classifier", lambda *a, **k: seen.append(real(*a, **k)) or seen[-1])
    corpus = Path(__file__).resolve().parent / "fixtures" / "corpus" / "mini.jsonl"
    assert main(["evaluate", "--model", str(tiny_model_dir), "--data", str(corpus), "--split", "all",
                 "--no-baselines", "--bf16", "--out", str(tmp_path / "m.json")]) == 0
    assert seen[0].precision_ == "bf16" and getattr(seen[0], "kernel_", None) is None
    assert json.loads((tmp_path / "m.json").read_text())["transformer"]["precision"] == "bf16"
