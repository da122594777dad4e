"""De-identified views of annotation documents and of excerpts, for everything that leaves the toolkit."""
from __future__ import annotations

from typing import Any, Sequence

from .engine import NOTICE_DEID, NOTICE_RAW, Deidentifier, Scrubber
from .placeholders import pseudonym


def session_ref(session_id: str) -> str:
    """The stable reference exports carry instead of a session id (which may hold a name or a date)."""
    return pseudonym(session_id)


def scrub_turns(turns: Sequence[dict[str, Any]], scrubber: Scrubber | None) -> list[dict[str, Any]]:
    """Copies of the turns with text and speaker de-identified (all with one placeholder map)."""
    if scrubber is None:
        return [{"index": t["index"], "speaker": t["speaker"], "role": t.get("role"), "start": t.get("start"),
                 "end": t.get("end"), "text": t["text"]} for t in turns]
    texts = scrubber.texts([t["text"] for t in turns])
    return [{"index": t["index"], "speaker": scrubber.speaker(t["speaker"]), "role": t.get("role"),
             "start": t.get("start"), "end": t.get("end"), "text": text} for t, text in zip(turns, texts)]


def document_view(doc: dict[str, Any], deid: Deidentifier | None) -> dict[str, Any]:
    """What an export may show of one session. With `deid`: turn texts scrubbed (placeholders consistent
    across the whole session), speakers shown by role, the session id replaced by its reference, the
    source file name and reader warnings left out. Without: the same shape, unchanged text."""
    sess = doc["session"]
    speakers = sess.get("speakers") or []
    scrubber = deid.scrubber(speakers) if deid is not None else None
    ref = session_ref(sess["id"])
    return {
        "deidentified": deid is not None,
        "notice": NOTICE_DEID if deid is not None else NOTICE_RAW,
        "session": {"id": ref if deid is not None else sess["id"], "ref": ref,
                    "source_file": None if deid is not None else sess.get("source_file"),
                    "speakers": [{"label": scrubber.speaker(s["label"]) if scrubber else s["label"],
                                  "role": s.get("role")} for s in speakers],
                    "n_turns": len(doc["turns"]), "duration": sess.get("duration")},
        "model": doc.get("model") or {},
        "families": list(doc.get("families") or []),
        "turns": scrub_turns(doc["turns"], scrubber),
        "moments": list(doc.get("moments") or []),
    }
