"""Assistance-measure rules MEA-01 … MEA-03 (Gzuwkj timeliness checks; domain.md §5)."""
from datetime import date

import pytest

from scoring_factories import fired, run, set_in


def monitored(measures, identified="2021-01-10"):
    return {"identified_on": identified, "category": "marginal", "measures": measures}


HEALTH = {"measure": "health", "date": "2021-01-20"}
JOBS = {"measure": "employment", "date": "2021-02-01"}

CASES = [
    ("MEA-01:none", "two months, no measure", None, monitored([]), date(2021, 3, 15), True),
    ("MEA-01:none", "two weeks, no measure yet", None, monitored([]), date(2021, 1, 25), False),
    ("MEA-01:none", "a measure in place", None, monitored([HEALTH]), date(2021, 3, 15), False),
    ("MEA-02:none", "7 months, able workers, only health measures", None, monitored([HEALTH]),
     date(2021, 8, 15), True),
    ("MEA-02:none", "7 months with an employment measure", None, monitored([HEALTH, JOBS]),
     date(2021, 8, 15), False),
    ("MEA-02:none", "5 months: too early to require it", None, monitored([HEALTH]), date(2021, 6, 15), False),
    ("MEA-03:missing", "illness risk, only employment help", set_in("risks", [{"code": "illness"}]),
     monitored([JOBS]), date(2021, 3, 15), True),
    ("MEA-03:missing", "illness risk with health help", set_in("risks", [{"code": "illness"}]),
     monitored([HEALTH]), date(2021, 3, 15), False),
    ("MEA-01:none", "not in monitoring: no measure rules", None, None, date(2021, 3, 15), False),
]


@pytest.mark.parametrize("rule,why,mutate,hist,as_of,expected", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, hist, as_of, expected):
    a = run(mutate, region="150102", year=2021, history=hist, as_of=as_of)
    assert (rule in fired(a)) is expected, why


def test_messages():
    a = run(set_in("risks", [{"code": "illness"}]), region="150102", year=2021,
            history=monitored([JOBS]), as_of=date(2021, 3, 15))
    f = next(f for f in a.findings if f.rule_id == "MEA-03")
    assert f.message_zh == "有「因病」风险，但没有对应帮扶措施（健康帮扶、社会帮扶）"
    assert f.message_en == "Risk 'Illness' has no matching measure (Health support, Social assistance)"
