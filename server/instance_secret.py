"""The deployment's secret key, kept in the database so that every app node signs and checks console
sessions, API tokens and Digest nonces with the same key, whatever its own data directory holds.

`SHOUDI_SECRET_KEY`, when set, wins (and nothing is read here). Otherwise the first process to start
against a database stores its key (`<DATA_DIR>/secret_key`, so a single-node site keeps its sessions
across the upgrade) and every other node adopts the stored one — the INSERT cannot race: a second
writer's row conflicts and it reads the winner's.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)
NAME = "secret_key"


class InstanceSecret(Base):
    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def shared_secret_key(engine: Engine, local_key: str) -> str:
    """The key stored in the database (storing `local_key` first when there is none). Before the schema
    has the table (`shoudi init` migrating a new database) the local key is used."""
    table = InstanceSecret.__table__
    try:
        with engine.connect() as conn:
            found = conn.scalar(select(table.c.value).where(table.c.name == NAME))
            if found is not None:
                return found
            try:
                conn.execute(table.insert().values(name=NAME, value=local_key, created_at=utcnow()))
                conn.commit()
                return local_key
            except IntegrityError:      # another node stored its key first: use that one
                conn.rollback()
                return conn.scalar(select(table.c.value).where(table.c.name == NAME))
    except (OperationalError, ProgrammingError) as exc:
        if "instance_secrets" not in str(exc):
            log.warning("secret key not read from the database (%s); using this node's own key",
                        type(exc).__name__)
        return local_key
