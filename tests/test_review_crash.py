"""Killing the review server (SIGKILL) mid-review loses no decision it had acknowledged."""
from __future__ import annotations

import http.client
import shutil
import sqlite3
import threading
import time

import pytest

from pipeline.review.db import ReviewDB
from review_helpers import Server, build_review_folder


@pytest.fixture(scope="module")
def annotated(tmp_path_factory, tiny_model_dir):
    return build_review_folder(tmp_path_factory.mktemp("review-crash"), tiny_model_dir)


def test_review_server_sigkill_keeps_every_committed_decision(annotated, tmp_path):
    folder = tmp_path / "ann"
    shutil.copytree(annotated, folder)
    db_path = folder / "reviews.sqlite"
    srv = Server(folder, reviewer="ana")
    try:
        moments = srv.get_json("/api/moments?session=sample-session")
        payload_moments = srv.get_json("/api/moments?session=payload-session")
        acked: list[tuple[int, str, str, str]] = []  # (moment, reviewer, action, comment) the server answered
        stop = threading.Event()

        def review_loop() -> None:
            # Reviewers keep deciding (and changing their minds) until the server dies under them.
            k = 0
            while not stop.is_set():
                k += 1
                m = moments[k % len(moments)]
                reviewer = f"r{k % 4}"
                action = ("confirm", "reject")[k % 2]
                comment = f"decision {k}"
                try:
                    srv.post_json(f"/api/moments/{m['id']}/decisions",
                                  {"reviewer": reviewer, "action": action, "comment": comment})
                except (OSError, http.client.HTTPException):
                    # the server is gone (refused, reset, or killed half-way through a response):
                    # this request may or may not have committed
                    return
                acked.append((m["id"], reviewer, action, comment))

        # A first decision, then a stream of them, then SIGKILL while requests are in flight.
        srv.post_json(f"/api/moments/{payload_moments[0]['id']}/decisions", {"reviewer": "ana", "action": "confirm"})
        worker = threading.Thread(target=review_loop)
        worker.start()
        deadline = time.time() + 20
        while len(acked) < 40 and time.time() < deadline:
            time.sleep(0.01)
        srv.kill()
        stop.set()
        worker.join(timeout=10)
    finally:
        srv.stop()
    assert len(acked) >= 40
    assert (folder / "reviews.sqlite-wal").exists()  # killed without a checkpoint: recovery reads the WAL

    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with ReviewDB(db_path) as db:
        current = {(d["moment_id"], d["reviewer"]): d for d in db.decisions()}
        audit = {(r["row_id"], r["new"]) for r in db.audit_log() if r["field"] == "comment"}
        assert current[(payload_moments[0]["id"], "ana")]["verdict"] == "confirmed"
        # The last acknowledged action of each (moment, reviewer) is its current decision, unless a later
        # request was in flight at the kill and committed before it (then the audit has both).
        last: dict[tuple[int, str], tuple[str, str]] = {}
        for mid, reviewer, action, comment in acked:
            last[(mid, reviewer)] = (action, comment)
        for key, (action, comment) in last.items():
            d = current[key]
            assert (d["decision_id"], comment) in audit  # every acknowledged write is on record
            if d["comment"] != comment:  # only the one request in flight at the kill may come after it
                assert int(d["comment"].split()[-1]) > int(comment.split()[-1])
            else:
                assert d["verdict"] == {"confirm": "confirmed", "reject": "rejected"}[action]
        acked_comments = {c for *_, c in acked}
        assert acked_comments <= {new for _, new in audit}
        # and the database takes new decisions after the crash
        db.record_decision(moments[0]["id"], "after-crash", "confirm")
