"""shoudi server: Flask app factory. See docs/architecture.md."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings (config > SHOUDI_* env > defaults), database, storage, logging, blueprints."""
    from server import db, errors, guards, logs, plugins, storage
    from server.config import ensure_secret_key, load_settings

    settings = load_settings(config)
    Path(settings["DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    secret_given = bool(settings.get("SECRET_KEY"))
    ensure_secret_key(settings)

    app = Flask("server", static_folder=None)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_BODY_BYTES"]
    # Bodies are streamed to temporary files by werkzeug; never hold a whole part in memory.
    app.config["MAX_FORM_MEMORY_SIZE"] = 1_000_000

    from server import transport
    transport.init_app(app)     # X-Forwarded-* only from TRUSTED_PROXIES; Secure cookies + HSTS over HTTPS

    plugins.load_models()
    logs.init_app(app)
    db.init_app(app)
    if not secret_given:   # several nodes share one key: the database's (server/instance_secret.py)
        from server.instance_secret import shared_secret_key
        app.config["SECRET_KEY"] = shared_secret_key(db.get_db(app).engine, settings["SECRET_KEY"])
    storage.init_app(app)
    errors.init_app(app)
    guards.init_app(app)
    for blueprint in plugins.blueprints():
        app.register_blueprint(blueprint)
    return app
