"""A worker process that stops answering, or whose answers stop making sense, costs only
speed: its pages are converted here, nothing waits on it for ever, and it is killed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from reel.sources import worker

# Workers that misbehave on purpose: each reads one request, then ...
SILENT = "import sys, time; sys.stdin.buffer.read(4); time.sleep(60)"
OUT_OF_STEP = (  # ... answers with a length no frame has (a stream out of step)
    "import sys, time; sys.stdin.buffer.read(4); "
    "sys.stdout.buffer.write(b'\\xff\\xff\\xff\\xff'); sys.stdout.buffer.flush(); time.sleep(60)"
)
GARBLED = (  # ... answers with a well-framed body that is not the answer's type
    "import sys, time; sys.stdin.buffer.read(4); "
    "sys.stdout.buffer.write(b'\\x02\\x00\\x00\\x00\\x00\\xa1'); sys.stdout.buffer.flush(); "
    "time.sleep(60)"
)
NOT_TEXT = (  # ... answers with a bad-page frame whose message is not text (out of step)
    "import sys, time; sys.stdin.buffer.read(4); "
    "sys.stdout.buffer.write(b'\\x02\\x00\\x00\\x00\\x01\\x89'); sys.stdout.buffer.flush(); "
    "time.sleep(60)"
)
UNMARKED = (  # ... answers with a frame that is neither an answer nor a bad page
    "import sys, time; sys.stdin.buffer.read(4); "
    "sys.stdout.buffer.write(b'\\x02\\x00\\x00\\x00\\x07\\x01'); sys.stdout.buffer.flush(); "
    "time.sleep(60)"
)


async def requests(n: int) -> AsyncIterator[tuple[Any, ...]]:
    for i in range(n):
        yield (i,)


@pytest.fixture
def negate(monkeypatch: pytest.MonkeyPatch) -> None:
    """A converter the fallback can run here (the misbehaving workers never run it)."""
    monkeypatch.setitem(worker.CONVERTERS, "negate", "operator:neg")


def spawn_instead(script: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Workers start as `python -c script`; the list fills with the processes started."""
    spawned: list[Any] = []
    spawn = asyncio.create_subprocess_exec

    async def start(*args: Any, **kwargs: Any) -> Any:
        proc = await spawn(sys.executable, "-c", script, **kwargs)
        spawned.append(proc)
        return proc

    monkeypatch.setattr(worker.asyncio, "create_subprocess_exec", start)
    return spawned


async def run_with(
    script: str, monkeypatch: pytest.MonkeyPatch, timeout: float = 30.0
) -> tuple[list[int], list[Any]]:
    spawned = spawn_instead(script, monkeypatch)
    before = sys.getswitchinterval()
    async with worker.Worker("test", answer_timeout=timeout) as w:
        got = [r async for r in w.map("negate", requests(5), msgspec.msgpack.Decoder(int), "x")]
        assert w.broken
        # While a worker process runs, threads here switch sooner (see worker.py) ...
        assert sys.getswitchinterval() < before
    assert sys.getswitchinterval() == before  # ... and not after it stopped
    return got, spawned


@pytest.mark.usefixtures("negate")
@pytest.mark.parametrize(
    "script",
    [OUT_OF_STEP, GARBLED, NOT_TEXT, UNMARKED],
    ids=["out-of-step", "garbled", "not-text", "unmarked"],
)
async def test_answers_that_make_no_sense_fall_back_here(
    script: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="reel.sources.worker"):
        got, spawned = await run_with(script, monkeypatch)
    assert got == [0, -1, -2, -3, -4]
    assert time.monotonic() - started < 10  # killed, not waited on for its 60 s
    assert spawned[0].returncode is not None
    assert "converting x in a worker process failed" in caplog.text


@pytest.mark.usefixtures("negate")
async def test_a_silent_worker_times_out_and_is_killed(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="reel.sources.worker"):
        got, spawned = await run_with(SILENT, monkeypatch, timeout=0.5)
    assert got == [0, -1, -2, -3, -4]
    assert time.monotonic() - started < 10
    assert spawned[0].returncode is not None
    assert "TimeoutError" in caplog.text


@pytest.mark.usefixtures("negate")
async def test_a_broken_worker_is_not_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    spawned = spawn_instead(SILENT, monkeypatch)
    decoder = msgspec.msgpack.Decoder(int)
    async with worker.Worker("test", answer_timeout=0.3) as w:
        first = [r async for r in w.map("negate", requests(3), decoder, "a")]
        second = [r async for r in w.map("negate", requests(3), decoder, "b")]
    assert first == second == [0, -1, -2]
    assert len(spawned) == 1


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs stop signals")
async def test_a_worker_stopped_and_continued_answers_every_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-Z on `reel sync` stops the worker too. Its answers (larger than a pipe holds)
    must arrive whole after `fg`: no frame cut short, no stream out of step, no fallback."""
    monkeypatch.setitem(worker.CONVERTERS, "repeat", "operator:mul")
    script = (
        "import sys; from reel.sources import worker; "
        "worker.CONVERTERS['repeat'] = 'operator:mul'; "
        "worker.serve(sys.stdin.buffer, sys.stdout.buffer)"
    )
    spawned = spawn_instead(script, monkeypatch)
    done = threading.Event()

    def stop_and_continue() -> None:
        while not done.is_set():
            if spawned:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(spawned[0].pid, signal.SIGSTOP)
                    time.sleep(0.001)
                    os.kill(spawned[0].pid, signal.SIGCONT)
            time.sleep(0.001)

    async def pages() -> AsyncIterator[tuple[Any, ...]]:
        for i in range(12):
            yield bytes([i]), 1_500_000

    poker = threading.Thread(target=stop_and_continue)
    poker.start()
    try:
        async with worker.Worker("test", answer_timeout=20) as w:
            got = [r async for r in w.map("repeat", pages(), msgspec.msgpack.Decoder(bytes), "x")]
            assert not w.broken  # every answer came from the worker
    finally:
        done.set()
        poker.join()
        if spawned:
            with contextlib.suppress(ProcessLookupError):
                os.kill(spawned[0].pid, signal.SIGCONT)
    assert got == [bytes([i]) * 1_500_000 for i in range(12)]
