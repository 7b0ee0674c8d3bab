"""Autogenerate the next revision `NNNN_<slug>.py`: python -m server.migrate_new "what changed"."""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from alembic import command

from server.db import make_engine
from server.migrate import MIGRATIONS_DIR, alembic_config, upgrade


def next_rev_id() -> str:
    numbers = [int(m.group(1)) for p in (MIGRATIONS_DIR / "versions").glob("*.py")
               if (m := re.match(r"(\d{4})_", p.name))]
    return f"{max(numbers, default=0) + 1:04d}"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        url = "sqlite:///" + str(Path(tmp) / "scratch.sqlite3")
        engine = make_engine(url)
        upgrade(engine)
        cfg = alembic_config(url)
        cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=argv[0], autogenerate=True, rev_id=next_rev_id())
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
