"""Read queries behind the console pages. Every query is limited to the user's regions with
``server.register.scope.region_condition`` (the one scope filter) and, for a chosen area, the
region subtree prefix of ``server.roles``."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, literal_column, or_, select, true
from sqlalchemy.orm import Session

from server.models import Attachment, Form, Project, Region, SubmissionVersion, User, UserRegion
from server.register.models import Deadline, Household, HouseholdVersion, WorkflowCase
from server.register.scope import code_prefix, region_condition
from server.register.search import search_condition
from server.roles import LEVELS, level_of, subtree_prefix

_PREFIX = {code: n for code, _zh, n in LEVELS}


def in_area(column, area: str | None):  # noqa: ANN001
    """SQL condition: ``column`` lies in the subtree of ``area`` (no condition when area is None)."""
    if not area:
        return true()
    return code_prefix(column, subtree_prefix(area))


def child_prefix_len(area: str | None) -> int:
    """Code length that identifies the children of ``area`` (provinces when no area is given)."""
    if not area:
        return 2
    level = level_of(area)
    codes = [c for c, _zh, _n in LEVELS]
    i = codes.index(level)
    return _PREFIX[codes[min(i + 1, len(codes) - 1)]]


def default_area(user) -> str | None:  # noqa: ANN001
    """The area a user's dashboard opens on: their single bound region, else the common ancestor."""
    codes = sorted(user.region_codes)
    if user.role == "admin" or not codes:
        return None
    if len(codes) == 1:
        return codes[0]
    common = subtree_prefix(codes[0])
    for code in codes[1:]:
        prefix = subtree_prefix(code)
        n = 0
        while n < min(len(common), len(prefix)) and common[n] == prefix[n]:
            n += 1
        common = common[:n]
    for _level, _zh, n in reversed(LEVELS):
        if n <= len(common):
            candidate = common[:n] + "0" * (12 - n)
            if candidate.strip("0"):
                return candidate
    return None


def region_names(session: Session, codes) -> dict[str, str]:  # noqa: ANN001
    codes = list(set(codes))
    if not codes:
        return {}
    return dict(session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())


def region_picker(session: Session, user, area: str | None) -> list[dict]:  # noqa: ANN001
    """The cascading region picker of a list page: one select per level below the user's scope (县 →
    乡镇 → 村…), each listing the children of the choice above it (every one of them, no cap), the
    path to ``area`` selected. Each level: ``{"level", "options": [(code, name)], "selected"}``."""
    from server.roles import may_act_in

    def children(parent: str | None) -> list[tuple[str, str]]:
        condition = Region.parent_code.is_(None) if parent is None else Region.parent_code == parent
        return [tuple(r) for r in session.execute(select(Region.code, Region.name).where(condition)
                                                  .order_by(Region.code))]

    bound = sorted(user.region_codes)
    if user.role == "admin" or not bound:
        options = children(None)
    elif len(bound) == 1:
        options = children(bound[0])
    else:
        names = region_names(session, bound)
        options = [(c, names.get(c, c)) for c in bound]
    chain = {c for c, _n in region_path(session, area)} if area else set()
    levels: list[dict] = []
    while options and len(levels) < 5:
        options = [(c, n) for c, n in options if user.role == "admin" or may_act_in(bound, user.role, c)]
        if not options:
            break
        selected = next((c for c, _n in options if c in chain), None)
        levels.append({"level": level_of(options[0][0]), "options": options, "selected": selected})
        if selected is None or level_of(selected) == "village":
            break
        options = children(selected)
    return levels


def child_regions(session: Session, user, area: str | None) -> list[tuple[str, str]]:  # noqa: ANN001
    """(code, name) of the regions directly below ``area`` (below the top level when None) that the
    user may act in."""
    from server.roles import may_act_in

    condition = Region.parent_code.is_(None) if area is None else Region.parent_code == area
    rows = session.execute(select(Region.code, Region.name).where(condition).order_by(Region.code)).all()
    return [(c, n) for c, n in rows if user.role == "admin" or may_act_in(user.region_codes, user.role, c)]


def picked_area(values: list[str]) -> str | None:
    """The area chosen with the cascading picker: the deepest value that lies under the one above it
    (a lower select left over from an earlier choice is ignored)."""
    from server.roles import parent_code

    area = None
    for value in values:
        if not value:
            break
        try:
            level_of(value)
        except ValueError:
            break
        if area is not None and parent_code(value) != area:
            break
        area = value
    return area


def region_path(session: Session, code: str) -> list[tuple[str, str]]:
    """[(code, name)] from the province down to ``code``."""
    chain = [code[:n] + "0" * (12 - n) for _l, _z, n in LEVELS]
    chain = [c for i, c in enumerate(chain) if c.strip("0") and (i == 0 or c != chain[i - 1])]
    names = region_names(session, chain)
    return [(c, names.get(c, c)) for c in chain]


@dataclass
class AreaCounts:
    """Household counts of one area broken down by category and by register status."""
    code: str
    name: str
    by_category: dict = field(default_factory=lambda: defaultdict(int))
    by_status: dict = field(default_factory=lambda: defaultdict(int))

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def area_counts(session: Session, user, area: str | None) -> list[AreaCounts]:  # noqa: ANN001
    """Counts per child region of ``area`` (townships of a county, villages of a township…)."""
    n = child_prefix_len(area)
    # grouping by the child's code prefix (a literal, identical in SELECT and GROUP BY): one table scan
    child = func.substr(Household.region_code, literal_column("1"), literal_column(str(int(n))))
    rows = session.execute(
        select(child, Household.category, Household.status, func.count())
        .where(region_condition(Household.region_code, user.role, user.region_codes),
               in_area(Household.region_code, area))
        .group_by(child, Household.category, Household.status)).all()
    areas: dict[str, AreaCounts] = {}
    for prefix, category, status, count in rows:
        code = prefix + "0" * (12 - n)
        item = areas.setdefault(code, AreaCounts(code, code))
        item.by_category[category or ""] += count
        item.by_status[status] += count
    names = region_names(session, areas)
    for code, item in areas.items():
        item.name = names.get(code, code)
    return [areas[c] for c in sorted(areas)]


def open_case_counts(session: Session, user, area: str | None) -> list[tuple[str, str, int]]:  # noqa: ANN001
    """(procedure, state, count) of open workflow cases in scope."""
    return [tuple(r) for r in session.execute(
        select(WorkflowCase.procedure, WorkflowCase.state, func.count())
        .join(Household, Household.id == WorkflowCase.household_id)
        .where(WorkflowCase.open.is_(True),
               region_condition(Household.region_code, user.role, user.region_codes),
               in_area(Household.region_code, area))
        .group_by(WorkflowCase.procedure, WorkflowCase.state)
        .order_by(WorkflowCase.procedure, WorkflowCase.state)).all()]


def overdue_deadlines(session: Session, user, area: str | None, today: date, limit: int = 50):  # noqa: ANN001
    """Missed deadlines (``register.cases.overdue``) with their household, in scope."""
    from server.register.cases import overdue

    condition = region_condition(Deadline.region_code, user.role, user.region_codes)
    if area:
        condition = condition & in_area(Deadline.region_code, area)
    rows = overdue(session, condition, today, limit=limit)
    heads = dict(session.execute(select(Household.id, Household.head_name)
                                 .where(Household.id.in_({d.household_id for d in rows}))).all())
    return [(d, heads.get(d.household_id, "")) for d in rows]


def _submissions_in_scope(user, area: str | None):  # noqa: ANN001, ANN202
    """The condition on SubmissionVersion for the user's scope: versions that reached a household in
    scope, those sent by a user bound inside the scope, and (county, admin) those of a project in scope."""
    scope = region_condition(UserRegion.region_code, user.role, user.region_codes)
    if area:
        scope = scope & in_area(UserRegion.region_code, area)
    by_submitter = select(UserRegion.user_id).where(scope)
    household_scope = region_condition(Household.region_code, user.role, user.region_codes)
    if area:
        household_scope = household_scope & in_area(Household.region_code, area)
    by_household = (select(HouseholdVersion.submission_version_id)
                    .join(Household, Household.id == HouseholdVersion.household_id).where(household_scope))
    project_scope = region_condition(Project.region_code, user.role, user.region_codes)
    if area:
        project_scope = project_scope & in_area(Project.region_code, area)
    by_project = select(Form.id).join(Project, Project.id == Form.project_id).where(project_scope)
    return or_(SubmissionVersion.submitter_id.in_(by_submitter), SubmissionVersion.id.in_(by_household),
               SubmissionVersion.form_id.in_(by_project))


def processing_counts(session: Session, user, area: str | None) -> dict[str, int]:  # noqa: ANN001
    """Submission versions in scope by processing state (every state, zeros included): what is waiting
    (pending, encrypted: waiting for decryption), done, not applicable (no register step) or failed."""
    from server.models import PROCESSING_STATES
    rows = session.execute(select(SubmissionVersion.processing_state, func.count())
                           .where(_submissions_in_scope(user, area))
                           .group_by(SubmissionVersion.processing_state)).all()
    found = dict(rows)
    return {state: found.get(state, 0) for state in PROCESSING_STATES}


def failed_submissions(session: Session, user, area: str | None, limit: int = 20):  # noqa: ANN001
    """Recent submission versions in scope (`_submissions_in_scope`) whose processing failed."""
    query = (select(SubmissionVersion, Form.xml_form_id, User.username)
             .join(Form, Form.id == SubmissionVersion.form_id)
             .outerjoin(User, User.id == SubmissionVersion.submitter_id)
             .where(SubmissionVersion.processing_state == "failed", _submissions_in_scope(user, area))
             .order_by(SubmissionVersion.received_at.desc(), SubmissionVersion.id.desc()).limit(limit))
    out = []
    for version, form_id, username in session.execute(query):
        failed = next((e for e in (version.processing_log or []) if e.get("status") == "failed"), {})
        step = failed.get("step") or (version.processing_error or "").split(":", 1)[0]
        out.append({"id": version.id, "instance_id": version.instance_id, "form_id": form_id,
                    "submitter": username or "", "received_at": version.received_at, "step": step,
                    "error": failed.get("error") or "", "attempts": version.processing_attempts})
    return out


# Sortable columns of the household list → what they sort by (乡镇 and 村 follow the region code).
SORTS = {
    "head": (Household.head_name,), "no": (Household.household_no,), "township": (Household.region_code,),
    "village": (Household.region_code,), "category": (Household.category,), "status": (Household.status,),
    "updated": (Household.updated_at,),
}


def households_query(user, *, area: str | None = None, category: str | None = None,  # noqa: ANN001
                     status: str | None = None, q: str | None = None, sort: str | None = None,
                     descending: bool = False):
    """The household list of a user with the page's filters (category ``none`` = no category),
    the search box (``search_condition``) and a sort column of ``SORTS``."""
    query = select(Household).where(region_condition(Household.region_code, user.role, user.region_codes))
    if area:
        query = query.where(in_area(Household.region_code, area))
    if category == "none":
        query = query.where(Household.category.is_(None))
    elif category:
        query = query.where(Household.category == category)
    if status:
        query = query.where(Household.status == status)
    if q and q.strip():
        query = query.where(search_condition(q))
    columns = SORTS.get(sort or "", (Household.region_code,))
    order = [c.desc() if descending else c.asc() for c in columns]
    return query.order_by(*order, Household.id.desc() if descending else Household.id)


MAX_PAGE = 100_000   # deeper pages are past any county's register (and would overflow an OFFSET)


def page_number(text: str | None) -> int:
    """A page number from a query argument (1 when missing or not a positive number)."""
    try:
        return min(max(int(text or 1), 1), MAX_PAGE)
    except (ValueError, OverflowError):
        return 1


def page(session: Session, query, page_no: int, per_page: int) -> tuple[list, int]:  # noqa: ANN001
    """One page of ``query`` (a select of one ORM entity with an ``id``, ordered) and the total count.

    The page's ids are chosen first with a narrow select (ordering and skipping ``(page_no - 1) * per_page``
    rows of ids, which an index serves or a small in-memory sort does), then only those rows are loaded:
    a deep page never sorts or skips whole rows."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    entity = query.column_descriptions[0]["entity"]
    ids = list(session.scalars(query.with_only_columns(entity.id).limit(per_page).offset((page_no - 1) * per_page)))
    if not ids:
        return [], total
    loaded = {row.id: row for row in session.scalars(select(entity).where(entity.id.in_(ids)))}
    return [loaded[i] for i in ids], total


def head_id_numbers(session: Session, households) -> dict[int, str]:  # noqa: ANN001
    """The head's 证件号码 of each household (for masked display in lists)."""
    ids = [h.current_version_id for h in households if h.current_version_id]
    if not ids:
        return {}
    out = {}
    for household_id, record in session.execute(select(HouseholdVersion.household_id, HouseholdVersion.record)
                                                .where(HouseholdVersion.id.in_(ids))):
        out[household_id] = (record or {}).get("head_id_number") or ""
    return out


def attachment_for(session: Session, household_id: int, name: str) -> Attachment | None:
    """The newest stored attachment called ``name`` among the submissions of this household."""
    return session.scalar(
        select(Attachment)
        .join(SubmissionVersion, SubmissionVersion.id == Attachment.version_id)
        .join(HouseholdVersion, HouseholdVersion.submission_version_id == SubmissionVersion.id)
        .where(HouseholdVersion.household_id == household_id, Attachment.name == name,
               Attachment.sha256.is_not(None))
        .order_by(HouseholdVersion.number.desc()).limit(1))
