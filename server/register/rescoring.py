"""Re-scoring every household of a region under a (changed) policy: a background job with progress."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from .assessing import assess_version
from .models import Household

BATCH = 200


def run_job(ctx) -> dict:  # noqa: ANN001
    """Job params: ``region_code`` (any level), optional ``year`` (default: each record's survey year)
    and ``as_of`` (ISO date). Commits per batch so progress and results survive a crash."""
    from server.roles import subtree_prefix

    prefix = subtree_prefix(ctx.params["region_code"])
    year = ctx.params.get("year")
    as_of = date.fromisoformat(ctx.params["as_of"]) if ctx.params.get("as_of") else None
    scope = Household.region_code.startswith(prefix, autoescape=True)
    with ctx.sessionmaker() as session:
        total = session.scalar(select(func.count()).select_from(Household).where(
            scope, Household.current_version_id.is_not(None)))
    ctx.progress(0, total, "re-scoring", force=True)
    done, categories_changed, last_id = 0, 0, 0
    while True:
        with ctx.sessionmaker() as session:
            batch = list(session.scalars(select(Household).where(
                scope, Household.current_version_id.is_not(None), Household.id > last_id)
                .order_by(Household.id).limit(BATCH)))
            if not batch:
                break
            for household in batch:
                before = household.category
                assess_version(session, household, household.current_version, year=year, as_of=as_of,
                               job_id=ctx.job_id)
                categories_changed += household.category != before
                last_id = household.id
            session.commit()
        done += len(batch)
        ctx.progress(done, total)
    ctx.progress(done, total, "done", force=True)
    return {"households": done, "categories_changed": categories_changed}
