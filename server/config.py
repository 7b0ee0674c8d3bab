"""Settings registry: every setting has a name, a default and help text, in this one place.

Values come from, in order of precedence: the mapping passed to ``create_app(config=...)``,
``SHOUDI_<NAME>`` environment variables, then the defaults below. Nothing is read at import time.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

ENV_PREFIX = "SHOUDI_"


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _str(value: Any) -> str:
    return str(value)


def _opt_str(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[Any], Any] = _str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", "data", "Directory holding the SQLite database (by default), blobs and the secret key."),
    Setting("DATABASE_URL", None, "SQLAlchemy URL. Default: SQLite file `<DATA_DIR>/shoudi.sqlite3`. "
            "PostgreSQL: `postgresql+psycopg://user@host/db`.", _opt_str),
    Setting("PUBLIC_URL", None, "Public base URL used in absolute URLs of formList, manifests and the "
            "Collect QR code (e.g. `https://survey.example.gov.cn`). Default: taken from each request.", _opt_str),
    Setting("MAX_BODY_BYTES", 100_000_000, "Largest request body accepted; larger submissions get 413. "
            "Also announced to Collect as X-OpenRosa-Accept-Content-Length.", int),
    Setting("SECRET_KEY", None, "Key for signing digest nonces and sessions. Default: generated once and "
            "kept in `<DATA_DIR>/secret_key`.", _opt_str),
    Setting("AUTH_REALM", "shoudi", "HTTP Digest realm. Changing it invalidates stored digest credentials "
            "(users must reset their passwords).", _str),
    Setting("BASIC_AUTH_HTTP", False, "Also accept HTTP Basic over plain HTTP (off: Basic only over HTTPS).", _bool),
    Setting("TRUST_PROXY", False, "Trust X-Forwarded-Proto/-Host/-For from one reverse proxy.", _bool),
    Setting("PROCESS_INLINE", True, "Process each submission (parse, score, register) right after its 201 "
            "response in the same worker. Off: only `shoudi reprocess --pending` processes.", _bool),
    Setting("FSYNC", True, "fsync every stored blob and its directory before acknowledging. Turn off only "
            "for throwaway test data.", _bool),
    Setting("BLOB_STORE", None, "Where attachments and files are stored. Default: `<DATA_DIR>/blobs` on local "
            "disk. `s3://bucket/prefix`: any S3-compatible object store (MinIO, Ceph RGW, the clouds'), "
            "credentials from the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, "
            "`AWS_SESSION_TOKEN`); `file:///path`: a local store elsewhere.", _opt_str),
    Setting("S3_ENDPOINT", None, "S3 endpoint URL for `BLOB_STORE=s3://…` on a service other than AWS "
            "(e.g. `https://minio.intranet:9000`; `http://` is allowed).", _opt_str),
    Setting("S3_REGION", None, "S3 region (default: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`).",
            _opt_str),
    Setting("LOG_LEVEL", "INFO", "Logging level (DEBUG, INFO, WARNING, ERROR).", _str),
    Setting("WORKERS", 2, "`shoudi serve`: gunicorn worker processes.", int),
    Setting("THREADS", 4, "`shoudi serve`: threads per worker (gthread worker, keep-alive capable).", int),
    Setting("PROCESSORS", 1, "`shoudi serve`: background processes (niced) that parse, score and register "
            "new submissions, so bursts of uploads are acknowledged at full speed. 0: each web worker "
            "processes right after its 201 (PROCESS_INLINE) and sweeps leftovers every minute.", int),
    Setting("DRAIN_HELPERS", 1, "`shoudi serve` on PostgreSQL: extra processors (niced) that claim work only "
            "while a backlog waits and no submission arrived for a quarter of a second, so a backlog left by a burst of "
            "uploads is cleared on every core without slowing the acknowledgements. 0: none.", int),
    Setting("JOB_WORKERS", 1, "`shoudi serve`: background job processes (`shoudi worker`: exports, re-scoring, "
            "department data comparison). 0: run `shoudi worker` yourself (e.g. on another machine).", int),
    Setting("DB_POOL_SIZE", 5, "Database connection pool size per worker process (PostgreSQL).", int),
    Setting("CALENDAR_FILE", None, "Working-day calendar JSON (public holidays, adjusted working days) for "
            "workflow deadlines. Default: the packaged State Council data 2020–2026.", _opt_str),
    Setting("WORKFLOW_REGIONS_FILE", None, "JSON choosing the procedure (and parameters) per region-code prefix; "
            "see docs/workflow.md. Default: Inner Mongolia 8 steps under 15…, simplified elsewhere.", _opt_str),
    Setting("API_TOKEN_HOURS", 12, "Lifetime of REST API bearer tokens, in hours.", int),
    Setting("FROZEN_TODAY", None, "Pin the workflow's date (ISO `YYYY-MM-DD`) for demos and tests; leave unset "
            "in production.", _opt_str),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve every setting; unknown override keys are passed through unchanged (Flask keys)."""
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.name in overrides:
            raw = overrides.pop(setting.name)
        elif ENV_PREFIX + setting.name in env:
            raw = env[ENV_PREFIX + setting.name]
        else:
            raw = setting.default
        try:
            values[setting.name] = raw if raw is None else setting.parse(raw)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"setting {ENV_PREFIX}{setting.name}: {exc}") from None
    values["DATA_DIR"] = str(Path(values["DATA_DIR"]).expanduser().resolve())
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = "sqlite:///" + str(Path(values["DATA_DIR"]) / "shoudi.sqlite3")
    if values["PUBLIC_URL"]:
        values["PUBLIC_URL"] = values["PUBLIC_URL"].rstrip("/")
    values.update(overrides)
    return values


def ensure_secret_key(values: dict[str, Any]) -> None:
    """Fill SECRET_KEY from `<DATA_DIR>/secret_key`, creating it (mode 0600) on first use."""
    if values.get("SECRET_KEY"):
        return
    path = Path(values["DATA_DIR"]) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"secret_key.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, os.urandom(32).hex().encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:  # link() fails if another process won the race; then everyone reads the winner's key
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    values["SECRET_KEY"] = path.read_text().strip()


def describe() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting — used by docs and tests."""
    return [(ENV_PREFIX + s.name, "" if s.default is None else str(s.default), s.help) for s in SETTINGS]
