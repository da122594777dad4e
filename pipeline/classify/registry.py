"""Find and load classifiers by name: a model directory, 'default', or a baseline ('rules', 'tfidf')."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ModelError

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
BASELINES = ("rules", "tfidf")


def model_dir(name: str) -> Path:
    p = Path(name)
    if p.is_dir() or "/" in name or name.startswith("."):
        return p
    return MODELS_DIR / name


def ensure_default_model(progress: bool = True) -> Path:
    """models/default, built from the repository (with a message and progress bar) when missing."""
    directory = MODELS_DIR / "default"
    if (directory / "classifier.json").exists():
        return directory
    import sys

    from .train import train_from_config

    print("The default model is not built yet: fine-tuning it from data/ (one time, up to ~10 minutes on 2 CPU cores)...",
          file=sys.stderr)
    train_from_config(MODELS_DIR.parent / "configs" / "default.yaml", progress=progress)
    return directory


def load_classifier(name: str = "default", baseline_of: str | None = None, threads: int | None = None):
    """'default' (built if missing), a model directory, or 'rules'/'tfidf' (the baselines trained
    alongside the model `baseline_of`, default 'default')."""
    from ..taxonomy import Taxonomy
    from .rules import RuleTurnClassifier
    from .tfidf import TfidfTurnClassifier
    from .transformer import TransformerTurnClassifier

    if name in BASELINES:
        base = model_dir(baseline_of or "default")
        if base == MODELS_DIR / "default":
            ensure_default_model()
        meta = json.loads((base / "classifier.json").read_text()) if (base / "classifier.json").exists() else None
        sub = base / "baselines" / name
        if name == "tfidf":
            return TfidfTurnClassifier.from_pretrained(sub)
        if meta is None:
            raise ModelError(f"{base}: not a model directory")
        return RuleTurnClassifier.from_pretrained(sub, Taxonomy.from_dict(meta["taxonomy"]))
    if name == "default":
        ensure_default_model()
    directory = model_dir(name)
    if not directory.exists():
        raise ModelError(f"{name}: no such model (train one with `rupture train --config configs/NAME.yaml`)")
    if (directory / "classifier.json").exists():
        return TransformerTurnClassifier.from_pretrained(directory, threads=threads)
    if (directory / "tfidf.json").exists():
        return TfidfTurnClassifier.from_pretrained(directory)
    raise ModelError(f"{directory}: not a model directory (no classifier.json)")
