"""`reel source add|list|test|remove|set`: manage where the catalog comes from.

Credentials go from the options straight into the adapter's `setup()` and, encrypted,
into the database; no output of these commands ever contains them.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reel.cli.context import AppContext, app_context, emit_json
from reel.cli.options import JsonOption
from reel.errors import ReelError
from reel.services.plex_login import PlexLogin, PlexLoginResult
from reel.services.sources import SourceInfo, SourceService

NameArg = Annotated[str, typer.Argument(help="A name of your choice for this source.")]
UrlOption = Annotated[str, typer.Option("--url", help="Server address.")]
UserOption = Annotated[str, typer.Option("--username", "-u", help="Account name.")]
PasswordOption = Annotated[
    str,
    typer.Option(
        "--password",
        "-p",
        prompt=True,
        hide_input=True,
        envvar="REEL_SOURCE_PASSWORD",
        help="Account password (prompted if omitted).",
    ),
]
_SECRET_KEY = re.compile(r"pass|token|secret|auth|key", re.IGNORECASE)


def service(actx: AppContext) -> SourceService:
    return SourceService.open(actx.db, actx.settings)


def _added(actx: AppContext, info: SourceInfo, json: bool) -> None:
    if json:
        emit_json(info.to_json())
    else:
        actx.console.print(f"added {info.kind} source {info.name!r} — run `reel sync {info.name}`")


def _add(
    ctx: typer.Context,
    kind: str,
    name: str,
    settings: dict[str, Any],
    secrets: dict[str, str],
    json: bool,
) -> None:
    actx = app_context(ctx)
    info = asyncio.run(service(actx).add(kind, name, settings, secrets))
    _added(actx, info, json)


async def _login_plex(actx: AppContext, timeout: float, interval: float) -> PlexLoginResult:
    login = PlexLogin(service(actx), actx.settings.plex_tv_url)
    pin = await login.start()
    # stderr, so that `--json` keeps stdout to the one JSON document
    actx.err.print(
        f"To sign in to Plex, open this link (code {pin.code}):\n{pin.auth_url}\n"
        f"Waiting up to {timeout:.0f} s…",
        highlight=False,
        soft_wrap=True,
    )
    token = await login.wait(pin, timeout=timeout, interval=interval)
    return await login.add_servers(token)


def _redact(details: dict[str, Any]) -> dict[str, Any]:
    """Adapters should not put credentials in test details; make sure of it anyway."""
    return {k: ("<hidden>" if _SECRET_KEY.search(k) else v) for k, v in details.items()}


def register(app: typer.Typer) -> None:
    source_app = typer.Typer(help="Add, list, test and remove sources.", no_args_is_help=True)
    add_app = typer.Typer(
        help="Add a source (signs in and stores credentials encrypted).", no_args_is_help=True
    )
    app.add_typer(source_app, name="source")
    source_app.add_typer(add_app, name="add")

    @add_app.command("xtream")
    def add_xtream(
        ctx: typer.Context,
        name: NameArg,
        url: UrlOption,
        username: UserOption,
        password: PasswordOption,
        json: JsonOption = False,
    ) -> None:
        """An Xtream Codes panel."""
        _add(ctx, "xtream", name, {"url": url}, {"username": username, "password": password}, json)

    @add_app.command("m3u")
    def add_m3u(
        ctx: typer.Context,
        name: NameArg,
        url: Annotated[str, typer.Option("--url", help="Playlist URL or local path.")],
        epg: Annotated[str | None, typer.Option("--epg", help="XMLTV guide URL or path.")] = None,
        json: JsonOption = False,
    ) -> None:
        """An M3U playlist, with an optional XMLTV guide."""
        settings = {"url": url}
        if epg:
            settings["epg"] = epg
        _add(ctx, "m3u", name, settings, {}, json)

    @add_app.command("jellyfin")
    def add_jellyfin(
        ctx: typer.Context,
        name: NameArg,
        url: UrlOption,
        username: UserOption,
        password: PasswordOption,
        json: JsonOption = False,
    ) -> None:
        """A Jellyfin (or Emby) server; the password is swapped for a token and dropped."""
        _add(
            ctx, "jellyfin", name, {"url": url}, {"username": username, "password": password}, json
        )

    @add_app.command("plex")
    def add_plex(
        ctx: typer.Context,
        name: NameArg,
        url: UrlOption,
        token: Annotated[
            str,
            typer.Option(
                "--token",
                prompt=True,
                hide_input=True,
                envvar="REEL_PLEX_TOKEN",
                help="X-Plex-Token.",
            ),
        ],
        json: JsonOption = False,
    ) -> None:
        """A Plex Media Server reached with a token."""
        _add(ctx, "plex", name, {"url": url}, {"token": token}, json)

    @add_app.command("local")
    def add_local(
        ctx: typer.Context,
        name: NameArg,
        path: Annotated[list[Path], typer.Option("--path", help="A media folder (repeatable).")],
        kind: Annotated[str, typer.Option("--kind", help="movies, shows or mixed.")] = "mixed",
        json: JsonOption = False,
    ) -> None:
        """Folders of media files on this machine."""
        if kind not in ("movies", "shows", "mixed"):
            raise typer.BadParameter("use movies, shows or mixed", param_hint="--kind")
        paths = [str(p.expanduser().resolve()) for p in path]
        _add(ctx, "local", name, {"paths": paths, "library_kind": kind}, {}, json)

    login_app = typer.Typer(
        help="Sign in to an account and add every server it reaches.", no_args_is_help=True
    )
    source_app.add_typer(login_app, name="login")

    @login_app.command("plex")
    def login_plex(
        ctx: typer.Context,
        timeout: Annotated[
            float, typer.Option("--timeout", min=1, help="Seconds to wait for the sign-in.")
        ] = 300.0,
        poll_interval: Annotated[float, typer.Option("--poll-interval", hidden=True, min=0)] = 1.0,
        json: JsonOption = False,
    ) -> None:
        """Sign in on plex.tv with a PIN; one source per server the account can reach."""
        actx = app_context(ctx)
        result = asyncio.run(_login_plex(actx, timeout, poll_interval))
        if json:
            emit_json([s.to_json() for s in result.servers])
        else:
            for s in result.servers:
                verb = "added" if s.action == "added" else "signed in again:"
                actx.console.print(
                    f"{verb} plex source {s.source.name!r} ({s.chosen.kind} connection, "
                    f"{s.chosen.latency_ms:.0f} ms)"
                )
        for server, why in result.unreachable:
            actx.err.print(f"skipped {server}: {why}", highlight=False)
        if not result.servers:
            raise ReelError(
                "no Plex server of this account answered"
                if result.unreachable
                else "this Plex account has no servers"
            )

    @source_app.command("list")
    def list_cmd(ctx: typer.Context, json: JsonOption = False) -> None:
        """Every source with its status, last sync and item counts."""
        actx = app_context(ctx)
        infos = service(actx).list_sources()
        if json:
            emit_json([i.to_json() for i in infos])
            return
        table = Table("name", "kind", "status", "last sync", "items", "last error")
        for info in infos:
            counts = ", ".join(f"{n} {t}" for t, n in info.to_json()["counts"].items() if n)
            last = info.last_sync.strftime("%Y-%m-%d %H:%M") if info.last_sync else "never"
            table.add_row(
                info.name, info.kind, info.status, last, counts or "-", info.last_error or ""
            )
        actx.console.print(table)

    @source_app.command("test")
    def test_cmd(ctx: typer.Context, name: NameArg, json: JsonOption = False) -> None:
        """Check reachability and sign-in, and show account facts."""
        actx = app_context(ctx)
        svc = service(actx)
        result = asyncio.run(svc.test(name))
        details = _redact(result.details)
        info = svc.get(name)
        if json:
            emit_json(
                {
                    "name": name,
                    "status": info.status,
                    "reachable": result.reachable,
                    "authenticated": result.authenticated,
                    "message": result.message,
                    "latency_ms": result.latency_ms,
                    "details": details,
                }
            )
        else:
            state = "reachable" if result.reachable else "unreachable"
            auth = "signed in" if result.authenticated else "not signed in"
            latency = f" ({result.latency_ms:.0f} ms)" if result.latency_ms is not None else ""
            actx.console.print(f"{name}: {state}, {auth}{latency} — {result.message}")
            if info.status in ("needs_sign_in", "offline"):
                actx.console.print(f"  status: {info.status} (the catalog is kept)")
            for key, value in details.items():
                actx.console.print(f"  {key}: {value}")
        if not (result.reachable and result.authenticated):
            raise SystemExit(1)  # see cli/sync.py: typer.Exit's code would be lost

    @source_app.command("remove")
    def remove_cmd(ctx: typer.Context, name: NameArg) -> None:
        """Remove a source and everything synced from it."""
        actx = app_context(ctx)
        service(actx).remove(name)
        actx.err.print(f"removed source {name!r}")

    @source_app.command("set")
    def set_cmd(
        ctx: typer.Context,
        name: NameArg,
        auto_sync: Annotated[
            bool | None, typer.Option("--auto-sync/--no-auto-sync", help="Sync on a schedule.")
        ] = None,
        interval: Annotated[
            int | None, typer.Option("--interval", min=1, help="Minutes between scheduled syncs.")
        ] = None,
        enabled: Annotated[
            bool | None,
            typer.Option("--enable/--disable", help="Include in `reel sync` without names."),
        ] = None,
        json: JsonOption = False,
    ) -> None:
        """Change a source's schedule."""
        actx = app_context(ctx)
        info = service(actx).set_schedule(
            name,
            auto_sync=auto_sync,
            enabled=enabled,
            interval_s=interval * 60 if interval is not None else None,
        )
        if json:
            emit_json(info.to_json())
        else:
            every = f"every {info.sync_interval_s // 60} min" if info.auto_sync else "manual only"
            actx.console.print(f"{name}: {every}, {'enabled' if info.enabled else 'disabled'}")
