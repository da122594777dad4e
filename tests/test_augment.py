"""ASR-style augmentation of training turns (pipeline/classify/augment.py) and its use in training."""
from pathlib import Path

import pytest

from pipeline.classify.augment import asr_style, asr_style_item, with_asr_style

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "corpus" / "mini.jsonl"


def _item(text, style="clean", **extra):
    return {"id": text[:10], "role": "client", "text": text, "style": style, "family": "withdrawal", "subtype": "W1",
            "context": [{"role": "therapist", "speaker": "T", "text": "How did that feel, Sam?"}], **extra}


def test_augment_asr_style_prints_text_as_a_recogniser_would():
    assert asr_style("I'm fine. Honestly, it's FINE!") == "im fine honestly its fine"
    assert asr_style("Well\u2026 I don\u2019t know - maybe?") == "well i dont know maybe"
    assert asr_style("fifty-two years") == "fifty two years"


def test_augment_asr_style_keeps_non_verbal_annotations():
    # W6 (laughing off) is read from "[laughs]": the brackets must survive.
    assert asr_style("[laughs] Oh, sure, it's hilarious.") == "[laughs] oh sure its hilarious"


def test_augment_asr_style_item_rewrites_context_and_keeps_labels():
    item = _item("No. That's not it at all.")
    out = asr_style_item(item)
    assert out["text"] == "no thats not it at all"
    assert out["context"][0]["text"] == "how did that feel sam"
    assert out["context"][0]["role"] == "therapist"
    assert (out["family"], out["subtype"], out["style"]) == ("withdrawal", "W1", "asr")
    assert item["text"] == "No. That's not it at all." and item["context"][0]["text"] == "How did that feel, Sam?"


def test_augment_with_asr_style_rewrites_a_seeded_share_of_written_turns():
    items = [_item(f"Turn number {i}, I think.") for i in range(400)]
    out = with_asr_style(items, 0.4, seed=3)
    rewritten = [o for o in out if o["style"] == "asr"]
    assert len(out) == len(items)
    assert 0.3 < len(rewritten) / len(items) < 0.5
    assert [o["id"] for o in out] == [i["id"] for i in items]
    assert with_asr_style(items, 0.4, seed=3) == out
    assert with_asr_style(items, 0.4, seed=4) != out


def test_augment_with_asr_style_leaves_asr_turns_and_the_unchanged_alone():
    already = _item("dunno its fine", style="asr", context=[{"role": "therapist", "text": "How, Sam?"}])
    bare = _item("dunno whatever")
    out = with_asr_style([already, bare], 1.0, seed=0)
    assert out[0] is already and out[1] is bare
    assert with_asr_style([_item("Fine.")], 0.0, seed=0)[0]["text"] == "Fine."
    with pytest.raises(ValueError, match="between 0 and 1"):
        with_asr_style([], 1.5, seed=0)


def test_augment_training_data_rewrites_train_split_only():
    from pipeline.classify.train import gather_items
    from pipeline.taxonomy import load_taxonomy

    plain = gather_items({"data": {"turns": str(MINI)}}, load_taxonomy())
    mixed = gather_items({"data": {"turns": str(MINI), "asr_style_fraction": 1.0}}, load_taxonomy())
    written = [i for i in plain["train"] if i["style"] != "asr" and asr_style(i["text"]) != i["text"]]
    assert written, "the fixture needs written turns"
    assert all(m["text"] == asr_style(p["text"]) for p, m in zip(plain["train"], mixed["train"]))
    labels = lambda items: [(i["family"], i["subtype"], i["strategy"]) for i in items]  # noqa: E731
    assert labels(mixed["train"]) == labels(plain["train"])
    assert mixed["dev"] == plain["dev"] and mixed["test"] == plain["test"]


@pytest.mark.parametrize("value", [1.5, -0.1, "some", True])
def test_augment_config_with_a_bad_fraction_is_a_clear_error_naming_the_file(tmp_path, value):
    import yaml

    from pipeline.cli import main
    from pipeline.classify.train import load_config
    from pipeline.errors import UserError

    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"name": "mine", "data": {"asr_style_fraction": value}}))
    with pytest.raises(UserError, match=r"mine.yaml: data.asr_style_fraction must be a number from 0 to 1"):
        load_config(path)
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert not (tmp_path / "out").exists()


def test_augment_asr_style_session_rewrites_every_turn_and_keeps_episodes():
    from pipeline.classify.augment import asr_style_session

    gold = {"id": "s-x", "episodes": [{"first_turn": 1, "last_turn": 1}],
            "turns": [{"role": "therapist", "text": "You seem upset, Jo?"}, {"role": "client", "text": "No. I'm fine.",
                                                                              "family": "withdrawal"}]}
    out = asr_style_session(gold)
    assert [t["text"] for t in out["turns"]] == ["you seem upset jo", "no im fine"]
    assert out["turns"][1]["family"] == "withdrawal" and out["episodes"] == gold["episodes"]
    assert gold["turns"][1]["text"] == "No. I'm fine."
