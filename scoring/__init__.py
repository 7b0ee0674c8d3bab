"""scoring — what the county would otherwise compute by hand, household by household.

Pure functions over plain data: no Flask, SQLAlchemy, logging setup or I/O (the packaged policy
files under ``scoring/policies/`` are read once, on first use).

Public API
----------
``load_policy(region_code, year, overrides=None) -> Policy``
    The policy in force for a 2–12 digit region code in a year: the most specific of province →
    city → county wins, key by key. Raises ``PolicyNotFound`` (naming region and year) when no
    floor applies — never a silent default. ``Policy`` is frozen: ``region_code``, ``region_name``,
    ``year``, ``floor`` (yuan/person/year), ``floor_source``, ``floor_rule``, ``version`` (stable
    hash of the resolved content), ``income_period``, the settings (``SETTINGS``) and their
    ``sources``; ``policy.to_dict()``.
``list_policies() -> list[dict]``
    Every shipped floor: region, name, years, floor, source.
``assess(record, policy, history=None, as_of=None) -> Assessment``
    ``record``: docs/household-record.md. ``history``: identification date, earlier category,
    measures, earlier assessment dicts, previous net income, overrides. ``Assessment`` carries
    income, spending, the 三保障 + 饮水 statuses, category (codes.CATEGORY or None), the Anhui
    class and Yiyuan relative-poverty result where they apply, declared and inferred risks,
    findings and elimination eligibility; ``to_dict()`` is JSON-serialisable.
    ``Assessment.findings`` (list of ``Finding``), ``errors``, ``warnings``, ``needs_review``
    (rule IDs of errors and of warnings nobody overrode), ``exclusion_warnings``.
``Finding``
    ``rule_id``, ``severity`` (error/warning/info), ``message_zh``, ``message_en``, ``source``,
    ``data`` (the numbers), ``override``; ``to_dict()``.
``PolicyNotFound`` / ``PolicyError``
    No floor for the region and year (``region_code``, ``year``, ``message_zh``) / malformed data.
``RULES``
    Registry of every rule ID: titles zh/en, source, message variants (docs/scoring.md lists them).
``idcard``
    GB 11643 helpers: ``check_digit``, ``is_valid``, ``birth_date``, ``sex``, ``normalize``.
``codes``
    The shared vocabulary.
``IMPLEMENTATION`` / ``IMPLEMENTATION_REASON``
    ``"compiled"`` when the mypyc-compiled modules of the hot path run (built at install time into
    ``scoring/_native/``, used only while they match the sources), else ``"pure"``; and why
    (see ``scoring/_loader.py``; ``SHOUDI_SCORING_PURE=1`` forces pure Python).
"""
from __future__ import annotations

from . import _loader

_loader.install()
IMPLEMENTATION: str = _loader.implementation
IMPLEMENTATION_REASON: str = _loader.reason

from . import codes, idcard  # noqa: E402 - after the loader chose the implementation
from .assessment import Assessment, assess  # noqa: E402
from .findings import Finding  # noqa: E402
from .policy import (SETTINGS, Policy, PolicyError, PolicyNotFound, list_policies,  # noqa: E402
                     load_policy)
from .rules import RULES, Rule  # noqa: E402

__all__ = ["assess", "Assessment", "Finding", "load_policy", "list_policies", "Policy",
           "PolicyNotFound", "PolicyError", "SETTINGS", "RULES", "Rule", "idcard", "codes",
           "IMPLEMENTATION", "IMPLEMENTATION_REASON"]
