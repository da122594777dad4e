"""HTML of the review app's pages other than a session: the shell, the session list, agreement, audit.

Every value from a document or the database goes through `esc`; URLs carry ids percent-encoded.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from ..report.html import esc
from .assets import CSS, JS

NOTICE = ("Contains transcript text (sensitive clinical data). This app runs on this computer only "
          "(127.0.0.1); nothing is sent anywhere.")
SORTS = {"moments": "n_moments", "significance": "max_significance", "session": "id", "reviewed": "reviewed"}


def session_url(session_id: str) -> str:
    return "/sessions/" + quote(session_id, safe="")


def hidden(name: str, value: Any) -> str:
    return f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'


def page(title: str, body: str, *, nonce: str, reviewer: str, reviewers: list[str], token: str,
         back: str = "/") -> str:
    options = "".join(f'<option value="{esc(r)}">' for r in reviewers)
    switch = (f'<form method="post" action="/reviewer" class="who">{hidden("token", token)}{hidden("back", back)}'
              f'<label>Reviewer <input name="reviewer" value="{esc(reviewer)}" list="known-reviewers" required '
              f'maxlength="64" size="14"></label><datalist id="known-reviewers">{options}</datalist> '
              '<button type="submit">switch</button></form>')
    bar = (f'<header class="bar"><nav><a href="/">Sessions</a><a href="/agreement">Agreement</a>'
           f'<a href="/audit">Audit log</a></nav>{switch}<span>reviewing as <b id="reviewer-name">{esc(reviewer)}</b>'
           "</span></header>")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta name=\"referrer\" content=\"no-referrer\"><title>{esc(title)}</title>"
            f"<style nonce=\"{nonce}\">{CSS}</style></head><body>{bar}"
            f'<p class="notice">{esc(NOTICE)}</p>{body}'
            f"<script nonce=\"{nonce}\">{JS}</script></body></html>\n")


def session_list(rows: list[dict[str, Any]], sort: str, order: str) -> str:
    key = SORTS.get(sort, "max_significance")
    rows = sorted(rows, key=lambda r: (r[key] is None, r[key], r["n_moments"], r["id"]), reverse=order != "asc")

    def head(label: str, name: str) -> str:
        flip = "asc" if sort == name and order != "asc" else "desc"
        arrow = (" ▲" if order == "asc" else " ▼") if sort == name else ""
        return f'<th><a href="/?{esc(urlencode({"sort": name, "order": flip}))}">{esc(label)}{arrow}</a></th>'

    body = ["<h1>Sessions to review</h1>"]
    if not rows:
        body.append("<p>No sessions in this database yet: run <code>rupture review ANNOTATION-FOLDER</code>.</p>")
        return "".join(body)
    body.append('<table id="sessions"><tr>' + head("session", "session") + head("moments", "moments")
                + head("max significance", "significance") + head("reviewed by you", "reviewed")
                + "<th>added by reviewers</th><th>turns</th><th>source file</th></tr>")
    for r in rows:
        body.append(f'<tr><td><a href="{esc(session_url(r["id"]))}">{esc(r["id"])}</a></td><td>{r["n_moments"]}</td>'
                    f'<td>{r["max_significance"]}</td><td>{r["reviewed"]}</td><td>{r["n_added"]}</td>'
                    f'<td>{r["n_turns"]}</td><td>{esc(r["source_file"])}</td></tr>')
    body.append("</table>")
    return "".join(body)


def agreement_page(report: dict[str, Any]) -> str:
    body = ["<h1>Agreement between reviewers</h1>",
            f"<p>{report['moments_multi_reviewed']} moment(s) judged by two or more reviewers. {esc(report['note'])}.</p>"]
    if report["pairs"]:
        body.append("<table><tr><th>reviewers</th><th>moments</th><th>% agreement</th><th>Cohen's kappa</th>"
                    "<th>both confirmed</th><th>% same label</th></tr>")
        for p in report["pairs"]:
            body.append(f'<tr><td>{esc(" & ".join(p["reviewers"]))}</td><td>{p["n"]}</td>'
                        f'<td>{p["percent_agreement"]}</td><td>{esc(p["kappa"])}</td><td>{p["both_confirmed"]}</td>'
                        f'<td>{esc(p["label_agreement"] if p["label_agreement"] is not None else "-")}</td></tr>')
        body.append("</table>")
    return "".join(body)


def audit_page(rows: list[dict[str, Any]]) -> str:
    body = ["<h1>Audit log</h1><p>Newest first; times are UTC.</p><table><tr><th>when</th><th>who</th><th>action</th>"
            "<th>table</th><th>row</th><th>field</th><th>previous</th><th>new</th></tr>"]
    for r in rows:
        body.append("<tr>" + "".join(f"<td>{esc(r[k])}</td>" for k in
                                     ("at", "who", "action", "table", "row_id", "field", "previous", "new")) + "</tr>")
    body.append("</table>")
    return "".join(body)


def error_body(message: str, back: str = "/") -> str:
    return f'<h1>Not done</h1><p class="error">{esc(message)}</p><p><a href="{esc(back)}">back</a></p>'
