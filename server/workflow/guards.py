"""Preconditions of transitions: named predicates over the plain-data case context.

A context is a dict the register builds for one household case (all keys optional):

``today`` (date), ``entry_channel`` (codes of ``ENTRY_CHANNELS``), ``authorization_photo`` (file name),
``has_survey`` (bool: an information-collection record exists), ``notice_started_on`` (date),
``objection`` (bool), ``assessment`` ({"eligible": bool, "elimination_eligible": bool, …}),
``comparison_done`` (bool), ``open_exclusion_warnings`` (int), ``identified_on`` (date),
``measures_count`` (int), ``whole_household_no_labour`` (bool), ``taper_started_on`` (date),
``taper_months`` (int), ``params`` (the procedure parameters, added by the engine).

Each guard returns True when satisfied; its zh/en text says what is required.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Callable, Mapping

ENTRY_CHANNELS = {
    "self_declaration": ("农户自主申报", "Self-declaration by the household"),
    "cadre_check": ("干部排查", "Check by village cadres"),
    "department_warning": ("部门筛查预警", "Warning from department data"),
    "social_supervision": ("社会监督", "Social supervision (report, hotline)"),
}


@dataclass(frozen=True)
class Guard:
    code: str
    zh: str
    en: str
    check: Callable[[Mapping], bool]


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable


def _params(ctx: Mapping) -> Mapping:
    return ctx.get("params") or {}


def _notice_elapsed(ctx: Mapping) -> bool:
    start = ctx.get("notice_started_on")
    days = int(_params(ctx).get("notice_days", 5))
    return start is not None and (ctx["today"] - start).days >= days


def _not_identification_month(ctx: Mapping) -> bool:
    identified = ctx.get("identified_on")
    today = ctx["today"]
    return identified is not None and (identified.year, identified.month) != (today.year, today.month)


def _monitored_long_enough(ctx: Mapping) -> bool:
    months = int(_params(ctx).get("min_months_monitored", 0))
    identified = ctx.get("identified_on")
    if identified is None:
        return False
    return _add_months(identified, months) <= ctx["today"]


def _in_quarterly_window(ctx: Mapping) -> bool:
    months = _params(ctx).get("window_months", (3, 6, 9, 12))
    return ctx["today"].month in tuple(months)


def _taper_elapsed(ctx: Mapping) -> bool:
    start, months = ctx.get("taper_started_on"), ctx.get("taper_months")
    return start is not None and months is not None and _add_months(start, int(months)) <= ctx["today"]


def _assessment(ctx: Mapping) -> Mapping:
    return ctx.get("assessment") or {}


GUARDS: dict[str, Guard] = {g.code: g for g in [
    Guard("self_declared", "仅适用于农户自主申报", "Only for a household's self-declaration",
          lambda c: c.get("entry_channel") == "self_declaration"),
    Guard("not_self_declared", "自主申报须先受理申请", "A self-declaration must first be accepted as an application",
          lambda c: c.get("entry_channel") in ENTRY_CHANNELS and c.get("entry_channel") != "self_declaration"),
    Guard("authorization_photo", "须上传农户签字的承诺授权书照片", "The photo of the signed authorization form is required",
          lambda c: bool(c.get("authorization_photo"))),
    Guard("survey_collected", "须完成信息采集表", "The information-collection survey must be submitted",
          lambda c: bool(c.get("has_survey"))),
    Guard("notice_elapsed", "公示期未满（不少于5天）", "The public notice period (at least 5 days) has not elapsed",
          _notice_elapsed),
    Guard("no_objection", "公示期间有异议，须先核实处理", "An objection was raised during the notice; resolve it first",
          lambda c: not c.get("objection")),
    Guard("assessment_eligible", "测算结果不符合监测对象条件", "The assessment does not find the household eligible",
          lambda c: _assessment(c).get("eligible") is True),
    Guard("comparison_clear", "须完成部门数据比对并处理全部预警", "Department data comparison must be done and every warning resolved",
          lambda c: bool(c.get("comparison_done")) and int(c.get("open_exclusion_warnings") or 0) == 0),
    Guard("not_identification_month", "不得在识别当月消除风险", "Risk cannot be eliminated in the month of identification",
          _not_identification_month),
    Guard("monitored_long_enough", "纳入监测时间不足规定月数", "Monitored for fewer months than required",
          _monitored_long_enough),
    Guard("quarterly_window", "不在季度集中标注窗口期内", "Outside the quarterly marking window",
          _in_quarterly_window),
    Guard("elimination_eligible", "测算结果不满足风险消除条件", "The assessment does not meet the risk-elimination criteria",
          lambda c: _assessment(c).get("elimination_eligible") is True),
    Guard("has_measure", "须至少落实一项帮扶措施", "At least one assistance measure must be in place",
          lambda c: int(c.get("measures_count") or 0) >= 1),
    Guard("has_labour", "整户无劳动能力户不标注风险消除", "A household with no labour at all stays monitored",
          lambda c: not c.get("whole_household_no_labour")),
    Guard("taper_elapsed", "渐退期未满", "The gradual-exit period has not ended",
          _taper_elapsed),
]}
