"""The procedures as data: states, transitions (role, preconditions, what is recorded), deadlines.

Sources: shared/domain.md §7.1 (Inner Mongolia 8 steps and the later one-notice norms), §7.2 (risk
elimination, 5 steps), §7.5 (Anyang gradual exit). Which procedure and which parameters apply to a
region is decided in ``regions.py``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

ROLES = ("collector", "village", "township", "county", "admin")

# Fields a transition may record, with how to validate them (see engine.validate_record).
RECORD_FIELDS = {
    "reason": ("原因", "Reason"),
    "note": ("备注", "Note"),
    "meeting_note": ("会议记录", "Meeting minutes"),
    "household_no": ("户编号", "National household number"),
    "method": ("风险消除方式", "Elimination method"),
    "taper_months": ("渐退期（月）", "Gradual-exit period (months)"),
}


# 户编号 is assigned by the national platform; its exact format is not published (shared/domain.md §8.2),
# so it is checked as an identifier, not parsed: 4–32 letters, digits or hyphens, at least one digit.
HOUSEHOLD_NO = re.compile(r"(?=.*[0-9])[0-9A-Za-z][0-9A-Za-z-]{3,31}")

# A step done offline is recorded with the day it happened: at most this many days back, never in the
# future, never before the case's previous step.
BACKDATE_DAYS = 30

# Opening an identification for a household, by the household's status (the policy of issue #14 §1):
#   "open"      — as usual (never surveyed, or not admitted before: a new application is a new case);
#   "reasoned"  — only as a deliberate act: a written reason and an explicit confirmation (a new risk
#                 after the risk was eliminated or the household exited: 返贫致贫风险再次识别);
#   absent      — never: a monitored household is already in the register's care (识别中 has its open case).
IDENTIFICATION_OPENS = {"registered": "open", "not_admitted": "open", "eliminated": "reasoned",
                        "exited": "reasoned"}
# A gradual exit (渐退) is for households under monitoring and assistance only.
GRADUAL_EXIT_OPENS = ("monitored",)


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    zh: str
    en: str
    guards: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()          # record fields that must be given
    optional: tuple[str, ...] = ()          # record fields that may be given
    effects: tuple[tuple[str, str], ...] = ()  # (context key, "today" | "clear" | "from:<field>")
    negative: bool = False                  # a step back or a refusal: shown apart, confirmed with a reason


@dataclass(frozen=True)
class DeadlineRule:
    code: str
    zh: str
    en: str
    starts_on: tuple[str, ...]        # transitions that start the clock
    met_by: tuple[str, ...]           # transitions that stop it
    working_days: int
    offset_param: str | None = None   # calendar days to add to the start (e.g. the notice period)


@dataclass(frozen=True)
class Procedure:
    name: str
    kind: str                          # identification | elimination | gradual_exit
    zh: str
    en: str
    initial: str
    states: dict[str, tuple[str, str]]
    transitions: tuple[Transition, ...]
    terminal: frozenset[str]
    deadlines: tuple[DeadlineRule, ...] = ()
    params: dict = field(default_factory=dict)

    def transition(self, name: str) -> Transition:
        for item in self.transitions:
            if item.name == name:
                return item
        raise KeyError(f"procedure {self.name!r} has no transition {name!r}")


_NOTICE = (("notice_started_on", "today"), ("objection", "clear"))
_REASON = ("reason",)

_ID_DEADLINES = (
    DeadlineRule("self_declaration_check", "自主申报后入户核实", "Home check after a self-declaration",
                 ("apply",), ("visit", "reject"), 5),
    DeadlineRule("township_recheck", "乡镇审核", "Township re-check", ("publish_village_notice",),
                 ("township_verify", "reject", "return"), 3, offset_param="notice_days"),
    DeadlineRule("identification_total", "识别全程", "Whole identification", ("apply", "visit_direct"),
                 ("enter_system", "reject"), 15),
)

_ID_COMMON_STATES = {
    "new": ("待受理", "Not started"),
    "applied": ("已申请", "Applied"),
    "visited": ("已入户核实", "Home check done"),
    "village_notice": ("村级公示中", "Village notice"),
    "township_verified": ("乡镇已审核", "Verified by township"),
    "data_compared": ("已数据比对", "Department data compared"),
    "entered": ("已录入系统", "Entered in the national system"),
    "rejected": ("不予纳入", "Not admitted"),
}

_APPLY = Transition("apply", ("new",), "applied", ("collector", "village"), "受理申请", "Accept the application",
                    guards=("self_declared",), optional=("note",))
_VISIT = Transition("visit", ("applied",), "visited", ("collector", "village"), "入户核实", "Home check",
                    optional=("note",))
_VISIT_DIRECT = Transition("visit_direct", ("new",), "visited", ("collector", "village"),
                           "排查发现，入户核实", "Home check on a cadre, department or public lead",
                           guards=("not_self_declared",), optional=("note",))

IDENTIFICATION_IM8 = Procedure(
    name="identification_im8", kind="identification",
    zh="监测对象识别（内蒙古八步法）", en="Identification (Inner Mongolia, 8 steps)",
    initial="new",
    states={**_ID_COMMON_STATES,
            "authorized": ("已授权并采集", "Authorized and surveyed"),
            "county_notice": ("县级审定公示中", "County approved, second notice")},
    transitions=(
        _APPLY, _VISIT, _VISIT_DIRECT,
        Transition("authorize", ("visited",), "authorized", ("collector", "village"),
                   "签订承诺授权书并采集信息", "Signed authorization and information collection",
                   guards=("authorization_photo", "survey_collected"), optional=("note",)),
        Transition("publish_village_notice", ("authorized",), "village_notice", ("village",),
                   "民主评议并公示", "Village vote and public notice", optional=("meeting_note",), effects=_NOTICE),
        Transition("township_verify", ("village_notice",), "township_verified", ("township",),
                   "乡镇逐户审核", "Township household-by-household check",
                   guards=("notice_elapsed", "no_objection"), optional=("note",)),
        Transition("compare_data", ("township_verified",), "data_compared", ("county",),
                   "部门数据比对", "Department data comparison", guards=("comparison_clear",), optional=("note",)),
        Transition("county_approve", ("data_compared",), "county_notice", ("county",),
                   "县级审定并二次公示", "County approval and second notice",
                   guards=("assessment_eligible",), optional=("note",), effects=_NOTICE),
        Transition("enter_system", ("county_notice",), "entered", ("township",),
                   "录入全国防返贫监测信息系统", "Enter in the national monitoring system",
                   guards=("notice_elapsed", "no_objection"), requires=("household_no",),
                   effects=(("identified_on", "today"), ("household_no", "from:household_no"))),
        Transition("return", ("township_verified", "data_compared", "county_notice", "village_notice"), "visited",
                   ("township", "county"), "退回重新核实", "Return for a new check", requires=_REASON, negative=True,
                   effects=(("notice_started_on", "clear"),)),
        Transition("reject", ("applied", "visited", "authorized", "village_notice", "township_verified",
                              "data_compared", "county_notice"), "rejected",
                   ("village", "township", "county"), "不予纳入并告知原因", "Not admitted; the household is told why",
                   requires=_REASON, negative=True),
    ),
    terminal=frozenset({"entered", "rejected"}),
    deadlines=_ID_DEADLINES,
    params={"notice_days": 5},
)

IDENTIFICATION_SIMPLIFIED = Procedure(
    name="identification_simplified", kind="identification",
    zh="监测对象识别（简化程序，一次公示）", en="Identification (simplified, one notice)",
    initial="new",
    states={**_ID_COMMON_STATES, "county_approved": ("县级已审批", "Approved by county")},
    transitions=(
        _APPLY,
        Transition("visit", ("applied",), "visited", ("collector", "village"),
                   "入户核实并签订承诺授权书", "Home check with signed authorization",
                   guards=("authorization_photo", "survey_collected"), optional=("note",)),
        Transition("visit_direct", ("new",), "visited", ("collector", "village"),
                   "排查发现，入户核实并签订承诺授权书", "Home check with authorization on a cadre, department or public lead",
                   guards=("not_self_declared", "authorization_photo", "survey_collected"), optional=("note",)),
        Transition("compare_data", ("visited",), "data_compared", ("county",),
                   "部门数据比对", "Department data comparison", guards=("comparison_clear",), optional=("note",)),
        Transition("publish_village_notice", ("data_compared",), "village_notice", ("village",),
                   "民主评议并公示（仅一次）", "Village vote and the single public notice",
                   optional=("meeting_note",), effects=_NOTICE),
        Transition("township_verify", ("village_notice",), "township_verified", ("township",),
                   "乡镇审核", "Township check", guards=("notice_elapsed", "no_objection"), optional=("note",)),
        Transition("county_approve", ("township_verified",), "county_approved", ("county",),
                   "县级审批", "County approval", guards=("assessment_eligible",), optional=("note",)),
        Transition("enter_system", ("county_approved",), "entered", ("township",),
                   "录入全国防返贫监测信息系统", "Enter in the national monitoring system",
                   requires=("household_no",),
                   effects=(("identified_on", "today"), ("household_no", "from:household_no"))),
        Transition("return", ("data_compared", "village_notice", "township_verified", "county_approved"), "visited",
                   ("township", "county"), "退回重新核实", "Return for a new check", requires=_REASON, negative=True,
                   effects=(("notice_started_on", "clear"),)),
        Transition("reject", ("applied", "visited", "data_compared", "village_notice", "township_verified",
                              "county_approved"), "rejected",
                   ("village", "township", "county"), "不予纳入并告知原因", "Not admitted; the household is told why",
                   requires=_REASON, negative=True),
    ),
    terminal=frozenset({"entered", "rejected"}),
    deadlines=_ID_DEADLINES,
    params={"notice_days": 5},
)

ELIMINATION = Procedure(
    name="elimination", kind="elimination",
    zh="风险消除（五步）", en="Risk elimination (5 steps)",
    initial="monitoring",
    states={
        "monitoring": ("监测帮扶中", "Monitored and assisted"),
        "checked": ("已入户核实", "Home check done"),
        "village_notice": ("村级公示中", "Village notice"),
        "township_accepted": ("乡镇已验收", "Accepted by township"),
        "county_notice": ("县级审定公示中", "County approved, second notice"),
        "eliminated": ("已标注风险消除", "Risk marked eliminated"),
    },
    transitions=(
        Transition("check", ("monitoring",), "checked", ("collector", "village"),
                   "对照标准入户核实", "Home check against the criteria",
                   guards=("elimination_eligible", "has_measure", "has_labour", "not_identification_month",
                           "monitored_long_enough"), optional=("note",)),
        Transition("publish_village_notice", ("checked",), "village_notice", ("village",),
                   "民主评议并公示", "Village vote and public notice", optional=("meeting_note",), effects=_NOTICE),
        Transition("township_accept", ("village_notice",), "township_accepted", ("township",),
                   "乡镇逐户验收", "Township household-by-household acceptance",
                   guards=("notice_elapsed", "no_objection"), optional=("note",)),
        Transition("county_approve", ("township_accepted",), "county_notice", ("county",),
                   "县级审定并二次公示", "County approval and second notice", optional=("note",), effects=_NOTICE),
        Transition("mark", ("county_notice",), "eliminated", ("township",),
                   "系统标注风险消除", "Mark the risk eliminated in the national system",
                   guards=("notice_elapsed", "no_objection", "quarterly_window", "not_identification_month"),
                   requires=("method",), optional=("note",), effects=(("eliminated_on", "today"),)),
        Transition("keep_monitoring", ("checked", "village_notice", "township_accepted", "county_notice"),
                   "monitoring", ("village", "township", "county"),
                   "暂不消除，继续帮扶", "Not eliminated; assistance continues", requires=_REASON, negative=True,
                   effects=(("notice_started_on", "clear"),)),
    ),
    terminal=frozenset({"eliminated"}),
    params={"notice_days": 5, "min_months_monitored": 6, "window_months": (3, 6, 9, 12)},
)

GRADUAL_EXIT = Procedure(
    name="gradual_exit", kind="gradual_exit",
    zh="渐退（6–12个月）", en="Gradual exit (6–12 months)",
    initial="cause_removed",
    states={
        "cause_removed": ("致贫原因已消除", "Cause removed"),
        "tapering": ("渐退期", "Tapering"),
        "exited": ("已退出", "Exited"),
        "supported": ("恢复帮扶", "Support resumed"),
    },
    transitions=(
        Transition("start_taper", ("cause_removed",), "tapering", ("township", "county"),
                   "进入渐退期", "Start the gradual exit", requires=("taper_months",),
                   effects=(("taper_started_on", "today"), ("taper_months", "from:taper_months"))),
        Transition("complete_exit", ("tapering",), "exited", ("township", "county"),
                   "渐退期满退出", "Exit after the gradual-exit period", guards=("taper_elapsed",), optional=("note",)),
        Transition("resume_support", ("tapering",), "supported", ("village", "township", "county"),
                   "情况不稳定，恢复帮扶", "Unstable; support resumes", requires=_REASON, negative=True),
    ),
    terminal=frozenset({"exited", "supported"}),
    params={"taper_min_months": 6, "taper_max_months": 12},
)

PROCEDURES: dict[str, Procedure] = {p.name: p for p in
                                    (IDENTIFICATION_IM8, IDENTIFICATION_SIMPLIFIED, ELIMINATION, GRADUAL_EXIT)}
