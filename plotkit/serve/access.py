"""Who may use the page. On the loopback address only this computer can connect, so the
page is open to it; on any other address every request must carry the server's token, from
the URL ``plotkit serve`` printed (the page then keeps it in a same-site cookie), compared
in constant time."""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from starlette.datastructures import URL
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "plotkit_token"
TOKEN_PARAM = "token"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) only ever means this computer."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(18)


class TokenRequired:
    """ASGI middleware: a request without the right token (query, cookie or bearer header)
    gets 401; a page opened with ``?token=`` is redirected to itself without it, the token
    now in a cookie, so it stays out of the address bar, history and screenshots."""

    def __init__(self, app: ASGIApp, token: str):
        self.app, self.token = app, token

    def _given(self, conn: HTTPConnection) -> tuple[str, bool]:
        header = conn.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip(), False
        if TOKEN_PARAM in conn.query_params:
            return conn.query_params[TOKEN_PARAM], True
        return conn.cookies.get(COOKIE, ""), False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        conn = HTTPConnection(scope)
        given, in_url = self._given(conn)
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            response = PlainTextResponse(
                "401: this page needs its token; open the URL that plotkit serve printed", status_code=401
            )
            return await response(scope, receive, send)
        if in_url and scope["method"] == "GET":
            clean = URL(scope=scope).remove_query_params(TOKEN_PARAM)
            target = clean.path + (f"?{clean.query}" if clean.query else "")
            redirect = RedirectResponse(target, status_code=303)
            redirect.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            return await redirect(scope, receive, send)
        await self.app(scope, receive, send)


class SameOrigin:
    """ASGI middleware: a request that changes something must come from this server's own
    page; another site open in the same browser could otherwise start or stop a plot."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD"):
            conn = HTTPConnection(scope)
            origin = conn.headers.get("origin")
            if origin is not None and URL(origin).netloc != conn.headers.get("host"):
                response = PlainTextResponse("403: requests from another site are refused", status_code=403)
                return await response(scope, receive, send)
        await self.app(scope, receive, send)
