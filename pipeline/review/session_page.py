"""HTML of one session under review: timeline, moment cards with their forms, transcript.

A moment card is rendered by `moment_card` alone, so the server can send back the updated card
after an action and the page swaps it in place. All transcript text is escaped.
"""
from __future__ import annotations

from typing import Any

from ..report.html import FAMILY_FILL, FAMILY_SYMBOL, esc, speaker_lanes_svg
from ..taxonomy import Taxonomy
from .pages import hidden, session_url

VERDICT_TEXT = {None: "not reviewed yet", "confirmed": "confirmed", "rejected": "rejected", "relabelled": "relabelled"}
VERDICT_FILL = {"confirmed": "#2d7d46", "relabelled": "#7a4fb2", "rejected": "#9aa3ad"}


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _mine(m: dict[str, Any], reviewer: str) -> dict[str, Any] | None:
    return next((d for d in m["decisions"] if d["reviewer"] == reviewer), None)


def label_select(taxonomy: Taxonomy, name: str, selected: str | None, required: bool = True) -> str:
    groups = []
    for fam in taxonomy.families:
        opts = "".join(f'<option value="{esc(c)}"{" selected" if c == selected else ""}>{esc(c)} '
                       f'{esc(taxonomy.subtype_info[c].get("name", ""))}</option>'
                       for c in taxonomy.subtypes if taxonomy.subtype_family[c] == fam)
        groups.append(f'<optgroup label="{esc(fam)}">{opts}</optgroup>')
    blank = "" if selected else '<option value="" selected disabled>choose a marker</option>'
    return f'<select name="{esc(name)}"{" required" if required else ""}>{blank}{"".join(groups)}</select>'


def moment_card(m: dict[str, Any], reviewer: str, taxonomy: Taxonomy, n_turns: int, token: str) -> str:
    mine = _mine(m, reviewer)
    verdict = mine["verdict"] if mine else None
    fam = mine["family"] if mine else m["family"]
    sub = mine["subtype"] if mine else m["subtype"]
    start = mine["start_turn"] if mine else m["start_turn"]
    end = mine["end_turn"] if mine else m["end_turn"]
    origin = "model" if m["origin"] == "model" else f"added by {m['created_by']}"
    res = m["resolution"] or {}
    common = hidden("token", token) + hidden("reviewer", reviewer)
    action = f'/moments/{m["id"]}/decision'
    head = (f'<h3>{FAMILY_SYMBOL.get(m["family"], "")} {esc(m["moment_key"])} · {esc(m["family"])} '
            f'{esc(", ".join(m["subtypes"]))} · turns {m["start_turn"]}-{m["end_turn"]}'
            + (f' · significance {m["significance"]}' if m["significance"] is not None else "")
            + f' <small>({esc(origin)})</small></h3>')
    info = (f'<div class="meta">peak turn {esc(m["peak_turn"])}'
            + (f', score {m["peak_score"]:.2f}' if m["peak_score"] is not None else "")
            + f'; repair: {esc(", ".join(res.get("strategies") or []) or "none")}; '
            f'resolved: {"yes" if res.get("resolved") else "no"}</div>')
    if not m["active"]:
        info += '<div class="inactive">The re-imported annotation no longer has this moment; decisions are kept.</div>'
    yours = (f'<div>Your decision: <span class="verdict" data-verdict="{esc(verdict or "")}">'
             f'{esc(VERDICT_TEXT.get(verdict, verdict))}</span>'
             + (f' · {esc(fam)} {esc(sub)} · turns {start}-{end}' if mine else "")
             + (f'<div class="comment">Comment: {esc(mine["comment"])}</div>' if mine and mine["comment"] else "")
             + "</div>")
    buttons = (f'<form method="post" action="{action}" data-ajax>{common}'
               '<button type="submit" name="action" value="confirm" title="c">Confirm (c)</button> '
               '<button type="submit" name="action" value="reject" title="x">Reject (x)</button></form>')
    relabel = (f'<form method="post" action="{action}" data-ajax class="relabel">{common}{hidden("action", "relabel")}'
               f'{label_select(taxonomy, "subtype", sub if mine and verdict == "relabelled" else None)} '
               '<button type="submit">Relabel</button></form>')
    span = (f'<form method="post" action="{action}" data-ajax class="span">{common}{hidden("action", "adjust_span")}'
            f'turns <input type="number" name="start_turn" min="0" max="{n_turns - 1}" value="{start}" required '
            f'aria-label="first turn"> to <input type="number" name="end_turn" min="0" max="{n_turns - 1}" '
            f'value="{end}" required aria-label="last turn"> <button type="submit">Adjust span</button></form>')
    comment = (f'<form method="post" action="{action}" data-ajax class="comment-form">{common}{hidden("action", "comment")}'
               f'<textarea name="comment" maxlength="5000" placeholder="comment (shown in the casebook)" '
               f'aria-label="comment">{esc(mine["comment"] if mine and mine["comment"] else "")}</textarea>'
               '<button type="submit">Save comment</button></form>')
    others = [d for d in m["decisions"] if d["reviewer"] != reviewer]
    other_html = ""
    if others:
        items = "".join(f'<li>{esc(d["reviewer"])}: {esc(VERDICT_TEXT.get(d["verdict"], d["verdict"]))} '
                        f'{esc(d["family"])} {esc(d["subtype"])} turns {d["start_turn"]}-{d["end_turn"]}'
                        + (f' · {esc(d["comment"])}' if d["comment"] else "") + "</li>" for d in others)
        other_html = f"<details><summary>Other reviewers ({len(others)})</summary><ul>{items}</ul></details>"
    cls = f'moment v-{esc(verdict)}' if verdict else "moment"
    return (f'<section class="{cls}" id="moment-{m["id"]}" data-moment-id="{m["id"]}" data-start="{start}" '
            f'data-end="{end}" data-key="{esc(m["moment_key"])}">{head}{info}{yours}{buttons}'
            f'<details class="edit"><summary>Relabel, adjust span, comment</summary>{relabel}{span}{comment}</details>'
            f"{other_html}</section>")


def timeline_svg(doc: dict[str, Any], moments: list[dict[str, Any]], reviewer: str) -> str:
    """One lane per speaker (ticks coloured by the model's label) and a lane of moments coloured by this
    reviewer's verdict (grey = rejected, green = confirmed, purple = relabelled, family colour = open)."""
    turns = doc["turns"]
    speakers = [s["label"] for s in doc["session"]["speakers"]]
    n = max(1, len(turns))
    rows: list[int] = []  # last end turn per moment row: overlapping moments go on separate rows
    row_of = {}
    for m in sorted(moments, key=lambda m: (m["start_turn"], m["end_turn"])):
        k = next((r for r, last in enumerate(rows) if last < m["start_turn"]), len(rows))
        if k == len(rows):
            rows.append(m["end_turn"])
        else:
            rows[k] = m["end_turn"]
        row_of[m["id"]] = k
    width, left, lane_h, row_h = 1000, 140, 24, 26
    top = 16 + len(speakers) * lane_h + 10
    height = top + row_h * max(1, len(rows)) + 10
    xs = lambda i: left + (width - left - 10) * (i + 0.5) / n  # noqa: E731
    parts = [f'<svg role="img" aria-labelledby="tl-title" viewBox="0 0 {width} {height}" width="100%">',
             '<title id="tl-title">Session timeline: a lane per speaker, then the moments</title>']
    parts += speaker_lanes_svg(doc, xs, top=15, lane_h=lane_h, left=left, width=width, plain_fill="#c3c9cf")
    parts.append(f'<text x="4" y="{top + 4}">moments</text>')
    for m in moments:
        y = top + row_of[m["id"]] * row_h
        mine = _mine(m, reviewer)
        fill = VERDICT_FILL.get(mine["verdict"] if mine else "", FAMILY_FILL.get(m["family"], "#555"))
        x0, x1 = xs(m["start_turn"]) - 3, xs(m["end_turn"]) + 3
        parts.append(f'<a href="#moment-{m["id"]}"><title>{esc(m["moment_key"])} {esc(m["family"])} turns '
                     f'{m["start_turn"]}-{m["end_turn"]}</title><rect x="{x0:.1f}" y="{y - 6}" width="{x1 - x0:.1f}" '
                     f'height="11" rx="3" fill="{fill}" fill-opacity="0.75"/>'
                     f'<text x="{x0:.1f}" y="{y + 16}">{esc(m["moment_key"])} {esc(m["family"])}</text></a>')
    parts.append("</svg>")
    return "".join(parts)


def add_moment_form(session_id: str, reviewer: str, taxonomy: Taxonomy, n_turns: int, token: str) -> str:
    return ('<details class="add"><summary>Add a moment the model missed</summary>'
            f'<form method="post" action="/add-moment" data-ajax id="add-moment">{hidden("token", token)}'
            f'{hidden("reviewer", reviewer)}{hidden("session_id", session_id)}'
            f'{label_select(taxonomy, "subtype", None)} turns <input type="number" name="start_turn" min="0" '
            f'max="{n_turns - 1}" required aria-label="first turn"> to <input type="number" name="end_turn" min="0" '
            f'max="{n_turns - 1}" required aria-label="last turn"><br><textarea name="comment" maxlength="5000" '
            'placeholder="comment" aria-label="comment"></textarea><button type="submit">Add moment</button>'
            "</form></details>")


def session_body(sess: dict[str, Any], moments: list[dict[str, Any]], reviewer: str, taxonomy: Taxonomy,
                 token: str) -> str:
    doc = sess["document"]
    n = len(doc["turns"])
    flagged: dict[int, str] = {}
    for m in moments:
        for i in (m["evidence_turns"] or range(m["start_turn"], m["end_turn"] + 1)):
            flagged.setdefault(i, m["family"])
    cards = "".join(moment_card(m, reviewer, taxonomy, n, token) for m in moments) or "<p>No moments.</p>"
    turns = []
    for t in doc["turns"]:
        fam = flagged.get(t["index"])
        cls = f'turn {esc(t["role"])}' + (f" flag-{esc(fam)}" if fam else "")
        badge = (f'<span class="badge {esc(t["label"])}">{esc(t["label"])} {esc(t["subtype"])}</span>'
                 if t.get("label") not in (None, "none") and fam else "")
        if t.get("strategy"):
            badge += f'<span class="badge strategy">repair: {esc(t["strategy"])}</span>'
        turns.append(f'<div class="{cls}" id="turn-{t["index"]}"><span class="meta">#{t["index"]} '
                     f'{_clock(t.get("start"))}</span><span class="who">{esc(t["speaker"])}</span>'
                     f'<span class="text">{esc(t["text"])}</span>{badge}</div>')
    s = doc["session"]
    return (f'<h1>Review: {esc(s["id"])}</h1>'
            f'<p>{n} turns; model {esc(doc["model"]["name"])}; source {esc(s.get("source_file"))}. '
            f'<a href="{esc(session_url(s["id"]))}">reload</a></p>'
            '<p class="keys" id="keys">Keys: <kbd>j</kbd> next moment · <kbd>k</kbd> previous moment · '
            '<kbd>c</kbd> confirm · <kbd>x</kbd> reject (the highlighted moment; not while typing in a field). '
            "Each decision is saved at once.</p>"
            f"<h2>Timeline</h2>{timeline_svg(doc, moments, reviewer)}"
            '<div class="flash" id="flash" role="status" aria-live="polite"></div>'
            f'<div class="review"><div class="moments"><h2>Moments ({len(moments)})</h2>{cards}'
            f'{add_moment_form(s["id"], reviewer, taxonomy, n, token)}</div>'
            f'<div class="transcript"><h2>Transcript</h2>{"".join(turns)}</div></div>')
