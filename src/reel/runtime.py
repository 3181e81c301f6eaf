"""Process-wide interpreter settings that a piece of work wants while it runs.

Such a setting (garbage-collector thresholds, the thread switch interval) belongs to the
whole process, and several syncs or listings may want it at once, so it is applied when
the first user arrives and undone when the last one leaves.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class SharedSetting:
    """A setting applied while any user holds it (re-entrant and thread-safe)."""

    def __init__(self, apply: Callable[[], Callable[[], None]]) -> None:
        self._apply = apply  # applies the setting; returns what undoes it
        self._lock = threading.Lock()
        self._users = 0
        self._undo: Callable[[], None] | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            self._users += 1
            if self._users == 1:
                self._undo = self._apply()
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._undo is not None:
                    undo, self._undo = self._undo, None
                    undo()


def _keep() -> None:
    return None


def switch_interval(seconds: float) -> SharedSetting:
    """The thread switch interval lowered to `seconds` while held; a host that chose a
    shorter one keeps it, untouched."""

    def apply() -> Callable[[], None]:
        before = sys.getswitchinterval()
        if before <= seconds:
            return _keep
        sys.setswitchinterval(seconds)
        return lambda: sys.setswitchinterval(before)

    return SharedSetting(apply)
