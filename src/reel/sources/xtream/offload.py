"""Converting the pages of a big listing in a worker process.

A first sync of a large panel converts every entry (decode, clean titles, find years) while
the engine writes the previous pages. Both are Python and share one interpreter lock, so
in one process they take turns however many cores there are. Pages of a listing that is
all new and big are therefore cut out of the body as raw JSON here, converted by a worker
process, and sent back as msgpack-encoded records, which decode far faster than they
convert. The worker starts when the first big listing needs it (a fraction of a second,
while the categories are written) and stops when the listing ends. If it cannot start or
dies, the remaining pages are converted here: slower, never wrong.

The worker is `python -m reel.sources.xtream.offload`, spoken to over its stdin and stdout
with length-prefixed msgpack frames, rather than a multiprocessing pool: a spawned pool
re-imports the parent's `__main__`, which in a script without a main guard would run the
script again.

Small or mostly unchanged listings never get here: digests already spare them the work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any

import msgspec

from reel.sources.errors import BadResponse
from reel.sources.records import ItemRecord
from reel.sources.xtream import listing, parse
from reel.sources.xtream.items import channel, movie, show

log = logging.getLogger(__name__)

MIN_ENTRIES = 20_000  # fewer new entries than this are converted in-process
IN_FLIGHT = 2  # pages sent ahead to the worker: enough to keep it busy, bounded memory
_HEADER = 4  # bytes of a frame's length prefix (little-endian)

Converter = Callable[[Any, set[str]], ItemRecord]
CONVERTERS: dict[str, tuple[type[Any], str, Converter]] = {
    "get_live_streams": (parse.LiveStream, "stream_id", channel),
    "get_vod_streams": (parse.VodStream, "stream_id", movie),
    "get_series": (parse.Series, "series_id", show),
}

_records = msgspec.msgpack.Decoder(list[ItemRecord])
_encoder = msgspec.msgpack.Encoder()


class WorkerFailed(Exception):
    """The worker process could not take or answer a page."""


def convert_entries(
    action: str, entries: list[tuple[Any, str]], known: set[str]
) -> list[ItemRecord]:
    """Records of decoded entries, each carrying its raw digest."""
    convert = CONVERTERS[action][2]
    records = []
    for entry, digest in entries:
        record = convert(entry, known)
        record.source_hash = digest
        records.append(record)
    return records


def convert_raws(
    action: str, raws: list[msgspec.Raw], digests: list[str], known: set[str], page: bytes
) -> list[ItemRecord]:
    """Records of one page of raw entries (`page` is their JSON list, or b"" to join)."""
    type_, id_field, _ = CONVERTERS[action]
    split = listing.RawSplit(raws, digests, [None] * len(raws), plain_list=bool(page))
    entries = listing.decode_split(split, page, type_, id_field, what=action).entries
    return convert_entries(action, entries, known)


def _frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(_HEADER, "little") + payload


def serve(stdin: Any, stdout: Any) -> None:
    """The worker's loop: a frame (action, page, digests, categories) in, records out.

    An answer starts with b"\\0" and the encoded records, or b"\\1" and the message of a
    bad page (which the parent raises as BadResponse, as converting it there would).
    """
    while header := stdin.read(_HEADER):
        request = stdin.read(int.from_bytes(header, "little"))
        action, page, digests, known = msgspec.msgpack.decode(request)
        try:
            raws = msgspec.json.decode(page, type=list[msgspec.Raw])
            answer = b"\0" + _encoder.encode(convert_raws(action, raws, digests, known, page))
        except BadResponse as exc:
            answer = b"\1" + str(exc).encode()
        stdout.write(_frame(answer))
        stdout.flush()


class PageConverter:
    """One listing's worker process, started on first use, stopped on exit."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._proc: asyncio.subprocess.Process | None = None
        self._broken = False
        self._busy = False  # pages sent and not yet answered

    async def __aenter__(self) -> PageConverter:
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

    def wanted(self, split: listing.RawSplit) -> bool:
        return not self._broken and split.all_new and len(split.raws) >= MIN_ENTRIES

    async def _worker(self) -> asyncio.subprocess.Process:
        if self._proc is None:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                __name__,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
        return self._proc

    async def pages(
        self, action: str, split: listing.RawSplit, known: set[str], page_size: int
    ) -> AsyncIterator[list[ItemRecord]]:
        """Records page by page, in listing order (repeats across pages left to the writer)."""
        count = len(split.raws)
        bounds = [(s, min(s + page_size, count)) for s in range(0, count, page_size)]
        done = 0  # pages handed out
        try:
            proc = await self._worker()
            assert proc.stdin is not None and proc.stdout is not None
            stdin, stdout = proc.stdin, proc.stdout
            slots = asyncio.Semaphore(IN_FLIGHT)
            categories = sorted(known)

            async def send() -> None:
                for start, end in bounds:
                    await slots.acquire()
                    page = b"[" + b",".join(split.raws[start:end]) + b"]"
                    request = [action, page, split.digests[start:end], categories]
                    stdin.write(_frame(_encoder.encode(request)))
                    await stdin.drain()

            sender = asyncio.create_task(send())
            self._busy = True
            try:
                while done < len(bounds):
                    header = await stdout.readexactly(_HEADER)
                    answer = await stdout.readexactly(int.from_bytes(header, "little"))
                    slots.release()
                    if answer[:1] == b"\1":
                        raise BadResponse(answer[1:].decode())
                    records = _records.decode(answer[1:])
                    done += 1
                    self._busy = done < len(bounds)
                    yield records
            finally:
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError, OSError, ConnectionError):
                    await sender
        except (OSError, ConnectionError, asyncio.IncompleteReadError, msgspec.DecodeError) as exc:
            self._broken = True
            log.warning(
                "%s: converting %s in a worker process failed (%s); continuing here",
                self.source,
                action,
                exc or type(exc).__name__,
            )
        for start, end in bounds[done:]:
            raws, digests = split.raws[start:end], split.digests[start:end]
            yield convert_raws(action, raws, digests, known, b"")


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
