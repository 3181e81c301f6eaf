"""Whole writes through writers that take part of what they are given."""

from __future__ import annotations

from typing import Any

from reel.pipes import write_all


class ShortWrites:
    """A pipe's buffered writer as a stop signal leaves it: a write takes at most 1,000
    bytes and says so in its count."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.flushed = 0

    def write(self, b: Any) -> int:
        part = bytes(b[:1000])
        self.data += part
        return len(part)

    def flush(self) -> None:
        self.flushed = len(self.data)


def test_a_frame_is_written_whole_through_short_writes() -> None:
    stdout = ShortWrites()
    write_all(stdout, b"y" * 50_000)
    assert bytes(stdout.data) == b"y" * 50_000
    assert stdout.flushed == 50_000
