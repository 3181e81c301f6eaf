"""Converting pages of big listings in a worker process.

A full sync converts every entry of a listing (decode, build records) while the engine
writes the previous pages on a thread. Both are Python and share one interpreter lock, so
in one process they take turns however many cores there are. A source can therefore send
the pages of a big listing to a worker process, which converts them and sends back
msgpack-encoded results: those decode far faster than they convert. The worker starts when
the first big listing needs it and stops when its user is done. If it cannot start or dies,
the remaining pages are converted here: slower, never wrong. The same goes for a worker
that stops answering or whose answers stop making sense: it is killed, never waited on
for ever.

The worker is `python -m reel.sources.worker`, spoken to over its stdin and stdout with
length-prefixed msgpack frames, rather than a multiprocessing pool: a spawned pool
re-imports the parent's `__main__`, which in a script without a main guard would run the
script again. Each request names a converter registered in `CONVERTERS`; the worker imports
a converter's module only when a request first names it, so starting a worker stays cheap
and a source's modules never load in a worker that does not need them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sys
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable
from types import TracebackType
from typing import Any, Self, TypeVar

import msgspec

from reel.pipes import write_all
from reel.runtime import switch_interval
from reel.sources.errors import BadResponse

log = logging.getLogger(__name__)

T = TypeVar("T")

IN_FLIGHT = 2  # pages sent ahead to the worker: enough to keep it busy, bounded memory
_HEADER = 4  # bytes of a frame's length prefix (little-endian)
# No page takes a worker anywhere near this long; one that stays silent this long is wedged
# (stopped, swapping, or its stream out of step) and the page is converted here instead.
ANSWER_TIMEOUT_S = 120.0
MAX_FRAME = 1 << 30  # a longer "frame" means the stream is out of step, not a big page
# While pages convert in the worker this process mostly waits, and the thread that writes
# them gives up the interpreter lock around every row SQLite steps through; at the default
# 5 ms interval it waits that long for the lock whenever the event loop is busy with a
# page. A Plex full sync (96k items) spent 15% less time in SQLite and 4% less in all
# with 0.5 ms. Without a worker (two busy threads here) the shorter interval cost 4%.
_QUICK_SWITCHING = switch_interval(0.0005)

# Converter name -> "module:function". The function takes a request's arguments and returns
# something msgspec can encode; the parent decodes it with the type it expects.
CONVERTERS: dict[str, str] = {
    "xtream-page": "reel.sources.xtream.offload:convert_page",
    "plex-page": "reel.sources.plex.offload:convert_page",
}

_encoder = msgspec.msgpack.Encoder()
_loaded: dict[str, Callable[..., Any]] = {}


def converter(name: str) -> Callable[..., Any]:
    """The function registered as `name`, importing its module on first use."""
    fn = _loaded.get(name)
    if fn is None:
        module, _, attr = CONVERTERS[name].partition(":")
        fn = _loaded[name] = getattr(importlib.import_module(module), attr)
    return fn


def _message(raw: bytes) -> str:
    """A bad page's message; one that is not text means the stream is out of step."""
    try:
        return raw.decode()
    except UnicodeDecodeError as exc:
        raise msgspec.DecodeError("an error frame that is not text") from exc


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(_HEADER, "little") + payload


def serve(stdin: Any, stdout: Any) -> None:
    """The worker's loop: a frame [converter, args] in, the converter's result out.

    An answer starts with b"\\0" and the encoded result, or b"\\1" and the message of a
    bad page (which the parent raises as BadResponse, as converting it there would). Any
    other error ends the worker; the parent then converts the page itself and meets the
    same error there.
    """
    while header := stdin.read(_HEADER):
        request = stdin.read(int.from_bytes(header, "little"))
        name, args = msgspec.msgpack.decode(request)
        try:
            answer = b"\0" + _encoder.encode(converter(name)(*args))
        except BadResponse as exc:
            answer = b"\1" + str(exc).encode()
        write_all(stdout, _frame(answer))


class Worker:
    """One worker process, started on first use, stopped on exit; shared by the pages of
    every listing its user sends through `map`."""

    def __init__(
        self, source: str, logger: logging.Logger = log, answer_timeout: float = ANSWER_TIMEOUT_S
    ) -> None:
        self.source = source
        self.log = logger
        self.answer_timeout = answer_timeout
        self.broken = False  # it failed once: convert everything here from now on
        self._proc: asyncio.subprocess.Process | None = None
        self._busy = False  # requests sent and not yet answered
        self._quick = contextlib.ExitStack()  # quick thread switching while a worker runs

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self._quick.close()
        # An idle worker ends when its stdin closes; one stopped mid-page (the listing
        # failed or was cancelled) is killed: it holds nothing worth finishing.
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 0 if self._busy else 2)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def _worker(self) -> asyncio.subprocess.Process:
        if self._proc is None:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                __name__,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            self._quick.enter_context(_QUICK_SWITCHING.held())
        return self._proc

    async def map(
        self,
        name: str,
        requests: AsyncIterable[tuple[Any, ...]],
        answer: msgspec.msgpack.Decoder[T],
        what: str,
    ) -> AsyncIterator[T]:
        """The converter's result for each request, in order.

        Requests are pulled here (not in the sending task) so that after a failure the
        same iterator goes on feeding the in-process fallback; the sending task only
        writes, so a worker blocked on a large answer never blocks the read that frees it.
        """
        local = converter(name)
        source = aiter(requests)
        pending: deque[tuple[Any, ...]] = deque()  # sent, not yet answered, in order
        exhausted = self.broken
        try:
            if not self.broken:
                proc = await self._worker()
                assert proc.stdin is not None and proc.stdout is not None
                stdin, stdout = proc.stdin, proc.stdout
                outbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

                async def send() -> None:
                    while True:
                        args = await outbox.get()
                        stdin.write(_frame(_encoder.encode([name, args])))
                        await stdin.drain()

                sender = asyncio.create_task(send())
                try:
                    while True:
                        while not exhausted and len(pending) < IN_FLIGHT:
                            args = await anext(source, None)
                            if args is None:
                                exhausted = True
                            else:
                                pending.append(args)
                                outbox.put_nowait(args)
                        if not pending:
                            break
                        self._busy = True
                        async with asyncio.timeout(self.answer_timeout):
                            header = await stdout.readexactly(_HEADER)
                            size = int.from_bytes(header, "little")
                            if not 0 < size <= MAX_FRAME:
                                raise msgspec.DecodeError(f"a frame of {size} bytes")
                            body = await stdout.readexactly(size)
                        kind = body[:1]
                        if kind == b"\1":
                            raise BadResponse(_message(body[1:]))
                        if kind != b"\0":
                            raise msgspec.DecodeError(f"a frame marked {kind!r}")
                        result = answer.decode(body[1:])
                        pending.popleft()
                        self._busy = bool(pending)
                        yield result
                finally:
                    sender.cancel()
                    with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
                        await sender
        except (
            OSError,
            ConnectionError,
            TimeoutError,
            asyncio.IncompleteReadError,
            msgspec.DecodeError,
        ) as exc:
            # Whatever the worker still sends cannot be trusted to line up with a request:
            # it is killed on exit (busy), and every page from here on is converted here.
            self.broken = self._busy = True
            self.log.warning(
                "%s: converting %s in a worker process failed (%s); continuing here",
                self.source,
                what,
                str(exc) or type(exc).__name__,
            )
        while pending:
            yield local(*pending.popleft())
        async for args in source:
            yield local(*args)


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
