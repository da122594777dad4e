"""Property-based tests of the moment builder (pipeline/timeline/moments.py) on arbitrary scores."""
from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from guards import property_settings
from pipeline.timeline.moments import TimelineConfig, TurnScore, build_moments

SETTINGS = property_settings()
FAMILIES = ("withdrawal", "confrontation")
SUBTYPES = {"withdrawal": ["W1", "W2", "W3"], "confrontation": ["C1", "C2"]}
score = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def sessions(draw):
    n = draw(st.integers(min_value=0, max_value=60))
    timed = draw(st.booleans())
    turns, t = [], 0.0
    for i in range(n):
        role = draw(st.sampled_from(["client", "therapist"]))
        start = t if timed else None
        t += draw(st.floats(min_value=0.5, max_value=120))
        if role == "client":
            by_family = {f: draw(st.sampled_from(SUBTYPES[f])) for f in FAMILIES}
            turns.append(TurnScore(i, "client", {f: draw(score) for f in FAMILIES},
                                   draw(st.sampled_from(SUBTYPES["withdrawal"] + [None])), by_family, None,
                                   start, t if timed else None))
        else:
            turns.append(TurnScore(i, "therapist", {}, None, {}, draw(st.sampled_from([None, "R1", "R2", "R5"])),
                                   start, t if timed else None))
    return turns


configs = st.builds(
    TimelineConfig,
    high=st.one_of(st.none(), st.floats(min_value=0.05, max_value=0.95),
                   st.fixed_dictionaries({f: st.floats(min_value=0.05, max_value=0.95) for f in FAMILIES})),
    low_ratio=st.floats(min_value=0.1, max_value=1.0),
    max_gap=st.integers(min_value=0, max_value=4),
    window=st.integers(min_value=1, max_value=4),
    after_turns=st.integers(min_value=1, max_value=3),
    long_moment_turns=st.integers(min_value=1, max_value=5),
)


@SETTINGS
@given(turns=sessions(), cfg=configs)
def test_hardening_moments_invariants(turns, cfg):
    moments = build_moments(turns, FAMILIES, cfg)
    by_index = {t.index: t for t in turns}
    assert [m.id for m in moments] == [f"m{k}" for k in range(1, len(moments) + 1)]
    assert [(m.start_turn, m.family) for m in moments] == sorted((m.start_turn, m.family) for m in moments)
    for m in moments:
        assert m.family in FAMILIES
        assert m.start_turn in by_index and m.end_turn in by_index and m.peak_turn in by_index
        assert m.start_turn <= m.peak_turn <= m.end_turn
        assert m.evidence_turns and m.evidence_turns == sorted(set(m.evidence_turns))
        assert m.evidence_turns[0] == m.start_turn and m.evidence_turns[-1] == m.end_turn
        assert m.peak_turn in m.evidence_turns
        for i in m.evidence_turns:
            assert by_index[i].role == "client" and m.start_turn <= i <= m.end_turn
            assert by_index[i].scores[m.family] >= cfg.high_for(m.family) * cfg.low_ratio - 1e-12
        assert m.peak_score == round(max(by_index[i].scores[m.family] for i in m.evidence_turns), 4)
        assert by_index[m.start_turn].scores[m.family] >= cfg.high_for(m.family)
        assert 1 <= m.significance <= 5
        assert 0.0 <= m.peak_score <= 1.0
        assert set(m.subtypes) <= set(SUBTYPES["withdrawal"] + SUBTYPES[m.family])
        if m.start is not None and m.end is not None:
            assert m.start <= m.end
        r = m.resolution
        assert r["resolved"] == (r["attempted"] and bool(r["tension_fell"]))
        assert all(by_index[i].role == "therapist" and by_index[i].strategy for i in r["repair_turns"])
        assert all(i >= m.start_turn for i in r["repair_turns"])
    for family in FAMILIES:
        spans = sorted((m.start_turn, m.end_turn) for m in moments if m.family == family)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert end < start, f"two {family} moments overlap: {spans}"


@SETTINGS
@given(turns=sessions(), cfg=configs, more=st.integers(min_value=1, max_value=5))
def test_hardening_moments_more_max_gap_never_more_moments(turns, cfg, more):
    fewer_gap = build_moments(turns, FAMILIES, cfg)
    more_gap = build_moments(turns, FAMILIES, replace(cfg, max_gap=cfg.max_gap + more))
    for family in FAMILIES:
        assert (sum(m.family == family for m in more_gap) <= sum(m.family == family for m in fewer_gap))
    # Every turn in a moment stays in a moment when more quiet turns may be bridged.
    covered = {(m.family, i) for m in fewer_gap for i in m.evidence_turns}
    covered_more = {(m.family, i) for m in more_gap for i in m.evidence_turns}
    assert covered <= covered_more


@SETTINGS
@given(turns=sessions(), cfg=configs)
def test_hardening_moments_no_client_scores_no_moments(turns, cfg):
    quiet = [replace(t, scores={f: 0.0 for f in FAMILIES}) if t.role == "client" else t for t in turns]
    assert build_moments(quiet, FAMILIES, cfg) == []
    therapists_only = [replace(t, role="therapist", scores={}) for t in turns]
    assert build_moments(therapists_only, FAMILIES, cfg) == []
