"""Process-wide settings are shared: nested and concurrent users hold them together, and
the last one out restores what was there before."""

from __future__ import annotations

import gc
import sys
import threading

import pytest

from reel.runtime import switch_interval
from reel.sync.gctune import THRESHOLDS, relaxed_gc


def test_relaxed_gc_nests_and_restores() -> None:
    before = gc.get_threshold()
    with relaxed_gc():
        with relaxed_gc():
            assert gc.get_threshold() == THRESHOLDS
        assert gc.get_threshold() == THRESHOLDS  # still inside the outer block
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_switch_interval_is_held_by_concurrent_users_and_restored() -> None:
    before = sys.getswitchinterval()
    quick = switch_interval(before / 10)
    inside = threading.Event()
    release = threading.Event()

    def other_user() -> None:
        with quick.held():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_user)
    with quick.held():
        thread.start()
        assert inside.wait(5)
        assert sys.getswitchinterval() == pytest.approx(before / 10)
    assert sys.getswitchinterval() == pytest.approx(before / 10)  # the thread still holds it
    release.set()
    thread.join(5)
    assert sys.getswitchinterval() == before


def test_a_shorter_interval_chosen_by_the_host_is_kept() -> None:
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.0001)
    host = sys.getswitchinterval()  # as the interpreter stores it (whole microseconds)
    try:
        with switch_interval(0.0005).held():
            assert sys.getswitchinterval() == host
        assert sys.getswitchinterval() == host
    finally:
        sys.setswitchinterval(before)
