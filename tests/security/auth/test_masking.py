"""Personal data by role on every channel: the REST API masks 证件号码, phone and bank numbers for
the roles the console masks them for (collectors, village staff, admins), and nothing with personal
data may be stored by a cache."""
from __future__ import annotations

import pytest

from exports.masking import mask_id, mask_personal, mask_phone
from server.register.assessing import assess_version
from server.register.households import apply_record
from tests.server.register.world import CHILD_ID, HEAD_ID, SPOUSE_ID, record


@pytest.fixture
def household(db_session, people):  # noqa: ANN001
    applied = apply_record(db_session, record(survey_date="2021-03-01", collector_phone="13912345678",
                                              bank_account="6222020200112233445"))
    assess_version(db_session, applied.household, applied.version)
    db_session.commit()
    return applied.household.id


def _all_text(api, user: str, hid: int) -> str:  # noqa: ANN001
    bodies = [api.get(f"/households/{hid}{suffix}", user) for suffix in ("", "/members", "/versions")]
    assert all(b.status_code == 200 for b in bodies)
    return "".join(b.get_data(as_text=True) for b in bodies)


@pytest.mark.parametrize("role", ["collector", "village", "admin"])
def test_api_masks_personal_numbers_for_roles_the_console_masks(api, household, role):
    text = _all_text(api, role, household)
    for full in (HEAD_ID, SPOUSE_ID, CHILD_ID, "13800000000", "13912345678", "6222020200112233445"):
        assert full not in text
    detail = api.get(f"/households/{household}", role).get_json()
    assert {m["id_number"] for m in detail["members"]} == {mask_id(HEAD_ID), mask_id(SPOUSE_ID), mask_id(CHILD_ID)}
    assert detail["record"]["head_id_number"] == mask_id(HEAD_ID) == "150121********0017"
    assert detail["record"]["phone"] == mask_phone("13800000000") == "138****0000"
    assert detail["record"]["bank_account"] == "***************3445"
    assert detail["record"]["head_name"] == "王大山"            # names are not masked (the console shows them)


@pytest.mark.parametrize("role", ["township", "county"])
def test_reviewers_see_the_numbers_in_full(api, household, role):
    text = _all_text(api, role, household)
    assert HEAD_ID in text and CHILD_ID in text and "13800000000" in text


def test_console_and_api_use_the_same_role_rule():
    from server.console.access import SEES_ID_NUMBERS
    from server.roles import SEES_PERSONAL_DATA
    assert SEES_ID_NUMBERS == SEES_PERSONAL_DATA == ("township", "county")


def test_every_api_response_is_no_store(api, household):
    for path, user in (("/me", "county"), (f"/households/{household}", "township"), ("/households", "collector")):
        assert api.get(path, user).headers["Cache-Control"] == "no-store"
    assert api.get("/me").headers["Cache-Control"] == "no-store"          # the 401 too


def test_mask_personal_walks_any_depth():
    data = {"items": [{"record": {"members": [{"id_number": HEAD_ID, "phone": "13800000000"}],
                                  "proxy_id_number": SPOUSE_ID, "collector_phone": "13912345678"}}], "count": 1}
    masked = mask_personal(data)
    assert masked["items"][0]["record"]["members"][0] == {"id_number": mask_id(HEAD_ID), "phone": "138****0000"}
    assert masked["items"][0]["record"]["proxy_id_number"] == mask_id(SPOUSE_ID)
    assert masked["count"] == 1 and data["items"][0]["record"]["proxy_id_number"] == SPOUSE_ID
