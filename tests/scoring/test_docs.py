"""docs/scoring.md documents every rule (with its source) and setting; every rule has a test."""
import pathlib
import re

import pytest

import scoring

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
TESTS = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "scoring").glob("test_*.py")
                  if p.name != "test_docs.py")


@pytest.mark.parametrize("rule_id", sorted(scoring.RULES))
def test_rule_is_documented_with_its_source(rule_id):
    rule = scoring.RULES[rule_id]
    rows = [line for line in DOC.splitlines() if line.startswith(f"| {rule_id} |")]
    assert rows, f"{rule_id} missing from docs/scoring.md"
    assert rule.source in rows[0], f"{rule_id}: source not in its docs row"
    for variant in rule.messages:
        assert f"`{variant}`" in rows[0], f"{rule_id}: variant {variant} not documented"


@pytest.mark.parametrize("rule_id", sorted(scoring.RULES))
def test_rule_is_cited_by_a_test(rule_id):
    assert re.search(rf'"{rule_id}[:"]', TESTS), f"no test cites {rule_id}"


@pytest.mark.parametrize("setting", sorted(scoring.SETTINGS))
def test_setting_is_documented(setting):
    assert f"`{setting}`" in DOC


def test_no_unknown_rule_ids_in_the_doc():
    documented = set(re.findall(r"^\| ([A-Z]{3}-\d{2}) \|", DOC, flags=re.M))
    assert documented == set(scoring.RULES)
