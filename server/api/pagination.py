"""Page/per_page pagination for list endpoints: ``{"items", "page", "per_page", "total"}``."""
from __future__ import annotations

from flask import request
from sqlalchemy import func, select

from .problems import problem

MAX_PER_PAGE = 500


def page_args() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError:
        raise problem(422, "validation", "分页参数无效。page and per_page must be integers.") from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise problem(422, "validation", f"page ≥ 1, 1 ≤ per_page ≤ {MAX_PER_PAGE}")
    return page, per_page


def paginate(session, query, dump) -> dict:  # noqa: ANN001
    """Run ``query`` (a select of ORM rows) for the requested page; ``dump`` turns a row into JSON."""
    page, per_page = page_args()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return {"items": [dump(r) for r in rows], "page": page, "per_page": per_page, "total": total}
