"""Run the review app with uvicorn on a loopback address only; no access log, no server header."""
from __future__ import annotations

import socket

from ..errors import UserError
from .app import LOCAL_HOSTS, create_app
from .db import ReviewDB


def _check_port(host: str, port: int) -> None:
    """Fail early with a clear message when the port is taken (uvicorn would only log and exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as err:
            raise UserError(f"cannot serve on {host}:{port}: {err.strerror or err} (try another --port)") from None


def serve(db: ReviewDB, reviewer: str, host: str = "127.0.0.1", port: int = 8765) -> None:
    import uvicorn

    if host not in LOCAL_HOSTS:
        raise UserError(f"host {host!r} refused: the review app binds to 127.0.0.1 only")
    _check_port(host, port)
    app = create_app(db, reviewer)
    shown = f"[{host}]" if ":" in host else host
    print(f"review app for {db.path} at http://{shown}:{port}/ (reviewer {reviewer}; Ctrl-C to stop). "
          "Each decision is saved as it is made.", flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                            date_header=False, lifespan="off", proxy_headers=False)
    try:
        uvicorn.Server(config).run()
    except SystemExit as stop:  # uvicorn exits when it cannot start
        if stop.code:
            raise UserError(f"could not serve on {host}:{port} (see the message above)") from None
