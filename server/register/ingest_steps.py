"""Processing steps the register adds to the ingest pipeline (after the foundation's "parse").

"score": the parsed record, laid over the household's current record when it updates one, is scored
under ``scoring.load_policy(region, year)`` (year of the survey date); "register": the household, its
new version and the assessment are written. When no policy covers the region and year the record is
still registered, unscored, and the audit log says why. A self-declaration opens an identification case (entry channel
self_declaration) when none is open. Submissions without a household record are left alone.
"""
from __future__ import annotations

from sqlalchemy.orm import lazyload

from server.ingest import ProcessingError, StepContext

from .assessing import score_record, store_assessment
from .households import RegisterError, apply_record, find_household, merge_record


def _entity(ctx: StepContext) -> dict:
    entity = getattr(ctx.parsed, "entity", None)
    if entity is None:
        return {}
    if isinstance(entity, dict):
        data = entity
    else:
        data = {k: getattr(entity, k, None) for k in ("dataset", "id", "create", "update", "base_version",
                                                      "baseVersion", "label")}
    base = data.get("base_version", data.get("baseVersion"))
    return {"id": data.get("id"), "base_version": int(base) if base not in (None, "") else None,
            "dataset": data.get("dataset")}


def _household_record(ctx: StepContext) -> dict | None:
    record = ctx.record
    if not record or not (record.get("region_code") or record.get("entity_id") or _entity(ctx).get("id")):
        return None
    return record


def score(ctx: StepContext) -> None:
    record = _household_record(ctx)
    if record is None or _rejected(ctx):
        return
    import scoring

    entity = _entity(ctx)
    review = ctx.results.get("review")        # a reviewer applies a held version (server/register/holds.py)
    if review is not None and review.get("household") is not None:
        household = review["household"]
    else:
        household = find_household(ctx.session, record, entity.get("id"), lock=True)  # parallel processors
    ctx.results["household"] = household
    held = _region_rule(ctx, record, entity, household, review)
    if held is not None:
        ctx.results["hold"] = held            # not applied: the register step keeps it for review
        return
    current = household.current_version.record if household and household.current_version else None
    merged = merge_record(current, record)
    region = merged.get("region_code") or (household.region_code if household else None)
    if not region:
        raise ProcessingError("the record names no region (region_code)")
    try:
        result, policy = score_record(ctx.session, household, merged, region_code=region)
    except scoring.PolicyNotFound as exc:
        # The record is still applied (without an assessment) and the gap is audited; the workflow
        # then shows "assessment missing" and a re-scoring job fills it in once a policy exists.
        ctx.results["unscored"] = str(exc)
        return
    ctx.results["score"] = (result, policy)


def _region_rule(ctx: StepContext, record: dict, entity: dict, household, review: dict | None):  # noqa: ANN001, ANN202
    """The guard's rule (server/register/guard.py) for this record: a Hold, or None to apply it."""
    from server.models import Region

    from . import guard
    region = record.get("region_code") or (household.region_code if household is not None else None)
    if household is None and (not region or ctx.session.get(Region, region) is None):
        return None       # no region, or an unknown one: the register step fails it (retryable)
    if review is not None:
        actor = review["actor"]
        who = guard.Submitter(actor.role, tuple(actor.region_codes))
    else:
        who = guard.submitter_of(ctx.session, ctx.version.submitter_id)
    others = guard.other_households(ctx.session, household.id if household is not None else None,
                                    guard.member_ids(record))
    from .households import _bare_uuid
    project = getattr(ctx, "project", None)
    return guard.check(who, project_region=project.region_code if project is not None else None,
                       record_region=region, household_id=household.id if household is not None else None,
                       household_region=household.region_code if household is not None else None,
                       matched=guard.matched_by(record, _bare_uuid(entity.get("id") or record.get("entity_id")),
                                                household),
                       others=others, ignore_project=review is not None, ignore_members=review is not None)


score.step_name = "score"
score.warm_up = lambda: __import__("scoring")


def _rejected(ctx: StepContext) -> bool:
    """A version a reviewer rejected stays rejected when it is processed again (`reprocess --force`)."""
    return getattr(ctx.version, "processing_state", None) == "rejected" and "review" not in ctx.results


def apply_to_register(ctx: StepContext) -> None:
    record = _household_record(ctx)
    if record is None:
        return
    if _rejected(ctx):
        ctx.outcome = "rejected"
        return
    submitter = ctx.version.submitter_id
    from server.models import User
    # The audit entries need the actor's id and name only: its regions are not loaded.
    actor = ctx.session.get(User, submitter, options=[lazyload(User.regions)]) if submitter else None
    if "household" not in ctx.results:        # the score step did not run: the rule is asked here
        entity = _entity(ctx)
        ctx.results["household"] = find_household(ctx.session, record, entity.get("id"), lock=True)
        held = _region_rule(ctx, record, entity, ctx.results["household"], ctx.results.get("review"))
        if held is not None:
            ctx.results["hold"] = held
    if "hold" in ctx.results:
        from .holds import hold
        hold(ctx.session, ctx.version, ctx.results["hold"], actor=actor, entity=_entity(ctx))
        ctx.outcome = "held"
        return
    review = ctx.results.get("review")
    if review is not None:
        actor = review["actor"]
    try:
        applied = apply_record(ctx.session, record, entity=_entity(ctx), submission_version_id=ctx.version.id,
                               form_id=ctx.form.xml_form_id, actor=actor, household=ctx.results.get("household"),
                               looked_up="household" in ctx.results)
    except RegisterError as exc:
        raise ProcessingError(str(exc)) from exc
    if "score" in ctx.results:
        result, policy = ctx.results["score"]
        store_assessment(ctx.session, applied.household, applied.version, result, policy, actor=actor)
    elif "unscored" in ctx.results:
        from . import audit
        audit.record(ctx.session, "assessment.create", actor=actor, entity_type="household_version",
                     entity_id=applied.version.id, household_id=applied.household.id,
                     region_code=applied.household.region_code, after={"unscored": ctx.results["unscored"]})
    if record.get("self_declaration"):
        from sqlalchemy import select

        from .cases import open_case
        from .models import WorkflowCase
        open_exists = ctx.session.scalar(select(WorkflowCase.id).where(
            WorkflowCase.household_id == applied.household.id, WorkflowCase.kind == "identification",
            WorkflowCase.open))
        if open_exists is None and applied.household.status in ("registered", "not_admitted"):
            open_case(ctx.session, applied.household, "identification", entry_channel="self_declaration",
                      actor=actor)
    ctx.results["household_id"] = applied.household.id
    if review is None and getattr(ctx.version, "processing_state", None) == "held":
        from .holds import close_reprocessed        # processed again and now allowed (e.g. regions changed)
        close_reprocessed(ctx.session, ctx.version.id, applied.household.id)


apply_to_register.step_name = "register"


def _write_households(session, ctxs):  # noqa: ANN001, ANN202
    """Batch writer of score + register for a processor's claimed batch (server/register/batch.py)."""
    from .batch import write_households
    return write_households(session, ctxs)


_write_households.step_names = ("score", "register")
apply_to_register.batch_writer = _write_households
