"""`reel user add USERNAME [--admin]` and `reel user list`: accounts of the web app."""

from __future__ import annotations

import os
from typing import Annotated

import msgspec
import typer

from reel.cli.context import app_context, emit_json
from reel.cli.options import JsonOption
from reel.services.auth import AuthService
from reel.services.users import UserService

user_app = typer.Typer(help="Manage accounts of the web app.", no_args_is_help=True)


@user_app.command("add")
def add_cmd(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The new account's name.")],
    admin: Annotated[bool, typer.Option("--admin", help="May manage sources and users.")] = False,
    json: JsonOption = False,
) -> None:
    """Create an account; the password comes from REEL_PASSWORD or a prompt."""
    actx = app_context(ctx)
    password = os.environ.get("REEL_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    user = AuthService(actx.db).create_user(username, password, is_admin=admin)
    if json:
        emit_json(msgspec.to_builtins(user))
    else:
        role = "admin" if user.is_admin else "user"
        actx.console.print(f"Created {role} [bold]{user.username}[/bold] (id {user.id}).")


@user_app.command("list")
def list_cmd(ctx: typer.Context, json: JsonOption = False) -> None:
    """List accounts."""
    actx = app_context(ctx)
    users = UserService(AuthService(actx.db)).list_users()
    if json:
        emit_json(msgspec.to_builtins(users))
        return
    if not users:
        actx.console.print("No accounts yet: create one with `reel user add NAME --admin`.")
    for user in users:
        actx.console.print(f"{user.id:>4}  {user.username}{'  (admin)' if user.is_admin else ''}")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
