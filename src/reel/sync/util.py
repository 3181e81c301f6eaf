"""Small helpers the writer modules share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
Key = tuple[str, str]  # (item type or category kind, remote id)
IN_LIST = 500  # ids per `IN (...)`, well under every driver's parameter limit


def chunked(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
