"""`GET /healthz`: the database answers and the blob store is writable."""
from __future__ import annotations

import os

from flask import Blueprint, jsonify
from sqlalchemy import text

from server.db import get_session
from server.storage import get_blobs

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    get_session().execute(text("SELECT 1"))
    writable = get_blobs().writable()
    return jsonify({"database": "ok", "storage": "ok" if writable else "read-only"}), (200 if writable else 503)
