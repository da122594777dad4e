"""The review app's only style sheet and script, served inline with a per-response CSP nonce.

No CDN, no web fonts, no external requests: the script talks only to this server ('self').
The forms work without the script (POST, then a redirect back); the script adds keyboard review
and in-place updates of a moment card from the HTML the server returns.
"""
from __future__ import annotations

from ..report.html import CSS as REPORT_CSS

CSS = REPORT_CSS + """
body{max-width:1400px}
header.bar{display:flex;gap:1rem;align-items:center;flex-wrap:wrap;border-bottom:1px solid #ddd;padding-bottom:.5rem}
header.bar nav a{margin-right:.8rem}
.keys{font-size:.85rem;color:#333;background:#f6f6f6;border:1px solid #ddd;padding:.3rem .6rem;border-radius:4px}
kbd{border:1px solid #aaa;border-bottom-width:2px;border-radius:3px;padding:0 .3rem;font-size:.8rem;background:#fff}
.review{display:grid;grid-template-columns:minmax(340px,1fr) 1.3fr;gap:1rem;align-items:start}
.moments{max-height:85vh;overflow:auto;padding-right:.3rem}
.transcript{max-height:85vh;overflow:auto}
.moment{border:1px solid #ccc;border-radius:5px;padding:.5rem .7rem;margin:.5rem 0;background:#fff}
.moment.current{outline:3px solid #f0b400}
.moment.v-confirmed{border-left:6px solid #2d7d46}.moment.v-relabelled{border-left:6px solid #7a4fb2}
.moment.v-rejected{border-left:6px solid #888;background:#f7f7f7}
.moment h3{font-size:.95rem;margin:.1rem 0 .3rem}
.moment form{display:inline-block;margin:.2rem .4rem .2rem 0}
.moment details{margin:.3rem 0;font-size:.85rem}
.verdict{font-weight:600}
.inactive{color:#a05a00;font-size:.85rem}
.turn.in-current{outline:2px solid #f0b400}
.error{color:#b00020;font-weight:600}
.flash{min-height:1.2rem}
textarea{width:95%;min-height:2.5rem}
input[type=number]{width:4.5rem}
button{cursor:pointer}
th a{text-decoration:none}
"""

JS = r"""
(function () {
  "use strict";
  var cur = -1;
  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".moment")); }
  function flash(text, bad) {
    var f = document.getElementById("flash");
    if (f) { f.textContent = text; f.className = "flash" + (bad ? " error" : ""); }
  }
  function highlight(card) {
    document.querySelectorAll(".turn.in-current").forEach(function (t) { t.classList.remove("in-current"); });
    var a = parseInt(card.dataset.start, 10), b = parseInt(card.dataset.end, 10);
    for (var i = a; i <= b; i++) {
      var t = document.getElementById("turn-" + i);
      if (t) { t.classList.add("in-current"); }
    }
    var first = document.getElementById("turn-" + a);
    if (first) { first.scrollIntoView({block: "nearest"}); }
  }
  function select(i) {
    var cs = cards();
    if (!cs.length) { return; }
    cur = Math.max(0, Math.min(cs.length - 1, i));
    cs.forEach(function (c, k) { c.classList.toggle("current", k === cur); });
    cs[cur].scrollIntoView({block: "nearest"});
    highlight(cs[cur]);
    history.replaceState(null, "", "#" + cs[cur].id);
  }
  function send(form, submitter) {
    var data = new URLSearchParams(new FormData(form));
    if (submitter && submitter.name) { data.set(submitter.name, submitter.value); }
    flash("saving...", false);
    // form.action would be the hidden input named "action", not the URL
    return fetch(form.getAttribute("action"), {method: "POST", body: data, credentials: "same-origin",
                               headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        var ok = res[0], j = res[1];
        if (!ok) { flash(j.error || "not saved", true); return; }
        if (j.location) { location.assign(j.location); return; }
        if (j.card && j.card_id) {
          var old = document.getElementById(j.card_id);
          if (old) { old.outerHTML = j.card; }
          var fresh = document.getElementById(j.card_id);
          if (fresh) { cur = cards().indexOf(fresh); fresh.classList.add("current"); }
        }
        flash(j.message || "saved", false);
      })
      .catch(function () { flash("not saved: the server did not answer", true); });
  }
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f.matches("form[data-ajax]")) { return; }
    e.preventDefault();
    send(f, e.submitter);
  });
  document.addEventListener("click", function (e) {
    var c = e.target.closest(".moment");
    if (!c) { return; }
    var cs = cards(), i = cs.indexOf(c);
    if (i !== cur) { cur = i; cs.forEach(function (x, k) { x.classList.toggle("current", k === cur); }); highlight(c); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || (e.target.closest && e.target.closest("input,textarea,select"))) { return; }
    if (e.key === "j") { select(cur + 1); }
    else if (e.key === "k") { select(cur - 1); }
    else if (e.key === "c" || e.key === "x") {
      var c = cards()[cur];
      if (!c) { return; }
      var b = c.querySelector('button[name="action"][value="' + (e.key === "c" ? "confirm" : "reject") + '"]');
      if (b) { send(b.form, b); }
    } else { return; }
    e.preventDefault();
  });
  var m = /^#(moment-\d+)$/.exec(location.hash);
  var start = m ? cards().indexOf(document.getElementById(m[1])) : -1;
  if (start >= 0) { select(start); }
  window.reviewApp = {select: select, current: function () { return cur; }};
})();
"""
