"""The site root: people type the server's address and expect the console."""
from __future__ import annotations

from flask import Blueprint, redirect, url_for

bp = Blueprint("root", __name__)


@bp.get("/")
def root():  # noqa: ANN201
    return redirect(url_for("console.index"))
