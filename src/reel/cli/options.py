"""Option types shared by several commands, so they read the same everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Write one JSON document to stdout.")]
TypeOption = Annotated[
    list[str] | None,
    typer.Option("--type", "-t", help="movie, show, season, episode or channel (repeatable)."),
]
SourceOption = Annotated[str | None, typer.Option("--source", "-s", help="Only this source.")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, max=500, help="Page size.")]
AfterOption = Annotated[
    str | None, typer.Option("--after", help="Cursor from the previous page's `next`.")
]

ITEM_TYPES = ("movie", "show", "season", "episode", "channel")


def check_types(types: list[str] | None) -> list[str]:
    """Validated item types (comma-separated values are accepted too)."""
    result: list[str] = []
    for value in types or []:
        for part in value.split(","):
            part = part.strip().lower()
            if part not in ITEM_TYPES:
                raise typer.BadParameter(
                    f"unknown type {part!r} (use one of: {', '.join(ITEM_TYPES)})",
                    param_hint="--type",
                )
            result.append(part)
    return result
