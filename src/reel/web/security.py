"""Who is calling: a session cookie (browser) or a bearer token (scripts).

Cookie-authenticated requests that change state must echo the session's CSRF token in
`X-CSRF-Token` (the cookie is sent by the browser on cross-site requests too, the header
cannot be). Bearer tokens are never sent automatically, so they need no CSRF check.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from reel.errors import Forbidden
from reel.services.auth import Login, Unauthorized, UserInfo
from reel.web.services import AppServices, services
from reel.web.threads import in_thread

SESSION_COOKIE = "reel_session"
CSRF_COOKIE = "reel_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE_MAX_AGE = 30 * 24 * 3600

# Declared for OpenAPI (so clients and schemathesis know how to authenticate); the actual
# checks are in `principal`.
_cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)
_bearer_scheme = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    user: UserInfo
    via: Literal["session", "token"]
    csrf_token: str | None = None
    session_token: str | None = None


def cached_principal(
    svc: AppServices, session_token: str | None, bearer: str | None
) -> Principal | None:
    """The caller if their credential was verified moments ago (no database access)."""
    if bearer:
        hit = svc.auth.cached(bearer)
        return Principal(user=hit[0], via="token") if hit else None
    if session_token:
        hit = svc.auth.cached(session_token)
        if hit:
            return Principal(hit[0], "session", csrf_token=hit[1], session_token=session_token)
    return None


def resolve_principal(
    svc: AppServices, session_token: str | None, bearer: str | None
) -> Principal | None:
    """The caller behind a bearer token or a session cookie (token wins), if any."""
    if bearer:
        user = svc.auth.token_user(bearer)
        if user is not None:
            return Principal(user=user, via="token")
        return None
    if session_token:
        found = svc.auth.session_user(session_token)
        if found is not None:
            user, csrf = found
            return Principal(user=user, via="session", csrf_token=csrf, session_token=session_token)
    return None


async def principal(
    request: Request,
    svc: Annotated[AppServices, Depends(services)],
    cookie: Annotated[str | None, Depends(_cookie_scheme)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
) -> Principal:
    """The signed-in caller, or 401; 403 when a cookie request lacks its CSRF token."""
    token = bearer.credentials if bearer is not None else None
    found = cached_principal(svc, cookie, token)
    if found is None:
        found = await in_thread(resolve_principal, svc, cookie, token)
    if found is None:
        if token:
            raise Unauthorized("this API token is not valid (it may have been revoked)")
        raise Unauthorized("sign in first")
    if found.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not found.csrf_token or not hmac.compare_digest(
            sent.encode("utf-8", "replace"), found.csrf_token.encode()
        ):
            raise Forbidden(
                f"missing or invalid CSRF token: send the {CSRF_HEADER} header "
                f"with the value of the {CSRF_COOKIE} cookie"
            )
    request.state.principal = found
    return found


async def admin(caller: Annotated[Principal, Depends(principal)]) -> Principal:
    """The caller, who must be an admin."""
    if not caller.user.is_admin:
        raise Forbidden("only an admin can do this")
    return caller


CurrentUser = Annotated[Principal, Depends(principal)]
AdminUser = Annotated[Principal, Depends(admin)]


def set_login_cookies(request: Request, response: Response, login: Login) -> None:
    secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        login.session_token,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    response.set_cookie(
        CSRF_COOKIE,
        login.csrf_token,
        max_age=COOKIE_MAX_AGE,
        httponly=False,  # the UI reads it to fill the header
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_login_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
