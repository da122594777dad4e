"""ELAN export: one .eaf per session, written with pympi-ling.

Tiers: one per speaker (each turn a time-aligned annotation), and per rupture family three tiers for
its moments: the family, the subtypes (codes and names) and the significance (1-5, plus whether the
therapist's response repaired it). A session without timestamps gets times synthesised from turn order
and length; the header property `rupture:timing` and a `notes` tier say so.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..io import atomic_write_bytes
from ..taxonomy import Taxonomy

SECONDS_PER_WORD = 0.4     # synthesised times: about 150 words a minute
MIN_TURN_SECONDS = 1.0
GAP_SECONDS = 0.3


def turn_times(turns: list[dict[str, Any]]) -> tuple[list[tuple[int, int]], str]:
    """(start ms, end ms) per turn and how they were obtained ('recorded', 'partly estimated' or
    'synthesised'). Recorded starts are kept; a missing end is the next start or an estimate from length."""
    def estimate(t: dict[str, Any]) -> float:
        return max(MIN_TURN_SECONDS, SECONDS_PER_WORD * len(t["text"].split()))

    if turns and all(t.get("start") is not None for t in turns):
        out, estimated = [], False
        for i, t in enumerate(turns):
            start = float(t["start"])
            end = t.get("end")
            if end is None or float(end) <= start:
                estimated = True
                nxt = turns[i + 1]["start"] if i + 1 < len(turns) else None
                end = float(nxt) if nxt is not None and float(nxt) > start else start + estimate(t)
            out.append((int(round(start * 1000)), max(int(round(float(end) * 1000)), int(round(start * 1000)) + 1)))
        return out, "partly estimated" if estimated else "recorded"
    out, clock = [], 0.0
    for t in turns:
        dur = estimate(t)
        out.append((int(round(clock * 1000)), int(round((clock + dur) * 1000))))
        clock += dur + GAP_SECONDS
    return out, "synthesised"


def _tier_name(label: str) -> str:
    # ELAN tier ids are free text but must be unique and readable; keep them to one line.
    return re.sub(r"\s+", " ", label).strip() or "speaker"


def session_eaf(view: dict[str, Any], taxonomy: Taxonomy):
    """A pympi Eaf for one session view (from pipeline.deid.documents.document_view)."""
    from pympi.Elan import Eaf

    turns = view["turns"]
    times, how = turn_times(turns)
    eaf = Eaf(author="rupture-markers")
    eaf.remove_tier("default")
    eaf.add_property("rupture:session", view["session"]["id"])
    eaf.add_property("rupture:notice", view["notice"])
    timing = {
        "recorded": "turn times from the transcript",
        "partly estimated": "turn starts from the transcript; missing ends estimated from the next turn or length",
        "synthesised": "the transcript has no timestamps: times are synthesised from turn order and length "
                       f"({SECONDS_PER_WORD} s a word, at least {MIN_TURN_SECONDS} s a turn)"}[how]
    eaf.add_property("rupture:timing", timing)
    speakers = [s["label"] for s in view["session"]["speakers"]]
    for t in turns:
        if t["speaker"] not in speakers:
            speakers.append(t["speaker"])
    for sp in speakers:
        eaf.add_tier(_tier_name(sp), part=sp)
    for t, (start, end) in zip(turns, times):
        eaf.add_annotation(_tier_name(t["speaker"]), start, end, t["text"])
    for fam in taxonomy.families:
        for suffix in ("", " subtypes", " significance"):
            eaf.add_tier(f"{fam}{suffix}")
    skipped = 0
    last_end: dict[str, int] = {}
    for m in sorted(view["moments"], key=lambda m: (m["family"], m["start_turn"])):
        fam = m["family"]
        if fam not in taxonomy.families:
            continue
        start, end = times[m["start_turn"]][0], times[m["end_turn"]][1]
        if start < last_end.get(fam, -1):
            skipped += 1  # ELAN does not allow overlapping annotations on one tier
            continue
        last_end[fam] = end
        codes = [c for c in m.get("subtypes") or [] if c in taxonomy.subtype_info]
        resolution = m.get("resolution") or {}
        eaf.add_annotation(fam, start, end, f"{fam} ({m['id']})")
        eaf.add_annotation(f"{fam} subtypes", start, end,
                           "; ".join(f"{c} {taxonomy.subtype_info[c].get('name', '')}".strip() for c in codes) or "-")
        eaf.add_annotation(f"{fam} significance", start, end,
                           f"{m.get('significance')}; {'resolved' if resolution.get('resolved') else 'unresolved'}")
    notes = []
    if how != "recorded":
        notes.append(f"Timing: {timing}.")
    if skipped:
        notes.append(f"{skipped} overlapping moment(s) of one family left out.")
    if notes and times:
        eaf.add_tier("notes")
        eaf.add_annotation("notes", times[0][0], times[-1][1], " ".join(notes))
    # ELAN numbers the annotations it adds from this property; pympi leaves it at 0.
    used = str(getattr(eaf, "maxaid", 0))
    eaf.properties = [(k, used if k == "lastUsedAnnotation" else v) for k, v in eaf.properties]
    return eaf


def eaf_bytes(eaf) -> bytes:
    """The .eaf XML as pympi writes it (its `to_eaf` renames an existing file to .bak; we write atomically)."""
    from pympi.Elan import etree, to_adocument

    return etree.tostring(to_adocument(eaf, True), encoding="UTF-8", xml_declaration=True)


def write_eaf(eaf, path: Path) -> None:
    atomic_write_bytes(path, eaf_bytes(eaf))


def write_elan(views: list[dict[str, Any]], out_dir: Path, taxonomy: Taxonomy) -> list[Path]:
    written = []
    taken: set[str] = set()
    for v in views:
        stem = re.sub(r"[^A-Za-z0-9._-]+", "_", v["session"]["id"]).strip("._") or "session"
        if stem in taken:
            raise UserError(f"two sessions would both be written as {stem}.eaf")
        taken.add(stem)
        path = out_dir / f"{stem}.eaf"
        write_eaf(session_eaf(v, taxonomy), path)
        written.append(path)
    return written
