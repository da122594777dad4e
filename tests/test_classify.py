"""The transformer classifier with a tiny model built from config: train, predict, persist, refuse corruption."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from pipeline.classify.base import DecisionRule, decide
from pipeline.classify.calibration import softmax
from pipeline.classify.encoder import MINILM_SHA256, resolve_encoder, verify_weights
from pipeline.classify.inputs import encode_items
from pipeline.classify.rules import RuleTurnClassifier
from pipeline.classify.tfidf import TfidfTurnClassifier
from pipeline.classify.transformer import TransformerTurnClassifier
from pipeline.corpus.schema import load_items
from pipeline.errors import ModelError
from pipeline.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "corpus" / "mini.jsonl"
TINY = yaml.safe_load((ROOT / "configs" / "tiny.yaml").read_text())


def _copy_tree(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


@pytest.fixture(scope="module")
def mini():
    items, _ = load_items(MINI)
    return {s: [i for i in items if i["split"] == s] for s in ("train", "dev", "test")}


@pytest.fixture(scope="module")
def tiny_model(mini, tmp_path_factory):
    clf = TransformerTurnClassifier(load_taxonomy(), TINY["model"], dict(TINY["train"], epochs=3), seed=7)
    clf.fit(mini["train"], mini["dev"], progress=False)
    path = tmp_path_factory.mktemp("tiny") / "model"
    clf.save_pretrained(path)
    return clf, path


def test_classify_tiny_model_trains_and_predicts_valid_probabilities(tiny_model, mini):
    clf, _ = tiny_model
    probs = clf.predict_proba(mini["test"])
    t = clf.taxonomy
    assert probs.family.shape == (len(mini["test"]), len(t.family_labels))
    assert probs.subtype.shape == (len(mini["test"]), len(t.subtypes))
    assert probs.strategy.shape == (len(mini["test"]), len(t.strategy_labels))
    for arr in (probs.family, probs.subtype, probs.strategy):
        assert np.allclose(arr.sum(axis=1), 1.0, atol=1e-5)
    decisions = clf.predict(mini["test"])
    assert [d.role for d in decisions] == [i["role"] for i in mini["test"]]
    assert all(d.family in t.family_labels for d in decisions if d.role == "client")
    assert all(d.strategy in t.strategy_labels for d in decisions if d.role == "therapist")


def test_classify_training_is_deterministic_with_a_seed(tiny_model, mini):
    clf, _ = tiny_model
    again = TransformerTurnClassifier(load_taxonomy(), TINY["model"], dict(TINY["train"], epochs=3), seed=7)
    again.fit(mini["train"], mini["dev"], progress=False)
    assert np.allclose(clf.predict_proba(mini["test"]).family, again.predict_proba(mini["test"]).family, atol=1e-6)


def test_classify_save_and_load_round_trip(tiny_model, mini):
    clf, path = tiny_model
    loaded = TransformerTurnClassifier.from_pretrained(path)
    assert np.allclose(clf.predict_proba(mini["test"]).family, loaded.predict_proba(mini["test"]).family, atol=1e-6)
    meta = json.loads((path / "classifier.json").read_text())
    assert meta["labels"]["family"] == ["none", "withdrawal", "confrontation"]
    assert set(meta["thresholds"]["family_thresholds"]) == {"withdrawal", "confrontation"}
    assert set(meta["temperatures"]) == {"family", "subtype", "strategy"}
    assert (path / "tokenizer" / "tokenizer.json").exists()


def test_classify_applies_stored_temperature_and_thresholds(tiny_model, mini, tmp_path):
    _, path = tiny_model
    copy = _copy_tree(path, tmp_path / "copy")
    meta = json.loads((copy / "classifier.json").read_text())
    meta["temperatures"]["family"] = 3.0
    meta["thresholds"]["family_thresholds"] = {"withdrawal": 0.0, "confrontation": 1.01}
    (copy / "classifier.json").write_text(json.dumps(meta))
    clf = TransformerTurnClassifier.from_pretrained(copy)
    items = mini["test"]
    logits = clf.logits(items)["family"]
    probs = clf.predict_proba(items)
    assert np.allclose(probs.family, softmax(logits, 3.0), atol=1e-6)
    decisions = clf.predict(items)
    # threshold 0 for withdrawal and above 1 for confrontation: every client turn is withdrawal
    assert {d.family for d in decisions if d.role == "client"} == {"withdrawal"}


def test_classify_refuses_a_corrupted_weight_file(tiny_model, tmp_path):
    _, path = tiny_model
    bad = _copy_tree(path, tmp_path / "bad")
    data = bytearray((bad / "model.safetensors").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (bad / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum mismatch"):
        TransformerTurnClassifier.from_pretrained(bad)


def test_classify_encoder_weights_are_verified(tmp_path):
    directory, sha = resolve_encoder("minilm")
    assert sha == MINILM_SHA256 and sha.startswith("53aa5117")
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(b"not the weights")
    with pytest.raises(ModelError, match="corrupt or was replaced"):
        verify_weights(fake, MINILM_SHA256)
    with pytest.raises(ModelError, match="no downloads"):
        resolve_encoder("sentence-transformers/all-MiniLM-L6-v2")


def test_classify_inputs_truncate_context_from_the_left():
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(resolve_encoder("minilm")[0]), local_files_only=True)
    item = {"role": "client", "text": "no",
            "context": [{"role": "therapist", "text": "one two three four five six seven eight nine ten"}]}
    [enc] = encode_items([item], tok, max_length=10, max_target=4)
    text = tok.decode(enc["input_ids"])
    assert text.startswith("[CLS]") and "nine ten [SEP] client : no [SEP]" in text
    assert "one" not in text  # the oldest words go first
    assert len(enc["input_ids"]) == 10
    assert enc["token_type_ids"][-4:] == [1, 1, 1, 1]


def test_classify_decision_rule_uses_thresholds():
    tax = load_taxonomy()
    from pipeline.classify.base import TurnProbabilities

    fam = np.array([[0.5, 0.3, 0.2], [0.2, 0.45, 0.35]])
    sub = np.full((2, len(tax.subtypes)), 1 / len(tax.subtypes))
    strat = np.zeros((2, len(tax.strategy_labels)))
    probs = TurnProbabilities(fam, sub, strat, ["client", "client"])
    d = decide(probs, DecisionRule({"withdrawal": 0.25, "confrontation": 0.3}), tax)
    assert [x.family for x in d] == ["withdrawal", "withdrawal"]
    d = decide(probs, DecisionRule({"withdrawal": 0.5, "confrontation": 0.3}), tax)
    assert [x.family for x in d] == ["none", "confrontation"]
    assert d[1].subtype.startswith("C")


def test_classify_baselines_fit_predict_and_persist(mini, tmp_path):
    tax = load_taxonomy()
    for cls in (TfidfTurnClassifier, RuleTurnClassifier):
        clf = cls(tax).fit(mini["train"], mini["dev"])
        probs = clf.predict_proba(mini["test"])
        assert np.allclose(probs.family.sum(axis=1), 1.0)
        clf.save_pretrained(tmp_path / cls.kind)
        loaded = cls.from_pretrained(tmp_path / cls.kind) if cls is TfidfTurnClassifier else \
            cls.from_pretrained(tmp_path / cls.kind, tax)
        assert np.allclose(loaded.predict_proba(mini["test"]).family, probs.family)
    rules = RuleTurnClassifier(tax)
    assert ("C3", "homework") in rules.evidence(["This homework is pointless"])[0]
    # a one-word answer to an open question is a minimal response; to a closed one it is not
    open_q = {"role": "client", "text": "Fine.", "context": [{"role": "therapist", "text": "How did that feel?"}]}
    closed = {"role": "client", "text": "Thursday.", "context": [{"role": "therapist", "text": "Is Thursday ok?"}]}
    p = rules.predict_proba([open_q, closed])
    assert p.family[0, 1] > p.family[1, 1]


def test_classify_train_device_cuda_without_a_gpu_is_a_clear_error(tmp_path, monkeypatch):
    import torch

    from pipeline.classify.train import train_from_config
    from pipeline.errors import UserError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    path = tmp_path / "gpu.yaml"
    path.write_text(yaml.safe_dump({"name": "gpu", "train": {"device": "cuda"}}))
    with pytest.raises(UserError, match=r"gpu.yaml: train.device: cuda asked for, but no CUDA GPU"):
        train_from_config(path, out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_classify_evaluate_cli_scores_asr_style_rewrites(tiny_model, mini, tmp_path, capsys):
    """`rupture evaluate --asr-style` scores the same items re-written as a recogniser prints them."""
    from pipeline.classify.augment import asr_style_item
    from pipeline.cli import main
    from pipeline.evaluation import evaluate_classifier

    clf, path = tiny_model
    assert any(asr_style_item(i)["text"] != i["text"] for i in mini["dev"]), "the fixture needs written dev turns"
    plain, asr = tmp_path / "plain.json", tmp_path / "asr.json"
    common = ["evaluate", "--model", str(path), "--data", str(MINI), "--split", "dev", "--no-baselines"]
    assert main(common + ["--out", str(plain)]) == 0
    assert main(common + ["--asr-style", "--out", str(asr)]) == 0
    assert "re-written ASR-style" in capsys.readouterr().out
    got = json.loads(asr.read_text())["transformer"]
    expected = evaluate_classifier(clf, [asr_style_item(i) for i in mini["dev"]], clf.taxonomy)
    assert got["text"] == "asr-style" and "text" not in json.loads(plain.read_text())["transformer"]
    assert got["family"]["macro_f1"] == pytest.approx(expected["family"]["macro_f1"])
    assert got["family"]["confusion"] == expected["family"]["confusion"]


def test_classify_build_reports_the_test_split_rewritten_asr_style(tiny_model_dir, mini):
    from pipeline.classify.augment import asr_style_item
    from pipeline.classify.transformer import TransformerTurnClassifier
    from pipeline.evaluation import evaluate_classifier

    metrics = json.loads((tiny_model_dir / "metrics.json").read_text())
    clf = TransformerTurnClassifier.from_pretrained(tiny_model_dir)
    expected = evaluate_classifier(clf, [asr_style_item(i) for i in mini["test"]], clf.taxonomy)
    assert metrics["test_asr_style"]["n_client"] == expected["n_client"] > 0
    assert metrics["test_asr_style"]["family_macro_f1"] == pytest.approx(expected["family"]["macro_f1"])
    assert "re-written as ASR prints it" in (tiny_model_dir / "MODEL_CARD.md").read_text()


def _gold_session(sid: str, lines: list[str], episodes: list[tuple]) -> dict:
    """A test-split gold session in the corpus schema from "T: ..." / "C: ..." lines and
    (first_turn, last_turn, family, resolved) episodes."""
    turns = [{"speaker": ln[0], "role": "therapist" if ln[0] == "T" else "client", "text": ln[3:], "start": None}
             for ln in lines]
    return {"id": sid, "split": "test", "turns": turns, "episodes": [
        {"first_turn": a, "last_turn": b, "family": f, "families": [f], "resolved": r} for a, b, f, r in episodes]}


def test_classify_evaluate_cli_puts_a_second_coder_beside_the_model(tiny_model, tmp_path, capsys):
    """`rupture evaluate --sessions G --second-coder S`: coder agreement next to the model's."""
    from pipeline.cli import main
    from pipeline.timeline.episodes import coder_agreement

    _, path = tiny_model
    lines = ["T: How was the week?", "C: Fine I guess.", "T: What made it fine?", "C: I don't know. Whatever.",
             "T: You sound far away today.", "C: This is pointless, you never listen.", "T: Say more?", "C: Sorry."]
    session = lambda sid, episodes: _gold_session(sid, lines, episodes)  # noqa: E731

    first = [session("s1", [(3, 3, "withdrawal", False), (5, 5, "confrontation", True)]), session("s2", [])]
    second = [session("s1", [(1, 3, "withdrawal", False)])]
    gold, coded, out = tmp_path / "gold.jsonl", tmp_path / "second.jsonl", tmp_path / "m.json"
    gold.write_text("".join(json.dumps(s) + "\n" for s in first))
    coded.write_text("".join(json.dumps(s) + "\n" for s in second))
    args = ["evaluate", "--model", str(path), "--data", str(MINI), "--split", "all", "--no-baselines",
            "--sessions", str(gold)]
    assert main(args + ["--second-coder", str(coded), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 of these sessions coded blind a second time" in printed and "second coder vs gold" in printed
    fig = json.loads(out.read_text())["second_coder"]
    assert fig["sessions"] == 1  # only the session both coders coded
    assert fig["second_vs_first"]["recall"] == coder_agreement(first[:1], second)["recall"] == 0.5
    assert fig["second_vs_first"]["precision"] == 1.0
    assert fig["model_vs_first"]["gold_episodes"] == 2 and fig["model_vs_second"]["gold_episodes"] == 1
    assert fig["model_confirmed_by_either"]["moments"] == fig["model_vs_first"]["predicted_moments"]
    # a second-coder file that shares no session with the gold ones is a clear error
    coded.write_text(json.dumps(session("other", [])) + "\n")
    assert main(args + ["--second-coder", str(coded)]) != 0
    assert "no session in it is among the gold sessions evaluated" in capsys.readouterr().err


def test_classify_evaluate_cli_scores_sessions_with_the_timeline_config_given(tiny_model, tmp_path, capsys):
    from pipeline.cli import main

    _, path = tiny_model
    lines = ["T: How was the week?", "C: Fine I guess.", "T: What made it fine?", "C: I don't know. Whatever."]
    gold, out = tmp_path / "gold.jsonl", tmp_path / "m.json"
    gold.write_text(json.dumps(_gold_session("s1", lines, [(3, 3, "withdrawal", False)])) + "\n")
    args = ["evaluate", "--model", str(path), "--data", str(MINI), "--split", "all", "--no-baselines",
            "--sessions", str(gold), "--out", str(out)]
    every, never = tmp_path / "every.yaml", tmp_path / "never.yaml"
    every.write_text("moments:\n  high: 0.0\n  max_gap: 0\n")  # every client turn starts a moment
    never.write_text("moments:\n  high: 1.01\n")
    moments = {}
    for name, cfg in (("every", every), ("never", never)):
        assert main(args + ["--timeline-config", str(cfg)]) == 0
        assert f"timeline settings from {cfg}" in capsys.readouterr().out
        moments[name] = json.loads(out.read_text())["transformer"]["episodes"]["predicted_moments"]
    assert moments == {"every": 2, "never": 0}  # one run per family over the two client turns; none
    assert main(args + ["--timeline-config", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: cannot read timeline settings" in capsys.readouterr().err


def test_classify_build_puts_the_second_coder_in_the_model_card(tmp_path):
    from pipeline.classify.train import train_from_config

    lines = ["T: How was the week?", "C: Fine.", "T: And the homework?", "C: Pointless, like always.", "T: Say more?"]
    session = lambda sid, episodes: _gold_session(sid, lines, episodes)  # noqa: E731

    gold, coded = tmp_path / "gold.jsonl", tmp_path / "second.jsonl"
    gold.write_text(json.dumps(session("s1", [(3, 3, "confrontation", False)])) + "\n")
    coded.write_text(json.dumps(session("s1", [(1, 3, "confrontation", False), (1, 1, "withdrawal", True)])) + "\n")
    cfg = dict(TINY, baselines=[], data={"turns": str(MINI), "sessions": str(gold), "second_coder": str(coded)})
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    metrics = train_from_config(path, out_dir=tmp_path / "m", progress=False)
    second = metrics["episodes_test_second_coder"]
    assert (second["recall"], second["precision"], second["sessions"]) == (1.0, 0.5, 1)
    card = (tmp_path / "m" / "MODEL_CARD.md").read_text()
    assert "second coder (blind)" in card and "blind to the gold labels" in card
