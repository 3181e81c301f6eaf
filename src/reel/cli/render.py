"""Human output for items: rich tables on a terminal, the same data `--json` returns."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from reel.catalog.views import ItemView


def _label(item: ItemView) -> str:
    if item.type == "episode" and item.episode is not None:
        prefix = f"S{item.season or 0:02d}E{item.episode:02d} " if item.season is not None else ""
        return f"{prefix}{item.title}"
    if item.type == "channel" and item.channel_number is not None:
        return f"{item.channel_number}. {item.title}"
    return item.title


def items_table(console: Console, items: Sequence[ItemView], next_cursor: str | None) -> None:
    """A table of items, and how to ask for the next page."""
    if not items:
        console.print("[dim]No items match.[/dim]")
        return
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("id", justify="right", style="cyan", no_wrap=True)
    table.add_column("type", style="magenta")
    table.add_column("title")
    table.add_column("year", justify="right")
    table.add_column("source", style="green")
    table.add_column("watched", justify="center")
    for item in items:
        watched = (
            "✓" if item.played else (f"{item.position_ms // 60000}m" if item.position_ms else "")
        )
        table.add_row(
            str(item.id), item.type, _label(item), str(item.year or ""), item.source, watched
        )
    console.print(table)
    if next_cursor:
        console.print(f"[dim]more: --after {next_cursor}[/dim]")


def item_tree(console: Console, item: ItemView) -> None:
    """An item's details with its children as a tree."""
    head = f"[bold]{_label(item)}[/bold]" + (f" ({item.year})" if item.year else "")
    tree = Tree(f"{head} [dim]{item.type} #{item.id} · {item.source}[/dim]")
    if item.overview:
        tree.add(f"[italic]{item.overview}[/italic]")
    if item.ids:
        tree.add(", ".join(f"{k}: {v}" for k, v in item.ids.items()))
    for child in item.children or []:
        branch = tree.add(f"{_label(child)} [dim]#{child.id}[/dim]")
        for grandchild in child.children or []:
            mark = " ✓" if grandchild.played else ""
            branch.add(f"{_label(grandchild)} [dim]#{grandchild.id}[/dim]{mark}")
    console.print(tree)
