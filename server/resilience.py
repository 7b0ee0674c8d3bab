"""Background loops that outlive faults: tell a database outage from a bad record, back off, log once.

Every long-running loop (processors, drain helpers, the web workers' pending sweep, job workers) wraps
one iteration in `Retry`: after a failure it sleeps a capped exponential back-off (0.5 s doubling up to
RETRY_MAX_SECONDS) and tries again, for ever. An outage is logged once when it starts and once when it
ends (with its length), never once per attempt. Log lines carry the exception type and where it was
raised, never its message: database errors quote the values of the row (证件号码, names) in their detail.
"""
from __future__ import annotations

import logging
import time
import traceback

from sqlalchemy import exc as sa_exc

BASE_SECONDS = 0.5


def is_outage(error: BaseException) -> bool:
    """Is this the database (or the connection to it) being unavailable, rather than a bad record?

    Connection failures, a server shutting down, a pool exhausted while connections hang, and SQLite's
    "database is locked" are outages: the same work succeeds later. Integrity, data and programming
    errors are about the record and are not.
    """
    if isinstance(error, (sa_exc.DisconnectionError, sa_exc.TimeoutError, sa_exc.PendingRollbackError)):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        if not isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            return False       # integrity, data, programming errors: the record, not the database
        error = error.orig
    if {c.__name__ for c in type(error).__mro__} & {"OperationalError", "InterfaceError"}:   # the driver's
        state = getattr(error, "sqlstate", None) or ""
        # 08xxx connection exceptions, 57P0x shutdown / cannot connect now, 53xxx out of resources;
        # no sqlstate: the connection never got that far (refused, reset) or SQLite (locked, I/O)
        return not state or state.startswith(("08", "57P", "53"))
    return isinstance(error, ConnectionError)


_OURS = ("/server/", "/forms/", "/scoring/", "/exports/")


def where(error: BaseException) -> str:
    """`package/file.py:line in function` of the innermost frame of shoudi's code (no message, no values)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if any(part in f.filename for part in _OURS) and "/site-packages/" not in f.filename]
    if not (ours or frames):
        return "?"
    frame = (ours or frames)[-1]
    return f"{'/'.join(frame.filename.rsplit('/', 2)[-2:])}:{frame.lineno} in {frame.name}"


def describe(error: BaseException) -> str:
    """`ExceptionType (sqlstate) at file:line in function` for a log line."""
    orig = getattr(error, "orig", None)
    state = getattr(orig, "sqlstate", None)
    kind = type(orig).__name__ if orig is not None else type(error).__name__
    return f"{kind}{f' ({state})' if state else ''} at {where(error)}"


class Retry:
    """Back-off and outage logging for one loop (`what` names it in the log)."""

    def __init__(self, what: str, log: logging.Logger, *, cap: float = 30.0, base: float = BASE_SECONDS) -> None:
        self.what, self.log, self.cap, self.base = what, log, max(float(cap), base), base
        self.failures = 0
        self.down_since: float | None = None
        self._last_error: str | None = None

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, error: BaseException) -> float:
        """Record a failed iteration; returns the seconds to wait before the next one."""
        self.failures += 1
        delay = min(self.cap, self.base * 2 ** min(self.failures - 1, 30))
        text = describe(error)
        if is_outage(error):
            if self.down_since is None:
                self.down_since = time.monotonic()
                self.log.warning("%s: database unavailable (%s); retrying with back-off up to %.0f s",
                                 self.what, text, self.cap)
        elif text != self._last_error:   # a bug, not an outage: logged once per kind, never a crash
            self.log.error("%s: unexpected %s; retrying with back-off up to %.0f s", self.what, text, self.cap)
        self._last_error = text
        return delay

    def succeeded(self) -> None:
        """An iteration completed: the outage (if any) is over."""
        if self.down_since is not None:
            self.log.warning("%s: database reachable again after %.1f s (%d attempts)", self.what,
                             time.monotonic() - self.down_since, self.failures)
        self.failures = 0
        self.down_since = None
        self._last_error = None
