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


def _roles(value: Any) -> str | None:
    """Comma-separated background roles `/healthz` requires (see server/health.py)."""
    text = _opt_str(value)
    if text is None:
        return None
    roles = [r.strip() for r in text.split(",") if r.strip()]
    unknown = [r for r in roles if r not in ("processor", "job_worker")]
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; use processor, job_worker")
    return ",".join(roles) or None


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
    Setting("MAX_XML_BYTES", 5_000_000, "Largest submission XML (the `xml_submission_file` part) accepted; "
            "a larger one is refused with 413 while it streams in. Household instances with repeats are "
            "tens of kilobytes.", int),
    Setting("SECRET_KEY", None, "Key for signing digest nonces and sessions. Default: generated once and "
            "kept in `<DATA_DIR>/secret_key`.", _opt_str),
    Setting("AUTH_REALM", "shoudi", "HTTP Digest realm. Changing it invalidates stored digest credentials "
            "(users must reset their passwords).", _str),
    Setting("BASIC_AUTH_HTTP", False, "Also accept HTTP Basic over plain HTTP (off: Basic only over HTTPS).", _bool),
    Setting("TRUST_PROXY", False, "Trust X-Forwarded-Proto/-Host/-For/-Prefix from one reverse proxy, and only "
            "when the connection comes from one of TRUSTED_PROXIES (elsewhere the headers are ignored, in the "
            "app and in gunicorn).", _bool),
    Setting("TRUSTED_PROXIES", "127.0.0.1,::1", "Comma-separated addresses of the reverse proxies whose "
            "X-Forwarded-* headers are trusted when TRUST_PROXY is on.", _str),
    Setting("HSTS_SECONDS", 31_536_000, "Strict-Transport-Security max-age sent on responses served over HTTPS "
            "(0: no header).", int),
    Setting("SESSION_HOURS", 12, "Lifetime of a console login session, in hours (ended earlier by logout, "
            "a password change or disabling the user).", int),
    Setting("LOGIN_MAX_FAILURES", 5, "Failed logins of one account (console, API, Digest, Basic) within "
            "LOGIN_WINDOW_MINUTES that lock it for LOGIN_LOCK_MINUTES.", int),
    Setting("LOGIN_ADDRESS_MAX_FAILURES", 50, "Failed logins from one client address within LOGIN_WINDOW_MINUTES "
            "that lock the address for LOGIN_LOCK_MINUTES (higher than per account: villages share mobile "
            "carrier addresses).", int),
    Setting("LOGIN_WINDOW_MINUTES", 15, "Window in which failed logins are counted, in minutes.", int),
    Setting("LOGIN_LOCK_MINUTES", 15, "How long a lock lasts, in minutes (`shoudi users unlock` or the "
            "console's user page lift it earlier).", int),
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
    Setting("THREADS", 16, "`shoudi serve`: threads per worker (gthread worker, keep-alive capable). Each "
            "upload in progress holds one thread while its body arrives (slow mobile networks); request heads "
            "are read without a thread.", int),
    Setting("HEADER_TIMEOUT", 15, "`shoudi serve`: seconds a client has to send a complete request head "
            "(request line and headers); slower connections are closed (slowloris).", float),
    Setting("READ_TIMEOUT", 30, "`shoudi serve`: seconds any single read of a request body may wait for data; "
            "an upload that stalls longer is answered 408.", float),
    Setting("LINGER_SECONDS", 10, "`shoudi serve`: after refusing a request before reading its body (413, 401…), "
            "seconds spent reading and discarding the rest (while it arrives at 32 KB/s or more, up to 512 MB or twice "
            "MAX_BODY_BYTES) so the client reads the answer instead of a connection reset.", float),
    Setting("PROCESSORS", 1, "`shoudi serve`: background processes (niced) that parse, score and register "
            "new submissions, so bursts of uploads are acknowledged at full speed. 0: each web worker "
            "processes right after its 201 (PROCESS_INLINE) and sweeps leftovers every minute.", int),
    Setting("DRAIN_HELPERS", 1, "`shoudi serve` on PostgreSQL: extra processors (niced) that claim work only "
            "while a backlog waits and no submission arrived for a quarter of a second, so a backlog left by a burst of "
            "uploads is cleared on every core without slowing the acknowledgements. 0: none.", int),
    Setting("JOB_WORKERS", 1, "`shoudi serve`: background job processes (`shoudi worker`: exports, re-scoring, "
            "department data comparison). 0: run `shoudi worker` yourself (e.g. on another machine).", int),
    Setting("RETRY_MAX_SECONDS", 30.0, "Background loops (processors, drain helpers, job workers, the pending "
            "sweep) never stop on a database outage: they retry with a back-off doubling from 0.5 s up to this "
            "many seconds, logging the outage once when it starts and once when it ends.", float),
    Setting("RESTART_LIMIT", 10, "`shoudi serve`: restarts of one child process (processor, drain helper, job "
            "worker) allowed within 10 minutes, with a back-off doubling from 1 s up to 60 s; past it the "
            "child stays down (logged, and `/healthz` answers 503). 0: never restart.", int),
    Setting("HEARTBEAT_SECONDS", 10.0, "How often each background process renews its liveness row in the "
            "database (read by `/healthz` and `/metrics` on every node).", float),
    Setting("HEALTH_STALE_SECONDS", 60.0, "`/healthz`: a background process whose heartbeat is older than this "
            "counts as dead.", float),
    Setting("HEALTH_PENDING_SECONDS", 600.0, "`/healthz`: answer 503 when the oldest submission still waiting "
            "for processing was received longer ago than this.", float),
    Setting("HEALTH_JOB_WAIT_SECONDS", 900.0, "`/healthz`: answer 503 when a queued background job has waited "
            "longer than this for a worker.", float),
    Setting("HEALTH_EXPECT", None, "`/healthz`: background roles that must have a live process, comma-separated "
            "(`processor`, `job_worker`). Default: those this node's `shoudi serve` starts (a node serving "
            "only the web lists here what other nodes run).", _roles),
    Setting("METRICS_TOKEN", None, "Bearer token a Prometheus scraper sends to `/metrics` "
            "(`Authorization: Bearer …`). Unset: `/metrics` answers only clients on the loopback address.",
            _opt_str),
    Setting("TMP_GRACE_SECONDS", 3600.0, "Partial uploads left in `<DATA_DIR>/blobs/tmp` by a crash are deleted "
            "at start once unmodified for this long.", float),
    Setting("DB_POOL_SIZE", 5, "Database connection pool size per worker process (PostgreSQL).", int),
    Setting("CALENDAR_FILE", None, "Working-day calendar JSON (public holidays, adjusted working days) for "
            "workflow deadlines. Default: the packaged State Council data 2020–2026.", _opt_str),
    Setting("WORKFLOW_REGIONS_FILE", None, "JSON choosing the procedure (and parameters) per region-code prefix; "
            "see docs/workflow.md. Default: Inner Mongolia 8 steps under 15…, simplified elsewhere.", _opt_str),
    Setting("IMPORT_MAX_ROWS", 1_000_000, "Region and department-data imports: most rows read from one file "
            "(a larger file is refused: split it).", int),
    Setting("IMPORT_MAX_CELL_CHARS", 32_767, "Imports: longest cell accepted (Excel's own limit).", int),
    Setting("IMPORT_MAX_XLSX_BYTES", 300_000_000, "Imports: largest total uncompressed size of an .xlsx file's "
            "members, checked before the workbook is opened (zip bombs).", int),
    Setting("IMPORT_MAX_XLSX_RATIO", 100, "Imports: largest compression ratio of an .xlsx member above 1 MB "
            "(zip bombs).", int),
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
