"""The workflow engine: what may happen next, taking a step, and the deadlines of a case.

Pure functions over a ``Procedure`` and a plain-data context (see ``guards``); the register stores
states, steps and deadlines and builds the context.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping

from scoring import codes

from .calendar import WorkingCalendar, china_today
from .definitions import BACKDATE_DAYS, HOUSEHOLD_NO, Procedure, Transition
from .guards import GUARDS


@dataclass(frozen=True)
class Reason:
    code: str
    zh: str
    en: str

    def to_dict(self) -> dict:
        return {"code": self.code, "zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Option:
    transition: Transition
    allowed: bool
    blocked_by: tuple[Reason, ...] = ()

    def to_dict(self) -> dict:
        t = self.transition
        return {"name": t.name, "target": t.target, "zh": t.zh, "en": t.en, "roles": list(t.roles),
                "requires": list(t.requires), "optional": list(t.optional), "negative": t.negative,
                "allowed": self.allowed,
                "blocked_by": [r.to_dict() for r in self.blocked_by]}


@dataclass(frozen=True)
class Step:
    """What a transition records: from/to state, who (role), when, the recorded fields, and the
    updates to the case context."""
    transition: str
    from_state: str
    to_state: str
    role: str
    on: date
    data: dict
    context_updates: dict = field(default_factory=dict)


class TransitionError(Exception):
    """A transition was refused; ``reasons`` say why (zh/en)."""

    def __init__(self, reasons: Iterable[Reason]):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(r.en for r in self.reasons))


def _role_reason(t: Transition) -> Reason:
    return Reason("role", "仅限以下角色办理：" + "、".join(_ROLE_ZH[r] for r in t.roles),
                  "Only these roles may take this step: " + ", ".join(t.roles))


_ROLE_ZH = {"collector": "信息采集员", "village": "村两委", "township": "乡镇", "county": "县级", "admin": "管理员"}


def _context(proc: Procedure, ctx: Mapping) -> dict:
    full = dict(ctx)
    full["params"] = proc.params
    full.setdefault("today", china_today())
    return full


def evaluate(proc: Procedure, t: Transition, state: str, ctx: Mapping, role: str | None) -> tuple[Reason, ...]:
    """Reasons why ``t`` cannot be taken now (empty tuple = allowed)."""
    reasons: list[Reason] = []
    if state not in t.sources:
        reasons.append(Reason("state", f"当前状态“{proc.states.get(state, (state,))[0]}”不能办理此步骤",
                              f"Not possible in state {state!r}"))
    if role is not None and role not in t.roles:
        reasons.append(_role_reason(t))
    full = _context(proc, ctx)
    for code in t.guards:
        guard = GUARDS[code]
        if not guard.check(full):
            reasons.append(Reason(guard.code, guard.zh, guard.en))
    return tuple(reasons)


def options(proc: Procedure, state: str, ctx: Mapping, role: str | None = None) -> list[Option]:
    """Every transition leaving ``state``, allowed or with the reasons it is blocked."""
    result = []
    for t in proc.transitions:
        if state in t.sources:
            reasons = evaluate(proc, t, state, ctx, role)
            result.append(Option(t, not reasons, reasons))
    return result


def validate_record(proc: Procedure, t: Transition, data: Mapping) -> tuple[dict, tuple[Reason, ...]]:
    """Keep the fields ``t`` records, check them; returns (clean data, reasons)."""
    reasons: list[Reason] = []
    clean: dict = {}
    allowed = set(t.requires) | set(t.optional)
    for key in data or {}:
        if key not in allowed:
            reasons.append(Reason("field_unknown", f"此步骤不记录字段“{key}”", f"This step does not record {key!r}"))
    for key in t.requires:
        value = (data or {}).get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            reasons.append(Reason(f"field_required:{key}", f"须填写{_field_zh(key)}", f"{key} is required"))
    for key in allowed:
        value = (data or {}).get(key)
        if value is None:
            continue
        if key == "taper_months":
            lo, hi = proc.params.get("taper_min_months", 6), proc.params.get("taper_max_months", 12)
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                reasons.append(Reason("field_invalid:taper_months", f"渐退期应为{lo}–{hi}个月",
                                      f"taper_months must be an integer from {lo} to {hi}"))
                continue
        elif key == "method":
            if value not in codes.ELIMINATION_METHOD:
                reasons.append(Reason("field_invalid:method", "风险消除方式无效", "Unknown elimination method"))
                continue
        elif not isinstance(value, str):
            reasons.append(Reason(f"field_invalid:{key}", f"{_field_zh(key)}应为文本", f"{key} must be text"))
            continue
        else:
            value = value.strip()
            if key == "household_no" and value and not HOUSEHOLD_NO.fullmatch(value):
                reasons.append(Reason("field_invalid:household_no",
                                      "户编号格式不正确（应为国家系统分配的编号：4–32位数字或字母，可含连字符）",
                                      "The national household number must be 4–32 letters, digits or hyphens, "
                                      "with at least one digit"))
                continue
        clean[key] = value
    return clean, tuple(reasons)


def step_date_reason(on: date, today: date, previous: date | None) -> Reason | None:
    """Why ``on`` cannot be the day a step happened (None when it can): not in the future, at most
    ``BACKDATE_DAYS`` back, not before the case's previous step."""
    if on > today:
        return Reason("date_future", "办理日期不能晚于今天", "The step's date cannot be in the future")
    if on < date.fromordinal(today.toordinal() - BACKDATE_DAYS):
        return Reason("date_too_old", f"办理日期最多可补记{BACKDATE_DAYS}天前",
                      f"A step can be recorded at most {BACKDATE_DAYS} days after it happened")
    if previous is not None and on < previous:
        return Reason("date_before_previous", f"办理日期不能早于上一步骤（{previous.isoformat()}）",
                      f"The step's date cannot be before the previous step ({previous.isoformat()})")
    return None


def _field_zh(key: str) -> str:
    from .definitions import RECORD_FIELDS
    return RECORD_FIELDS.get(key, (key,))[0]


def take(proc: Procedure, state: str, name: str, ctx: Mapping, role: str, data: Mapping | None = None) -> Step:
    """Take transition ``name``; raises ``TransitionError`` with every reason it is refused."""
    try:
        t = proc.transition(name)
    except KeyError:
        raise TransitionError([Reason("unknown_transition", f"无此步骤：{name}", f"Unknown step {name!r}")]) from None
    reasons = list(evaluate(proc, t, state, ctx, role))
    clean, field_reasons = validate_record(proc, t, data or {})
    reasons.extend(field_reasons)
    if reasons:
        raise TransitionError(reasons)
    today = _context(proc, ctx)["today"]
    updates: dict = {}
    for key, how in t.effects:
        if how == "today":
            updates[key] = today
        elif how == "clear":
            updates[key] = None if key != "objection" else False
        elif how.startswith("from:"):
            source = how[5:]
            if clean.get(source) is not None:
                updates[key] = clean[source]
    return Step(t.name, state, t.target, role, today, clean, updates)


@dataclass(frozen=True)
class DeadlineStatus:
    code: str
    zh: str
    en: str
    started_on: date
    due_on: date
    met_on: date | None
    overdue: bool

    def to_dict(self) -> dict:
        return {"code": self.code, "zh": self.zh, "en": self.en, "started_on": self.started_on.isoformat(),
                "due_on": self.due_on.isoformat(), "met_on": self.met_on.isoformat() if self.met_on else None,
                "overdue": self.overdue}


def deadlines(proc: Procedure, steps: Iterable[tuple[str, date]], calendar: WorkingCalendar,
              today: date) -> list[DeadlineStatus]:
    """Deadlines of a case from its steps ``(transition name, date)`` in order. A clock restarts
    when its starting transition is taken again (e.g. a second village notice after a return)."""
    result: list[DeadlineStatus] = []
    open_clocks: dict[str, tuple] = {}
    for name, on in steps:
        for rule in proc.deadlines:
            if name in rule.met_by and rule.code in open_clocks:
                start, due = open_clocks.pop(rule.code)
                result.append(DeadlineStatus(rule.code, rule.zh, rule.en, start, due, on, on > due))
            if name in rule.starts_on:
                offset = int(proc.params.get(rule.offset_param, 0)) if rule.offset_param else 0
                base = date.fromordinal(on.toordinal() + offset)
                open_clocks[rule.code] = (on, calendar.add_working_days(base, rule.working_days))
    for rule in proc.deadlines:
        if rule.code in open_clocks:
            start, due = open_clocks[rule.code]
            result.append(DeadlineStatus(rule.code, rule.zh, rule.en, start, due, None, today > due))
    return result
