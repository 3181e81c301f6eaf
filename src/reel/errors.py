"""The few errors people see. The CLI prints their message as one line; the API maps
them to status codes in one place. Anything else is a bug and shows as such."""

from __future__ import annotations


class ReelError(Exception):
    """An error whose message is meant for a person and says what to do next."""

    status_code = 400


class InvalidInput(ReelError):
    """A request that cannot be carried out as asked (bad option, bad cursor)."""


class NotFound(ReelError):
    """The item, source or user asked for does not exist."""

    status_code = 404


class Conflict(ReelError):
    """The request clashes with what exists (a source name taken, a sync running)."""

    status_code = 409


class Forbidden(ReelError):
    """The signed-in user may not do this."""

    status_code = 403
