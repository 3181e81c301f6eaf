"""Server settings people may change from the UI (admins write, everyone reads)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import delete, insert, select
from starlette.responses import Response

from reel.catalog.models import Base
from reel.web.errors import json_response
from reel.web.security import AdminUser, CurrentUser
from reel.web.services import AppServices, services

router = APIRouter(prefix="/api", tags=["settings"])
Svc = Annotated[AppServices, Depends(services)]

SETTINGS = Base.metadata.tables["settings"]
PREFIX = "web."
DEFAULTS: dict[str, Any] = {"image_cache_mb": 512, "stream_mode": "proxy"}


class SettingsUpdate(BaseModel):
    image_cache_mb: int | None = Field(default=None, ge=16, le=1024 * 1024)
    stream_mode: Literal["proxy", "redirect"] | None = None


def load_settings(svc: AppServices) -> dict[str, Any]:
    with svc.db.engine.connect() as conn:
        rows = conn.execute(
            select(SETTINGS.c.key, SETTINGS.c.value).where(SETTINGS.c.key.startswith(PREFIX))
        ).all()
    values = dict(DEFAULTS)
    for key, stored in rows:
        name = key[len(PREFIX) :]
        if name in DEFAULTS and isinstance(stored, dict) and "v" in stored:
            values[name] = stored["v"]
    return values


def apply_settings(svc: AppServices, values: dict[str, Any]) -> None:
    """Push stored values into the running services."""
    svc.images.budget_bytes = int(values["image_cache_mb"]) * 1024 * 1024


@router.get("/settings")
def get_settings(_caller: CurrentUser, svc: Svc) -> Response:
    return json_response(load_settings(svc))


@router.put("/settings")
def put_settings(body: SettingsUpdate, _admin: AdminUser, svc: Svc) -> Response:
    changes = body.model_dump(exclude_none=True)
    if changes:
        with svc.db.engine.begin() as conn:
            keys = [PREFIX + k for k in changes]
            conn.execute(delete(SETTINGS).where(SETTINGS.c.key.in_(keys)))
            # Wrapped in an object: SQLite's JSON column has numeric affinity and would turn
            # a bare 512 into an INTEGER that no JSON decoder accepts back.
            rows = [{"key": PREFIX + k, "value": {"v": v}} for k, v in changes.items()]
            conn.execute(insert(SETTINGS), rows)
    values = load_settings(svc)
    apply_settings(svc, values)
    return json_response(values)
