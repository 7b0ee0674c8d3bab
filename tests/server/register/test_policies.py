"""Local policy layers (server/policies.py): an admin sets a region's yearly floor without code."""
import pytest
from sqlalchemy import select

import scoring
from server.policies import PolicyFileError, parse_layer, policy_for, remove_layer, set_layer
from server.register.assessing import score_record
from server.register.models import AuditEntry
from tests.server.register.world import record

LAYER_2026 = """
region = "150121"
name = "测试旗"

[[period]]
years = [2026, 2026]
floor = 7000
floor_source = "旗乡村振兴局 2026 年通知（测试）"
"""


def test_without_a_local_layer_the_shipped_policy_is_all_there_is(db_session):
    assert policy_for(db_session, "150121100201", 2021).floor == 6000
    with pytest.raises(scoring.PolicyNotFound) as err:
        policy_for(db_session, "150121100201", 2026)
    assert "150121100201" in str(err.value) and "2026" in str(err.value)


def test_a_local_layer_sets_the_floor_for_its_region_and_years_only(db_session):
    set_layer(db_session, LAYER_2026)
    db_session.commit()
    policy = policy_for(db_session, "150121100201", 2026)
    assert policy.floor == 7000 and "测试" in policy.floor_source
    assert policy_for(db_session, "150121100201", 2021).floor == 6000   # shipped year untouched
    with pytest.raises(scoring.PolicyNotFound):
        policy_for(db_session, "150122100201", 2026)                     # another county


def test_scoring_a_household_uses_the_local_floor(db_session, world):
    set_layer(db_session, LAYER_2026)
    db_session.commit()
    result, policy = score_record(db_session, None, record(), region_code="150121100201", year=2026)
    assert policy.floor == 7000
    assert result["floor"] == 7000


def test_replacing_and_removing_a_layer_is_audited(db_session):
    set_layer(db_session, LAYER_2026)
    set_layer(db_session, LAYER_2026.replace("7000", "7200"))
    db_session.commit()
    assert policy_for(db_session, "150121100201", 2026).floor == 7200
    assert remove_layer(db_session, "150121")
    db_session.commit()
    actions = db_session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "policy")).all()
    assert actions == ["policy.set", "policy.set", "policy.remove"]
    with pytest.raises(scoring.PolicyNotFound):
        policy_for(db_session, "150121100201", 2026)


@pytest.mark.parametrize("text, says", [
    ('region = "1a"\n[[period]]\nyears=[2026,2026]\nfloor=1', "region"),
    ('region = "150121"\n[[period]]\nyears=[2026,2026]\nfloor=7000', "floor_source"),
    ('region = "150121"', "[[period]]"),
    ('region = "150121"\n[[period]]\nyears = 2026\nfloor = 7000', "years"),
    ('region = "150121"\n[[period]\n', "TOML"),
])
def test_a_bad_file_is_refused_with_a_reason(text, says):
    with pytest.raises(PolicyFileError) as err:
        parse_layer(text)
    assert says in str(err.value)


def test_cli_set_show_list_remove(cli_runner, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(LAYER_2026, encoding="utf-8")
    assert "150121" in cli_runner("policies", "set", str(path)).output
    shown = cli_runner("policies", "show", "150121100201", "2026").output
    assert '"floor": 7000' in shown
    listed = cli_runner("policies", "list").output
    assert "测试旗" in listed and "内蒙古" in listed
    assert "removed" in cli_runner("policies", "remove", "150121").output
    bad = tmp_path / "bad.toml"
    bad.write_text('region = "x"', encoding="utf-8")
    import click
    with pytest.raises(click.ClickException):
        cli_runner("policies", "set", str(bad), standalone_mode=False)
