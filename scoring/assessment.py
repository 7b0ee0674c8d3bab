"""``assess``: score one household record under a policy, with its history.

Pure: the same record, policy, history and date always give the same Assessment.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from . import category as _category
from . import elimination as _elimination
from . import exclusions as _exclusions
from . import guarantees as _guarantees
from . import income as _income
from . import measures as _measures
from . import members as _members
from . import plausibility as _plausibility
from . import risks as _risks
from . import spending as _spending
from .findings import Finding
from .rules import RULES

SCHEMA = "shoudi.assessment/1"


class Assessment:
    """The outcome of :func:`assess`. ``to_dict()`` is JSON-serialisable."""

    __slots__ = ("region_code", "year", "policy_version", "floor", "floor_source", "as_of",
                 "household_type", "income", "spending", "guarantees", "category",
                 "alleviated_class", "relative_poverty", "hardship", "risks_declared",
                 "risks_inferred", "elimination", "_raw", "_findings", "_overrides")
    region_code: Any
    year: Any
    policy_version: Any
    floor: Any
    floor_source: Any
    as_of: date
    household_type: Any
    income: dict
    spending: dict
    guarantees: dict
    category: Any
    alleviated_class: Any
    relative_poverty: Any
    hardship: Any
    risks_declared: list
    risks_inferred: list
    elimination: Any
    _raw: list
    _findings: list[Finding] | None
    _overrides: Any

    @property
    def findings(self) -> list[Finding]:
        """The findings in rule order of evaluation (built on first access from compact tuples)."""
        if self._findings is None:
            self._findings = [Finding(*t) for t in self._raw]
            _apply_overrides(self._findings, self._overrides)
        return self._findings

    @property
    def per_capita(self) -> Any:
        return self.income["per_capita"]

    @property
    def risks(self) -> list:
        return self.risks_declared + self.risks_inferred

    def by_severity(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self.by_severity("error")

    @property
    def warnings(self) -> list[Finding]:
        return self.by_severity("warning")

    @property
    def exclusion_warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.rule_id.startswith("EXC-")]

    @property
    def needs_review(self) -> list[str]:
        """Rule IDs of errors and of warnings nobody has overridden."""
        out = []
        for f in self.findings:
            if f.override is None and f.severity != "info" and f.rule_id not in out:
                out.append(f.rule_id)
        return out

    def rule_ids(self) -> list[str]:
        return [t[0] for t in self._raw]

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "region_code": self.region_code, "year": self.year,
            "policy_version": self.policy_version,
            "floor": self.floor, "floor_source": self.floor_source,
            "as_of": self.as_of.isoformat(), "household_type": self.household_type,
            "income": dict(self.income, window=dict(self.income["window"])),
            "spending": {"total": self.spending["total"], "by_kind": dict(self.spending["by_kind"]),
                         "excluded": dict(self.spending["excluded"])},
            "guarantees": dict(self.guarantees),
            "category": self.category, "alleviated_class": self.alleviated_class,
            "relative_poverty": self.relative_poverty, "hardship": self.hardship,
            "risks": {"declared": list(self.risks_declared), "inferred": list(self.risks_inferred)},
            "exclusion_warnings": [f.rule_id for f in self.exclusion_warnings],
            "elimination": None if self.elimination is None else {
                **self.elimination, "blocked_by": list(self.elimination["blocked_by"])},
            "needs_review": self.needs_review,
            "findings": [f.to_dict() for f in self.findings],
        }


def _survey_date(record: dict) -> date | None:
    survey: Any = record.get("survey_date")
    if type(survey) is str:
        try:
            return date.fromisoformat(survey[:10])
        except ValueError:
            return None
    return None


def _as_of(record: dict, as_of) -> tuple[date, bool]:
    """The assessment date and whether the record has a usable survey date."""
    if as_of is None:
        survey = _survey_date(record)
        return (survey, True) if survey else (date.today(), False)
    if not isinstance(as_of, date):
        raise TypeError("as_of must be a datetime.date")
    raw: Any = record.get("survey_date")
    ok = (type(raw) is str and len(raw) >= 10 and raw[4] == "-"
          and raw[:4].isdigit() and raw[5:7].isdigit() and "01" <= raw[5:7] <= "12")
    return as_of, ok


def _apply_overrides(findings: list, overrides) -> None:
    if not overrides:
        return
    if isinstance(overrides, list):
        overrides = {o["rule_id"]: o for o in overrides if isinstance(o, dict) and o.get("rule_id")}
    for f in findings:
        o = overrides.get(f.rule_id)
        if o and RULES[f.rule_id].overridable and (o.get("reason") or "").strip():
            f.override = {"reason": o["reason"], "by": o.get("by"), "on": o.get("on")}


def assess(record: dict, policy, history: dict | None = None,
           as_of: Any = None) -> Assessment:  # as_of: date | None (checked in _as_of)
    """Score ``record`` (docs/household-record.md) under ``policy`` at ``as_of``.

    ``as_of`` defaults to the record's survey date, else today. ``history`` (format at the end of
    docs/household-record.md) enables the elimination rules, the income-drop test against the
    previous net income, and overrides of overridable warnings.
    """
    history = history or {}
    survey: Any
    when, has_survey = _as_of(record, as_of)
    findings: list = []
    facts = _members.scan(record.get("members") or (), when.isoformat(),
                          policy.compulsory_school_age, findings)
    survey = record.get("survey_date")
    period = when.strftime("%Y-%m") if not has_survey else survey[:7]
    income = _income.compute(record, policy, facts.coresident, findings, period)
    if not has_survey:
        findings.append(("INC-03", "no_survey_date", {
            "as_of": when.isoformat(), "start": income["window"]["from"],
            "end": income["window"]["to"]}))
    spending = _spending.compute(record, facts, findings)
    medical = spending["by_kind"].get("medical", 0) if spending["by_kind"] else 0
    guarantees = _guarantees.assess(record, facts, medical, policy, findings)
    declared, inferred = _risks.check(record, facts, spending, guarantees, policy, findings)
    previous = income["previous_net"]
    if previous is None and history:
        previous = history.get("previous_net")
    cat = _category.decide(record, income, spending["total"], guarantees, declared + inferred,
                           policy, previous, findings)
    _exclusions.check(record, guarantees, policy, findings)
    _plausibility.check(record, facts, income, policy, findings)
    monitored = history and (history.get("identified_on") or history.get("monitoring_start"))
    if monitored:
        identified = _elimination._iso_date(monitored)
        if identified is not None and identified <= when:
            _measures.check(record, history, identified, when,
                            _elimination.months_between(identified, when), facts.able, findings)
    elim = None
    if monitored or record.get("elimination"):
        elim = _elimination.check(record, history, when, policy, income, guarantees,
                                  cat["hardship"], facts, findings)

    a = Assessment()
    a.region_code = record.get("region_code") or policy.region_code
    a.year = policy.year
    a.policy_version = policy.version
    a.floor = policy.floor
    a.floor_source = policy.floor_source
    a.as_of = when
    a.household_type = record.get("household_type")
    a.income = income
    a.spending = spending
    a.guarantees = guarantees
    a.category = cat["category"]
    a.alleviated_class = cat["alleviated_class"]
    a.relative_poverty = cat["relative_poverty"]
    a.hardship = cat["hardship"]
    a.risks_declared = declared
    a.risks_inferred = inferred
    a._raw = findings
    a._findings = None
    a._overrides = history.get("overrides") if history else None
    a.elimination = elim
    return a
