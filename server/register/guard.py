"""Where a submission may write: the region rule of the register (issue #12 §1).

A submission may create or change a household only where its submitter may act
(``server.roles.may_act_in`` with the submitter's role and bound regions) and inside its project's
region — both the region the record names and the current region of the household it matched (by
entity id, 户编号 or the head's 证件号码). A member listed by the record who is registered in another
household is never moved silently: the submission is a conflict for staff. What fails the rule is not
applied but held for review (``server.register.holds``).

``check`` is the rule itself, on plain values; the step-by-step path (``ingest_steps.score``) and the
batch writer (``batch.write_households``) both call it, so they decide alike. ``Hold`` carries the
reason as a code plus zh/en text and the regions it concerns — never 证件号码 or names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from server.roles import may_act_in, region_contains

# reason code → (zh, en). One place for the texts (API, console, audit).
REASONS: dict[str, tuple[str, str]] = {
    "record_outside_submitter": ("记录所填区划不在提交人的负责区域内",
                                 "The record's region is outside the submitter's regions"),
    "household_outside_submitter": ("按{via}匹配到的农户不在提交人的负责区域内",
                                    "The household matched by {via_en} lies outside the submitter's regions"),
    "record_outside_project": ("记录所填区划不在项目范围内", "The record's region is outside the project's region"),
    "household_outside_project": ("按{via}匹配到的农户不在项目范围内",
                                  "The household matched by {via_en} lies outside the project's region"),
    "member_in_other_household": ("{n} 名成员已登记在其他农户，不能自动迁入",
                                  "{n} member(s) are registered in another household and are not moved "
                                  "automatically"),
}
MATCHED_BY = {"entity": ("实体编号", "entity id"), "household_no": ("户编号", "household number"),
              "head_id": ("户主证件号码", "the head's ID number")}


@dataclass(frozen=True)
class Submitter:
    """Who submitted: role and bound regions (None: the system, e.g. a record without a user)."""
    role: str | None
    regions: tuple[str, ...] = ()

    def may_act_in(self, code: str | None) -> bool:
        if self.role is None:
            return True
        return bool(code) and may_act_in(self.regions, self.role, code)


@dataclass(frozen=True)
class Hold:
    reason: str
    zh: str
    en: str
    record_region: str | None
    household_id: int | None
    household_region: str | None
    matched_by: str | None
    others: tuple[tuple[int, str], ...] = field(default=())  # (household id, region) members come from

    @property
    def regions(self) -> list[str]:
        """Every region the held submission concerns (staff of any of them see it)."""
        out = [r for r in (self.record_region, self.household_region) if r]
        out += [r for _h, r in self.others if r]
        return sorted(set(out))

    def to_detail(self) -> dict:
        return {"reason": self.reason, "zh": self.zh, "en": self.en, "record_region": self.record_region,
                "household_id": self.household_id, "household_region": self.household_region,
                "matched_by": self.matched_by,
                "other_households": [{"household_id": h, "region_code": r} for h, r in self.others]}


def matched_by(record: Mapping, entity_id: str | None, household) -> str | None:  # noqa: ANN001
    """How ``find_household`` found ``household`` for this record (same order: entity, 户编号, head)."""
    if household is None:
        return None
    if entity_id and household.entity_id == entity_id:
        return "entity"
    if record.get("household_no") and household.household_no == record.get("household_no"):
        return "household_no"
    return "head_id"


def check(submitter: Submitter, *, project_region: str | None, record_region: str | None,
          household_id: int | None, household_region: str | None, matched: str | None,
          others: Iterable[tuple[int, str]] = (), ignore_project: bool = False,
          ignore_members: bool = False) -> Hold | None:
    """The first rule a submission fails, or None when it may be applied.

    ``record_region``: the region the record names (else the household's); ``others``: (household id,
    region) of households that members listed by the record are registered in now.
    ``ignore_project`` / ``ignore_members``: a reviewer's decision (staff apply a held submission
    knowingly; they must still be allowed to act in every region it touches).
    """
    others = tuple(sorted(set(others)))
    via_zh, via_en = MATCHED_BY.get(matched or "", ("", ""))

    def hold(reason: str) -> Hold:
        zh, en = REASONS[reason]
        fmt = {"via": via_zh, "via_en": via_en, "n": len(others)}
        return Hold(reason, zh.format(**fmt), en.format(**fmt), record_region, household_id, household_region,
                    matched, others)

    if record_region and not submitter.may_act_in(record_region):
        return hold("record_outside_submitter")
    if household_id is not None and not submitter.may_act_in(household_region):
        return hold("household_outside_submitter")
    if not ignore_project and project_region:
        if record_region and not region_contains(project_region, record_region):
            return hold("record_outside_project")
        if household_id is not None and not region_contains(project_region, household_region or ""):
            return hold("household_outside_project")
    if others:
        if ignore_members:
            if not all(submitter.may_act_in(r) for _h, r in others):
                return hold("member_in_other_household")
        else:
            return hold("member_in_other_household")
    return None


def submitter_of(session, user_id: int | None) -> Submitter:  # noqa: ANN001
    """The submitter's role and regions as they are now (a user since moved acts where they are now)."""
    if user_id is None:
        return Submitter(None)
    from server.models import User
    user = session.get(User, user_id)
    if user is None:
        return Submitter("collector", ())
    return Submitter(user.role, tuple(user.region_codes))


def submitters(conn, user_ids: Iterable[int]) -> dict[int, Submitter]:  # noqa: ANN001
    """Several submitters in one statement (the batch writer)."""
    from sqlalchemy import select

    from server.models import User, UserRegion
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    roles: dict[int, str] = {}
    bound: dict[int, list[str]] = {}
    for uid, role, code in conn.execute(select(User.id, User.role, UserRegion.region_code)
                                        .outerjoin(UserRegion, UserRegion.user_id == User.id)
                                        .where(User.id.in_(ids))):
        roles[uid] = role
        if code is not None:
            bound.setdefault(uid, []).append(code)
    return {i: Submitter(roles.get(i, "collector"), tuple(sorted(bound.get(i, ())))) for i in ids}


def other_households(session, household_id: int | None,  # noqa: ANN001
                     id_numbers: Iterable[str]) -> list[tuple[int, str]]:
    """(household id, region) of the households other than ``household_id`` where these 证件号码 are
    registered now."""
    from sqlalchemy import select

    from .models import Household, Member
    ids = sorted(set(id_numbers))
    if not ids:
        return []
    query = (select(Household.id, Household.region_code).join(Member, Member.household_id == Household.id)
             .where(Member.id_number.in_(ids)))
    if household_id is not None:
        query = query.where(Household.id != household_id)
    return sorted(set(session.execute(query.distinct()).all()))


def member_ids(record: Mapping) -> list[str]:
    """The usable 证件号码 of the members a record lists (as ``households._sync_members`` reads them)."""
    from scoring.idcard import is_placeholder

    from .comparison import normalize_id
    out = []
    for data in record.get("members") or []:
        if isinstance(data, Mapping):
            i = normalize_id(data.get("id_number"))
            if i and not is_placeholder(i):
                out.append(i)
    return out
