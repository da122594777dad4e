"""Moment building (hysteresis, gap merging, edges), resolution, the 3RS grid and the summary."""
from __future__ import annotations

import pytest

from pipeline.errors import UserError
from pipeline.timeline import TimelineConfig, build_grid, build_moments, summarise
from pipeline.timeline.moments import TurnScore, repair_window_turns

FAMS = ["withdrawal", "confrontation"]
CFG = TimelineConfig(high={"withdrawal": 0.5, "confrontation": 0.5}, low_ratio=0.6, max_gap=1, window=3,
                     after_turns=2, segment_seconds=300, segment_turns=4)


def scored(client_w, strategies=None, client_c=None, times=None):
    """Alternating therapist/client turns: therapist at even indices, client at odd ones."""
    turns = []
    strategies = strategies or {}
    client_c = client_c or [0.0] * len(client_w)
    for k, (w, c) in enumerate(zip(client_w, client_c)):
        t_idx, c_idx = 2 * k, 2 * k + 1
        start = times[t_idx] if times else None
        turns.append(TurnScore(t_idx, "therapist", {}, strategy=strategies.get(t_idx), start=start))
        turns.append(TurnScore(c_idx, "client", {"withdrawal": w, "confrontation": c},
                               subtype_by_family={"withdrawal": "W2", "confrontation": "C2"},
                               start=times[c_idx] if times else None))
    return turns


def test_timeline_hysteresis_extends_below_high_but_above_low():
    # 0.6 starts, 0.35 (>= 0.3 low) continues, 0.2 ends after one tolerated gap turn
    moments = build_moments(scored([0.1, 0.6, 0.35, 0.2, 0.1, 0.1]), FAMS, CFG)
    assert [(m.family, m.start_turn, m.end_turn, m.evidence_turns) for m in moments] == [("withdrawal", 3, 5, [3, 5])]


def test_timeline_both_ways_takes_in_the_build_up_before_the_first_high_turn():
    # 0.35 and 0.4 (>= low 0.3) lead up to 0.6: forwards only the moment starts at 0.6 (turn 7); both
    # ways it starts at the build-up's first turn (3), while 0.1 before it stays outside
    scores = [0.1, 0.35, 0.4, 0.6, 0.1, 0.1]
    forward = build_moments(scored(scores), FAMS, CFG)
    both = build_moments(scored(scores), FAMS, TimelineConfig(**{**CFG.__dict__, "both_ways": True}))
    assert [(m.start_turn, m.end_turn, m.evidence_turns) for m in forward] == [(7, 7, [7])]
    assert [(m.start_turn, m.end_turn, m.peak_turn, m.evidence_turns) for m in both] == [(3, 7, 7, [3, 5, 7])]


def test_timeline_both_ways_bridges_gaps_backwards_and_merges_what_meets():
    two_way = TimelineConfig(**{**CFG.__dict__, "both_ways": True})
    # backwards, one quiet turn (0.1) is bridged, two are not; lukewarm turns alone make no moment
    bridged = build_moments(scored([0.35, 0.35, 0.1, 0.1, 0.35, 0.1, 0.4, 0.7, 0.1, 0.1]), FAMS, two_way)
    assert [(m.start_turn, m.end_turn, m.evidence_turns) for m in bridged] == [(9, 15, [9, 13, 15])]
    assert build_moments(scored([0.45, 0.45, 0.45, 0.45]), FAMS, two_way) == []
    # two high turns whose forward and backward runs meet: one moment
    met = build_moments(scored([0.1, 0.8, 0.35, 0.35, 0.8, 0.1, 0.1]), FAMS, two_way)
    assert [(m.start_turn, m.end_turn, m.peak_turn) for m in met] == [(3, 9, 3)]


def test_timeline_both_ways_must_be_true_or_false(tmp_path):
    path = tmp_path / "timeline.yaml"
    path.write_text("moments:\n  both_ways: maybe\n")
    with pytest.raises(UserError, match=r"timeline.yaml: moments.both_ways must be true or false, got 'maybe'"):
        TimelineConfig.load(path)
    path.write_text("moments:\n  both_ways: true\n")
    assert TimelineConfig.load(path).both_ways is True and TimelineConfig().both_ways is False


def test_timeline_low_scores_alone_never_start_a_moment():
    assert build_moments(scored([0.45, 0.45, 0.45, 0.45]), FAMS, CFG) == []


def test_timeline_short_gap_is_merged_long_gap_splits():
    merged = build_moments(scored([0.7, 0.1, 0.7, 0.1, 0.1, 0.7]), FAMS, CFG)
    assert [(m.start_turn, m.end_turn) for m in merged] == [(1, 5), (11, 11)]


def test_timeline_rupture_at_first_and_last_client_turn():
    moments = build_moments(scored([0.9, 0.1, 0.1, 0.1, 0.8]), FAMS, CFG)
    assert [(m.start_turn, m.end_turn, m.peak_turn) for m in moments] == [(1, 1, 1), (9, 9, 9)]
    assert moments[1].resolution["tension_fell"] is None  # nothing after it to tell
    assert moments[1].resolution["resolved"] is False


def test_timeline_no_client_turns_and_therapist_only():
    therapist_only = [TurnScore(i, "therapist", {}, strategy=None) for i in range(5)]
    assert build_moments(therapist_only, FAMS, CFG) == []
    grid = build_grid(therapist_only, [], FAMS, CFG)
    assert [r["withdrawal"] for r in grid] == [0, 0]
    assert summarise([], grid, FAMS)["n_moments"] == 0
    assert build_moments([], FAMS, CFG) == []


def test_timeline_families_are_separate_moments():
    moments = build_moments(scored([0.8, 0.1, 0.1], client_c=[0.1, 0.1, 0.9]), FAMS, CFG)
    assert [(m.id, m.family, m.start_turn) for m in moments] == [("m1", "withdrawal", 1), ("m2", "confrontation", 5)]


def test_timeline_resolution_needs_repair_and_falling_tension():
    # repair strategy at therapist turn 4 (right after the moment at client turn 3), then calm client turns
    resolved = build_moments(scored([0.1, 0.9, 0.1, 0.1], strategies={4: "validate_defense"}), FAMS, CFG)[0]
    assert resolved.resolution == {"attempted": True, "strategies": ["validate_defense"], "repair_turns": [4],
                                   "tension_fell": True, "resolved": True}
    # repair attempted but tension comes back just after (0.35 >= low 0.3) -> unresolved
    stays = build_moments(scored([0.1, 0.9, 0.1, 0.35, 0.1], strategies={4: "rationale"}), FAMS,
                          TimelineConfig(high=0.5, low_ratio=0.6, max_gap=0, after_turns=2))[0]
    assert (stays.end_turn, stays.resolution["attempted"], stays.resolution["tension_fell"]) == (3, True, False)
    assert stays.resolution["resolved"] is False
    # no repair at all -> unresolved even though tension fell
    ignored = build_moments(scored([0.1, 0.9, 0.1, 0.1]), FAMS, CFG)[0]
    assert ignored.resolution["attempted"] is False and ignored.resolution["resolved"] is False


def test_timeline_significance_grows_with_peak_and_length():
    weak = build_moments(scored([0.52, 0.1, 0.1]), FAMS, CFG)[0]
    strong = build_moments(scored([0.99, 0.1, 0.1]), FAMS, CFG)[0]
    long = build_moments(scored([0.99, 0.9, 0.9, 0.1, 0.1]), FAMS, CFG)[0]
    assert (weak.significance, strong.significance, long.significance) == (1, 4, 5)


def test_timeline_grid_by_turn_blocks_without_timestamps():
    turns = scored([0.1, 0.9, 0.1, 0.1, 0.1, 0.1])  # 12 turns, blocks of 4
    moments = build_moments(turns, FAMS, CFG)
    grid = build_grid(turns, moments, FAMS, CFG)
    assert [(r["segment"], r["unit"], r["first_turn"], r["last_turn"]) for r in grid] == [
        (0, "turns", 0, 3), (1, "turns", 4, 7), (2, "turns", 8, 11)]
    assert [r["withdrawal"] for r in grid] == [moments[0].significance, 0, 0]
    summary = summarise(moments, grid, FAMS)
    assert summary["segments_with_rupture"] == 1 and summary["proportion_segments_with_rupture"] == round(1 / 3, 4)
    assert summary["first_rupture_turn"] == 3 and summary["first_rupture_time"] is None


def test_timeline_grid_uses_five_minute_segments_with_timestamps():
    times = [0, 60, 200, 310, 400, 650, 700, 905]
    turns = scored([0.1, 0.1, 0.8, 0.1], times=times)
    moments = build_moments(turns, FAMS, CFG)
    grid = build_grid(turns, moments, FAMS, CFG)
    assert [(r["segment"], r["start"], r["end"]) for r in grid] == [(0, 0, 300), (1, 300, 600), (2, 600, 900), (3, 900, 1200)]
    assert [r["withdrawal"] for r in grid] == [0, 0, moments[0].significance, 0]
    assert summarise(moments, grid, FAMS)["first_rupture_time"] == 650


def test_timeline_episode_matching_counts_recall_precision_and_resolution():
    from pipeline.timeline.episodes import gold_session_to_session, match_episodes

    gold = {"id": "g", "turns": [{"speaker": "T", "role": "therapist", "text": "hi", "start": None}] * 3,
            "episodes": [{"first_turn": 3, "last_turn": 5, "family": "withdrawal", "families": ["withdrawal"],
                          "resolved": True},
                         {"first_turn": 20, "last_turn": 21, "family": "mixed",
                          "families": ["confrontation", "withdrawal"], "resolved": False},
                         {"first_turn": 40, "last_turn": 41, "family": "confrontation", "families": ["confrontation"],
                          "resolved": False}]}

    def moment(fam, a, b, resolved, peak=0.9):
        return {"family": fam, "start_turn": a, "end_turn": b, "peak_score": peak, "resolution": {"resolved": resolved}}

    doc = {"moments": [moment("withdrawal", 5, 7, True), moment("confrontation", 21, 21, True),
                       moment("withdrawal", 40, 41, False), moment("confrontation", 60, 61, False)]}
    res = match_episodes([doc], [gold])
    # found: episode 1 (withdrawal overlap) and 2 (mixed, confrontation overlap); episode 3 only has a
    # withdrawal moment over it, the wrong family
    assert (res["recall"], res["precision"], res["resolution_accuracy"]) == (round(2 / 3, 4), 0.5, 0.5)
    assert res["per_session"] == [{"session": "g", "gold": 3, "found": 2, "moments": 4, "correct_moments": 2}]
    assert res["recall_ci95"] is None  # one session: nothing to resample
    session = gold_session_to_session(gold)
    assert [t.index for t in session.turns] == [0, 1, 2] and session.speakers[0].role == "therapist"


def test_timeline_corroboration_drops_lone_lukewarm_turns_only():
    cfg = TimelineConfig(high=0.5, low_ratio=0.6, max_gap=1, min_client_turns=2, single_turn_peak=0.85)
    # one lone 0.7 turn (dropped), one lone 0.9 turn (kept), a two-turn run of 0.6 + 0.4 (kept)
    moments = build_moments(scored([0.7, 0.1, 0.1, 0.9, 0.1, 0.1, 0.6, 0.4, 0.1, 0.1]), FAMS, cfg)
    assert [(m.start_turn, m.end_turn) for m in moments] == [(7, 7), (13, 15)]
    # the dataclass default keeps every run, as before
    assert len(build_moments(scored([0.7, 0.1, 0.1, 0.9]), FAMS, CFG)) == 2


def test_timeline_config_file_sets_corroboration(tmp_path):
    path = tmp_path / "timeline.yaml"
    path.write_text("moments:\n  min_client_turns: 3\n  single_turn_peak: 0.95\n")
    cfg = TimelineConfig.load(path, thresholds={"withdrawal": 0.6})
    assert (cfg.min_client_turns, cfg.single_turn_peak, cfg.high_for("withdrawal")) == (3, 0.95, 0.6)


def test_timeline_therapist_repair_corroborates_a_two_turn_run_only():
    cfg = TimelineConfig(high=0.5, low_ratio=0.6, max_gap=1, min_client_turns=3, single_turn_peak=0.85,
                         min_client_turns_repaired=2)
    two = [0.1, 0.6, 0.4, 0.1, 0.1, 0.1]  # client turns 3 and 5; therapist turns 6, 8, 10 follow
    assert build_moments(scored(two), FAMS, cfg) == []
    repaired = build_moments(scored(two, strategies={6: "invite_exploration"}), FAMS, cfg)
    assert [(m.start_turn, m.end_turn, m.resolution["repair_turns"]) for m in repaired] == [(3, 5, [6])]
    # a strategy after the repair window, or after a lone lukewarm turn, corroborates nothing
    assert build_moments(scored(two, strategies={12: "invite_exploration"}), FAMS, cfg) == []
    assert build_moments(scored([0.1, 0.6, 0.1, 0.1], strategies={4: "clarify"}), FAMS, cfg) == []
    # off (0, the dataclass default): the repair changes nothing
    off = TimelineConfig(**{**cfg.__dict__, "min_client_turns_repaired": 0})
    assert build_moments(scored(two, strategies={6: "invite_exploration"}), FAMS, off) == []


REPAIR_START = TimelineConfig(high=0.5, low_ratio=0.5, max_gap=1, both_ways=True, min_client_turns=3,
                              single_turn_peak=0.85, min_client_turns_repaired=2, repair_start_ratio=0.4)


def test_timeline_repair_right_after_a_lukewarm_turn_starts_a_moment():
    """Client turns 3 (0.3, lukewarm) and 5 (0.22: under the low threshold 0.25, over the repair
    start floor 0.4 x 0.5 = 0.2); therapist turn 6 answers turn 5 with a repair."""
    cfg, w = REPAIR_START, [0.05, 0.3, 0.22, 0.05, 0.05, 0.05]
    [m] = build_moments(scored(w, strategies={6: "invite_exploration"}), FAMS, cfg)
    assert (m.start_turn, m.end_turn, m.evidence_turns, m.peak_turn, m.peak_score) == (3, 5, [3, 5], 3, 0.3)
    assert m.resolution["repair_turns"] == [6] and m.significance == 1
    assert build_moments(scored(w), FAMS, cfg) == []  # no repair, no moment
    # the repair must come right after the turn: one after turn 3 starts a lone run, still uncorroborated
    assert build_moments(scored(w, strategies={4: "invite_exploration"}), FAMS, cfg) == []
    # under the floor, or with the rule off, the repair starts nothing
    assert build_moments(scored([0.05, 0.3, 0.18, 0.05], strategies={6: "clarify"}), FAMS, cfg) == []
    off = TimelineConfig(**{**cfg.__dict__, "repair_start_ratio": 0.0})
    assert build_moments(scored(w, strategies={6: "invite_exploration"}), FAMS, off) == []


def test_timeline_candidate_windows_cover_runs_a_repair_could_start():
    from dataclasses import replace

    from pipeline.timeline.moments import candidate_config

    cfg = REPAIR_START
    turns = scored([0.05, 0.3, 0.22, 0.05, 0.05, 0.05, 0.21, 0.05],
                   strategies={6: "invite_exploration", 14: "clarify"})
    every = build_moments(turns, FAMS, cfg)
    unjudged = [replace(t, strategy=None) for t in turns]
    judge = set(repair_window_turns(unjudged, build_moments(unjudged, FAMS, candidate_config(cfg)), cfg))
    # turn 6 is judged although no client turn reaches the start level; the repair after turn 13,
    # a lone turn that nothing could corroborate, is not
    assert 6 in judge and 14 not in judge
    two_pass = build_moments([t if t.index in judge else replace(t, strategy=None) for t in turns], FAMS, cfg)
    assert [m.to_dict() for m in two_pass] == [m.to_dict() for m in every]
    assert [(m.start_turn, m.end_turn) for m in every] == [(3, 5)]  # turn 13 alone: a lone run


def test_timeline_candidate_windows_cover_every_run_a_repair_could_corroborate():
    from dataclasses import replace

    from pipeline.timeline.moments import candidate_config

    cfg = TimelineConfig(high=0.5, low_ratio=0.6, max_gap=1, min_client_turns=3, single_turn_peak=0.85,
                         min_client_turns_repaired=2)
    strategies = {6: "invite_exploration", 16: "clarify"}
    turns = scored([0.1, 0.6, 0.4, 0.1, 0.1, 0.1, 0.1, 0.9, 0.1, 0.1], strategies=strategies)
    every = build_moments(turns, FAMS, cfg)
    # two passes: client scores alone pick the therapist turns to judge, then only those get a strategy
    unjudged = [replace(t, strategy=None) for t in turns]
    judge = set(repair_window_turns(unjudged, build_moments(unjudged, FAMS, candidate_config(cfg)), cfg))
    assert 6 in judge  # the two-turn run's window, although it is no moment before the repair is read
    two_pass = build_moments([t if t.index in judge else replace(t, strategy=None) for t in turns], FAMS, cfg)
    assert [m.to_dict() for m in two_pass] == [m.to_dict() for m in every]
    assert [(m.start_turn, m.end_turn) for m in every] == [(3, 5), (15, 15)]
    assert candidate_config(TimelineConfig(min_client_turns=2, min_client_turns_repaired=3)).min_client_turns == 2


@pytest.mark.parametrize("text, message", [
    ("moments:\n  repair_start_ratio: 1.5\n", r"moments\.repair_start_ratio must be from 0 to 1, got 1\.5"),
    ("moments:\n  repair_start_ratio: often\n", r"moments\.repair_start_ratio must be a number, got 'often'"),
    ("moments:\n  max_gap: two\n", r"timeline\.yaml: moments\.max_gap must be a whole number, got 'two'"),
    ("moments:\n  min_client_turns_repaired: 1.5\n",
     r"moments\.min_client_turns_repaired must be a whole number, got 1\.5"),
    ("moments:\n  max_gap: .inf\n", r"moments\.max_gap must be a whole number, got inf"),
    ("grid:\n  segment_seconds: [300]\n", r"grid\.segment_seconds must be a number, got \[300\]"),
    ("resolution: 3\n", r"timeline\.yaml: resolution must be a mapping of settings, got 3"),
])
def test_timeline_config_numbers_are_checked_naming_the_file(tmp_path, text, message):
    path = tmp_path / "timeline.yaml"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        TimelineConfig.load(path)


def test_timeline_config_reads_whole_numbers_written_as_floats_and_ints_as_floats(tmp_path):
    path = tmp_path / "timeline.yaml"
    path.write_text("moments:\n  min_client_turns_repaired: 2.0\n  single_turn_peak: 1\n")
    cfg = TimelineConfig.load(path)
    assert (cfg.min_client_turns_repaired, cfg.single_turn_peak) == (2, 1.0)
    assert isinstance(cfg.min_client_turns_repaired, int) and isinstance(cfg.single_turn_peak, float)


def test_timeline_threshold_scale_applies_to_model_thresholds_only(tmp_path):
    path = tmp_path / "timeline.yaml"
    path.write_text("moments:\n  threshold_scale: 0.8\n")
    cfg = TimelineConfig.load(path, thresholds={"withdrawal": 0.5, "confrontation": 0.6})
    assert (cfg.high_for("withdrawal"), cfg.high_for("confrontation")) == (0.4, 0.48)
    # a turn at 0.45 starts a moment under the scaled threshold, not under the model's own
    turns = scored([0.1, 0.45, 0.1])
    assert [m.peak_turn for m in build_moments(turns, FAMS, cfg)] == [3]
    path.write_text("moments:\n  threshold_scale: 1.0\n")
    assert build_moments(turns, FAMS, TimelineConfig.load(path, thresholds={"withdrawal": 0.5})) == []
    # an explicit `high` is used as written
    path.write_text("moments:\n  threshold_scale: 0.8\n  high: {withdrawal: 0.7}\n")
    assert TimelineConfig.load(path, thresholds={"withdrawal": 0.5}).high_for("withdrawal") == 0.7


def test_timeline_default_config_asks_for_longer_runs_than_the_sensitive_one():
    from pipeline.taxonomy import CONFIG_DIR

    thresholds = {"withdrawal": 0.5, "confrontation": 0.5}
    sensitive = TimelineConfig.load(CONFIG_DIR / "timeline-sensitive.yaml", thresholds=thresholds)
    default = TimelineConfig.load(thresholds=thresholds)
    assert default.both_ways and sensitive.both_ways
    # two lukewarm turns: a moment in the sensitive settings, not by default; three such turns: both
    two = scored([0.1, 0.6, 0.55, 0.1, 0.1, 0.1])
    three = scored([0.1, 0.6, 0.55, 0.5, 0.1, 0.1])
    assert len(build_moments(two, FAMS, sensitive)) == 1 and build_moments(two, FAMS, default) == []
    assert len(build_moments(three, FAMS, default)) == 1
    # ...unless the therapist answers the two with a repair; a lone lukewarm turn so answered is a
    # moment only in the sensitive settings
    repaired_two = scored([0.1, 0.6, 0.55, 0.1, 0.1, 0.1], strategies={6: "clarify"})
    repaired_one = scored([0.1, 0.6, 0.1, 0.1, 0.1], strategies={4: "clarify"})
    assert len(build_moments(repaired_two, FAMS, default)) == 1
    assert build_moments(repaired_one, FAMS, default) == [] and len(build_moments(repaired_one, FAMS, sensitive)) == 1
    # a build-up of two lukewarm turns before the high one makes the three the default asks for
    build_up = scored([0.1, 0.3, 0.3, 0.45, 0.1, 0.1, 0.1])
    assert [(m.start_turn, m.end_turn) for m in build_moments(build_up, FAMS, default)] == [(3, 7)]


def test_timeline_episode_bootstrap_interval_resamples_sessions():
    from pipeline.timeline.episodes import bootstrap_ci, format_interval

    same = [{"found": 3, "gold": 4}] * 6
    assert bootstrap_ci(same, "found", "gold") == [0.75, 0.75]  # no spread between sessions, no spread at all
    mixed = [{"found": 0, "gold": 2}, {"found": 2, "gold": 2}, {"found": 1, "gold": 2}, {"found": 2, "gold": 2}]
    lo, hi = bootstrap_ci(mixed, "found", "gold")
    assert 0.0 <= lo < 5 / 8 < hi <= 1.0
    assert bootstrap_ci(mixed, "found", "gold") == [lo, hi]  # seeded: the same figures every run
    assert bootstrap_ci([{"found": 0, "gold": 0}] * 3, "found", "gold") is None
    assert format_interval([0.6111, 1.0]) == "[0.61, 1.00]" and format_interval(None) == "-"


def test_timeline_repair_window_turns_are_the_therapist_turns_resolution_reads():
    # moment on client turns 3-5; window=3 therapist turns after it: 6, 8, 10. A second moment at 15.
    turns = scored([0.1, 0.8, 0.6, 0.1, 0.1, 0.1, 0.1, 0.9, 0.1], strategies={4: "validate"})
    moments = build_moments(turns, FAMS, CFG)
    assert [(m.start_turn, m.end_turn) for m in moments] == [(3, 5), (15, 15)]
    assert repair_window_turns(turns, moments, CFG) == [4, 6, 8, 10, 16]
    assert repair_window_turns(turns, [], CFG) == []


def test_timeline_config_rejects_an_unknown_strategies_mode_naming_the_file(tmp_path):
    path = tmp_path / "timeline.yaml"
    path.write_text("resolution:\n  strategies: some\n")
    with pytest.raises(UserError, match=r"timeline\.yaml: resolution\.strategies must be one of all, repair_windows"):
        TimelineConfig.load(path)
    assert TimelineConfig.load().strategies == "repair_windows"  # the shipped default


def _coded(sid, episodes):
    return {"id": sid, "turns": [], "episodes": [
        {"first_turn": a, "last_turn": b, "family": fams[0] if len(fams) == 1 else "mixed", "families": fams,
         "resolved": res} for a, b, fams, res in episodes]}


def test_timeline_coder_agreement_scores_one_coder_against_the_other():
    from pipeline.timeline.episodes import coder_agreement

    first = [_coded("a", [(3, 5, ["withdrawal"], True), (20, 22, ["confrontation"], False)]),
             _coded("b", [(10, 12, ["confrontation", "withdrawal"], True)]),
             _coded("not-coded-twice", [(1, 2, ["withdrawal"], True)])]
    second = [_coded("a", [(5, 8, ["withdrawal"], False), (30, 31, ["confrontation"], False)]),
              _coded("b", [(12, 12, ["withdrawal"], True)])]
    res = coder_agreement(first, second)
    # a: the withdrawal overlaps (resolution disagrees), the confrontations do not; b: a withdrawal
    # episode inside the first coder's mixed one agrees, resolution included. Session c is left out.
    assert (res["sessions"], res["gold_episodes"], res["predicted_moments"]) == (2, 3, 3)
    assert (res["recall"], res["precision"], res["resolution_accuracy"]) == (round(2 / 3, 4), round(2 / 3, 4), 0.5)
    # symmetric in what counts as a match: swapping the coders swaps recall and precision
    back = coder_agreement(second, first)
    assert (back["recall"], back["precision"]) == (res["precision"], res["recall"])


def test_timeline_moments_confirmed_by_either_coder():
    from pipeline.timeline.episodes import confirmed_by_either

    first = [_coded("a", [(3, 5, ["withdrawal"], True)])]
    second = [_coded("a", [(20, 21, ["confrontation"], False)])]
    moment = lambda fam, a, b: {"family": fam, "start_turn": a, "end_turn": b, "peak_score": 0.9,  # noqa: E731
                                "resolution": {"resolved": False}}
    docs = [{"moments": [moment("withdrawal", 4, 4), moment("confrontation", 21, 23), moment("confrontation", 4, 4),
                         moment("withdrawal", 40, 40)]}]
    assert confirmed_by_either(docs, first, second) == {"moments": 4, "confirmed": 2, "precision": 0.5}
