"""Who holds a job: worker ids that say where the worker runs, so a worker on the same
host can tell at once that another one died instead of waiting for its lease to expire.

"Same host" means same hostname *and* same PID namespace: containers sharing the host's
network also share its hostname, and a PID from another namespace means nothing here.

A live worker here keeps its jobs even past its lease: on SQLite a long sync holds the
only write lock, so its worker cannot renew, and taking the job over would only run the
sync twice. Leases decide for workers on other machines (PostgreSQL).
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from typing import Literal


@functools.cache
def location() -> str:
    """This machine and PID namespace, as far as the platform can tell."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:").strip("[]")
    except OSError:
        namespace = ""
    host = socket.gethostname().replace("/", "_")
    return f"{host}~{namespace}" if namespace else host


def new_worker_id() -> str:
    """`location/pid/random`: unique per process run, and says where to look for it."""
    return f"{location()}/{os.getpid()}/{uuid.uuid4().hex[:6]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def worker_state(locked_by: str | None) -> Literal["gone", "alive", "unknown"]:
    """Whether the worker named by `locked_by` still runs, when it ran here; "unknown"
    for workers elsewhere (only their lease tells)."""
    parts = (locked_by or "").split("/")
    if len(parts) != 3 or parts[0] != location() or not parts[1].isdigit():
        return "unknown"
    return "alive" if _pid_alive(int(parts[1])) else "gone"
