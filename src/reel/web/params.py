"""Shared parameter types: ids bounded to what a 64-bit database key can hold, so an
absurd id is a 422 instead of a driver overflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ID = 2**63 - 1

ItemId = Annotated[int, Path(ge=0, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=0, le=MAX_ID)]
