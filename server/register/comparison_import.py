"""Department data comparison as a job: store the file, stream it against the region's members,
write warnings in batches, then replace the earlier batch of the same source and region.

Decisions county staff already took (confirmed/overridden, with reason) carry over to the identical
warning (same member, source and detail) of the new batch, so a repeated import does not undo work.
"""
from __future__ import annotations

from typing import IO, Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server.models.base import utcnow
from server.roles import subtree_prefix

from . import audit
from .comparison import SOURCES, ComparisonStats, compare
from .models import ComparisonBatch, ComparisonWarning, Household, Member
from .tables import TableLimits, check_xlsx, current_limits

INSERT_BATCH = 1000


def create_batch(session: Session, blobs, *, source: str, region_code: str, filename: str,  # noqa: ANN001
                 stream: IO[bytes], mapping: dict | None = None, options: dict | None = None,
                 actor: Any = None, limits: TableLimits | None = None) -> ComparisonBatch:
    """Store the uploaded file and queue the comparison job (caller commits). A workbook that would
    inflate beyond the import limits is refused here (`TableError`), before any job is queued."""
    from server.jobs import enqueue

    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        check_xlsx(stream, limits or current_limits())
    blob = blobs.put_stream(stream)
    batch = ComparisonBatch(source=source, region_code=region_code, filename=filename, blob_sha256=blob.sha256,
                            mapping=dict(mapping or {}), options=dict(options or {}), state="queued",
                            created_by=getattr(actor, "id", None))
    session.add(batch)
    session.flush()
    job = enqueue(session, "comparison", {"batch_id": batch.id}, region_code=region_code,
                  created_by=getattr(actor, "id", None))
    batch.job_id = job.id
    audit.record(session, "comparison.import", actor=actor, entity_type="comparison_batch", entity_id=batch.id,
                 region_code=region_code, after={"source": source, "filename": filename, "job_id": job.id,
                                                 "size": blob.size})
    return batch


def members_index(session: Session, region_code: str) -> dict[str, tuple[int, int]]:
    """Normalised 证件号码 → (household id, member id) for the active members of the region."""
    prefix = subtree_prefix(region_code)
    rows = session.execute(select(Member.id_number, Member.household_id, Member.id)
                           .join(Household, Household.id == Member.household_id)
                           .where(Household.region_code.startswith(prefix, autoescape=True), Member.active)
                           .execution_options(yield_per=5000))
    return {id_number: (household_id, member_id) for id_number, household_id, member_id in rows}


def _decision_key(member_id, source, detail) -> tuple:  # noqa: ANN001
    return member_id, source, tuple(sorted((detail or {}).items()))


def run_job(ctx) -> dict:  # noqa: ANN001
    from server.storage import get_blobs

    batch_id = ctx.params["batch_id"]
    with ctx.sessionmaker() as session:
        batch = session.get(ComparisonBatch, batch_id)
        batch.state = "running"
        # a retried job starts over
        session.execute(delete(ComparisonWarning).where(ComparisonWarning.batch_id == batch_id))
        session.commit()
        source, region_code, sha = batch.source, batch.region_code, batch.blob_sha256
        filename, mapping, options = batch.filename, dict(batch.mapping), dict(batch.options)
        index = members_index(session, region_code)
    stats = ComparisonStats()
    pending: list[dict] = []
    blobs = get_blobs(ctx.app)
    try:
        with blobs.open(sha) as stream, ctx.sessionmaker() as session:
            for hit in compare(source, stream, index, filename=filename, mapping=mapping or None,
                               options=options, stats=stats):
                household_id, member_id = hit.member_ref
                pending.append({"batch_id": batch_id, "household_id": household_id, "member_id": member_id,
                                "source": hit.source, "exclusion": hit.exclusion, "record_date": hit.record_date,
                                "detail": hit.detail, "row_number": hit.row_number, "status": "open"})
                if len(pending) >= INSERT_BATCH:
                    session.execute(ComparisonWarning.__table__.insert(), pending)
                    session.commit()
                    pending.clear()
                ctx.progress(stats.rows, None, f"{stats.rows} rows, {stats.matched} matches")
            if pending:
                session.execute(ComparisonWarning.__table__.insert(), pending)
            session.commit()
    except Exception:
        with ctx.sessionmaker() as session:
            session.execute(update(ComparisonBatch).where(ComparisonBatch.id == batch_id)
                            .values(state="failed", stats=stats.to_dict()))
            session.commit()
        raise
    carried = _replace_earlier(ctx, batch_id, source, region_code)
    with ctx.sessionmaker() as session:
        session.execute(update(ComparisonBatch).where(ComparisonBatch.id == batch_id)
                        .values(state="done", stats={**stats.to_dict(), "decisions_carried_over": carried}))
        session.commit()
    ctx.progress(stats.rows, stats.rows, "done", force=True)
    return {**stats.to_dict(), "decisions_carried_over": carried}


def _replace_earlier(ctx, batch_id: int, source: str, region_code: str) -> int:  # noqa: ANN001
    """Drop the warnings of earlier batches of this source and region, keeping their decisions."""
    with ctx.sessionmaker() as session:
        earlier = list(session.scalars(select(ComparisonBatch.id).where(
            ComparisonBatch.source == source, ComparisonBatch.region_code == region_code,
            ComparisonBatch.id != batch_id, ComparisonBatch.state == "done")))
        if not earlier:
            return 0
        decided = {
            _decision_key(w.member_id, w.source, w.detail): w
            for w in session.scalars(select(ComparisonWarning).where(
                ComparisonWarning.batch_id.in_(earlier), ComparisonWarning.status != "open"))}
        carried = 0
        if decided:
            for warning in session.scalars(select(ComparisonWarning).where(ComparisonWarning.batch_id == batch_id)):
                old = decided.get(_decision_key(warning.member_id, warning.source, warning.detail))
                if old is not None:
                    warning.status, warning.reason = old.status, old.reason
                    warning.decided_by, warning.decided_at = old.decided_by, old.decided_at
                    carried += 1
        session.execute(delete(ComparisonWarning).where(ComparisonWarning.batch_id.in_(earlier)))
        session.execute(update(ComparisonBatch).where(ComparisonBatch.id.in_(earlier)).values(state="replaced"))
        session.commit()
        return carried


def decide(session: Session, warning: ComparisonWarning, status: str, reason: str, actor: Any) -> None:
    """County staff confirm a warning (the exclusion applies) or override it with a reason."""
    if status not in ("confirmed", "overridden", "open"):
        raise ValueError(status)
    household = session.get(Household, warning.household_id)
    before = {"status": warning.status, "reason": warning.reason}
    warning.status, warning.reason = status, reason
    warning.decided_by, warning.decided_at = getattr(actor, "id", None), utcnow()
    audit.record(session, "warning.decision", actor=actor, entity_type="comparison_warning", entity_id=warning.id,
                 household_id=warning.household_id, region_code=household.region_code if household else None,
                 before=before, after={"status": status, "reason": reason, "source": warning.source,
                                       "exclusion": warning.exclusion})
