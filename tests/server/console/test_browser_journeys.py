"""Browser journeys of issue #14 for county, township, village and admin users, at 1366×900 and
390×844: find a household (ID-number tail, name, the cascading region picker, sorting, jumping to a
page), open it, and the lists that were capped before. Every page is checked by tests/browser/kit.py
(no console errors, failed or external requests, no horizontal overflow on the phone) and for English
words in the Chinese interface; screenshots are kept under <pytest basetemp>/screenshots/."""
from __future__ import annotations

import pytest

from server.models import User
from server.register.models import Member
from tests.browser.kit import DESKTOP, PHONE, chromium, live_url, screenshot_dir, tabs  # noqa: F401
from tests.server.register.world import PASSWORD

VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


@pytest.fixture
def register(households, db_session, world):  # noqa: ANN001
    """Households in both townships of the county (and one in the neighbouring county); the world's
    users get Chinese display names as real staff have."""
    made = {}
    for i, (region, head) in enumerate([("150121100201", "王大山"), ("150121100201", "李春梅"),
                                        ("150121100202", "张志强"), ("150121101201", "赵桂兰"),
                                        ("150122100201", "外县户")]):
        made[head] = households.add(region=region, head=head, phone=f"139{i:08d}")
    for user in db_session.query(User):
        user.display_name = {"county": "县级业务员", "township": "乡镇审核员", "village": "村级信息员",
                             "admin": "系统管理员"}.get(user.role, "采集员")
    db_session.commit()
    return made


def _members(db_session, household):  # noqa: ANN001, ANN202
    return [m.id_number for m in db_session.query(Member).filter_by(household_id=household.id)
            .order_by(Member.position)]


def _rows(page):  # noqa: ANN001, ANN202
    return [a.inner_text() for a in page.locator("table.data tbody tr td:first-child a").all()]


@VIEWPORTS
def test_county_finds_households(tabs, register, db_session, viewport):  # noqa: ANN001, F811
    tab = tabs(viewport, "county")
    tab.login("county", PASSWORD)
    page = tab.visit("/console/households", "households")
    assert tab.english() == []
    assert set(_rows(page)) == {"王大山", "李春梅", "张志强", "赵桂兰"}

    # the last 6 characters of the spouse's 证件号码
    spouse = _members(db_session, register["张志强"])[1]
    page.fill("input[name=q]", spouse[-6:])
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_load_state("load")
    tab.check("search-id-tail")
    assert _rows(page) == ["张志强"]

    # the cascading picker: a township, then one of its villages (each choice reloads the list)
    tab.visit("/console/households")
    page.locator("select[name=area]").first.select_option("150121100000")
    page.wait_for_url("**area=150121100000**")
    tab.check()
    assert set(_rows(page)) == {"王大山", "李春梅", "张志强"}
    page.locator("select[name=area]").nth(1).select_option("150121100202")
    page.wait_for_url("**area=150121100202**")
    tab.check("picker-village")
    assert _rows(page) == ["张志强"]

    # sorting by 村, descending, then the household page
    page = tab.visit("/console/households?sort=village&dir=desc", "sorted")
    assert _rows(page)[0] == "赵桂兰"
    page.locator("table.data tbody tr td:first-child a", has_text="赵桂兰").click()
    page.wait_for_load_state("load")
    tab.check("household")
    assert page.locator("h1").inner_text() == "赵桂兰"
    tab.visit("/console/dashboard", "dashboard")
    tab.visit("/console/jobs", "jobs")
    tab.visit("/console/users", "users")


@VIEWPORTS
def test_township_and_village(tabs, register, viewport):  # noqa: ANN001, F811
    township = tabs(viewport, "township")
    township.login("township", PASSWORD)
    page = township.visit("/console/households?q=春梅", "search-name")
    assert _rows(page) == ["李春梅"]
    assert township.english() == []
    page = township.visit("/console/households?q=13900000002")
    assert _rows(page) == ["张志强"]
    township.visit(f"/console/households/{register['李春梅'].id}", "household")
    assert township.english() == [], " ".join(township.english())   # the household page too: findings, sources, audit log

    village = tabs(viewport, "village")
    village.login("village", PASSWORD)
    page = village.visit("/console/households", "households")
    assert set(_rows(page)) == {"王大山", "李春梅"}
    assert village.english() == []
    assert page.locator("select[name=area]").count() == 0      # a village has nothing below to pick
    village.visit("/console/dashboard", "dashboard")
    village.visit(f"/console/households/{register['王大山'].id}", "household")
    assert village.english() == []


@VIEWPORTS
def test_admin_pages_through_long_lists(tabs, register, db_session, viewport):  # noqa: ANN001, F811
    for i in range(130):
        db_session.add(User(username=f"cadre{i:03d}", role="collector", display_name=f"采集员{i}",
                            password_hash="x", active=True))
    db_session.commit()
    tab = tabs(viewport, "admin")
    tab.login("admin", PASSWORD)
    page = tab.visit("/console/users", "users")
    assert "共 139 条" in page.locator("nav.pager").inner_text()
    page.fill("nav.pager form.jump input[name=page]", "2")
    page.locator("nav.pager form.jump button").click()
    page.wait_for_url("**page=2**")
    tab.check("users-page-2")
    assert page.locator("table.data tbody tr").count() == 39
    tab.visit("/console/forms", "forms")
    tab.visit("/console/jobs", "jobs")
    tab.visit("/console/households", "households")
