"""Exclusion predicates as warnings a county user may override with a reason (EXC-01 … EXC-08).

Only the predicates active in the policy are checked (002's eight; Yiyuan's four reverse criteria).
Where the policy admits hits whose guarantees are actually weak (Ningxia 000), the warning says so.
"""
from __future__ import annotations

from .rules import EXCLUSION_RULE


def check(record: dict, guarantees: dict, policy, findings: list) -> None:
    answers = record.get("exclusions")
    if not answers or True not in answers.values():
        return
    failed = None
    for code in policy.exclusions:
        if answers.get(code) is True:
            if policy.exclusion_admit_if_guarantees_weak:
                if failed is None:
                    failed = [k for k, v in guarantees.items() if v == "not_met"]
                if failed:
                    findings.append((EXCLUSION_RULE[code], "may_admit",
                                            {"exclusion": code, "failed": failed}))
                    continue
            findings.append((EXCLUSION_RULE[code], "hit", {"exclusion": code}))
