"""A whole Reel on loopback for browser tests and for looking at the UI by hand.

`reel_stack()` starts the Xtream fake and a Reel web app (temp data dir, SQLite, cheap
password hashing) each on its own port, in threads, with the app's lifespan on as under
`reel serve`. Run `python -m tests.browser.stack` to keep one up and open it in a browser.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn
from argon2 import PasswordHasher

from reel.config import Settings
from reel.testing.fakes.xtream import XtreamFake, XtreamFakeConfig
from reel.testing.server import free_port
from reel.web.app import create_app


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # runs off the main thread
        pass


@dataclass
class RunningServer:
    """One uvicorn server in a thread; `stop()` and `start()` may be called again."""

    app: Any
    port: int
    lifespan: str = "on"
    server: _Server | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan=self.lifespan,
            ws_ping_interval=None,
        )
        self.server = _Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"server on port {self.port} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self.server is None or self.thread is None:
            return
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.server = None
        self.thread = None


@dataclass
class Stack:
    reel: RunningServer
    xtream: RunningServer
    fake: XtreamFake
    data_dir: Path

    @property
    def url(self) -> str:
        return self.reel.url

    @property
    def xtream_url(self) -> str:
        return self.xtream.url


def fake_config(port: int) -> XtreamFakeConfig:
    """A small panel: enough rows to page, scroll and group, few enough to sync in a blink."""
    return XtreamFakeConfig(
        live=30,
        vod=80,
        series=6,
        seasons=2,
        episodes_per_season=3,
        live_categories=4,
        vod_categories=4,
        series_categories=2,
        public_url=f"http://127.0.0.1:{port}",
    )


@contextmanager
def reel_stack(data_dir: Path | None = None) -> Iterator[Stack]:
    """Xtream fake + Reel web app on two loopback ports until the block ends."""
    with tempfile.TemporaryDirectory(prefix="reel-browser-") as tmp:
        root = data_dir or Path(tmp)
        xport = free_port()
        fake = XtreamFake(fake_config(xport))
        fake.warm()
        xtream = RunningServer(fake.app, xport, lifespan="off")
        xtream.start()
        settings = Settings(data_dir=root, database_url=f"sqlite:///{root / 'reel.db'}")
        hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        app = create_app(settings, hasher=hasher)
        reel = RunningServer(app, free_port())
        reel.start()
        try:
            yield Stack(reel=reel, xtream=xtream, fake=fake, data_dir=root)
        finally:
            reel.stop()
            xtream.stop()


if __name__ == "__main__":
    with reel_stack() as stack:
        creds = stack.fake.config
        print(f"Reel:  {stack.url}")
        print(f"Xtream fake: {stack.xtream_url}  user {creds.username}  password {creds.password}")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
