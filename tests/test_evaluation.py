"""Metrics checked against values computed by hand."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.agreement import agreement, cohen_kappa, icc_2_1
from pipeline.classify.base import TurnDecision, TurnProbabilities
from pipeline.classify.calibration import expected_calibration_error, fit_temperature, softmax
from pipeline.evaluation import confusion, evaluate_predictions, macro_f1, per_label_prf, roc_auc
from pipeline.taxonomy import load_taxonomy

GOLD = ["none", "none", "withdrawal", "withdrawal", "confrontation", "confrontation"]
PRED = ["none", "withdrawal", "withdrawal", "none", "confrontation", "confrontation"]
LABELS = ["none", "withdrawal", "confrontation"]


def test_evaluation_per_label_prf_and_macro_f1_by_hand():
    prf = per_label_prf(GOLD, PRED, LABELS)
    assert prf["none"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert prf["withdrawal"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert prf["confrontation"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert macro_f1(prf) == pytest.approx(0.6667, abs=1e-4)


def test_evaluation_confusion_rows_are_gold():
    assert confusion(GOLD, PRED, LABELS) == [[1, 1, 0], [1, 1, 0], [0, 0, 2]]


def test_evaluation_roc_auc_by_hand():
    # positives 0.7, 0.4, 0.9, 0.8 vs negatives 0.1, 0.6: 7 of 8 pairs ordered correctly
    assert roc_auc([0, 0, 1, 1, 1, 1], [0.1, 0.6, 0.7, 0.4, 0.9, 0.8]) == 0.875
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5  # ties count half
    assert roc_auc([1, 1], [0.2, 0.3]) is None


def test_evaluation_ece_by_hand():
    probs = np.array([[0.9, 0.1], [0.6, 0.4]])
    # bin 0.9: |0.9 - 1| * 1/2 ; bin 0.6: |0.6 - 0| * 1/2
    assert expected_calibration_error(probs, np.array([0, 1])) == pytest.approx(0.35)


def test_evaluation_temperature_scaling_softens_overconfident_logits():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 400)
    logits = rng.normal(0, 1, (400, 3))
    logits[np.arange(400), labels] += 1.0
    logits *= 6  # overconfident
    t = fit_temperature(logits, labels)
    assert t > 2
    assert expected_calibration_error(softmax(logits, t), labels) < expected_calibration_error(softmax(logits), labels)


def test_evaluation_kappa_and_icc_by_hand():
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == 0.5
    assert icc_2_1([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    # Shrout & Fleiss (1979), table 2: six targets, four judges; ICC(2,1) = .29
    judges = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]).T
    assert icc_2_1(*judges) == pytest.approx(0.29, abs=0.005)


def test_evaluation_full_report_on_a_small_fixture():
    tax = load_taxonomy()
    items = [{"role": "client", "family": g, "subtype": {"withdrawal": "W2", "confrontation": "C2"}.get(g),
              "style": s, "hard_negative": "closed_question_brief" if k == 1 else None}
             for k, (g, s) in enumerate(zip(GOLD, ["clean", "clean", "asr", "asr", "clean", "disfluent"]))]
    items.append({"role": "therapist", "strategy": "validate_defense"})
    n = len(items)
    fam = np.array([[0.9, 0.05, 0.05], [0.4, 0.6, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8],
                    [0.05, 0.05, 0.9], [1, 0, 0]])
    sub = np.zeros((n, len(tax.subtypes)))
    sub[:, tax.subtypes.index("W2")] = 1
    sub[5, :] = 0
    sub[5, tax.subtypes.index("C2")] = 1
    strat = np.zeros((n, len(tax.strategy_labels)))
    strat[:, tax.strategy_labels.index("validate_defense")] = 1
    probs = TurnProbabilities(fam, sub, strat, [i["role"] for i in items])
    dec = [TurnDecision("client", family=p, subtype={"withdrawal": "W2", "confrontation": "C2"}.get(p)) for p in PRED]
    dec.append(TurnDecision("therapist", strategy="validate_defense"))
    m = evaluate_predictions(items, probs, dec, tax)
    assert m["family"]["macro_f1"] == pytest.approx(0.6667, abs=1e-4)
    assert m["hard_negatives"] == {"n": 1, "false_positive_rate": 1.0, "by_category": {"closed_question_brief": 1.0}}
    # subtype head: W2 for both withdrawals (right), W2 for item 4 (wrong, gold C2), C2 for item 5 (right)
    assert m["subtype"]["per_label"]["W2"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["subtype"]["per_label"]["C2"]["recall"] == 0.5
    # asr: two withdrawals, one found: withdrawal F1 = 2/3; labels without gold support are left out
    assert m["by_style"]["asr"] == {"n": 2, "family_macro_f1": 0.6667}
    assert m["strategy"]["macro_f1"] == 1.0
    # rupture score 1 - P(none): 0.1 0.6 | 0.8 0.4 0.9 0.95 -> 7/8
    assert m["rupture_vs_none_auc"] == 0.875


def test_agreement_segments_against_gold():
    docs = {"s1": {"segments": [{"withdrawal": 3, "confrontation": 0}, {"withdrawal": 0, "confrontation": 0}]}}
    gold = {("s1", 1): {"withdrawal": 2, "confrontation": 0}, ("s1", 2): {"withdrawal": 4, "confrontation": 0},
            ("s2", 1): {"withdrawal": 0, "confrontation": 0}}
    res = agreement(gold, docs, ["withdrawal", "confrontation"])
    assert res["n_segments"] == 2 and res["sessions_without_predictions"] == ["s2"]
    w = res["families"]["withdrawal"]
    assert (w["precision"], w["recall"], w["gold_present"], w["pred_present"]) == (1.0, 0.5, 2, 1)
    assert [d["segment"] for d in res["disagreements"]] == [2]
