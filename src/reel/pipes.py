"""Writing whole buffers to pipes.

A blocking write to a pipe that a stop signal interrupts (Ctrl-Z on a terminal, which
stops the whole foreground job, then `fg`) returns the part it wrote, and a buffered
writer passes that short count on for data larger than its buffer. A caller that writes
once and trusts it silently loses the rest: a frame cut short, a JSON document truncated
for the program reading it.
"""

from __future__ import annotations

from typing import Protocol


class Writer(Protocol):
    def write(self, data: memoryview, /) -> int: ...

    def flush(self) -> None: ...


def write_all(out: Writer, data: bytes) -> None:
    """Write all of `data` to `out` and flush it."""
    view = memoryview(data)
    while view:
        view = view[out.write(view) :]
    out.flush()
