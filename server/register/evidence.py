"""Evidence is immutable: who may add or change a submission's attachments (issue #12 §1).

A submission's files arrive with it or, for a split upload, with resubmissions of the identical XML.
Rules, checked under the intake's write transaction:

- only the original submitter may add a missing attachment or change one; anyone else's resubmission
  with a file that is not already there is refused (403) — identical files stay idempotent;
- once the authorization step of the household a submission produced has been taken (a transition
  whose guard is the 承诺授权书 photo: ``authorize``, or ``visit``/``visit_direct`` of the simplified
  procedure), none of its files can be replaced any more (409), neither by a resubmission nor by an
  edit (deprecatedID) uploading another file under a name the previous version already holds;
- every change and every refusal is in the audit log (``attachment.add``, ``attachment.replace``,
  ``attachment.refused``) with the file name and content hashes, never the content.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from . import audit
from .models import Household, HouseholdVersion, WorkflowCase, WorkflowStep

AUTHORIZATION_GUARD = "authorization_photo"

NOT_SUBMITTER = ("只有原提交人可以补传或更换该提交的附件。",
                 "Only the original submitter may add or change this submission's attachments.")
LOCKED = ("该户已完成承诺授权书环节，授权照片和签名等附件不能再被替换。",
          "The household's authorization step has been taken: its attachments can no longer be replaced.")


@lru_cache(maxsize=1)
def authorization_steps() -> tuple[tuple[str, str], ...]:
    """(procedure, transition) of every step that takes the signed authorization (its photo guard)."""
    from server.workflow import PROCEDURES
    return tuple(sorted((p.name, t.name) for p in PROCEDURES.values() for t in p.transitions
                        if AUTHORIZATION_GUARD in (t.guards or ())))


def households_of(session: Session, submission_id: int) -> list[Household]:
    """The households versions of this submission were applied to."""
    from server.models import SubmissionVersion
    ids = select(HouseholdVersion.household_id).join(
        SubmissionVersion, SubmissionVersion.id == HouseholdVersion.submission_version_id).where(
        SubmissionVersion.submission_id == submission_id)
    return list(session.scalars(select(Household).where(Household.id.in_(ids)).order_by(Household.id)))


def authorization_taken(session: Session, household_ids: list[int]) -> bool:
    if not household_ids:
        return False
    steps = authorization_steps()
    if not steps:
        return False
    found = session.scalar(select(WorkflowStep.id).join(WorkflowCase, WorkflowCase.id == WorkflowStep.case_id).where(
        WorkflowCase.household_id.in_(household_ids),
        or_(*[and_(WorkflowCase.procedure == p, WorkflowStep.transition == t) for p, t in steps])).limit(1))
    return found is not None


class Ledger:
    """The attachment changes of one intake request: checked and audited against the submission."""

    def __init__(self, session: Session, version: Any, submitter_id: int | None) -> None:
        self.session, self.version, self.submitter_id = session, version, submitter_id
        self._households: list[Household] | None = None
        self._locked: bool | None = None

    @property
    def households(self) -> list[Household]:
        if self._households is None:
            self._households = households_of(self.session, self.version.submission_id)
        return self._households

    @property
    def locked(self) -> bool:
        if self._locked is None:
            self._locked = authorization_taken(self.session, [h.id for h in self.households])
        return self._locked

    def _where(self) -> dict:
        h = self.households[0] if self.households else None
        return {"household_id": h.id if h else None, "region_code": h.region_code if h else None}

    def _actor(self):  # noqa: ANN202
        from server.models import User
        return self.session.get(User, self.submitter_id) if self.submitter_id else None

    def refusal(self, name: str, before: str | None, after: str, *, why: str) -> tuple[int, str, str]:
        """Audit a refused change (the caller commits it and answers the error returned)."""
        audit.record(self.session, "attachment.refused", actor=self._actor(), entity_type="submission_version",
                     entity_id=self.version.id, **self._where(),
                     before={"name": name, "sha256": before},
                     after={"name": name, "sha256": after, "why": why,
                            "original_submitter_id": self.version.submitter_id})
        zh, en = NOT_SUBMITTER if why == "not_submitter" else LOCKED
        return (403 if why == "not_submitter" else 409), zh, en

    def check(self, name: str, before: str | None, after: str, *, edit: bool = False) -> tuple[int, str, str] | None:
        """None when this change may be made; else the refusal (already audited)."""
        if not edit and self.submitter_id != self.version.submitter_id:
            return self.refusal(name, before, after, why="not_submitter")
        if before is not None and self.locked:
            return self.refusal(name, before, after, why="authorization_taken")
        return None

    def changed(self, name: str, before: str | None, after: str) -> None:
        audit.record(self.session, "attachment.replace" if before else "attachment.add", actor=self._actor(),
                     entity_type="submission_version", entity_id=self.version.id, **self._where(),
                     before={"name": name, "sha256": before} if before else None,
                     after={"name": name, "sha256": after})
