"""Issue #14 §2: find a household the way staff look for it — by a member's 证件号码 (whole, or its last
4–6 characters, within the caller's scope), 户编号, name (contains, head or member), phone; 乡镇 and 村
columns; sorting by column; jumping to a page; a cascading region picker; no silent caps on the users,
jobs and export lists."""
from __future__ import annotations

from server.console.queries import picked_area
from server.jobs import Job
from server.models import User
from server.register.models import Member


def _heads(page):  # noqa: ANN001, ANN202
    return [r.xpath("td[1]/a")[0].text for r in page.xpath("//table[@class='data']/tbody/tr")]


def _member_ids(db_session, household):  # noqa: ANN001, ANN202
    return [m.id_number for m in db_session.query(Member).filter_by(household_id=household.id).order_by(Member.position)]


def test_search_by_id_number_phone_number_and_name(as_user, households, db_session):  # noqa: ANN001
    a = households.add(region="150121100201", head="王大山", phone="13912345678")
    b = households.add(region="150121101201", head="赵二")
    outside = households.add(region="150122100201", head="外县户")
    b.household_no = "1501211012010001"
    db_session.commit()
    spouse = _member_ids(db_session, a)[1]
    county = as_user("county")
    assert _heads(county.page(f"/console/households?q={spouse}")) == ["王大山"]               # a member, whole
    assert _heads(county.page(f"/console/households?q={spouse.lower()}")) == ["王大山"]
    assert _heads(county.page(f"/console/households?q={spouse[-6:]}")) == ["王大山"]          # last 6
    assert _heads(county.page(f"/console/households?q={spouse[-4:]}")) == ["王大山"]          # last 4
    assert _heads(county.page("/console/households?q=1501211012010001")) == ["赵二"]          # 户编号
    assert _heads(county.page("/console/households?q=13912345678")) == ["王大山"]             # phone
    assert _heads(county.page("/console/households?q=大山")) == ["王大山"]                    # contains
    assert _heads(county.page("/console/households?q=李小花")) == ["王大山", "赵二"]          # a member's name
    # scope: the other county's household is never found, not even by its own members' numbers
    other_ids = _member_ids(db_session, outside)
    assert _heads(county.page(f"/console/households?q={other_ids[0]}")) == []
    assert _heads(county.page(f"/console/households?q={other_ids[0][-6:]}")) == []
    assert _heads(as_user("county_other").page(f"/console/households?q={other_ids[0][-6:]}")) == ["外县户"]


def test_columns_sorting_and_jumping(as_user, households, db_session):  # noqa: ANN001
    for region, head in (("150121100201", "甲"), ("150121100202", "乙"), ("150121101201", "丙")):
        households.add(region=region, head=head)
    db_session.commit()
    county = as_user("county")
    page = county.page("/console/households")
    header = [th.text_content().strip() for th in page.xpath("//table[@class='data']/thead//th")]
    assert header[3:5] == ["乡镇", "村"]
    row = page.xpath("//table[@class='data']/tbody/tr")[2]
    assert [row.xpath("td[4]")[0].text, row.xpath("td[5]")[0].text] == ["毕克齐镇", "丙村"]
    assert _heads(county.page("/console/households?sort=village&dir=desc")) == ["丙", "乙", "甲"]
    assert _heads(county.page("/console/households?sort=village")) == ["甲", "乙", "丙"]
    link = page.xpath("//th/a[contains(@href, 'sort=village')]/@href")[0]
    assert "dir=desc" not in link
    sorted_page = county.page("/console/households?sort=village")
    assert "dir=desc" in sorted_page.xpath("//th/a[contains(@href, 'sort=village')]/@href")[0]
    assert sorted_page.xpath("//th/a[@aria-sort='ascending']")
    # a page number past the end shows the last page
    assert _heads(county.page("/console/households?page=999")) == ["甲", "乙", "丙"]


def test_jump_to_page_keeps_filters(as_user, households, db_session, monkeypatch):  # noqa: ANN001
    from server.console import views_households
    monkeypatch.setattr(views_households, "PER_PAGE", 2)
    for i in range(5):
        households.add(region="150121100201", head=f"户{i}")
    db_session.commit()
    page = as_user("county").page("/console/households?status=registered&sort=head")
    jump = page.xpath("//nav[@class='pager']/form[@class='jump']")[0]
    hidden = {i.get("name"): i.get("value") for i in jump.xpath(".//input[@type='hidden']")}
    assert hidden == {"status": "registered", "sort": "head"}
    assert jump.xpath(".//input[@name='page']/@max") == ["3"]
    assert len(page.xpath("//table[@class='data']/tbody/tr")) == 2


def test_cascading_region_picker(as_user, world):  # noqa: ANN001
    county = as_user("county")
    page = county.page("/console/households")
    selects = page.xpath("//form[@data-region-picker]//select[@name='area']")
    assert len(selects) == 1
    assert [o.text for o in selects[0].xpath("option")][1:] == ["察素齐镇", "毕克齐镇"]
    page = county.page("/console/households?area=150121100000")
    selects = page.xpath("//form[@data-region-picker]//select[@name='area']")
    assert len(selects) == 2
    assert selects[0].xpath("option[@selected]/@value") == ["150121100000"]
    assert [o.text for o in selects[1].xpath("option")][1:] == ["甲村", "乙村"]
    township = as_user("township")
    selects = township.page("/console/households").xpath("//form[@data-region-picker]//select[@name='area']")
    assert [o.text for o in selects[0].xpath("option")][1:] == ["甲村", "乙村"]
    # a village chosen under an earlier township is dropped when the township changes
    assert picked_area(["150121100000", "150121100201"]) == "150121100201"
    assert picked_area(["150121101000", "150121100201"]) == "150121101000"
    assert picked_area(["", "150121100201"]) is None
    # the picker never opens regions outside the user's scope
    assert county.get("/console/households?area=150122000000").status_code == 404


def test_users_jobs_and_exports_lists_have_no_silent_cap(as_user, world, db_session):  # noqa: ANN001
    for i in range(120):
        db_session.add(User(username=f"bulk{i:03d}", role="collector", display_name="", password_hash="x",
                            active=True))
    county = world.users["county"]
    for i in range(60):
        db_session.add(Job(kind="rescore", params={}, state="done", region_code="150121000000",
                           created_by=county.id))
    db_session.commit()
    admin = as_user("admin")
    first = admin.page("/console/users")
    assert first.xpath("//h1/span[@class='count']")[0].text == str(120 + 9)
    assert "共 129 条" in first.xpath("//nav[@class='pager']")[0].text_content()
    last = admin.page("/console/users?page=2")
    assert len(last.xpath("//table[@class='data']/tbody/tr")) == 29
    jobs = as_user("county").page("/console/jobs")
    assert "共 60 条" in jobs.xpath("//section[@aria-labelledby='h-jobs']//nav[@class='pager']")[0].text_content()
    second = as_user("county").page("/console/jobs?jobs_page=2")
    assert len(second.xpath("//section[@aria-labelledby='h-jobs']//table/tbody/tr")) == 10


def test_jobs_page_region_choice_cascades(as_user, world):  # noqa: ANN001
    county = as_user("county")
    page = county.page("/console/jobs")
    options = page.xpath("(//select[@name='region_code'])[1]/option/@value")
    assert options == ["150121000000", "150121100000", "150121101000"]          # the county and its townships
    page = county.page("/console/jobs?area=150121100000")
    assert page.xpath("(//select[@name='region_code'])[1]/option/@value") == \
        ["150121100000", "150121100201", "150121100202"]                          # a township and its villages
    assert page.xpath("//form[@data-region-picker]//select[@name='area'][1]/option[@selected]/@value") == \
        ["150121100000"]
    assert county.get("/console/jobs?area=150122100000").status_code == 404
