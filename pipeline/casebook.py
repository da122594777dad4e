"""The trainers' casebook: teaching examples built from moments reviewers confirmed.

Each entry is an excerpt (the moment's turns with a few turns of context either side, stretched to take
in the therapist's response), the marker and its definition from the taxonomy, the therapist's response
and whether it repaired the rupture (the moment's resolution, as the timeline estimated it), and the
reviewer's comment. Excerpt and comment are de-identified together, so placeholders agree within an
entry. Written as Markdown, a self-contained HTML page and JSONL (casebook.md/.html/.jsonl).
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any, Sequence

from .deid.documents import session_ref
from .deid.engine import NOTICE_DEID, NOTICE_RAW
from .io import atomic_write_text
from .taxonomy import Taxonomy

MAX_RESPONSE_REACH = 6  # turns past the context a response may pull the excerpt


def _response_turns(doc: dict[str, Any], start: int, end: int, resolution: dict[str, Any]) -> list[int]:
    """The therapist's response: the repair turns the timeline found, else the first therapist turn after
    the moment (or, failing that, the last therapist turn inside it)."""
    repair = [i for i in resolution.get("repair_turns") or [] if 0 <= i < len(doc["turns"])]
    if repair:
        return repair
    after = [t["index"] for t in doc["turns"][end + 1:end + 1 + MAX_RESPONSE_REACH] if t["role"] == "therapist"]
    if after:
        return after[:1]
    inside = [t["index"] for t in doc["turns"][start:end + 1] if t["role"] == "therapist"]
    return inside[-1:]


def repair_summary(resolution: dict[str, Any], strategies: list[str]) -> str:
    named = ", ".join(strategies)
    if resolution.get("resolved"):
        return f"Repaired: the therapist responded ({named or 'no named strategy'}) and the tension fell afterwards."
    if resolution.get("attempted"):
        return f"Not repaired: the therapist attempted a repair ({named}), but the tension did not fall."
    return "Not repaired: no repair attempt by the therapist was detected after this moment."


def build_entry(doc: dict[str, Any], confirmed: dict[str, Any], taxonomy: Taxonomy, context: int,
                deid=None) -> dict[str, Any]:
    """One casebook entry from a confirmed moment (a ReviewDB.confirmed_moments row) and its session."""
    turns = doc["turns"]
    n = len(turns)
    start, end = int(confirmed["start_turn"]), int(confirmed["end_turn"])
    resolution = confirmed.get("resolution") or {}
    response = _response_turns(doc, start, end, resolution)
    lo = max(0, start - context)
    hi = min(n - 1, max(end + context, min(max(response, default=end), end + context + MAX_RESPONSE_REACH)))
    excerpt = turns[lo:hi + 1]
    speakers = doc["session"].get("speakers") or []
    comment = confirmed.get("comment")
    if deid is not None:
        scrubber = deid.scrubber(speakers)
        texts = scrubber.texts([t["text"] for t in excerpt] + [comment])
        shown = [scrubber.speaker(t["speaker"]) for t in excerpt]
        comment = texts[-1]
        session = session_ref(doc["session"]["id"])
    else:
        texts = [t["text"] for t in excerpt] + [comment]
        shown = [t["speaker"] for t in excerpt]
        session = doc["session"]["id"]
    family, code = confirmed["family"], confirmed.get("subtype")
    info = taxonomy.subtype_info.get(code or "", {})
    strategies = [taxonomy.strategy_info.get(s, {}).get("name", s) for s in resolution.get("strategies") or []]
    return {
        "session": session,
        "moment": confirmed.get("moment_key"),
        "reviewer": confirmed.get("reviewer"),
        "verdict": confirmed.get("verdict"),
        "family": family,
        "subtype": code,
        "subtype_name": info.get("name"),
        "definition": info.get("definition"),
        "origin": confirmed.get("origin"),  # "model", or "reviewer" for a moment the model missed
        "model_label": ({"family": confirmed.get("model_family"), "subtypes": confirmed.get("model_subtypes")}
                        if confirmed.get("origin") == "model" else None),
        "start_turn": start,
        "end_turn": end,
        "significance": confirmed.get("significance"),
        "turns": [{"index": t["index"], "speaker": sp, "role": t["role"], "text": text,
                   "in_moment": start <= t["index"] <= end, "response": t["index"] in response}
                  for t, sp, text in zip(excerpt, shown, texts)],
        "response": {"turns": response, "strategies": strategies, "attempted": bool(resolution.get("attempted")),
                     "tension_fell": resolution.get("tension_fell"), "resolved": bool(resolution.get("resolved")),
                     "summary": repair_summary(resolution, strategies)},
        "comment": comment,
        "deidentified": deid is not None,
        "notice": NOTICE_DEID if deid is not None else NOTICE_RAW,
    }


def build_casebook(db, taxonomy: Taxonomy, *, family: str | None = None, subtype: str | None = None,
                   reviewer: str | None = None, context: int = 3, deid=None) -> list[dict[str, Any]]:
    """Entries for every confirmed (or relabelled, or reviewer-added) moment matching the filters."""
    docs: dict[str, dict[str, Any]] = {}
    out = []
    for c in db.confirmed_moments(family=family, subtype=subtype, reviewer=reviewer):
        sid = c["session_id"]
        if sid not in docs:
            docs[sid] = db.session(sid)["document"]
        out.append(build_entry(docs[sid], c, taxonomy, context, deid))
    return out


# -- writers ------------------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~!&()])")


def md_text(text: Any) -> str:
    """Transcript text safe inside Markdown: one line, every character with a meaning escaped (no raw HTML,
    no links, no emphasis can come from a transcript)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text or "").split()))


def _title(filters: dict[str, Any]) -> str:
    parts = [f"{k} {v}" for k, v in filters.items() if v]
    return "Rupture casebook" + (f" ({', '.join(parts)})" if parts else "")


def render_markdown(entries: Sequence[dict[str, Any]], filters: dict[str, Any], notice: str) -> str:
    lines = [f"# {md_text(_title(filters))}", "", f"> **{md_text(notice)}**", "",
             f"{len(entries)} example(s) from moments confirmed by reviewers.", ""]
    for k, e in enumerate(entries, start=1):
        label = f"{e['subtype']} {e['subtype_name']}" if e["subtype"] else e["family"]
        lines += [f"## {k}. {md_text(label)} ({md_text(e['family'])})", "",
                  f"*Definition:* {md_text(e['definition'] or '-')}", "",
                  f"*Session* {md_text(e['session'])}, turns {e['start_turn']}-{e['end_turn']}; "
                  f"reviewer {md_text(e['reviewer'])} ({md_text(e['verdict'])})"
                  + (f"; significance {e['significance']}" if e["significance"] else ""), ""]
        for t in e["turns"]:
            mark = " **[moment]**" if t["in_moment"] else (" **[response]**" if t["response"] else "")
            lines.append(f"> **{md_text(t['speaker'])}** ({t['index']}){mark}: {md_text(t['text'])}")
            lines.append(">")
        lines[-1] = ""
        lines += [f"*Therapist's response:* {md_text(e['response']['summary'])}", "",
                  f"*Reviewer's comment:* {md_text(e['comment'] or '(none)')}", ""]
    lines += ["---", "", f"*{md_text(notice)}*", ""]
    return "\n".join(lines)


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1c2127}
.notice{background:#fff3cd;border:1px solid #e0b84c;padding:.6rem .9rem;border-radius:4px;font-weight:600}
article{border-top:1px solid #ccd;margin-top:1.6rem;padding-top:.6rem}
.meta{color:#555;font-size:.9em}.def{font-style:italic}
ol.turns{list-style:none;padding:0}ol.turns li{padding:.25rem .5rem;border-left:4px solid transparent}
li.moment{background:#fdecea;border-left-color:#c23030}li.response{background:#e8f4ea;border-left-color:#29a634}
.who{font-weight:600}.tag{font-size:.75em;text-transform:uppercase;color:#555;margin-left:.4rem}
.comment{background:#f3f4f6;padding:.4rem .7rem;border-radius:4px}
"""


def render_html(entries: Sequence[dict[str, Any]], filters: dict[str, Any], notice: str) -> str:
    """A self-contained page: inline CSS, no scripts, no external assets (the CSP forbids them), and every
    value escaped."""
    e_ = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">',
             '<meta name="referrer" content="no-referrer">',
             f"<title>{e_(_title(filters))}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e_(_title(filters))}</h1>", f'<p class="notice">{e_(notice)}</p>',
             f"<p>{len(entries)} example(s) from moments confirmed by reviewers.</p>"]
    for k, e in enumerate(entries, start=1):
        label = f"{e['subtype']} {e['subtype_name']}" if e["subtype"] else e["family"]
        parts.append(f'<article><h2>{k}. {e_(label)} <small>({e_(e["family"])})</small></h2>')
        parts.append(f'<p class="def">{e_(e["definition"] or "")}</p>')
        sig = f"; significance {e_(str(e['significance']))}" if e["significance"] else ""
        parts.append(f'<p class="meta">Session {e_(e["session"])}, turns {e["start_turn"]}-{e["end_turn"]}; '
                     f'reviewer {e_(str(e["reviewer"]))} ({e_(str(e["verdict"]))}){sig}</p><ol class="turns">')
        for t in e["turns"]:
            cls = "moment" if t["in_moment"] else ("response" if t["response"] else "")
            tag = '<span class="tag">moment</span>' if t["in_moment"] else (
                '<span class="tag">response</span>' if t["response"] else "")
            parts.append(f'<li class="{cls}"><span class="who">{e_(t["speaker"])}</span> '
                         f'<span class="meta">({t["index"]})</span>{tag}: {e_(t["text"])}</li>')
        parts.append(f'</ol><p><strong>Therapist\'s response:</strong> {e_(e["response"]["summary"])}</p>')
        parts.append(f'<p class="comment"><strong>Reviewer\'s comment:</strong> {e_(e["comment"] or "(none)")}</p>'
                     "</article>")
    parts += [f'<p class="notice">{e_(notice)}</p>', "</body></html>", ""]
    return "\n".join(parts)


def render_jsonl(entries: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)


def write_casebook(entries: Sequence[dict[str, Any]], out_dir: str | Path, filters: dict[str, Any],
                   deidentified: bool) -> list[Path]:
    out = Path(out_dir)
    notice = NOTICE_DEID if deidentified else NOTICE_RAW
    written = []
    for name, text in (("casebook.md", render_markdown(entries, filters, notice)),
                       ("casebook.html", render_html(entries, filters, notice)),
                       ("casebook.jsonl", render_jsonl(entries))):
        atomic_write_text(out / name, text)
        written.append(out / name)
    return written
