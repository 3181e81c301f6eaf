"""An item with its children: a show's seasons each with its episodes, in order.

Two queries whatever the size of the show (children, then grandchildren), never one per
season.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import Session

from reel.catalog.models import Item
from reel.catalog.views import ItemView, to_view, view_select
from reel.errors import NotFound

_CHILD_ORDER = (
    func.coalesce(Item.season, -1),
    func.coalesce(Item.episode, -1),
    Item.sort_key,
    Item.id,
)


def _children(
    session: Session, parent_ids: list[int], user_id: int | None
) -> dict[int, list[ItemView]]:
    if not parent_ids:
        return {}
    rows = session.execute(
        view_select(user_id).where(Item.parent_id.in_(parent_ids)).order_by(*_CHILD_ORDER)
    ).all()
    grouped: dict[int, list[ItemView]] = {}
    for row in rows:
        grouped.setdefault(row.parent_id, []).append(to_view(row))
    return grouped


def details(session: Session, item_id: int, user_id: int | None = None) -> ItemView:
    """The item with `children` (two levels deep: seasons and their episodes)."""
    row = session.execute(view_select(user_id).where(Item.id == item_id)).first()
    if row is None:
        raise NotFound(f"no item with id {item_id}")
    item = to_view(row)
    level1 = _children(session, [item.id], user_id).get(item.id, [])
    level2 = _children(session, [c.id for c in level1], user_id)
    for child in level1:
        child.children = level2.get(child.id, [])
    item.children = level1
    return item
