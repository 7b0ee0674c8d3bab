"""The REST API (JSON) under /api/v1: regions, users, households, members, submissions, assessments,
workflow cases and transitions, department comparison imports, jobs. See docs/api.md."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import accounts, cases, comparison, held, households, openapi  # noqa: E402,F401  (routes)
