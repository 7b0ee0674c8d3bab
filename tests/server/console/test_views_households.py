"""Household list (scope, filters, search, pagination, masked ID numbers) and the household page
(members with ID numbers by role, findings, score picture, four badges, versions, photos, audit)."""
from __future__ import annotations

from server.console.views_households import PER_PAGE
from server.register.models import HouseholdVersion


def _rows(page):  # noqa: ANN001, ANN202
    return page.xpath("//table[@class='data']/tbody/tr")


def test_list_is_scoped_and_masks_id_numbers(as_user, households, db_session):
    own = households.add(region="150121100201", head="王大山")
    households.add(region="150121100202", head="李四")
    households.add(region="150122100201", head="外县户")
    db_session.commit()
    page = as_user("township").page("/console/households")
    heads = [r.xpath("td[1]/a")[0].text for r in _rows(page)]
    assert sorted(heads) == ["李四", "王大山"]
    id_cells = [r.xpath("td[3]")[0].text for r in _rows(page)]
    full = own.current_version.record["head_id_number"]
    assert full not in page.text_content()
    assert any(c == full[:6] + "********" + full[-4:] for c in id_cells)
    collector = as_user("collector").page("/console/households")        # bound to 甲村 only
    assert [r.xpath("td[1]/a")[0].text for r in _rows(collector)] == ["王大山"]


def test_filters_and_search(as_user, households, db_session):
    households.add(region="150121100201", head="王大山")
    households.add(region="150121100202", head="王小二")
    no_cat = households.add(region="150121100202", head="张三", score=False)
    no_cat.household_no = "150121100202000099"
    db_session.commit()
    b = as_user("county")
    assert len(_rows(b.page("/console/households?region=150121100202"))) == 2
    # a name matches the head or any member (every test household has a member 王小明), and is "contains"
    assert [r.xpath("td[1]/a")[0].text for r in _rows(b.page("/console/households?q=王"))] == ["王大山", "王小二", "张三"]
    assert [r.xpath("td[1]/a")[0].text for r in _rows(b.page("/console/households?q=小二"))] == ["王小二"]
    assert [r.xpath("td[1]/a")[0].text
            for r in _rows(b.page("/console/households?q=150121100202000099"))] == ["张三"]
    assert [r.xpath("td[1]/a")[0].text for r in _rows(b.page("/console/households?category=none"))] == ["张三"]
    assert len(_rows(b.page("/console/households?category=marginal"))) == 2
    assert len(_rows(b.page("/console/households?status=monitored"))) == 0
    assert len(_rows(b.page("/console/households?q=%25"))) == 0       # LIKE wildcards are literal


def test_pagination(as_user, households, db_session):
    for i in range(PER_PAGE + 3):
        households.add(region="150121100201", head=f"户{i:03d}", score=False, photo=False)
    db_session.commit()
    b = as_user("township")
    first = b.page("/console/households")
    assert len(_rows(first)) == PER_PAGE
    assert "共 53 条" in first.xpath("//nav[@class='pager']")[0].text_content()
    second = b.page("/console/households?page=2")
    assert len(_rows(second)) == 3
    assert first.xpath("//a[@rel='next']/@href")[0].endswith("page=2")


def test_household_page_shows_assessment_findings_badges_and_picture(as_user, households, db_session):
    h = households.add(head="王大山")
    db_session.commit()
    page = as_user("township").page(f"/console/households/{h.id}")
    assert page.xpath("//h1")[0].text == "王大山"
    findings = page.xpath("//table[contains(@class, 'findings')]/tbody/tr")
    result = h.current_assessment.result
    assert len(findings) == len(result["findings"])
    rule_ids = [r.xpath("td[1]")[0].text for r in findings]
    assert rule_ids == [f["rule_id"] for f in result["findings"]]
    cat = next(r for r in findings if r.xpath("td[1]")[0].text == "CAT-02")
    assert "边缘易致贫户" in cat.text_content()
    assert "《内蒙古自治区健全防止返贫动态监测和帮扶机制工作方案》" in cat.xpath("td[4]")[0].text   # the source, cited
    badges = page.xpath("//li[contains(@class, 'guarantee')]")
    assert len(badges) == 4 and all("met" in b.get("class").split() for b in badges)
    assert len(page.xpath("//figure[@class='score']/*[local-name()='svg']")) == 2
    assert "2,833.33" in page.xpath("//figure[@class='score']")[0].text_content()


def test_findings_in_english(as_user, households, db_session):
    h = households.add(head="王大山")
    db_session.commit()
    b = as_user("township")
    page = b.page(f"/console/households/{h.id}?lang=en")
    text = page.xpath("//table[contains(@class, 'findings')]")[0].text_content()
    assert "Marginal household" in text and "边缘易致贫户" not in text


def test_member_id_numbers_by_role(as_user, households, db_session):
    h = households.add(head="王大山")
    db_session.commit()
    full = h.current_version.record["head_id_number"]
    for user, shown in (("township", True), ("county", True), ("village", False), ("collector", False),
                        ("admin", False)):
        text = as_user(user).get(f"/console/households/{h.id}").get_data(as_text=True)
        assert (full in text) is shown, user
        if not shown:
            assert full[:6] + "********" + full[-4:] in text


def test_household_without_assessment(as_user, households, db_session):
    h = households.add(head="未评估", score=False)
    db_session.commit()
    page = as_user("township").page(f"/console/households/{h.id}")
    assert "尚无评估" in page.xpath("//section[@id='assessment']")[0].text_content()


def test_versions_list_each_submission(as_user, households, db_session):
    h = households.add(head="王大山")
    second = households.submission()
    from server.register.households import apply_record
    record = dict(h.current_version.record, visit_note="二次走访")
    apply_record(db_session, record, submission_version_id=second.id, entity={"id": h.entity_id, "base_version": 1})
    db_session.commit()
    page = as_user("township").page(f"/console/households/{h.id}")
    rows = page.xpath("//section[@id='versions']//tbody/tr")
    assert [r.xpath("td[1]")[0].text for r in rows] == ["2", "1"]
    assert rows[0].xpath("td[4]")[0].text == second.instance_id
    assert "current" in rows[0].get("class")
    from datetime import timedelta, timezone
    created = db_session.query(HouseholdVersion).filter_by(household_id=h.id, number=2).one().created_at
    china = (created.replace(tzinfo=created.tzinfo or timezone.utc) + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert rows[0].xpath("td[2]")[0].text == china              # shown in China's time (UTC+8)
    assert db_session.query(HouseholdVersion).filter_by(household_id=h.id).count() == 2


def test_photo_route_serves_the_households_own_attachment(as_user, households, db_session):
    from tests.server.console.conftest import PHOTO

    h = households.add(head="王大山")
    other = households.add(region="150121100202", head="李四")
    db_session.commit()
    b = as_user("township")
    page = b.page(f"/console/households/{h.id}")
    src = page.xpath("//section[@id='photos']//img/@src")[0]
    response = b.get(src)
    assert response.status_code == 200 and response.data == PHOTO
    assert response.mimetype == "image/png"
    assert "no-store" in response.headers["Cache-Control"]
    # a name that exists only among another household's attachments is not served here
    households.submission(name="only-other.jpg")
    assert b.get(f"/console/households/{h.id}/files/only-other.jpg").status_code == 404
    assert b.get(f"/console/households/{other.id}/files/auth-1.jpg").status_code == 200
    missing = page.xpath("//section[@id='photos']//div[@class='missing']")
    assert missing and "尚未上传" in missing[0].text                 # sig.png was never received


def test_audit_trail_on_the_page(as_user, households, db_session):
    h = households.add(head="王大山")
    db_session.commit()
    page = as_user("township").page(f"/console/households/{h.id}")
    actions = [r.xpath("td[3]")[0].text for r in page.xpath("//section[@id='audit']//tbody/tr")]
    assert actions == ["建档", "评估"]
    assert h.current_version.record["head_id_number"] not in page.xpath("//section[@id='audit']")[0].text_content()


def test_findings_cite_sources_as_people_do_and_the_policy_line_is_plain(as_user, households):
    """§4: 依据 names the policy text (《…工作方案》), not developer notes; the policy line reads
    "内蒙古自治区 2021 年 监测标准 6,000 元" instead of a region code and a hash."""
    h = households.add(region="150121100201", head="王大山", score=True)
    households.session.commit()
    page = as_user("county").page(f"/console/households/{h.id}")
    sources = " ".join(td.text_content() for td in page.xpath("//table[contains(@class,'findings')]//td[contains(@class,'source')]"))
    assert sources and "domain.md" not in sources and "Gzuwkj" not in sources
    assert "《内蒙古自治区健全防止返贫动态监测和帮扶机制工作方案》" in sources or "规定" in sources
    policy = page.xpath("//p[contains(@class,'policy')]")[0].text_content()
    assert "内蒙古自治区 2021 年 监测标准 6,000 元" in policy, policy
    assert "domain.md" not in policy and "150121" not in policy


def test_citations_of_rule_sources():
    from scoring.rules import RULES
    from server.citations import cite
    assert cite("GB 11643-1999; Gzuwkj 1_12_002, 4_01_003 (domain.md §8.4)") == [
        "《公民身份号码》（GB 11643—1999）", "全国防返贫监测信息系统数据校验规则（1_12_002、4_01_003）"]
    assert cite("002 (five kinds; domain.md §4.3)") == ["《内蒙古自治区健全防止返贫动态监测和帮扶机制工作方案》（2021年）"]
    assert cite('000: 「村两委」') == ["宁夏回族自治区贺兰县防止返贫监测和帮扶工作方案（2020年）", "原文「村两委」"]
    for rule in RULES.values():                       # every rule cites something readable, in Chinese
        for citation in cite(rule.source):
            assert "domain.md" not in citation and "Gzuwkj" not in citation
