"""A fake Xtream panel on a loopback port of its own, for the tests that sync one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from reel.testing.server import free_port, serve_in_thread


@contextmanager
def xtream_panel(config: XtreamFakeConfig) -> Iterator[XtreamFake]:
    """The panel `config` describes, served on a free port until the block ends; its
    artwork URLs point at that port."""
    port = free_port()
    fake = XtreamFake(replace(config, public_url=f"http://127.0.0.1:{port}"))
    with serve_in_thread(fake.app, port=port):
        yield fake
