"""Dashboard: counts per area by category and status (chart and table agree), drill-down, open
procedures by step, overdue deadlines and failed submissions — all inside the user's regions."""
from __future__ import annotations

from datetime import date, timedelta

from server.register.models import Deadline, WorkflowCase


def _table(page, heading: str) -> dict:  # noqa: ANN001
    section = page.xpath(f"//section[h2[starts-with(normalize-space(.), '{heading}')]]")[0]
    rows = {}
    for tr in section.xpath(".//table/tbody/tr"):
        rows[tr.xpath("th")[0].text_content().strip()] = [td.text_content().strip() for td in tr.xpath("td")]
    return rows


def test_county_sees_townships_and_township_sees_villages(as_user, households, db_session):
    households.add(region="150121100201", head="甲一")
    households.add(region="150121100201", head="甲二")
    households.add(region="150121100202", head="乙一", score=False)
    households.add(region="150121101201", head="丙一")
    households.add(region="150122100201", head="外县")
    db_session.commit()
    county = as_user("county").page("/console/dashboard")
    by_cat = _table(county, "各地监测对象类别")
    # columns: 脱贫不稳定户, 边缘易致贫户, 突发严重困难户, 非监测对象, 合计
    assert by_cat == {"察素齐镇": ["0", "2", "0", "1", "3"], "毕克齐镇": ["0", "1", "0", "0", "1"]}
    by_status = _table(county, "各地农户状态")
    assert by_status["察素齐镇"][0] == "3" and by_status["察素齐镇"][-1] == "3"
    chart = county.xpath("//section[h2[starts-with(normalize-space(.), '各地监测对象类别')]]"
                         "/*[local-name()='svg']")[0]
    totals = [t.text for t in chart.xpath(".//*[local-name()='text'][@font-weight='bold']")]
    assert totals == ["3", "1"]                               # the picture shows the table's totals

    township = as_user("township").page("/console/dashboard")
    assert set(_table(township, "各地监测对象类别")) == {"甲村", "乙村"}
    first_column = township.xpath("//section[h2[starts-with(normalize-space(.), '各地监测对象类别')]]"
                                  "//tbody/tr/th")
    assert not [th for th in first_column if th.xpath("a")]     # villages are not drilled into
    assert county.xpath("//tbody/tr/th/a[@href='/console/dashboard?region=150121100000']")
    drill = as_user("county").page("/console/dashboard?region=150121100000")
    assert set(_table(drill, "各地监测对象类别")) == {"甲村", "乙村"}


def test_breadcrumbs_link_only_inside_scope(as_user):
    page = as_user("township").page("/console/dashboard")
    crumbs = page.xpath("//p[@class='crumbs']")[0]
    assert [a.text for a in crumbs.xpath("a")] == ["察素齐镇"]
    assert "土默特左旗" in crumbs.text_content()


def test_open_cases_and_overdue_deadlines(app, as_user, households, db_session):
    app.config["FROZEN_TODAY"] = "2026-03-16"                # the server's date (workflow: China's date)
    today = date(2026, 3, 16)
    h = households.add(region="150121100201", head="逾期户")
    far = households.add(region="150121101201", head="外镇逾期")
    for household in (h, far):
        case = WorkflowCase(household_id=household.id, kind="identification", procedure="identification_im8",
                            state="village_notice", context={}, open=True)
        db_session.add(case)
        db_session.flush()
        db_session.add(Deadline(case_id=case.id, household_id=household.id, region_code=household.region_code,
                                code="township_recheck", started_on=today - timedelta(days=20),
                                due_on=today - timedelta(days=4)))
    db_session.commit()
    page = as_user("township").page("/console/dashboard")
    overdue = page.xpath("//section[@aria-labelledby='h-overdue']//tbody/tr")
    assert len(overdue) == 1
    cells = [td.text_content().strip() for td in overdue[0].xpath("td")]
    assert cells[0] == "逾期户" and cells[1] == "乡镇审核" and cells[4] == "4"
    cases = page.xpath("//section[@aria-labelledby='h-cases']//tbody/tr")
    from server.workflow import PROCEDURES
    assert [[td.text_content() for td in tr.xpath("td")] for tr in cases] == [
        [PROCEDURES["identification_im8"].zh, "村级公示中", "1"]]


def test_failed_submissions_are_listed_without_personal_data(as_user, households, db_session, world):
    own = households.submission(photo=None, state="failed", error="parse: ValueError: 证件号码 150121198003150017",
                                submitter_id=world.users["collector"].id)
    households.submission(photo=None, state="failed", error="parse: ValueError",
                          submitter_id=world.users["village_other"].id)      # 丙村, another township
    db_session.commit()
    page = as_user("township").page("/console/dashboard")
    rows = page.xpath("//section[@aria-labelledby='h-fail']//tbody/tr")
    assert len(rows) == 1
    text = rows[0].text_content()
    assert own.instance_id in text and "collector" in text and "ValueError" in text
    assert "150121198003150017" not in page.text_content()
    # the county sees both (the project of the county and both collectors are inside it)
    county = as_user("county").page("/console/dashboard")
    assert len(county.xpath("//section[@aria-labelledby='h-fail']//tbody/tr")) == 2


def test_empty_dashboard(as_user):
    page = as_user("county").page("/console/dashboard")
    assert not page.xpath("//*[local-name()='svg']")
    assert "暂无记录" in page.text_content()


def test_processing_states_are_counted_in_scope(as_user, households, db_session, world):
    """Waiting (pending, encrypted), processed, not applicable and failed submissions, each counted."""
    for state in ("encrypted", "encrypted", "not_applicable", "failed", "pending"):
        households.submission(photo=None, state=state, submitter_id=world.users["collector"].id)
    households.submission(photo=None, state="encrypted", submitter_id=world.users["village_other"].id)
    db_session.commit()

    def counts(role):  # noqa: ANN001, ANN202
        page = as_user(role).page("/console/dashboard")
        cells = page.xpath("//section[@aria-labelledby='h-processing']//tbody/tr/td")
        heads = [th.text_content().strip() for th in
                 page.xpath("//section[@aria-labelledby='h-processing']//thead/tr/th")]
        assert "待解密" in heads and "无需登记" in heads
        return {td.get("data-state"): int(td.text_content()) for td in cells}
    township = counts("township")
    assert township["encrypted"] == 2 and township["not_applicable"] == 1 and township["failed"] == 1
    assert township["pending"] == 1
    assert counts("county")["encrypted"] == 3
