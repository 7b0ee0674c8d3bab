"""Liveness of background processes, shared by every process and node through the database.

Each processor, drain helper, job worker (and the web workers' pending sweep) keeps one row in
`process_heartbeats` (role, host, pid) and renews `beat_at` from its own loop every HEARTBEAT_SECONDS,
so a row that stops moving means that loop is stuck, dead or cut off from the database. `/healthz`
and `/metrics` count the rows renewed within HEALTH_STALE_SECONDS per role. A process removes its row
when it stops cleanly; rows not renewed for a day are deleted by the others.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.models.base import Base, UTCDateTime, utcnow

log = logging.getLogger("shoudi.heartbeats")

ROLES = ("processor", "drain_helper", "job_worker", "sweeper")
FORGET_AFTER = timedelta(days=1)


class ProcessHeartbeat(Base):
    __tablename__ = "process_heartbeats"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)   # "role@host:pid"
    role: Mapped[str] = mapped_column(String(32), index=True)
    host: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(16), default="ok")   # ok | busy (a long job)
    processed: Mapped[int] = mapped_column(Integer, default=0)     # versions or jobs since start


class Heartbeat:
    """One process's row. `beat()` from the loop (writes at most every `every` seconds); `busy()` keeps
    beating from a thread while the loop is inside one long unit of work (a job)."""

    def __init__(self, sessionmaker: Callable[[], Session], role: str, *, every: float = 10.0) -> None:
        self.sessionmaker = sessionmaker
        self.role = role
        self.every = every
        self.host = socket.gethostname()[:128]
        self.pid = os.getpid()
        self.id = f"{role}@{self.host}:{self.pid}"[:200]
        self.started_at = utcnow()
        self.processed = 0
        self._written = 0.0
        self._lock = threading.Lock()

    def beat(self, *, processed: int = 0, force: bool = False, state: str = "ok") -> bool:
        """Count `processed` and renew the row when due; True when written. Raises on database errors
        (the caller's loop treats them like any other)."""
        self.processed += processed
        now = time.monotonic()
        if not force and now - self._written < self.every:
            return False
        with self._lock, self.sessionmaker() as session:
            values = {"beat_at": utcnow(), "state": state, "processed": self.processed}
            if session.execute(update(ProcessHeartbeat).where(ProcessHeartbeat.id == self.id)
                               .values(**values)).rowcount == 0:
                session.add(ProcessHeartbeat(id=self.id, role=self.role, host=self.host, pid=self.pid,
                                             started_at=self.started_at, **values))
                session.execute(delete(ProcessHeartbeat).where(ProcessHeartbeat.beat_at < utcnow() - FORGET_AFTER))
            session.commit()
        self._written = now
        return True

    def busy(self, touch: Callable[[Session], None] | None = None) -> "_Busy":
        """Context manager: beat (state `busy`) every `every` seconds from a thread until the block ends;
        `touch(session)` runs with each beat (e.g. the job's own heartbeat)."""
        return _Busy(self, touch)

    def remove(self) -> None:
        """Delete the row (a clean stop); errors are ignored — the row then simply goes stale."""
        try:
            with self.sessionmaker() as session:
                session.execute(delete(ProcessHeartbeat).where(ProcessHeartbeat.id == self.id))
                session.commit()
        except Exception:  # noqa: BLE001
            pass


class _Busy:
    def __init__(self, heartbeat: Heartbeat, touch: Callable[[Session], None] | None) -> None:
        self.heartbeat, self.touch = heartbeat, touch
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shoudi-heartbeat", daemon=True)

    def __enter__(self) -> "_Busy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.heartbeat.every):
            try:
                self.heartbeat.beat(force=True, state="busy")
                if self.touch is not None:
                    with self.heartbeat.sessionmaker() as session:
                        self.touch(session)
                        session.commit()
            except Exception:  # noqa: BLE001 — an outage: the row goes stale, which is the truth
                pass


def alive_by_role(session: Session, stale_seconds: float) -> dict[str, dict]:
    """{role: {"alive": n, "newest_beat_seconds": s}} for every role with a row (alive: renewed within
    `stale_seconds`)."""
    now = utcnow()
    cutoff = now - timedelta(seconds=stale_seconds)
    rows = session.execute(select(ProcessHeartbeat.role, func.max(ProcessHeartbeat.beat_at),
                                  func.count().filter(ProcessHeartbeat.beat_at >= cutoff))
                           .group_by(ProcessHeartbeat.role)).all()
    return {role: {"alive": int(alive or 0),
                   "newest_beat_seconds": round((now - newest).total_seconds(), 1) if newest else None}
            for role, newest, alive in rows}
