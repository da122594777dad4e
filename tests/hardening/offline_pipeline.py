"""The whole pipeline (ingest, annotate, review import and a confirmed moment, casebook), for the
no-network tests: imported by them, or run as a script under an audit hook that records and refuses
every network call (`python offline_pipeline.py REPORT.json MODEL WORK INPUT...`).
"""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

# Audit events that open, resolve or send over a network (sys.addaudithook names them).
NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
                  "socket.sendto", "socket.sendmsg", "socket.bind", "urllib.Request", "http.client.connect",
                  "ftplib.connect", "smtplib.connect", "webbrowser.open")


def _loopback_only(event: str, args) -> bool:
    """A bind or connect to this machine (e.g. urllib3 probing IPv6 support with ::1) is not network use."""
    import ipaddress

    if event not in ("socket.bind", "socket.connect") or len(args) < 2:
        return False
    address = args[1]
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, (str, bytes)) and (isinstance(address, (str, bytes)) or host in ("localhost",)):
        return True  # AF_UNIX path or localhost
    try:
        return ipaddress.ip_address(host).is_loopback
    except (TypeError, ValueError):
        return False


def casebook_available() -> bool:
    return importlib.util.find_spec("pipeline.casebook") is not None


def run_whole_pipeline(inputs: list[str], work: Path, model: str) -> dict[str, list[str]]:
    """Run every stage on `inputs`; return the files each stage wrote (relative to `work`)."""
    from pipeline.cli import main

    work = Path(work)
    assert main(["ingest", *inputs, "--out", str(work / "sessions")]) == 0
    assert main(["annotate", *inputs, "--out", str(work / "annotated"), "--model", model, "--quiet"]) == 0
    written = {"ingest": sorted(p.name for p in (work / "sessions").iterdir()),
               "annotate": sorted(p.name for p in (work / "annotated").iterdir())}
    if casebook_available():
        written["casebook"] = _casebook(work)
    return written


def _casebook(work: Path) -> list[str]:
    """Import the annotations for review, confirm one moment (or add one), build the casebook."""
    from pipeline.casebook import build_casebook, write_casebook
    from pipeline.deid import Deidentifier
    from pipeline.review.db import ReviewDB
    from pipeline.taxonomy import load_taxonomy

    db = ReviewDB(work / "reviews.sqlite")
    try:
        db.import_annotations(work / "annotated")
        session_id = db.sessions()[0]["id"]
        moments = db.moments(session_id)
        if moments:
            db.record_decision(moments[0]["id"], "offline-test", "confirm", comment="Clear withdrawal.")
        else:
            db.add_moment(session_id, "offline-test", "withdrawal", "W1", 1, 1, comment="Clear withdrawal.")
        entries = build_casebook(db, load_taxonomy(), deid=Deidentifier())
    finally:
        close = getattr(db, "close", None)
        if close:
            close()
    assert entries, "the confirmed moment should give one casebook entry"
    paths = write_casebook(entries, work / "casebook", {}, deidentified=True)
    return sorted(Path(p).name for p in paths)


def _main(argv: list[str]) -> None:
    report, model, work, *inputs = argv
    events: list[list[str]] = []

    def refuse_network(event: str, args) -> None:
        if event in NETWORK_EVENTS and not _loopback_only(event, args):
            events.append([event, repr(args)[:200]])
            raise ConnectionRefusedError(f"network use refused by the offline test: {event}")

    sys.addaudithook(refuse_network)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import os

    written = run_whole_pipeline(inputs, Path(work), model)
    offline = {v: os.environ.get(v) for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")}
    Path(report).write_text(json.dumps({"events": events, "written": written, "offline": offline}))


if __name__ == "__main__":
    _main(sys.argv[1:])
