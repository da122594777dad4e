"""Shared set-up for the review tests (tests/test_review_*.py): an annotated folder and a live server.

All transcript text here is fictional, written for these tests; no real client or therapist.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "pipeline" / "samples" / "sample-session.txt"
PAYLOAD = "<script>window.__pwned=1</script>"
# Fictional session written for the rupture-markers tests: one client turn carries a script payload.
PAYLOAD_SESSION = f"""# Fictional session written for the rupture-markers review tests. No real client or therapist.
# therapist: Dr. Reyes
Dr. Reyes: How has the week been since we last met?
Jo: Fine. Nothing to report.
Dr. Reyes: You mentioned last time that work had been hard. Shall we start there?
Jo: {PAYLOAD} I don't see the point of going over it again, honestly.
Dr. Reyes: It sounds like going back to it feels pointless right now.
Jo: It is pointless. We did this two weeks ago and nothing changed.
Dr. Reyes: That's fair to say. What would make today's session worth your time?
Jo: Maybe just planning the next week, something practical.
"""
MIN_SAMPLE_MOMENTS = 3


def _client_turns(doc: dict) -> list[int]:
    return [t["index"] for t in doc["turns"] if t["role"] == "client"]


def _synthetic_moment(key: str, family: str, subtype: str, turn: int) -> dict:
    return {"id": key, "family": family, "subtypes": [subtype], "start_turn": turn, "end_turn": turn,
            "peak_turn": turn, "peak_score": 0.9, "significance": 2, "evidence_turns": [turn], "start": None,
            "end": None, "resolution": {"attempted": False, "strategies": [], "repair_turns": [],
                                        "tension_fell": None, "resolved": False}}


def ensure_moments(path: Path, minimum: int) -> dict:
    """The tiny test model is random and may flag few moments: when a document has fewer than `minimum`,
    model moments are inserted into the document here (on distinct client turns), so the review tests
    always have moments to confirm, reject and relabel."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    taken = {m["id"] for m in doc["moments"]}
    clients = _client_turns(doc)
    k = 0
    while len(doc["moments"]) < minimum:
        k += 1
        key = f"m{k}"
        if key in taken:
            continue
        family, subtype = ("withdrawal", "W2") if k % 2 else ("confrontation", "C2")
        doc["moments"].append(_synthetic_moment(key, family, subtype, clients[(3 * k) % len(clients)]))
        taken.add(key)
    doc["moments"].sort(key=lambda m: (m["start_turn"], m["family"]))
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return doc


def build_review_folder(base: Path, model_dir: Path) -> Path:
    """pipeline/samples plus the payload session, annotated with the tiny model (moments topped up)."""
    from pipeline.annotate import annotate

    inputs = base / "in"
    inputs.mkdir(parents=True)
    shutil.copy(SAMPLE, inputs / SAMPLE.name)
    (inputs / "payload-session.txt").write_text(PAYLOAD_SESSION, encoding="utf-8")
    out = base / "annotations"
    res = annotate([inputs], out=out, model=str(model_dir))
    assert not res.failed, res.failed
    ensure_moments(out / "sample-session.json", MIN_SAMPLE_MOMENTS)
    ensure_moments(out / "payload-session.json", 1)
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`rupture review TARGET` as a real process on 127.0.0.1:PORT."""

    def __init__(self, target: Path, reviewer: str = "ana", extra: list[str] | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = target.parent / f"server-{self.port}.log"
        cmd = [sys.executable, "-m", "pipeline", "review", str(target), "--port", str(self.port),
               "--reviewer", reviewer, *(extra or [])]
        self._log_fh = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self._log_fh, stderr=subprocess.STDOUT,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def post_json(self, path: str, payload: dict) -> dict:
        req = urllib.request.Request(self.base + path, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def get_json(self, path: str):
        with urllib.request.urlopen(self.base + path, timeout=10) as r:
            return json.loads(r.read())

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no final checkpoint."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log_fh.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_fh.close()
