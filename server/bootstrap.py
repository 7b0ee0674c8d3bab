"""`shoudi init`: migrate, publish the shipped forms, optionally seed demo data."""
from __future__ import annotations

from typing import Callable

from flask import Flask

from server.db import get_db
from server.migrate import current_revision, upgrade


def initialise(app: Flask, *, demo: bool = False, echo: Callable[[str], None] = print) -> None:
    engine = get_db(app).engine
    upgrade(engine)
    echo(f"数据库已就绪 database ready: revision {current_revision(engine)} ({engine.url.get_backend_name()})")
