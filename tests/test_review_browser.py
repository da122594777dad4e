"""End-to-end review in headless Chromium against the real server on 127.0.0.1 (Playwright)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.review.db import ReviewDB
from review_helpers import PAYLOAD, Server, build_review_folder

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); `make browser-deps` installs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright Python package is not installed; `make browser-deps` installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def annotated(tmp_path_factory, tiny_model_dir):
    return build_review_folder(tmp_path_factory.mktemp("review-browser"), tiny_model_dir)


@pytest.fixture
def server(annotated, tmp_path):
    folder = tmp_path / "ann"
    shutil.copytree(annotated, folder)
    srv = Server(folder, reviewer="ana")
    yield srv, folder / "reviews.sqlite"
    srv.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    yield pg
    context.close()


def _card(page, moment_id: int):
    return page.locator(f"#moment-{moment_id}")


def _wait_verdict(page, moment_id: int, text: str) -> None:
    page.wait_for_selector(f'#moment-{moment_id} .verdict:text-is("{text}")', timeout=10_000)


def test_review_browser_confirm_reject_relabel_comment_persist(server, page):
    srv, db_path = server
    with ReviewDB(db_path) as db:
        ms = db.moments("sample-session")
    assert len(ms) >= 3
    page.goto(srv.base + "/")
    page.click('a[href="/sessions/sample-session"]')
    page.wait_for_selector(f"#moment-{ms[0]['id']}")

    # confirm the first moment with its button
    _card(page, ms[0]["id"]).locator('button[value="confirm"]').click()
    _wait_verdict(page, ms[0]["id"], "confirmed")
    # reject the second from the keyboard: k to the first moment (clicking made it current), j to the next, x
    page.locator("h1").click()
    for _ in range(3):
        page.keyboard.press("k")
    assert page.evaluate("window.reviewApp.current()") == 0
    page.keyboard.press("j")
    assert page.evaluate("window.reviewApp.current()") == 1
    page.keyboard.press("x")
    _wait_verdict(page, ms[1]["id"], "rejected")
    # relabel the third
    third = _card(page, ms[2]["id"])
    third.locator("details.edit summary").click()
    target = "C6" if ms[2]["subtype"] != "C6" else "C5"
    third.locator("form.relabel select").select_option(target)
    third.locator("form.relabel button").click()
    _wait_verdict(page, ms[2]["id"], "relabelled")
    # comment on the first
    first = _card(page, ms[0]["id"])
    first.locator("details.edit summary").click()
    first.locator("textarea[name=comment]").fill("Clear minimal response after the invitation.")
    first.locator("form.comment-form button").click()
    page.wait_for_selector(f"#moment-{ms[0]['id']} .comment", timeout=10_000)

    page.reload()
    _wait_verdict(page, ms[0]["id"], "confirmed")
    _wait_verdict(page, ms[1]["id"], "rejected")
    _wait_verdict(page, ms[2]["id"], "relabelled")
    assert "Clear minimal response" in _card(page, ms[0]["id"]).inner_text()
    assert page.errors == []

    with ReviewDB(db_path) as db:
        got = {d["moment_id"]: d for d in db.decisions(reviewer="ana")}
    assert got[ms[0]["id"]]["verdict"] == "confirmed"
    assert got[ms[0]["id"]]["comment"] == "Clear minimal response after the invitation."
    assert got[ms[1]["id"]]["verdict"] == "rejected"
    assert (got[ms[2]["id"]]["verdict"], got[ms[2]["id"]]["subtype"]) == ("relabelled", target)


def test_review_browser_second_reviewer_and_added_moment(server, page):
    srv, db_path = server
    with ReviewDB(db_path) as db:
        m = db.moments("sample-session")[0]
    page.goto(srv.base + "/sessions/sample-session")
    _card(page, m["id"]).locator('button[value="confirm"]').click()
    _wait_verdict(page, m["id"], "confirmed")
    page.fill('header input[name="reviewer"]', "ben")
    page.click('header button[type="submit"]')
    page.wait_for_selector('#reviewer-name:text-is("ben")')
    _wait_verdict(page, m["id"], "not reviewed yet")
    _card(page, m["id"]).locator('button[value="reject"]').click()
    _wait_verdict(page, m["id"], "rejected")
    page.click("details.add summary")
    page.select_option("#add-moment select", "W4")
    page.fill('#add-moment input[name="start_turn"]', "3")
    page.fill('#add-moment input[name="end_turn"]', "5")
    page.click("#add-moment button")
    page.wait_for_url("**/sessions/sample-session?added=*")
    assert page.errors == []
    with ReviewDB(db_path) as db:
        verdicts = {d["reviewer"]: d["verdict"] for d in db.moment(m["id"])["decisions"]}
        added = db.confirmed_moments(subtype="W4", reviewer="ben")
    assert verdicts == {"ana": "confirmed", "ben": "rejected"}
    assert [(a["origin"], a["start_turn"], a["end_turn"]) for a in added] == [("reviewer", 3, 5)]


def test_review_browser_script_in_a_turn_never_runs(server, page):
    srv, _ = server
    page.goto(srv.base + "/sessions/payload-session")
    page.wait_for_selector("#turn-3")
    assert PAYLOAD in page.locator("#turn-3 .text").inner_text()  # shown as text
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.goto(srv.base + "/")
    assert page.evaluate("typeof window.__pwned") == "undefined"
