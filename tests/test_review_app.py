"""The review app over HTTP (Starlette's TestClient): pages, forms, JSON API, escaping and local-only guards."""
from __future__ import annotations

import re
import shutil

import pytest
from starlette.testclient import TestClient

from pipeline.cli import main
from pipeline.review.app import create_app
from pipeline.review.db import ReviewDB
from review_helpers import PAYLOAD, build_review_folder

BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def annotated(tmp_path_factory, tiny_model_dir):
    return build_review_folder(tmp_path_factory.mktemp("review-app"), tiny_model_dir)


@pytest.fixture
def db(annotated, tmp_path):
    folder = tmp_path / "ann"
    shutil.copytree(annotated, folder)
    with ReviewDB(folder / "reviews.sqlite") as d:
        d.import_annotations(folder)
        yield d


@pytest.fixture
def client(db):
    app = create_app(db, "ana", token="test-token")
    with TestClient(app, base_url=BASE) as c:
        yield c


def _form(**kw):
    return {"token": "test-token", **kw}


def test_review_app_session_list_sorts_by_moments_and_significance(client, db):
    r = client.get("/?sort=moments&order=desc")
    assert r.status_code == 200
    counts = {s["id"]: s["n_moments"] for s in db.sessions()}
    order = re.findall(r'<a href="/sessions/([^"]+)">', r.text)
    assert order == sorted(counts, key=lambda s: -counts[s])
    asc = re.findall(r'<a href="/sessions/([^"]+)">', client.get("/?sort=moments&order=asc").text)
    assert asc == list(reversed(order))
    r = client.get("/?sort=significance")
    assert "max significance ▼" in r.text and "reviewed by you" in r.text


def test_review_app_pages_are_self_contained_with_a_strict_csp(client):
    for url in ("/", "/sessions/sample-session", "/agreement", "/audit"):
        r = client.get(url)
        assert r.status_code == 200, url
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "http" not in csp
        nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
        assert r.text.count("<script") == r.text.count(f'<script nonce="{nonce}">') == 1
        assert r.text.count("<style") == r.text.count(f'<style nonce="{nonce}">') == 1
        assert not re.search(r'(src|href|action)="(https?:)?//', r.text)  # nothing from elsewhere
        assert "@import" not in r.text and "@font-face" not in r.text
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"


def test_review_app_escapes_transcript_text(client):
    r = client.get("/sessions/payload-session")
    assert PAYLOAD not in r.text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in r.text


def test_review_app_session_page_shows_timeline_moments_transcript_and_keys(client, db):
    r = client.get("/sessions/sample-session")
    keys = re.search(r'<p class="keys" id="keys">(.*?)</p>', r.text).group(1)
    for key in ("j", "k", "c", "x"):
        assert f"<kbd>{key}</kbd>" in keys
    assert "<svg" in r.text and 'id="turn-0"' in r.text
    for m in db.moments("sample-session"):
        assert f'id="moment-{m["id"]}"' in r.text
    assert 'value="W1"' in r.text and 'value="C7"' in r.text  # relabel choices from the taxonomy
    assert 'id="add-moment"' in r.text
    assert client.get("/sessions/no-such-session").status_code == 404


def test_review_app_form_posts_record_decisions(client, db):
    m = db.moments("sample-session")[0]
    r = client.post(f"/moments/{m['id']}/decision", data=_form(action="confirm", reviewer="ana"),
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/sessions/sample-session#moment-{m['id']}"
    r = client.post(f"/moments/{m['id']}/decision", data=_form(action="relabel", subtype="C3", reviewer="ana"),
                    headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["card_id"] == f"moment-{m['id']}"
    assert "relabelled" in r.json()["card"]
    client.post(f"/moments/{m['id']}/decision", data=_form(action="comment", comment="<b>odd</b>", reviewer="ana"))
    client.post(f"/moments/{m['id']}/decision", data=_form(action="adjust_span", start_turn=str(m["start_turn"]),
                                                           end_turn=str(m["start_turn"]), reviewer="ana"))
    [d] = db.moment(m["id"])["decisions"]
    assert (d["verdict"], d["family"], d["subtype"], d["comment"], d["end_turn"]) == \
        ("relabelled", "confrontation", "C3", "<b>odd</b>", m["start_turn"])
    page = client.get("/sessions/sample-session").text
    assert "&lt;b&gt;odd&lt;/b&gt;" in page and "<b>odd</b>" not in page
    r = client.post(f"/moments/{m['id']}/decision", data=_form(action="relabel", subtype="Z9", reviewer="ana"),
                    headers={"Accept": "application/json"})
    assert r.status_code == 400 and "not in the taxonomy" in r.json()["error"]


def test_review_app_add_moment_form(client, db):
    r = client.post("/add-moment", data=_form(session_id="payload-session", subtype="W2", start_turn="1",
                                              end_turn="1", comment="missed", reviewer="ana"),
                    headers={"Accept": "application/json"})
    assert r.status_code == 200
    mid = r.json()["moment_id"]
    assert r.json()["location"].endswith(f"#moment-{mid}")
    [c] = db.confirmed_moments(subtype="W2", reviewer="ana")
    assert c["moment_id"] == mid and c["origin"] == "reviewer" and c["comment"] == "missed"
    r = client.post("/add-moment", data=_form(session_id="payload-session", subtype="W2", start_turn="5",
                                              end_turn="2", reviewer="ana"))
    assert r.status_code == 400 and "not within the session" in r.text


def test_review_app_switching_reviewer_keeps_decisions_apart(client, db):
    m = db.moments("sample-session")[0]
    client.post(f"/moments/{m['id']}/decision", data=_form(action="confirm"))  # default reviewer: ana
    r = client.post("/reviewer", data=_form(reviewer="ben", back="/sessions/sample-session"), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sessions/sample-session"
    page = client.get("/sessions/sample-session").text
    assert '<b id="reviewer-name">ben</b>' in page and 'name="reviewer" value="ben"' in page
    client.post(f"/moments/{m['id']}/decision", data=_form(action="reject"))
    verdicts = {d["reviewer"]: d["verdict"] for d in db.moment(m["id"])["decisions"]}
    assert verdicts == {"ana": "confirmed", "ben": "rejected"}
    assert "Other reviewers (1)" in page
    r = client.post("/reviewer", data=_form(reviewer="x", back="//evil.example/"), follow_redirects=False)
    assert r.headers["location"] == "/"


def test_review_app_json_api(client, db):
    sessions = client.get("/api/sessions").json()
    assert {s["id"] for s in sessions} == {"sample-session", "payload-session"}
    assert client.get("/api/session", params={"id": "payload-session"}).json()["document"]["turns"]
    moments = client.get("/api/moments", params={"session": "sample-session"}).json()
    mid = moments[0]["id"]
    r = client.post(f"/api/moments/{mid}/decisions", json={"reviewer": "cy", "action": "reject", "comment": "no"})
    assert r.status_code == 200 and r.json()["moment"]["decisions"][0]["reviewer"] == "cy"
    r = client.post("/api/moments", json={"session_id": "sample-session", "reviewer": "cy", "family": "withdrawal",
                                         "subtype": "W7", "start_turn": 3, "end_turn": 5})
    assert r.status_code == 201 and r.json()["moment"]["origin"] == "reviewer"
    assert client.post("/api/moments/999999/decisions", json={"reviewer": "cy", "action": "confirm"}).status_code == 404
    assert client.get("/api/moments", params={"session": "nope"}).status_code == 404
    assert client.get("/api/agreement").json()["pairs"] == []
    log = client.get("/api/audit", params={"limit": "3"}).json()
    assert len(log) == 3 and log[0]["who"] == "cy"


def test_review_app_refuses_foreign_hosts_cross_site_posts_and_stale_forms(client, db):
    m = db.moments("sample-session")[0]
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 421
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200
    r = client.post(f"/moments/{m['id']}/decision", data={"action": "confirm", "token": "wrong"})
    assert r.status_code == 403
    r = client.post(f"/moments/{m['id']}/decision", data=_form(action="confirm"),
                    headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    r = client.post(f"/api/moments/{m['id']}/decisions", content=b'{"reviewer": "ana", "action": "confirm"}',
                    headers={"Content-Type": "text/plain"})
    assert r.status_code == 400
    assert db.moment(m["id"])["decisions"] == []


def test_review_cli_import_only_and_host_refusal(annotated, tmp_path, capsys):
    folder = tmp_path / "ann"
    shutil.copytree(annotated, folder)
    assert main(["review", str(folder), "--import-only"]) == 0
    assert "2 session(s) added" in capsys.readouterr().out
    assert main(["review", str(folder), "--import-only"]) == 0
    assert "0 session(s) added, 0 updated, 2 unchanged" in capsys.readouterr().out
    assert (folder / "reviews.sqlite").exists()
    other = tmp_path / "elsewhere.sqlite"
    assert main(["review", str(folder), "--db", str(other), "--import-only"]) == 0 and other.exists()
    assert main(["review", str(folder), "--host", "0.0.0.0"]) == 2
    assert "refused" in capsys.readouterr().err
    assert main(["review", str(tmp_path / "nothing-here")]) == 2
