"""assess() and Assessment: shape of the output, dates, review list, rule registry integrity."""
import json
import string
from datetime import date

import pytest

import scoring
from scoring import RULES
from scoring_factories import chain, household, run, set_in, with_income


def test_to_dict_shape():
    a = run(chain(lambda r: r.update(with_income(r, 4000)), set_in("risks", [{"code": "accident"}]),
                  set_in("exclusions.vehicle", True)), region="150102", year=2021)
    d = json.loads(json.dumps(a.to_dict(), ensure_ascii=False))
    assert d["schema"] == "shoudi.assessment/1"
    assert d["policy_version"] == scoring.load_policy("150102", 2021).version
    assert d["floor"] == 6000 and d["income"]["per_capita"] == 4000
    assert d["category"] == "marginal"
    assert d["risks"] == {"declared": ["accident"], "inferred": []}
    assert d["exclusion_warnings"] == ["EXC-03"]
    assert d["needs_review"] == ["EXC-03"]
    assert d["guarantees"]["water"] == "met" and d["elimination"] is None
    f = next(f for f in d["findings"] if f["rule_id"] == "CAT-02")
    assert set(f) >= {"rule_id", "severity", "message_zh", "message_en", "source", "data"}
    assert f["data"]["per_capita"] == 4000 and f["data"]["floor"] == 6000
    assert "002" in f["source"]


def test_as_of_defaults_to_the_survey_date():
    assert run().as_of == date(2020, 6, 15)
    assert run(as_of=date(2020, 9, 1)).as_of == date(2020, 9, 1)
    with pytest.raises(TypeError):
        run(as_of="2020-09-01")


def test_errors_and_warnings_views():
    a = run(chain(set_in("phone", "123"), set_in("land.cultivated", 500)))
    assert [f.rule_id for f in a.errors] == ["PLS-08"]
    assert [f.rule_id for f in a.warnings] == ["PLS-09"]
    assert a.needs_review == ["PLS-08", "PLS-09"]


def test_region_code_comes_from_the_record():
    assert run().region_code == "640122100001"


def test_registry_templates_are_well_formed():
    fmt = string.Formatter()
    for rule in RULES.values():
        assert rule.source and rule.title_zh and rule.title_en
        for variant, (severity, zh, en) in rule.messages.items():
            assert severity in ("error", "warning", "info"), (rule.id, variant)
            names_zh = {n for _, n, _, _ in fmt.parse(zh) if n}
            names_en = {n for _, n, _, _ in fmt.parse(en) if n}
            strip = lambda names: {n[:-3] if n.endswith(("_zh", "_en")) else n for n in names}
            assert strip(names_zh) == strip(names_en), (rule.id, variant)


def test_policy_is_not_mutated_and_can_be_shared():
    p = scoring.load_policy("640122", 2020)
    before = p.to_dict()
    for _ in range(3):
        scoring.assess(household(), p)
    assert p.to_dict() == before


@pytest.mark.parametrize("record", [
    {},
    {"members": [{}], "people_count": 1},
    {"members": [{"id_number": 640122197005010011, "phone": 13912345678, "birth_date": "1970",
                  "health": None, "relation": "head"}], "income": {"wage": 5000}},
    {"members": None, "income": None, "spending": None, "guarantees": None, "risks": None,
     "exclusions": None, "land": None},
    {"risks": ["illness", {"code": None}], "exclusions": {"vehicle": "yes"}, "people_count": True},
])
def test_sparse_or_odd_records_are_scored_not_crashed(record):
    a = scoring.assess(record, scoring.load_policy("150102", 2021), as_of=date(2021, 6, 1))
    d = a.to_dict()
    json.dumps(d, ensure_ascii=False)
    assert d["needs_review"]  # something is always wrong with such records
