"""Self-contained, offline HTML reports: inline CSS and SVG, no scripts, fonts or assets from elsewhere.

Every piece of transcript text goes through `esc`: a turn containing <script> renders as text.
"""
from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:1rem;color:#1d1d1f}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}
.notice{background:#fff4e5;border:1px solid #e0a84f;padding:.5rem .75rem;border-radius:4px;font-size:.9rem}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}
.sig0{color:#999}.sig{font-weight:bold}
.turn{padding:.35rem .6rem;margin:.15rem 0;border-left:4px solid transparent;border-radius:3px}
.turn .who{font-weight:600;margin-right:.4rem}.turn .meta{color:#666;font-size:.8rem;margin-right:.4rem}
.therapist{background:#f4f6fb}.client{background:#fff}
.flag-withdrawal{border-left-color:#1f6fb2;background:#eaf3fb}
.flag-confrontation{border-left-color:#b23a1f;background:#fbece8}
.badge{display:inline-block;font-size:.75rem;padding:0 .35rem;border-radius:3px;margin-left:.3rem;border:1px solid #888}
.badge.withdrawal{border-color:#1f6fb2;color:#1f6fb2}.badge.confrontation{border-color:#b23a1f;color:#b23a1f}
.badge.strategy{border-color:#2d7d46;color:#2d7d46}
:target{outline:3px solid #f0b400}
svg text{font-size:11px;font-family:inherit}
.legend span{margin-right:1rem}
"""
FAMILY_SHAPE = {"withdrawal": "circle", "confrontation": "triangle"}
FAMILY_SYMBOL = {"withdrawal": "●", "confrontation": "▲"}


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def local_href(filename: str) -> str:
    """A link to a file beside the page: './' and percent-encoding keep a file name such as
    'javascript:alert(1).html' or 'a#b?.html' a relative path, never a URL scheme or fragment."""
    return esc("./" + quote(filename))


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


FAMILY_FILL = {"withdrawal": "#1f6fb2", "confrontation": "#b23a1f"}


def speaker_lanes_svg(doc: dict[str, Any], xs, top: float, lane_h: float, left: float, width: float,
                      show_roles: bool = False, plain_fill: str = "#9aa3ad") -> list[str]:
    """SVG parts: one labelled lane per speaker and a tick per turn (coloured by its label, linking to
    #turn-N). Shared by the session report and the review app's timeline."""
    speakers = doc["session"]["speakers"]
    lane = {sp["label"]: k for k, sp in enumerate(speakers)}
    parts = []
    for sp in speakers:
        y = top + lane[sp["label"]] * lane_h
        name = f'{esc(sp["label"])} ({esc(sp["role"])})' if show_roles else esc(sp["label"])
        parts.append(f'<text x="4" y="{y + 14}">{name}</text>'
                     f'<line x1="{left}" x2="{width - 10}" y1="{y + 10}" y2="{y + 10}" stroke="#ddd"/>')
    for t in doc["turns"]:
        y = top + lane.get(t["speaker"], 0) * lane_h
        fill = FAMILY_FILL.get(t.get("label") or "", plain_fill)
        parts.append(f'<a href="#turn-{t["index"]}"><rect x="{xs(t["index"]) - 1.5:.1f}" y="{y + 3}" width="3" '
                     f'height="14" fill="{fill}"><title>turn {t["index"]}</title></rect></a>')
    return parts


def _timeline_svg(doc: dict[str, Any]) -> str:
    turns = doc["turns"]
    speakers = [s["label"] for s in doc["session"]["speakers"]]
    n = max(1, len(turns))
    width, left, lane_h = 1000, 140, 26
    height = lane_h * (len(speakers) + 1) + 30
    xs = lambda i: left + (width - left - 10) * (i + 0.5) / n  # noqa: E731
    parts = [f'<svg role="img" aria-labelledby="tl-title" viewBox="0 0 {width} {height}" width="100%">',
             '<title id="tl-title">Session timeline: one lane per speaker; moments marked by shape and label</title>']
    parts += speaker_lanes_svg(doc, xs, top=20, lane_h=lane_h, left=left, width=width, show_roles=True)
    y = 20 + len(speakers) * lane_h + 8
    parts.append(f'<text x="4" y="{y + 4}">moments</text>')
    for m in doc["moments"]:
        x = xs(m["peak_turn"])
        label = f'{m["id"]} {"/".join(m["subtypes"][:2]) or m["family"]} s{m["significance"]}'
        if m["family"] == "confrontation":
            shape = f'<polygon points="{x:.1f},{y - 6} {x - 6:.1f},{y + 5} {x + 6:.1f},{y + 5}" fill="#b23a1f"/>'
        else:
            shape = f'<circle cx="{x:.1f}" cy="{y}" r="5.5" fill="#1f6fb2"/>'
        parts.append(f'<a href="#turn-{m["peak_turn"]}"><title>{esc(m["family"])} moment {esc(m["id"])}: turns '
                     f'{m["start_turn"]}-{m["end_turn"]}, significance {m["significance"]}</title>{shape}'
                     f'<text x="{x + 7:.1f}" y="{y + 16}">{esc(label)}</text></a>')
    parts.append("</svg>")
    return "".join(parts)


def _precision(model: dict[str, Any]) -> str:
    """', bf16' where the scores were not computed in the reference fp32 arithmetic."""
    precision = model.get("precision", "fp32")
    return "" if precision == "fp32" else f", {esc(precision)}"


def render_session(doc: dict[str, Any]) -> str:
    s, summary, fams = doc["session"], doc["summary"], doc["families"]
    flagged = {}
    for m in doc["moments"]:
        for i in m["evidence_turns"]:
            flagged.setdefault(i, m["family"])
    body = [f"<h1>Rupture markers: {esc(s['id'])}</h1>",
            f'<p class="notice">{esc(doc["notice"])} Scores come from an automatic model '
            f'({esc(doc["model"]["name"])}{_precision(doc["model"])}) and are candidates for human review, '
            'not clinical judgements.</p>',
            f"<p>Source: {esc(s['source_file'])} ({esc(s['format'])}); {s['n_turns']} turns"
            + (f", {_clock(s['duration'])}" if s["duration"] else "") + "; speakers: "
            + ", ".join(f"{esc(sp['label'])} = {esc(sp['role'])}" for sp in s["speakers"]) + "</p>",
            '<p class="legend"><span>● withdrawal</span><span>▲ confrontation</span><span>s1-s5 significance</span></p>',
            "<h2>Timeline</h2>", _timeline_svg(doc), "<h2>Moments</h2>"]
    if doc["moments"]:
        rows = ["<table><tr><th>moment</th><th>family</th><th>subtypes</th><th>turns</th><th>time</th><th>peak</th>"
                "<th>significance</th><th>repair</th><th>resolved</th></tr>"]
        for m in doc["moments"]:
            r = m["resolution"]
            rows.append(
                f'<tr><td><a href="#turn-{m["start_turn"]}">{FAMILY_SYMBOL.get(m["family"], "")} {esc(m["id"])}</a></td>'
                f'<td>{esc(m["family"])}</td><td>{esc(", ".join(m["subtypes"]))}</td>'
                f'<td>{m["start_turn"]}-{m["end_turn"]}</td><td>{_clock(m["start"])}</td><td>{m["peak_score"]:.2f}</td>'
                f'<td>{m["significance"]}</td><td>{esc(", ".join(r["strategies"]) or "none")}</td>'
                f'<td>{"yes" if r["resolved"] else "no"}</td></tr>')
        body.append("".join(rows) + "</table>")
    else:
        body.append("<p>No tension moments found.</p>")
    body.append("<h2>3RS segment grid</h2><table><tr><th>segment</th><th>span</th>"
                + "".join(f"<th>{esc(f)}</th>" for f in fams) + "</tr>")
    for row in doc["segments"]:
        span = (f'{_clock(row["start"])}-{_clock(row["end"])}' if row["unit"] == "time"
                else f'turns {row["first_turn"]}-{row["last_turn"]}')
        cells = "".join(f'<td class="{"sig" if row[f] else "sig0"}">{row[f] or "-"}</td>' for f in fams)
        body.append(f'<tr><td>{row["segment"] + 1}</td><td>{span}</td>{cells}</tr>')
    body.append("</table>")
    body.append("<h2>Summary</h2><ul>" + "".join(
        f"<li>{esc(k.replace('_', ' '))}: {esc(v)}</li>" for k, v in summary.items()) + "</ul>")
    body.append("<h2>Transcript</h2>")
    for t in doc["turns"]:
        fam = flagged.get(t["index"])
        cls = f'turn {esc(t["role"])}' + (f" flag-{esc(fam)}" if fam else "")
        badges = ""
        if t["label"] and t["label"] != "none":
            badges += f'<span class="badge {esc(t["label"])}">{FAMILY_SYMBOL.get(t["label"], "")} {esc(t["label"])} {esc(t["subtype"])}</span>'
        if t.get("strategy"):
            badges += f'<span class="badge strategy">repair: {esc(t["strategy"])}</span>'
        scores = " ".join(f"{esc(k)} {v:.2f}" for k, v in t["scores"].items() if v is not None)
        body.append(f'<div class="{cls}" id="turn-{t["index"]}"><span class="meta">#{t["index"]} {_clock(t["start"])}</span>'
                    f'<span class="who">{esc(t["speaker"])}</span>{esc(t["text"])}{badges}'
                    + (f'<div class="meta">{scores}</div>' if scores and fam else "") + "</div>")
    return _page(f"Rupture markers: {s['id']}", "".join(body))


def render_index(rows: list[dict[str, Any]]) -> str:
    body = ["<h1>Rupture-marker annotations</h1>",
            '<p class="notice">Links to reports that contain transcript text (sensitive clinical data).</p>']
    if not rows:
        body.append("<p>No sessions annotated yet.</p>")
    else:
        cols = [c for c in rows[0] if c not in ("file", "source_file")]
        body.append("<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in cols) + "</tr>")
        for r in sorted(rows, key=lambda r: (-(r.get("max_significance") or 0), -(r.get("moments") or 0))):
            cells = "".join(
                f'<td><a href="{local_href(r["file"])}">{esc(r[c])}</a></td>' if c == "session" else f"<td>{esc(r[c])}</td>"
                for c in cols)
            body.append(f"<tr>{cells}</tr>")
        body.append("</table>")
    return _page("Rupture-marker annotations", "".join(body))
