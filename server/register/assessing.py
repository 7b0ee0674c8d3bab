"""Scoring a household version under the policy in force (``scoring.load_policy`` +
``scoring.assess``) and storing the result with the policy version used."""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models.base import utcnow

from . import audit
from .models import Assessment, Household, HouseholdVersion


# Statuses in which the household's category still follows scoring; after identification the
# category decided then is kept (the assessment keeps its own) until the household leaves monitoring.
UNDECIDED = ("registered", "identifying", "not_admitted")


def history_for(session: Session, household: Household) -> dict:
    """The scoring history of docs/household-record.md, built from the register."""
    previous = list(session.scalars(select(Assessment.result).where(Assessment.household_id == household.id)
                                    .order_by(Assessment.id.desc()).limit(4)))
    record = household.current_version.record if household.current_version else {}
    return {
        "overrides": _overrides(session, household),
        "identified_on": household.identified_on.isoformat() if household.identified_on else None,
        "category": household.category,
        "measures": list(record.get("measures") or []),
        "assessments": list(reversed(previous)),
        "previous_net": (record.get("income") or {}).get("previous_net"),
        "monitoring_start": household.identified_on.isoformat() if household.identified_on else None,
    }


def _overrides(session: Session, household: Household) -> list[dict]:
    """County overrides of department exclusion warnings, as scoring's ``history.overrides``: the
    exclusion rule of the warning's code is then reported as overridden, with the reason."""
    from scoring.rules import EXCLUSION_RULE

    from server.models import User

    from .models import ComparisonWarning
    rows = session.execute(select(ComparisonWarning, User.username)
                           .outerjoin(User, User.id == ComparisonWarning.decided_by)
                           .where(ComparisonWarning.household_id == household.id,
                                  ComparisonWarning.status == "overridden").order_by(ComparisonWarning.id))
    out = []
    for warning, username in rows:
        rule_id = EXCLUSION_RULE.get(warning.exclusion)
        if rule_id:
            out.append({"rule_id": rule_id, "reason": warning.reason or "", "by": username or "",
                        "on": warning.decided_at.date().isoformat() if warning.decided_at else None})
    return out


def summary(result: Mapping[str, Any]) -> dict:
    """Category and the two eligibilities the workflow guards read, from ``Assessment.to_dict()``:
    a household is eligible for identification when scoring assigns it a monitoring category; it is
    eligible for risk elimination when the elimination assessment (elimination form) says so."""
    category = result.get("category")
    elimination = result.get("elimination")
    elimination_eligible = elimination.get("eligible") if isinstance(elimination, Mapping) else None
    return {"category": category, "eligible": category is not None,
            "elimination_eligible": elimination_eligible}


def policy_year(record: Mapping, as_of: date | None) -> int:
    survey = record.get("survey_date")
    if survey:
        try:
            return date.fromisoformat(survey[:10]).year
        except ValueError:
            pass
    from server.workflow import china_today
    return (as_of or china_today()).year


def score_record(session: Session, household: Household | None, record: Mapping, *, region_code: str,
                 year: int | None = None, as_of: date | None = None):
    """Score a record under the policy of its region and year; returns ``(result dict, policy)``.

    Raises ``scoring.PolicyNotFound`` when no policy covers the region and year.
    """
    import scoring

    from server.policies import policy_for

    year = year or policy_year(record, as_of)
    policy = policy_for(session, region_code, year)
    history = history_for(session, household) if household is not None else None
    return scoring.assess(dict(record), policy, history, as_of).to_dict(), policy


def store_assessment(session: Session, household: Household, version: HouseholdVersion | None, result: dict,
                     policy, *, job_id: int | None = None, actor: Any = None) -> Assessment:  # noqa: ANN001
    """Store a result with its policy version; the household's category follows it until the
    household is identified."""
    facts = summary(result)
    assessment = Assessment(household_id=household.id, household_version_id=version.id if version else None,
                            policy_region=policy.region_code, policy_year=policy.year,
                            policy_version=str(policy.version), category=facts["category"],
                            eligible=facts["eligible"], elimination_eligible=facts["elimination_eligible"],
                            result=result, job_id=job_id)
    session.add(assessment)
    session.flush()
    before = household.category
    household.current_assessment = assessment
    if household.status in UNDECIDED:
        household.category = facts["category"]     # once identified, the decided category stays
    household.updated_at = utcnow()
    audit.record(session, "assessment.create", actor=actor, entity_type="assessment", entity_id=assessment.id,
                 household_id=household.id, region_code=household.region_code,
                 before={"category": before},
                 after={"category": household.category, "scored_category": facts["category"],
                        "eligible": facts["eligible"],
                        "policy_version": assessment.policy_version, "policy_year": policy.year,
                        "job_id": job_id})
    return assessment


def assess_version(session: Session, household: Household, version: HouseholdVersion, *,
                   year: int | None = None, as_of: date | None = None, job_id: int | None = None,
                   actor: Any = None) -> Assessment:
    """Score a stored version and store the assessment (re-scoring)."""
    result, policy = score_record(session, household, version.record, region_code=household.region_code,
                                  year=year, as_of=as_of)
    return store_assessment(session, household, version, result, policy, job_id=job_id, actor=actor)
