"""What `source test` shows about an Xtream account, from the player_api.php greeting."""

from __future__ import annotations

from typing import Any

from reel.sources.xtream import parse
from reel.sources.xtream.parse import ServerInfo, UserInfo

INACTIVE = frozenset({"expired", "banned", "disabled"})


def allowed_formats(user: UserInfo) -> list[str]:
    raw = user.allowed_output_formats
    values = raw if isinstance(raw, list) else [raw]
    return [f.lower() for f in (parse.text(v) for v in values) if f]


def inactive_status(user: UserInfo) -> str | None:
    """The status when it forbids streaming; such accounts list nothing, so syncs must stop."""
    status = parse.text(user.status)
    return status if status is not None and status.lower() in INACTIVE else None


def account_details(user: UserInfo, server: ServerInfo) -> dict[str, Any]:
    """Status, expiry (ISO 8601 UTC, None when unlimited), connections, formats, time zone."""
    expires = parse.unix_time(user.exp_date)
    created = parse.unix_time(user.created_at)
    trial = parse.to_int(user.is_trial)
    return {
        "status": parse.text(user.status),
        "exp_date": expires.isoformat() if expires else None,
        "created_at": created.isoformat() if created else None,
        "is_trial": bool(trial) if trial is not None else None,
        "max_connections": parse.to_int(user.max_connections),
        "active_cons": parse.to_int(user.active_cons),
        "allowed_output_formats": allowed_formats(user),
        "message": parse.text(user.message),
        "timezone": parse.text(server.timezone),
        "server_protocol": parse.text(server.server_protocol),
    }
