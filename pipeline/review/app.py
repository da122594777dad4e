"""The review web app (Starlette): pages, form posts and a small JSON API over a ReviewDB.

Safety for a local app that shows clinical text:
- requests must name this machine as Host (127.0.0.1, localhost, ::1): no DNS-rebinding access;
- every response carries a strict Content-Security-Policy (scripts and styles only with this
  response's nonce, nothing from elsewhere), nosniff, no-referrer, no framing, no caching;
- form posts need the per-server token the pages carry and a same-site Origin (no CSRF); JSON
  posts need Content-Type application/json, which other sites cannot send without a CORS
  preflight this app never grants.
"""
from __future__ import annotations

import json
import secrets
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import UserError
from . import pages, session_page
from .db import NotFound, ReviewDB, clean_reviewer

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_BODY = 256 * 1024
COOKIE = "rupture_reviewer"


class Refused(Exception):
    """A request this app will not serve (cross-site, or a form from another server run)."""


def _csp(nonce: str) -> str:
    return (f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; img-src data:; "
            "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def _hostname(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class LocalOnly:
    """ASGI middleware: refuse foreign Host headers, add the security headers and a CSP nonce."""

    def __init__(self, app, hosts: tuple[str, ...]):
        self.app, self.hosts = app, hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if _hostname(host) not in self.hosts:
            return await PlainTextResponse("this review app only answers on 127.0.0.1", 421)(scope, receive, send)
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["nonce"] = nonce

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                h["Content-Security-Policy"] = _csp(nonce)
                h["X-Content-Type-Options"] = "nosniff"
                h["Referrer-Policy"] = "no-referrer"
                h["X-Frame-Options"] = "DENY"
                h["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(db: ReviewDB, reviewer: str, *, hosts: tuple[str, ...] = LOCAL_HOSTS,
               token: str | None = None) -> Starlette:
    """The app over `db`; `reviewer` is who decides until someone switches in the UI."""
    default_reviewer = clean_reviewer(reviewer)
    token = token or secrets.token_urlsafe(24)
    tax = db.taxonomy

    def current(request: Request) -> str:
        try:
            return clean_reviewer(unquote(request.cookies.get(COOKIE, ""))) if request.cookies.get(COOKIE) \
                else default_reviewer
        except UserError:
            return default_reviewer

    def html(request: Request, title: str, body: str, status: int = 200, back: str = "/") -> HTMLResponse:
        text = pages.page(title, body, nonce=request.state.nonce, reviewer=current(request), reviewers=db.reviewers(),
                          token=token, back=back)
        return HTMLResponse(text, status)

    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "") or \
            request.headers.get("content-type", "").startswith("application/json")

    def fail(request: Request, err: Exception, back: str = "/") -> Response:
        status = 404 if isinstance(err, NotFound) else 403 if isinstance(err, Refused) else 400
        if wants_json(request):
            return JSONResponse({"error": str(err)}, status)
        return html(request, "Not done", pages.error_body(str(err), back), status)

    def same_origin(request: Request) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null" and _hostname(urlsplit(origin).netloc) not in hosts:
            raise Refused("cross-site request refused")

    async def checked_body(request: Request, content_type: str, expected: str, too_large: str) -> bytes:
        """The body of a same-site request of the given content type, within MAX_BODY."""
        same_origin(request)
        if not request.headers.get("content-type", "").startswith(content_type):
            raise UserError(expected)
        body = await request.body()
        if len(body) > MAX_BODY:
            raise UserError(too_large)
        return body

    async def form(request: Request) -> dict[str, str]:
        body = await checked_body(request, "application/x-www-form-urlencoded",
                                  "expected a form post (application/x-www-form-urlencoded)", "form too large")
        data = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        if not secrets.compare_digest(data.get("token", ""), token):
            raise Refused("this form is from another server run or another site: reload the page")
        return data

    async def json_body(request: Request) -> dict[str, Any]:
        body = await checked_body(request, "application/json", "expected Content-Type: application/json",
                                  "request too large")
        try:
            data = json.loads(body or b"{}")
        except json.JSONDecodeError as err:
            raise UserError(f"invalid JSON ({err.msg})") from None
        if not isinstance(data, dict):
            raise UserError("expected a JSON object")
        return data

    def turn(value: Any) -> int | None:
        if value is None or str(value).strip() == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise UserError(f"turn numbers must be whole numbers, got {value!r}") from None

    def label(data: dict[str, Any]) -> tuple[str | None, str | None]:
        subtype = (data.get("subtype") or "").strip() or None
        family = (data.get("family") or "").strip() or None
        if family is None and subtype is not None:
            if subtype not in tax.subtype_family:
                raise UserError(f"subtype {subtype!r} is not in the taxonomy ({', '.join(tax.subtypes)})")
            family = tax.subtype_family[subtype]
        return family, subtype

    def apply_decision(moment_id: int, data: dict[str, Any], who: str) -> int:
        family, subtype = label(data)
        comment = data.get("comment")
        return db.record_decision(moment_id, clean_reviewer(data.get("reviewer") or who), str(data.get("action", "")),
                                  family=family, subtype=subtype, start_turn=turn(data.get("start_turn")),
                                  end_turn=turn(data.get("end_turn")), comment=None if comment is None else str(comment))

    def apply_add(data: dict[str, Any], who: str) -> int:
        family, subtype = label(data)
        if family is None:
            raise UserError("choose the marker (family and subtype) of the new moment")
        return db.add_moment(str(data.get("session_id", "")), clean_reviewer(data.get("reviewer") or who), family,
                             subtype, turn(data.get("start_turn")), turn(data.get("end_turn")),
                             comment=data.get("comment") or None)

    # -- pages ----------------------------------------------------------------------------------
    async def index(request: Request) -> Response:
        sort, order = request.query_params.get("sort", "significance"), request.query_params.get("order", "desc")
        rows = db.sessions(reviewer=current(request))
        return html(request, "Sessions to review", pages.session_list(rows, sort, order))

    async def session_view(request: Request) -> Response:
        sid = request.path_params["sid"]
        try:
            sess, moments = db.session(sid), db.moments(sid)
        except NotFound as err:
            return fail(request, err)
        body = session_page.session_body(sess, moments, current(request), tax, token)
        return html(request, f"Review {sid}", body, back=pages.session_url(sid))

    async def decide(request: Request) -> Response:
        mid = request.path_params["mid"]
        try:
            data = await form(request)
            did = apply_decision(mid, data, current(request))
            m = db.moment(mid)
        except (UserError, Refused) as err:
            return fail(request, err)
        where = pages.session_url(m["session_id"])
        if not wants_json(request):
            return RedirectResponse(f"{where}#moment-{mid}", 303)
        who = clean_reviewer(data.get("reviewer") or current(request))
        n = db.session(m["session_id"])["n_turns"]
        return JSONResponse({"ok": True, "decision_id": did, "card_id": f"moment-{mid}",
                             "card": session_page.moment_card(m, who, tax, n, token),
                             "message": f"{data.get('action')} saved for {m['moment_key']} as {who}"})

    async def add(request: Request) -> Response:
        try:
            data = await form(request)
            mid = apply_add(data, current(request))
        except (UserError, Refused) as err:
            return fail(request, err)
        location = f"{pages.session_url(data['session_id'])}?added={mid}#moment-{mid}"
        if wants_json(request):
            return JSONResponse({"ok": True, "moment_id": mid, "location": location})
        return RedirectResponse(location, 303)

    async def switch_reviewer(request: Request) -> Response:
        try:
            data = await form(request)
            name = clean_reviewer(data.get("reviewer"))
        except (UserError, Refused) as err:
            return fail(request, err)
        back = data.get("back") or "/"
        if not back.startswith("/") or back.startswith("//") or "\\" in back:
            back = "/"
        resp = RedirectResponse(back, 303)
        resp.set_cookie(COOKIE, quote(name, safe=""), httponly=True, samesite="strict", path="/")
        return resp

    async def agreement(request: Request) -> Response:
        return html(request, "Agreement", pages.agreement_page(db.reviewer_agreement()))

    async def audit(request: Request) -> Response:
        return html(request, "Audit log", pages.audit_page(db.audit_log(limit=500)))

    # -- JSON API -------------------------------------------------------------------------------
    async def api_sessions(request: Request) -> Response:
        return JSONResponse(db.sessions(reviewer=request.query_params.get("reviewer")))

    async def api_session(request: Request) -> Response:
        try:
            return JSONResponse(db.session(request.query_params.get("id", "")))
        except NotFound as err:
            return fail(request, err)

    async def api_moments(request: Request) -> Response:
        try:
            return JSONResponse(db.moments(request.query_params.get("session", "")))
        except NotFound as err:
            return fail(request, err)

    async def api_decide(request: Request) -> Response:
        mid = request.path_params["mid"]
        try:
            data = await json_body(request)
            did = apply_decision(mid, data, current(request))
            return JSONResponse({"decision_id": did, "moment": db.moment(mid)})
        except (UserError, Refused) as err:
            return fail(request, err)

    async def api_add(request: Request) -> Response:
        try:
            mid = apply_add(await json_body(request), current(request))
            return JSONResponse({"moment_id": mid, "moment": db.moment(mid)}, 201)
        except (UserError, Refused) as err:
            return fail(request, err)

    async def api_agreement(request: Request) -> Response:
        return JSONResponse(db.reviewer_agreement())

    async def api_audit(request: Request) -> Response:
        limit = request.query_params.get("limit")
        return JSONResponse(db.audit_log(limit=int(limit) if limit and limit.isdigit() else None))

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/", index), Route("/sessions/{sid:path}", session_view),
        Route("/moments/{mid:int}/decision", decide, methods=["POST"]),
        Route("/add-moment", add, methods=["POST"]), Route("/reviewer", switch_reviewer, methods=["POST"]),
        Route("/agreement", agreement), Route("/audit", audit),
        Route("/api/sessions", api_sessions), Route("/api/session", api_session), Route("/api/moments", api_moments),
        Route("/api/moments/{mid:int}/decisions", api_decide, methods=["POST"]),
        Route("/api/moments", api_add, methods=["POST"]),
        Route("/api/agreement", api_agreement), Route("/api/audit", api_audit), Route("/healthz", healthz),
    ]
    app = Starlette(routes=routes)
    app.state.db, app.state.token, app.state.reviewer = db, token, default_reviewer
    app.add_middleware(LocalOnly, hosts=hosts)
    return app
