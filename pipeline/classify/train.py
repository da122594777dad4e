"""`rupture train --config configs/NAME.yaml`: fine-tune, calibrate, evaluate, write models/NAME/."""
from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError
from ..io import atomic_write_text
from ..taxonomy import load_taxonomy
from .registry import MODELS_DIR

ROOT = MODELS_DIR.parent


def _resolve(path: str | None) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    return p if p.is_absolute() or p.exists() else ROOT / p


def load_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: config file not found")
    try:
        cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise UserError(f"{path}: invalid YAML ({err})") from None
    if not isinstance(cfg, dict) or "name" not in cfg:
        raise UserError(f"{path}: config needs at least 'name' (see configs/default.yaml)")
    fraction = (cfg.get("data") or {}).get("asr_style_fraction", 0.0)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
        raise UserError(f"{path}: data.asr_style_fraction must be a number from 0 to 1, not {fraction!r}")
    return cfg


def gather_items(cfg: dict[str, Any], taxonomy) -> dict[str, list[dict[str, Any]]]:
    from ..corpus.build import session_items
    from ..corpus.schema import SPLITS, load_items, load_sessions
    from .augment import with_asr_style

    data = cfg.get("data", {})
    turn_paths = data.get("turns", "data/turns.jsonl")
    turn_paths = [_resolve(p) for p in (turn_paths if isinstance(turn_paths, list) else [turn_paths])]
    items, _ = load_items(turn_paths, taxonomy)
    splits = {s: [i for i in items if i["split"] == s] for s in SPLITS}
    sess_path = _resolve(data.get("sessions"))
    if data.get("use_session_turns") and sess_path and sess_path.exists():
        # Every labelled turn of the train sessions and a seeded sample of the ordinary ones: they
        # are most of a session, teach little each, and the build must fit in 10 minutes on 2 cores.
        keep = {"therapist": float(data.get("session_plain_therapist_fraction", 1.0)),
                "client": float(data.get("session_plain_client_fraction", 1.0))}
        rng = random.Random(int(cfg.get("seed", 13)))
        for session in load_sessions(sess_path):
            if session["split"] != "train":
                continue
            for item in session_items(session):
                plain = (item["strategy"] if item["role"] == "therapist" else item["family"]) == "none"
                if plain and rng.random() >= keep[item["role"]]:
                    continue
                splits["train"].append(item)
    for extra in data.get("extra_train", []) or []:
        more, _ = load_items([_resolve(extra)], taxonomy)
        splits["train"].extend(more)
    fraction = float(data.get("asr_style_fraction", 0.0))
    if fraction:
        splits["train"] = with_asr_style(splits["train"], fraction, seed=int(cfg.get("seed", 13)))
    return splits


def asr_style_figures(clf, items: list[dict[str, Any]], taxonomy) -> dict[str, Any]:
    """The same turns as a speech recogniser prints them: how much the model leans on punctuation."""
    from ..evaluation import evaluate_classifier
    from .augment import asr_style_item

    m = evaluate_classifier(clf, [asr_style_item(i) for i in items], taxonomy)
    return {"n_client": m.get("n_client", 0), "family_macro_f1": m.get("family", {}).get("macro_f1"),
            "hard_negative_fpr": m.get("hard_negatives", {}).get("false_positive_rate")}


def gold_sessions(cfg: dict[str, Any], split: str, key: str = "sessions") -> list[dict[str, Any]]:
    """The sessions of one split in the file `data.<key>` names (`second_coder`: the blind second coding)."""
    from ..corpus.schema import load_sessions

    path = _resolve(cfg.get("data", {}).get(key))
    return [s for s in load_sessions(path) if s["split"] == split] if path and path.exists() else []


def check_train_device(cfg: dict[str, Any], config_path: str | Path) -> None:
    """`train.device: cuda` needs a CUDA GPU here: say so before any work, not mid-build."""
    from ..engines.work import check_device

    device = str((cfg.get("train") or {}).get("device", "cpu"))
    try:
        check_device(device)
    except UserError as err:
        raise UserError(f"{config_path}: train.device: {str(err).replace('--device ', '')}") from None


def train_from_config(config_path: str | Path, out_dir: str | Path | None = None, init_from: str | None = None,
                      progress: bool = True) -> dict[str, Any]:
    from ..evaluation import evaluate_classifier, format_table, summary_row
    from ..timeline.episodes import coder_agreement, evaluate_episodes
    from .model_card import write_model_card
    from .rules import RuleTurnClassifier
    from .tfidf import TfidfTurnClassifier
    from .transformer import TransformerTurnClassifier

    started = time.time()
    cfg = load_config(config_path)
    check_train_device(cfg, config_path)
    taxonomy = load_taxonomy(_resolve(cfg.get("taxonomy")))
    splits = gather_items(cfg, taxonomy)
    if not splits["train"]:
        raise UserError(f"{config_path}: no training items found")
    out = Path(out_dir) if out_dir else MODELS_DIR / cfg["name"]
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    seed = int(cfg.get("seed", 13))
    clf = TransformerTurnClassifier(taxonomy, cfg.get("model"), cfg.get("train"), seed=seed)
    clf.fit(splits["train"], splits["dev"], init_from=init_from or cfg.get("init_from"), progress=progress)
    clf.save_pretrained(tmp)
    models = {"transformer": clf}
    for name in cfg.get("baselines", []):
        base = {"rules": lambda: RuleTurnClassifier(taxonomy), "tfidf": lambda: TfidfTurnClassifier(taxonomy, seed=seed)}[name]()
        base.fit(splits["train"], splits["dev"])
        base.save_pretrained(tmp / "baselines" / name)
        models[name] = base
    metrics: dict[str, Any] = {"config": cfg["name"], "counts": {s: len(v) for s, v in splits.items()},
                               "calibration": getattr(clf, "calibration_report_", {}),
                               "train_seconds": clf.train_seconds_}
    for split in ("dev", "test"):
        if splits[split]:
            metrics[split] = {name: evaluate_classifier(m, splits[split], taxonomy) for name, m in models.items()}
    if splits["test"]:
        metrics["test_asr_style"] = asr_style_figures(clf, splits["test"], taxonomy)
    golds = gold_sessions(cfg, "test")
    if golds:
        metrics["episodes_test"] = {name: evaluate_episodes(m, golds) for name, m in models.items()}
        second = gold_sessions(cfg, "test", key="second_coder")
        if second:  # the yardstick: a blind second coder scored against the same gold
            metrics["episodes_test_second_coder"] = coder_agreement(golds, second)
    metrics["build_seconds"] = round(time.time() - started, 1)
    (tmp / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    atomic_write_text(tmp / "metrics.json", json.dumps(metrics, indent=2))
    write_model_card(tmp, cfg, metrics, taxonomy)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    if progress and "test" in metrics:
        print(format_table([summary_row(n, m) for n, m in metrics["test"].items()]))
        print(f"model written to {out} in {metrics['build_seconds']:.0f} s")
    return metrics
