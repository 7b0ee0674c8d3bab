"""The site root: people type the server's address and expect the console."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for

bp = Blueprint("root", __name__)


@bp.get("/")
def root():  # noqa: ANN201
    return redirect(url_for("console.index"))


@bp.get("/favicon.ico")
def favicon():  # noqa: ANN201
    """Browsers ask for /favicon.ico on their own: the console's icon (a small static SVG)."""
    return redirect(url_for("console.static", filename="favicon.svg"), code=301)
