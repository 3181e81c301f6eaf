"""Logging set-up with secrets redacted at the handler, whoever logs them.

httpx logs every request URL at INFO, and Xtream and M3U URLs carry passwords in their
paths and queries; the filter rewrites them before any handler formats a record.
"""

from __future__ import annotations

import logging
import re
import sys

_PATTERNS = (
    (
        re.compile(
            r"(?i)\b(password|passwd|pass|token|api_key|apikey|x-plex-token|access_token)"
            r"(=|:\s*|\"\s*:\s*\")([^&\s\"',;]+)"
        ),
        r"\1\2***",
    ),
    (re.compile(r"/(live|movie|series|timeshift)/[^/\s]+/[^/\s]+/"), r"/\1/***/***/"),
    (re.compile(r"(?i)(Token=\")([^\"]+)"), r"\1***"),
    (re.compile(r"(?i)(://)([^/@\s:]+):([^/@\s]+)@"), r"\1***:***@"),
)


def redact(text: str) -> str:
    """`text` with credentials in URLs, queries and auth headers replaced by ***."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the message once, redacted, so arguments cannot smuggle secrets through."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def configure(debug: bool = False) -> None:
    """Log to stderr; third-party HTTP chatter only at WARNING and above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    for noisy in ("httpx", "httpcore", "hpack", "watchfiles", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
