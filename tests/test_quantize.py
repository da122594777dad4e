"""int8 inference: per-token int8 linear layers, the fused feed-forward block, the classifier path."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import torch

from pipeline.classify import quantize as Q
from pipeline.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "pipeline" / "samples" / "sample-session.txt"
SCHEMA = json.loads((ROOT / "pipeline" / "schemas" / "annotation-1.0.schema.json").read_text())


def _relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("asymmetric", [False, True])
def test_quantize_int8_linear_tracks_fp32(asymmetric):
    torch.manual_seed(0)
    lin = torch.nn.Linear(96, 40)
    x = torch.randn(3, 17, 96)
    if asymmetric:  # the GELU-shaped inputs the asymmetric variant is for
        x = torch.nn.functional.gelu(x * 2)
    x[0, 0, 5] = 25.0  # one outlier token: per-token scales keep it from flattening the others
    q = Q.Int8Linear(lin, asymmetric=asymmetric)
    with torch.no_grad():
        ref, out = lin(x), q(x)
    assert out.shape == ref.shape == (3, 17, 40)
    assert _relative_error(out[1:], ref[1:]) < 0.02 and _relative_error(out, ref) < 0.02


def test_quantize_asymmetric_beats_symmetric_on_gelu_outputs():
    torch.manual_seed(1)
    lin = torch.nn.Linear(128, 32)
    x = torch.nn.functional.gelu(torch.randn(64, 128))
    with torch.no_grad():
        ref = lin(x)
        sym = _relative_error(Q.Int8Linear(lin, False)(x), ref)
        asym = _relative_error(Q.Int8Linear(lin, True)(x), ref)
    assert asym < sym


def test_quantize_fused_feed_forward_equals_the_unfused_layers():
    torch.manual_seed(2)
    up, down = torch.nn.Linear(48, 192), torch.nn.Linear(192, 48)
    x = torch.randn(2, 9, 48)
    ffn = Q.Int8FeedForward(up, down)
    with torch.no_grad():
        fused = ffn(x)
        unfused = Q.Int8Linear(down, True)(torch.nn.functional.gelu(Q.Int8Linear(up)(x)))
        fp32 = down(torch.nn.functional.gelu(up(x)))
    assert torch.allclose(fused, unfused, atol=1e-4)
    assert _relative_error(fused, fp32) < 0.03


def test_quantize_kernels_fall_back_to_eager_when_compiling_is_off(monkeypatch):
    monkeypatch.setenv("RUPTURE_INT8_COMPILE", "0")
    kernels = Q._Kernels()
    kernels.ensure()
    assert not kernels.compiled and kernels.sym is Q._linear_sym


def test_quantize_int8_classifier_close_to_fp32(tiny_model_dir):
    from pipeline.classify.registry import load_classifier

    items = [json.loads(line) for line in (ROOT / "tests" / "fixtures" / "corpus" / "mini.jsonl").read_text().splitlines()
             if line.strip()]
    fp32 = load_classifier(str(tiny_model_dir))
    int8 = Q.quantize_int8(load_classifier(str(tiny_model_dir)))
    n_linear = sum(isinstance(m, torch.nn.Linear) for m in int8.net_.encoder.modules())
    assert n_linear == 0 and int8.precision_ == "int8"
    assert any(isinstance(m, Q.Int8FeedForward) for m in int8.net_.encoder.modules())
    assert Q.quantize_int8(int8) is int8  # idempotent
    a, b = fp32.predict_proba(items), int8.predict_proba(items)
    assert np.abs(a.family - b.family).max() < 0.05 and np.abs(a.strategy - b.strategy).max() < 0.05
    agreement = Q.label_agreement(fp32.decide(a), int8.decide(b))
    assert agreement["n_client"] + agreement["n_therapist"] == len(items)
    assert agreement["family"] >= 0.9 and agreement["family_changed"] == round((1 - agreement["family"]) * agreement["n_client"])


def test_quantize_label_agreement_counts_changes():
    from pipeline.classify.base import TurnDecision

    ref = [TurnDecision("client", family="none"), TurnDecision("client", family="withdrawal", subtype="W1"),
           TurnDecision("therapist", strategy="none")]
    other = [TurnDecision("client", family="none"), TurnDecision("client", family="none"),
             TurnDecision("therapist", strategy="none")]
    got = Q.label_agreement(ref, other)
    assert got == {"n_client": 2, "n_therapist": 1, "family": 0.5, "subtype": 0.5, "strategy": 1.0, "family_changed": 1}


def test_quantize_refuses_the_baselines(tiny_model_dir):
    from pipeline.classify.registry import load_classifier

    with pytest.raises(UserError, match="transformer models"):
        Q.quantize_int8(load_classifier("rules", baseline_of=str(tiny_model_dir)))


def test_annotate_int8_documents_say_so_and_stay_valid(tiny_model_dir, tmp_path):
    from pipeline.annotate import annotate

    res = annotate([SAMPLE], out=tmp_path / "o", model=str(tiny_model_dir), int8=True)
    doc = json.loads((tmp_path / "o" / "sample-session.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["model"]["precision"] == "int8" and res.documents[0]["model"]["precision"] == "int8"
    fp32 = annotate([SAMPLE], model=str(tiny_model_dir), bf16=False).documents[0]
    assert fp32["model"]["precision"] == "fp32" and len(fp32["turns"]) == len(doc["turns"])


def test_quantize_bf16_option_agrees_with_fp32_or_is_refused_clearly(tiny_model_dir, monkeypatch):
    from pipeline.classify import bf16 as B
    from pipeline.classify.registry import load_classifier
    from pipeline.corpus.schema import load_items

    items, _ = load_items(ROOT / "tests" / "fixtures" / "corpus" / "mini.jsonl")
    fp32 = load_classifier(str(tiny_model_dir))
    with pytest.raises(UserError, match="--bf16 applies to transformer models"):
        B.use_bf16(load_classifier("rules", baseline_of=str(tiny_model_dir)))
    with pytest.raises(UserError, match="exclude each other"):
        B.use_bf16(Q.quantize_int8(load_classifier(str(tiny_model_dir))))
    if B.bf16_supported():
        bf16 = B.use_bf16(load_classifier(str(tiny_model_dir)))
        assert bf16.precision_ == "bf16"
        a, b = fp32.predict_proba(items).family, bf16.predict_proba(items).family
        assert np.abs(a - b).max() < 0.05 and not np.array_equal(a, b)  # bf16 really ran, and stayed close
    monkeypatch.setattr(B, "bf16_supported", lambda: False)
    with pytest.raises(UserError, match="needs a CPU with AMX or AVX512-BF16"):
        B.use_bf16(load_classifier(str(tiny_model_dir)))


def test_quantize_bf16_cli_conflicts_are_one_line_errors(tiny_model_dir, tmp_path, capsys):
    from pipeline.cli import main

    for extra, message in ((["--int8"], "excludes --int8"), (["--device", "cuda"], "on a GPU use fp32")):
        code = main(["annotate", str(SAMPLE), "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir),
                     "--bf16", *extra])
        err = capsys.readouterr().err
        assert code != 0 and message in err and "Traceback" not in err
    from pipeline.classify.bf16 import bf16_supported

    if bf16_supported():
        assert main(["annotate", str(SAMPLE), "--out", str(tmp_path / "b"), "--model", str(tiny_model_dir), "--bf16",
                     "--quiet"]) == 0
        doc = json.loads((tmp_path / "b" / "sample-session.json").read_text())
        assert doc["model"]["precision"] == "bf16"
        jsonschema.validate(doc, SCHEMA)


@pytest.mark.parametrize("has_bf16_units", [True, False])
def test_annotate_default_precision_is_bf16_only_on_cpus_with_bf16_units(tiny_model_dir, tmp_path, monkeypatch,
                                                                          has_bf16_units):
    """No option: bf16 where the CPU has bf16 units, else fp32; --fp32 keeps the reference either way."""
    from pipeline.annotate import annotate
    from pipeline.classify import bf16 as B
    from pipeline.cli import main

    monkeypatch.setattr(B, "bf16_supported", lambda: has_bf16_units)  # emulated bf16 still runs, only slower
    default = annotate([SAMPLE], out=tmp_path / "d", model=str(tiny_model_dir)).documents[0]
    assert default["model"]["precision"] == ("bf16" if has_bf16_units else "fp32")
    report = (tmp_path / "d" / "sample-session.html").read_text()
    assert (f"({tiny_model_dir}, bf16)" in report) == has_bf16_units  # the report names a non-reference precision
    assert main(["annotate", str(SAMPLE), "--out", str(tmp_path / "f"), "--model", str(tiny_model_dir), "--fp32",
                 "--quiet"]) == 0
    doc = json.loads((tmp_path / "f" / "sample-session.json").read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["model"]["precision"] == "fp32"
    assert [t["label"] for t in doc["turns"]] == [t["label"] for t in default["turns"]]
    # int8 and compilation keep their own precision; a GPU keeps fp32 (checked before any model loads)
    assert annotate([SAMPLE], model=str(tiny_model_dir), int8=True).documents[0]["model"]["precision"] == "int8"


def test_default_bf16_only_for_a_plain_fp32_transformer(tiny_model_dir, monkeypatch):
    from pipeline.classify import bf16 as B
    from pipeline.classify.registry import load_classifier
    from pipeline.engines.work import prepare_model

    monkeypatch.setattr(B, "bf16_supported", lambda: True)
    plain = load_classifier(str(tiny_model_dir))
    assert B.default_bf16(plain)
    assert not B.default_bf16(plain, int8=True) and not B.default_bf16(plain, compile_encoder=True)
    rules = load_classifier("rules", baseline_of=str(tiny_model_dir))
    assert not B.default_bf16(rules) and prepare_model(rules, bf16=None) is rules  # baselines: nothing to do
    int8 = Q.quantize_int8(load_classifier(str(tiny_model_dir)))
    assert prepare_model(int8, bf16=None).precision_ == "int8"  # prepared already: left as it is
    assert prepare_model(plain, bf16=None).precision_ == "bf16"
    monkeypatch.setattr(B, "bf16_supported", lambda: False)
    assert getattr(prepare_model(load_classifier(str(tiny_model_dir)), bf16=None), "precision_", "fp32") == "fp32"


def test_annotate_fp32_option_conflicts_are_one_line_errors(tiny_model_dir, tmp_path, capsys):
    from pipeline.cli import main

    for extra in (["--bf16"], ["--int8"]):
        code = main(["annotate", str(SAMPLE), "--out", str(tmp_path / "o"), "--model", str(tiny_model_dir),
                     "--fp32", *extra])
        err = capsys.readouterr().err
        assert code != 0 and "--fp32 excludes --bf16 and --int8" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
