"""Events across processes through PostgreSQL LISTEN/NOTIFY.

With several Reel processes on one PostgreSQL catalog (a web server, workers, a CLI sync),
an event published in one must reach the subscribers of all. `BridgedBus` is an
`EventBus` whose `publish` also queues the event for NOTIFY; a sender thread with its own
autocommit connection sends it, and a listener thread with another one re-publishes what
other processes sent on the local bus. Each process tags its payloads with a random origin
so it ignores its own echoes.

NOTIFY payloads are limited to 8000 bytes, so events are sent as compact JSON and id
batches that do not fit are split into several events of the same kind (a listener sees
more, smaller batches — which the bus would have coalesced anyway). An event that cannot
be split to fit is replaced by `EventsDropped`, the same signal a slow local listener gets:
refetch state. Publishing never blocks and never fails; if the database is unreachable the
events stay local and the failure is logged.

The channel is per schema (`reel_events_<schema>`), since NOTIFY channels are database-wide
and installs or tests sharing a database must not hear each other.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import Engine

from reel.events.bus import DEFAULT_QUEUE_SIZE, EventBus
from reel.events.types import Event, EventsDropped, ItemsChanged, WatchStateChanged

log = logging.getLogger(__name__)

MAX_PAYLOAD = 7900  # PostgreSQL's limit is 8000 bytes; keep a margin
PENDING_LIMIT = 10_000
ORIGIN_KEY = "_o"


def _event_types() -> dict[str, type[Event]]:
    found: dict[str, type[Event]] = {}
    todo = list(Event.__subclasses__())
    while todo:
        cls = todo.pop()
        found[cls.name] = cls
        todo.extend(cls.__subclasses__())
    return found


def encode(event: Event, origin: str) -> bytes:
    return orjson.dumps({**event.to_dict(), ORIGIN_KEY: origin})


def decode(payload: str | bytes) -> tuple[str | None, Event | None]:
    """(origin, event) of a payload; event None for anything this version does not know."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    origin = data.pop(ORIGIN_KEY, None)
    cls = _event_types().get(str(data.pop("event", "")))
    if cls is None:
        return origin, None
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return origin, cls(**{k: v for k, v in data.items() if k in names})
    except TypeError:
        return origin, None


def split(event: Event, origin: str, limit: int = MAX_PAYLOAD) -> Iterator[bytes]:
    """Payloads of at most `limit` bytes that together say what `event` says."""
    payload = encode(event, origin)
    if len(payload) <= limit:
        yield payload
        return
    parts: list[Event] = []
    if isinstance(event, ItemsChanged):
        parts = [
            ItemsChanged(source=event.source, **{kind: {item_type: ids}})
            for kind in ("created", "updated", "deleted")
            for item_type, ids in getattr(event, kind).items()
            if ids
        ]
    elif isinstance(event, WatchStateChanged):
        parts = [WatchStateChanged(user_id=event.user_id, item_ids=event.item_ids)]
    if not parts:
        log.warning("event %s too large for NOTIFY; sending a refetch signal", event.name)
        yield encode(EventsDropped(count=1), origin)
        return
    for part in parts:
        yield from _halve(part, origin, limit)


def _halve(event: Event, origin: str, limit: int) -> Iterator[bytes]:
    """One single-list event, cut into halves until every piece fits."""
    payload = encode(event, origin)
    if len(payload) <= limit:
        yield payload
        return
    if isinstance(event, WatchStateChanged):
        ids = event.item_ids
        halves: list[Event] = [
            WatchStateChanged(user_id=event.user_id, item_ids=ids[: len(ids) // 2]),
            WatchStateChanged(user_id=event.user_id, item_ids=ids[len(ids) // 2 :]),
        ]
    else:
        assert isinstance(event, ItemsChanged)
        kind = next(k for k in ("created", "updated", "deleted") if getattr(event, k))
        ((item_type, ids),) = getattr(event, kind).items()
        halves = [
            ItemsChanged(source=event.source, **{kind: {item_type: part}})
            for part in (ids[: len(ids) // 2], ids[len(ids) // 2 :])
        ]
    for half in halves:
        yield from _halve(half, origin, limit)


def channel_for(schema: str | None) -> str:
    """The NOTIFY channel of a catalog schema (identifiers stop at 63 bytes)."""
    if not schema or schema == "public":
        return "reel_events"
    return f"reel_events_{schema}"[:63]


class BridgedBus(EventBus):
    """An event bus shared by every process of one PostgreSQL catalog.

    `start()` opens the two connections and threads; `stop()` closes them. Until started
    (or after a failure to connect) it behaves exactly like a local `EventBus`.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        channel: str | None = None,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        poll_s: float = 0.25,
    ) -> None:
        super().__init__(queue_size)
        if engine.dialect.name != "postgresql":
            raise ValueError("the LISTEN/NOTIFY bridge needs a PostgreSQL catalog")
        self.engine = engine
        self.channel = channel
        self.origin = uuid.uuid4().hex[:12]
        self.poll_s = poll_s
        self.sent = 0
        self.received = 0
        self._outbox: deque[bytes] = deque()
        self._dropped = 0
        self._outbox_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Connect and start listening; returns once LISTEN is in place."""
        if self._threads:
            return
        if self.channel is None:
            with self.engine.connect() as conn:
                schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
            self.channel = channel_for(str(schema) if schema else None)
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._listen, name="reel-notify-listen", daemon=True),
            threading.Thread(target=self._send, name="reel-notify-send", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if not self._listening.wait(timeout):
            log.warning("event bridge: LISTEN not in place after %.0fs", timeout)

    def stop(self) -> None:
        """Send what is queued, then close both connections."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []
        self._listening.clear()

    def __enter__(self) -> BridgedBus:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- outgoing ----------------------------------------------------------------------

    def publish(self, event: Event) -> None:
        """Deliver locally now and queue for the other processes."""
        super().publish(event)
        if not self._threads or (isinstance(event, ItemsChanged) and event.empty):
            return
        try:
            payloads = list(split(event, self.origin))
        except Exception:  # never let a forwarding problem reach the publisher
            log.exception("event bridge: cannot encode %s", event.name)
            return
        with self._outbox_lock:
            for payload in payloads:
                if len(self._outbox) >= PENDING_LIMIT:
                    self._outbox.popleft()
                    self._dropped += 1
                self._outbox.append(payload)
        self._wake.set()

    def _take(self) -> list[bytes]:
        with self._outbox_lock:
            batch = list(self._outbox)
            self._outbox.clear()
            dropped, self._dropped = self._dropped, 0
        if dropped:
            batch.insert(0, encode(EventsDropped(count=dropped), self.origin))
        return batch

    def _send(self) -> None:
        raw = self._connect()
        if raw is None:
            return
        try:
            while True:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                batch = self._take()
                if batch:
                    with raw.cursor() as cursor:
                        cursor.executemany(
                            "SELECT pg_notify(%s, %s)",
                            [(self.channel, p.decode()) for p in batch],
                        )
                    self.sent += len(batch)
                elif self._stop.is_set():
                    return
        except Exception:
            log.warning("event bridge: sending stopped", exc_info=True)
        finally:
            raw.close()

    # -- incoming ----------------------------------------------------------------------

    def _listen(self) -> None:
        raw = self._connect()
        if raw is None:
            self._listening.set()  # nothing to wait for
            return
        try:
            conn = raw
            conn.execute(f'LISTEN "{self.channel}"')
            self._listening.set()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=self.poll_s):
                    self._deliver(note.payload)
        except Exception:
            log.warning("event bridge: listening stopped", exc_info=True)
        finally:
            raw.close()

    def _deliver(self, payload: str) -> None:
        origin, event = decode(payload)
        if origin == self.origin:
            return
        if event is None:
            log.debug("event bridge: ignoring an unknown payload")
            return
        self.received += 1
        super().publish(event)

    def _connect(self) -> Any:
        """A driver connection of our own, outside the pool, in autocommit mode."""
        dialect = self.engine.dialect
        try:
            cargs, cparams = dialect.create_connect_args(self.engine.url)
            conn = dialect.connect(*cargs, **cparams)
            conn.autocommit = True
        except Exception as exc:
            log.warning("event bridge: cannot connect, events stay local: %s", exc)
            return None
        return conn
