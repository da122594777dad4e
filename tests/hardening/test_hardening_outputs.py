"""Outputs under hostile transcript text: HTML payloads stay inert (checked in headless Chromium),
CSV cells cannot run as spreadsheet formulas, and every output that quotes a transcript says so."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from pipeline.annotate import QUOTES_NOTICE, annotate
from pipeline.cli import main
from pipeline.report.writers import NOTICE_FILE, write_batch_index

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Each payload, if it ever ran, would set window.__pwned or open a dialog.
PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    '"><svg onload=window.__pwned=3>',
    "</title><script>window.__pwned=4</script>",
    "</style><script>window.__pwned=5</script>",
    '<iframe srcdoc="<script>parent.__pwned=6</script>"></iframe>',
    '<a href="javascript:window.__pwned=7">click</a>',
    "<svg><script>window.__pwned=8</script></svg>",
    "<details open ontoggle=alert(9)>",
    "'><body onload=alert(10)>",
]
LABEL_PAYLOADS = ['<img src=x onerror="window.__pwned=20">', "</text><script>alert(21)</script>", "=1+1"]
FORMULAS = ['=HYPERLINK("http://example.invalid/","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
            "\t=1+1", "=cmd|'/C notepad'!A1"]
ODD_FILES = {  # file name -> session text; names carry payloads into titles, links and summary.csv
    '<img src=x onerror="window.__pwned=30">.txt': "T: How are you?\nC: {p}\nT: I see.\nC: Fine.\n",
    "javascript:window.__pwned=31;.txt": "T: How are you?\nC: {p}\nT: I see.\nC: Fine.\n",
    "=HYPERLINK(x).txt": "T: How are you?\nC: {p}\nT: I see.\nC: Fine.\n",
}


def _payload_csv() -> str:
    """Fictional CSV transcript (written for these tests) whose speakers and texts are payloads."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["speaker", "text"])
    rows = PAYLOADS + FORMULAS
    for i, text in enumerate(rows):
        speaker = "Therapist" if i % 2 == 0 else LABEL_PAYLOADS[(i // 2) % len(LABEL_PAYLOADS)]
        w.writerow([speaker, f"{text} and I do not see the point of this."])
    return buf.getvalue()


@pytest.fixture(scope="module")
def hostile_out(tiny_model_dir, tmp_path_factory) -> Path:
    inp = tmp_path_factory.mktemp("hostile-in")
    (inp / "payloads.csv").write_text(_payload_csv(), encoding="utf-8")
    for k, (name, template) in enumerate(ODD_FILES.items()):
        (inp / name).write_text(template.format(p=PAYLOADS[k] + " " + FORMULAS[k]), encoding="utf-8")
    (inp / "session-id.json").write_text(json.dumps({
        "session": "<script>window.__pwned=40</script>=1+1",
        "turns": [{"speaker": "T", "text": "How are you?"}, {"speaker": "C", "text": PAYLOADS[1]}]}))
    out = tmp_path_factory.mktemp("hostile-out")
    res = annotate([inp], out=out, model=str(tiny_model_dir))
    assert not res.failed, res.failed
    assert len(res.written) == 5
    return out


def _html_files(out: Path) -> list[Path]:
    return sorted(out.glob("*.html"))


def test_hardening_html_has_no_raw_payload_and_a_strict_csp(hostile_out):
    pages = _html_files(hostile_out)
    assert len(pages) == 6  # five sessions and the index
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "default-src 'none'" in html
        lowered = html.lower()
        for tag in ("<script", "<iframe", "<img", "<body onload", "<details"):
            assert tag not in lowered, (page.name, tag)
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", html), page.name  # no event-handler attributes
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", lowered), page.name


def test_hardening_index_links_are_relative_paths(hostile_out):
    html = (hostile_out / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert len(hrefs) == 5
    assert all(h.startswith("./") and ":" not in h for h in hrefs), hrefs


def _browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed (pip install playwright)")
    return sync_playwright


@pytest.mark.browser
@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "escaping-alone"])
def test_hardening_payloads_never_execute_in_chromium(hostile_out, bypass_csp):
    """Open every page from file://; with bypass_csp the page's CSP is off, so only escaping protects it."""
    sync_playwright = _browser()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(bypass_csp=bypass_csp, java_script_enabled=True)
            for page_file in _html_files(hostile_out):
                page = context.new_page()
                dialogs, requests, errors = [], [], []
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.on("request", lambda r: requests.append(r.url))
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(page_file.as_uri(), wait_until="load")
                page.wait_for_timeout(150)  # give onload/onerror/ontoggle handlers a chance
                state = page.evaluate("""() => ({
                    pwned: window.__pwned === undefined ? null : window.__pwned,
                    active: document.querySelectorAll('script, iframe, img, object, embed, details').length,
                    handlers: [...document.querySelectorAll('*')].filter(
                        el => [...el.attributes].some(a => a.name.startsWith('on'))).length,
                    schemes: [...document.querySelectorAll('a[href]')].map(
                        a => new URL(a.getAttribute('href'), document.baseURI).protocol),
                    text: document.body.innerText,
                })""")
                assert state["pwned"] is None and not dialogs, (page_file.name, state["pwned"], dialogs)
                assert state["active"] == 0 and state["handlers"] == 0, page_file.name
                assert set(state["schemes"]) <= {"file:"}, (page_file.name, state["schemes"])
                assert all(u.startswith("file://") for u in requests), (page_file.name, requests)
                assert not errors, (page_file.name, errors)
                if page_file.name == "payloads.html":
                    for p in PAYLOADS:
                        assert p in state["text"], p  # shown as text, exactly as spoken
                page.close()
        finally:
            browser.close()


def _csv_cells(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8", newline="")))


def test_hardening_csv_outputs_neutralise_formulas(hostile_out):
    files = sorted(hostile_out.glob("*.csv"))
    assert {p.name for p in files} >= {"payloads.csv", "summary.csv", "=HYPERLINK(x).csv"}
    for path in files:
        for row in _csv_cells(path)[1:]:
            for cell in row:
                assert not cell.startswith(FORMULA_START) or re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", cell), \
                    (path.name, cell)
    texts = [r["text"] for r in csv.DictReader((hostile_out / "payloads.csv").open(encoding="utf-8"))]
    for formula in FORMULAS:
        # The reader strips each cell; the writer quotes what would start a formula.
        assert "'" + formula.strip() + " and I do not see the point of this." in texts, formula
    summary = list(csv.DictReader((hostile_out / "summary.csv").open(encoding="utf-8")))
    assert {r["session"] for r in summary} >= {"'=HYPERLINK(x)", "<script>window.__pwned=40</script>=1+1"}
    assert "'=HYPERLINK(x).html" in {r["file"] for r in summary}


def test_hardening_outputs_that_quote_transcripts_say_so(hostile_out):
    for path in hostile_out.glob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["notice"] == QUOTES_NOTICE
        assert "transcript text" in QUOTES_NOTICE
    for page in _html_files(hostile_out):
        html = page.read_text(encoding="utf-8")
        assert 'class="notice"' in html and "transcript text" in html, page.name
    notice = (hostile_out / NOTICE_FILE).read_text(encoding="utf-8")
    assert "transcript text" in notice and "<session>.csv" in notice and "read_csv" in notice
    # The CSVs carry no notice line of their own: the header row comes first, for R and pandas.
    first = (hostile_out / "payloads.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("session,index,speaker,role,start,end,")
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(hostile_out / "payloads.csv")
    assert list(frame.columns[:4]) == ["session", "index", "speaker", "role"] and len(frame) == 16
    assert len(pandas.read_csv(hostile_out / "summary.csv")) == 5


def test_hardening_batch_index_leaves_out_broken_documents(hostile_out, tmp_path, capsys):
    """A hand-edited or foreign JSON file in the output folder does not break index.html or summary.csv."""
    folder = tmp_path / "out"
    shutil.copytree(hostile_out, folder)
    (folder / "edited.json").write_text('{"schema": "rupture-annotation/1.0", "session": {}}')
    (folder / "typed.json").write_text(json.dumps({**json.loads((folder / "payloads.json").read_text()),
                                                   "summary": {"n_moments": "many"}}))
    (folder / "other.json").write_text("[1, 2, 3]")
    (folder / "binary.json").write_bytes(b"\xff\xfe\x00")
    write_batch_index(folder)
    err = capsys.readouterr().err
    assert "edited.json: not a complete annotation document" in err and "typed.json" in err
    assert "other.json" not in err
    summary = list(csv.DictReader((folder / "summary.csv").open(encoding="utf-8")))
    assert len(summary) == 5


def test_hardening_ingest_output_says_it_quotes_and_keeps_same_stem_inputs_apart(tmp_path, fixtures, capsys):
    for sub, name in (("a", "turns.csv"), ("b", "voice_tags.vtt")):
        (tmp_path / sub).mkdir()
        shutil.copy(fixtures / "good" / name, tmp_path / sub / "session.csv" if name.endswith("csv")
                    else tmp_path / sub / "session.vtt")
    out = tmp_path / "out"
    assert main(["ingest", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(out)]) == 0
    written = sorted(out.glob("*.session.json"))
    assert len(written) == 2, [p.name for p in written]  # the second is not written over the first
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in written]
    assert all(d["notice"] == QUOTES_NOTICE for d in docs)
    assert {d["format"] for d in docs} == {"csv", "vtt"}


def test_hardening_transcripts_named_like_batch_files_keep_their_reports(tiny_model_dir, tmp_path, fixtures):
    inp = tmp_path / "in"
    inp.mkdir()
    for name in ("index.txt", "summary.txt"):
        shutil.copy(fixtures / "good" / "tc_blank_lines.txt", inp / name)
    out = tmp_path / "out"
    res = annotate([inp], out=out, model=str(tiny_model_dir))
    reports = [Path(p).with_suffix(".html") for p in res.written]
    assert all("Rupture markers:" in p.read_text(encoding="utf-8") for p in reports)
    csvs = [Path(p).with_suffix(".csv") for p in res.written]
    assert all(_csv_cells(p)[0][:2] == ["session", "index"] for p in csvs)
