"""Account administration (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.responses import Response

from reel.web.errors import json_response
from reel.web.params import ItemId
from reel.web.security import AdminUser
from reel.web.services import AppServices, services

router = APIRouter(prefix="/api", tags=["users"])
Svc = Annotated[AppServices, Depends(services)]


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=1024)
    is_admin: bool = False


class UserUpdate(BaseModel):
    password: str | None = Field(default=None, max_length=1024)
    is_admin: bool | None = None


@router.get("/users")
def list_users(_admin: AdminUser, svc: Svc) -> Response:
    return json_response(svc.users.list_users())


@router.post("/users", status_code=201)
def create_user(body: UserCreate, _admin: AdminUser, svc: Svc) -> Response:
    user = svc.auth.create_user(body.username, body.password, is_admin=body.is_admin)
    return json_response(user, 201)


@router.patch("/users/{user_id}")
def update_user(user_id: ItemId, body: UserUpdate, _admin: AdminUser, svc: Svc) -> Response:
    return json_response(svc.users.update(user_id, password=body.password, is_admin=body.is_admin))


@router.delete("/users/{user_id}", status_code=204)
def delete_user(user_id: ItemId, caller: AdminUser, svc: Svc) -> Response:
    svc.users.delete(user_id, acting_user_id=caller.user.id)
    return Response(status_code=204)
