"""Speaker roles: explicit mapping, recognised labels, header lines, heuristic, several clients."""
from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.ingest import read_session
from pipeline.model import Session, Turn
from pipeline.roles import assign_roles


def _session(lines, metadata=None):
    turns = [Turn(index=i, speaker=s, text=t) for i, (s, t) in enumerate(lines)]
    return Session(id="x", turns=turns, speakers=[], source="x.txt", metadata=metadata or {})


def test_roles_explicit_mapping_wins_over_labels(fixtures):
    s = read_session(fixtures / "good" / "turns.csv", roles={"Therapist": "client", "Client": "therapist"})
    assert {sp.label: (sp.role, sp.role_source) for sp in s.speakers} == {
        "Therapist": ("client", "explicit"), "Client": ("therapist", "explicit")}


def test_roles_therapist_option_makes_everyone_else_client(fixtures):
    s = read_session(fixtures / "good" / "speaker_numbers.txt", therapist="speaker 2")
    assert {sp.label: sp.role for sp in s.speakers} == {"Speaker 1": "client", "Speaker 2": "therapist"}
    assert not s.warnings


def test_roles_header_line_names_the_therapist(fixtures):
    s = read_session(fixtures / "good" / "display_names_header.txt")
    assert [(sp.label, sp.role, sp.role_source) for sp in s.speakers] == [
        ("Dr. Okafor", "therapist", "header"), ("Maya", "client", "header")]


@pytest.mark.parametrize("t_label,c_label", [("Counsellor", "Patient"), ("counselor", "client"), ("Clinician", "PT"),
                                             ("Dr. Ahmed", "Participant"), ("T", "C"), ("Therapist", "C2")])
def test_roles_recognised_labels(t_label, c_label):
    s = assign_roles(_session([(t_label, "How are you?"), (c_label, "Fine."), (t_label, "Tell me more.")]))
    assert {sp.label: (sp.role, sp.role_source) for sp in s.speakers} == {
        t_label: ("therapist", "recognised"), c_label: ("client", "recognised")}


def test_roles_heuristic_reports_confidence_and_warns(fixtures):
    s = read_session(fixtures / "good" / "speaker_numbers.txt")
    therapist = next(sp for sp in s.speakers if sp.role == "therapist")
    assert therapist.label == "Speaker 1" and therapist.role_source == "heuristic"
    assert 0.5 < therapist.role_confidence <= 1.0
    assert any("roles guessed" in w and "confidence" in w for w in s.warnings)


def test_roles_heuristic_picks_the_questioner_even_when_they_speak_second():
    s = assign_roles(_session([
        ("A", "I had a rough week, work was awful and I barely slept, and then my car broke down on Friday."),
        ("B", "What was the hardest part of it for you?"),
        ("A", "Probably the sleep. Everything feels worse when I haven't slept and I snap at people."),
        ("B", "It sounds like the tiredness makes everything sharper. How do you notice that at home?"),
        ("A", "I get short with my kids and then I feel guilty about it for the rest of the evening."),
    ]))
    assert {sp.label: sp.role for sp in s.speakers} == {"A": "client", "B": "therapist"}


def test_roles_more_than_two_speakers_one_therapist_several_clients(fixtures):
    s = read_session(fixtures / "good" / "family_three_speakers.txt")
    roles = {sp.label: sp.role for sp in s.speakers}
    assert roles == {"Therapist": "therapist", "Mum": "client", "Jake": "client"}
    s2 = assign_roles(_session([("Therapist", "Welcome both."), ("Anna", "Thanks."), ("Ben", "Hi."),
                                ("Therapist", "What brings you?"), ("Anna", "We argue a lot.")]))
    assert sorted(sp.label for sp in s2.speakers if sp.role == "client") == ["Anna", "Ben"]


def test_roles_bad_explicit_role_is_an_error():
    with pytest.raises(InputError, match="must be therapist or client"):
        assign_roles(_session([("A", "hi"), ("B", "hello")]), explicit={"A": "supervisor"})


def test_roles_two_therapist_labels_and_no_client_is_an_error():
    with pytest.raises(InputError, match="no client speaker"):
        assign_roles(_session([("Therapist", "hi"), ("Counsellor", "hello")]))
