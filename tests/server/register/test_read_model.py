"""The export read model: one dict per household in the shape docs/exports.md fixes."""
from datetime import date

from server.register.assessing import assess_version
from server.register.cases import open_case, take_step
from server.register.households import apply_record
from server.register.read_model import iter_export_households
from tests.server.register.world import record


def test_export_households_shape_scope_and_workflow_fields(app, db_session, world):
    a = apply_record(db_session, record(survey_date="2021-03-01"))
    assess_version(db_session, a.household, a.version)
    apply_record(db_session, record(region_code="150122100201", head_id_number="150122197001010010", members=[],
                                    household_no="H-OTHER"))
    case = open_case(db_session, a.household, "identification", entry_channel="cadre_check")
    take_step(db_session, case, "visit_direct", actor=world.users["collector"], role="collector",
              today=date(2021, 3, 1))
    take_step(db_session, case, "reject", actor=world.users["township"], role="township",
              data={"reason": "有财政供养人员"}, today=date(2021, 3, 2))
    db_session.commit()

    rows = list(iter_export_households(db_session, role="county", region_codes=["150121000000"], batch=1))
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {"household_id", "household_no", "region", "record", "assessment", "category", "status",
                        "identified_on", "eliminated_on", "elimination_method", "reason", "updated_at",
                        "approved_at"}
    assert row["region"] == {"code": "150121100201", "province": "内蒙古自治区", "city": "呼和浩特市",
                             "county": "土默特左旗", "township": "察素齐镇", "village": "甲村"}
    assert row["status"] == "not_admitted" and row["reason"] == "有财政供养人员"
    assert row["assessment"]["floor"] == 6000 and row["category"] == row["assessment"]["category"]
    assert row["record"]["head_name"] == "王大山"
    everything = list(iter_export_households(db_session, batch=1))
    assert [r["household_no"] for r in everything] == [None, "H-OTHER"]
    assert list(iter_export_households(db_session, region="150122000000"))[0]["household_no"] == "H-OTHER"
