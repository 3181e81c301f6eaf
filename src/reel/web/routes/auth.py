"""Health, first-run set-up, login/logout, the caller's own account and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

import reel
from reel.web.errors import json_response
from reel.web.params import ItemId
from reel.web.security import (
    CurrentUser,
    clear_login_cookies,
    client_ip,
    set_login_cookies,
)
from reel.web.services import AppServices, services

public = APIRouter(prefix="/api", tags=["auth"])
router = APIRouter(prefix="/api", tags=["auth"])

Svc = Annotated[AppServices, Depends(services)]


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)


@public.get("/health")
def health() -> Response:
    """Liveness, without auth."""
    return json_response({"status": "ok", "version": getattr(reel, "__version__", "0")})


@public.get("/setup")
def setup_status(svc: Svc) -> Response:
    """Whether the first admin still has to be created."""
    return json_response({"needs_setup": svc.auth.needs_setup()})


@public.post("/setup", status_code=201)
def setup(body: Credentials, request: Request, svc: Svc) -> Response:
    """Create the first admin (only while no account exists) and sign them in."""
    user = svc.auth.setup(body.username, body.password)
    login = svc.auth.open_session(user.id, request.headers.get("user-agent"))
    response = json_response({"user": login.user, "csrf_token": login.csrf_token}, 201)
    set_login_cookies(request, response, login)
    return response


@public.post("/auth/login")
def login(body: Credentials, request: Request, svc: Svc) -> Response:
    """Sign in; sets the session and CSRF cookies."""
    result = svc.auth.login(
        body.username, body.password, client_ip(request), request.headers.get("user-agent")
    )
    response = json_response({"user": result.user, "csrf_token": result.csrf_token})
    set_login_cookies(request, response, result)
    return response


@router.post("/auth/logout", status_code=204)
def logout(caller: CurrentUser, svc: Svc) -> Response:
    if caller.session_token:
        svc.auth.close_session(caller.session_token)
    response = Response(status_code=204)
    clear_login_cookies(response)
    return response


@router.get("/auth/me")
def me(caller: CurrentUser) -> Response:
    return json_response({"user": caller.user, "csrf_token": caller.csrf_token})


@router.post("/auth/password", status_code=204)
def change_password(body: PasswordChange, caller: CurrentUser, svc: Svc) -> Response:
    """Change the caller's password; their other sessions end, this one stays."""
    svc.auth.change_password(
        caller.user.id, body.current_password, body.new_password, caller.session_token
    )
    return Response(status_code=204)


@router.get("/tokens")
def list_tokens(caller: CurrentUser, svc: Svc) -> Response:
    return json_response(svc.auth.list_tokens(caller.user.id))


@router.post("/tokens", status_code=201)
def create_token(body: TokenCreate, caller: CurrentUser, svc: Svc) -> Response:
    """A new bearer token for scripts; its value is shown only in this answer."""
    info, raw = svc.auth.create_token(caller.user.id, body.name)
    data = {
        "id": info.id,
        "name": info.name,
        "created_at": info.created_at,
        "last_used_at": None,
        "token": raw,
    }
    return json_response(data, 201)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: ItemId, caller: CurrentUser, svc: Svc) -> Response:
    svc.auth.revoke_token(caller.user.id, token_id)
    return Response(status_code=204)
