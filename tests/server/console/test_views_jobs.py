"""Jobs page: start an export or a re-scoring from the page, progress bars and auto-refresh while jobs
run, finished export batches with a working (audited) download link; role and region checked."""
from __future__ import annotations

from server.exporting import ExportBatch
from server.jobs import Job, run_pending
from server.register.models import AuditEntry


def _fresh(db_session) -> None:  # noqa: ANN001
    db_session.commit()
    db_session.expire_all()


def test_export_from_the_page_then_download(app, as_user, households, db_session):
    households.add(region="150121100201", head="王大山")
    db_session.commit()
    b = as_user("county")
    page = b.page("/console/jobs")
    choices = page.xpath("//select[@name='spec_choice']//option/@value")
    assert "national:monitoring_persons" in choices and "csv:household_survey" in choices
    response = b.post("/console/jobs/exports", {"region_code": "150121000000",
                                               "spec_choice": "national:monitoring_persons", "full": "1"})
    assert response.status_code == 302
    _fresh(db_session)
    batch = db_session.query(ExportBatch).one()
    job = db_session.get(Job, batch.job_id)
    assert (batch.kind, batch.spec, batch.state, job.state) == ("national", "monitoring_persons", "queued", "queued")

    page = b.page("/console/jobs")
    assert page.xpath("//meta[@http-equiv='refresh']/@content") == ["5"]
    assert "已加入任务队列" in page.text_content()

    assert run_pending(app) == 1
    page = b.page("/console/jobs")
    assert not page.xpath("//meta[@http-equiv='refresh']")
    row = page.xpath(f"//tr[@class='job-done'][td[1]='{job.id}']")[0]
    assert row.xpath(".//progress/@value") == ["100"]
    link = page.xpath("//a[@download]/@href")
    assert link == [f"/api/v1/exports/{batch.id}/file"]
    download = b.get(link[0])
    assert download.status_code == 200 and download.data[:2] == b"PK"
    _fresh(db_session)
    assert db_session.query(AuditEntry).filter_by(action="export", entity_type="export_download").count() == 1


def test_progress_bar_shows_done_of_total(as_user, db_session, world):
    job = Job(kind="rescore", params={}, state="running", region_code="150121000000", done=30, total=120,
              created_by=world.users["county"].id)
    db_session.add(job)
    db_session.commit()
    page = as_user("county").page("/console/jobs")
    row = page.xpath(f"//tr[td[1]='{job.id}']")[0]
    assert row.xpath(".//progress/@value") == ["25"]
    assert "30 / 120" in row.text_content()
    assert page.xpath("//meta[@http-equiv='refresh']")


def test_export_kinds_follow_the_role(as_user):
    township = as_user("township").page("/console/jobs")
    kinds = {v.split(":")[0] for v in township.xpath("//select[@name='spec_choice']//option/@value")}
    assert kinds == {"national", "notice", "photos"}                  # csv: county and admin only
    b = as_user("township")
    b.get("/console/jobs")
    assert b.post("/console/jobs/exports", {"region_code": "150121100000",
                                            "spec_choice": "csv:household_survey"}).status_code == 403


def test_export_outside_the_region_is_404_and_bad_spec_is_explained(as_user, db_session):
    b = as_user("township")
    b.get("/console/jobs")
    assert b.post("/console/jobs/exports", {"region_code": "150121101000",
                                            "spec_choice": "national:monitoring_persons"}).status_code == 404
    response = b.post("/console/jobs/exports", {"region_code": "150121100000", "spec_choice": "national:nope"})
    assert response.status_code == 302
    assert "未知表样" in b.page("/console/jobs").text_content()
    _fresh(db_session)
    assert db_session.query(ExportBatch).count() == 0


def test_rescore_from_the_page(as_user, db_session):
    b = as_user("county")
    b.get("/console/jobs")
    b.post("/console/jobs/rescore", {"region_code": "150121100000", "year": "2021"})
    _fresh(db_session)
    job = db_session.query(Job).one()
    assert (job.kind, job.params, job.region_code) == ("rescore", {"region_code": "150121100000", "year": 2021},
                                                      "150121100000")
    assert db_session.query(AuditEntry).filter_by(action="job.enqueue").count() == 1
    assert b.post("/console/jobs/rescore", {"region_code": "150122000000"}).status_code == 404
    t = as_user("township")
    t.get("/console/jobs")
    assert t.post("/console/jobs/rescore", {"region_code": "150121100000"}).status_code == 403


def test_notice_lists_are_linked_for_the_users_area(as_user):
    b = as_user("township")
    page = b.page("/console/jobs")
    links = page.xpath("//section[@aria-labelledby='h-notices']//a/@href")
    assert "/api/v1/exports/notices/identification_village?region_code=150121100000" in links
    response = b.get(links[0])                                  # the API's page, same session cookie
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert not as_user("admin").page("/console/jobs").xpath("//section[@aria-labelledby='h-notices']")


def test_county_uploads_a_department_file_and_the_job_finds_the_member(app, as_user, households, db_session):
    import io

    from server.register.models import ComparisonWarning

    h = households.add(region="150121100201", head="王大山")
    id_number = h.current_version.record["head_id_number"]
    db_session.commit()
    b = as_user("county")
    page = b.page("/console/jobs")
    assert page.xpath("//form[@enctype='multipart/form-data']//select[@name='source']/option[@value='vehicles']")
    content = f"号牌号码,车辆类型,所有人,身份证号码,初次登记日期\n蒙A00001,小型轿车,王大山,{id_number},2024-05-01\n"
    response = b.client.post("/console/jobs/comparison", data={
        "csrf_token": b.csrf, "region_code": "150121000000", "source": "vehicles",
        "file": (io.BytesIO(content.encode("utf-8")), "cars.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert run_pending(app) == 1
    _fresh(db_session)
    warning = db_session.query(ComparisonWarning).one()
    assert (warning.household_id, warning.exclusion) == (h.id, "vehicle")
    assert db_session.query(AuditEntry).filter_by(action="comparison.import").count() == 1
    t = as_user("township")
    assert not t.page("/console/jobs").xpath("//form[@enctype='multipart/form-data']")
    assert t.post("/console/jobs/comparison", {"region_code": "150121100000", "source": "vehicles"}).status_code == 403


def test_jobs_exports_warnings_and_audit_read_in_chinese(app, as_user, households, db_session):
    """§4: no internal codes or English on these pages: job info "done" → 已完成, a failed job's
    exception text is not shown, export contents by their label, warning sources and their details
    by name, the audit log without JSON or English keys."""
    import io

    h = households.add(region="150121100201", head="王大山")
    id_number = h.current_version.record["head_id_number"]
    db_session.add(Job(kind="rescore", params={}, state="failed", region_code="150121000000", done=0, total=1,
                       error="KeyError: 'income_total'\nTraceback ...", created_by=None))
    db_session.commit()
    b = as_user("county")
    b.post("/console/jobs/exports", {"region_code": "150121000000", "spec_choice": "national:monitoring_persons"})
    content = f"号牌号码,车辆类型,所有人,身份证号码,初次登记日期\n蒙A00001,小型轿车,王大山,{id_number},2024-05-01\n"
    b.client.post("/console/jobs/comparison", data={
        "csrf_token": b.csrf, "region_code": "150121000000", "source": "vehicles",
        "file": (io.BytesIO(content.encode("utf-8")), "cars.csv")}, content_type="multipart/form-data")
    assert run_pending(app) == 2
    page = b.page("/console/jobs")
    jobs_text = page.xpath("//tr[contains(@class,'job-')]")
    text = " ".join(r.text_content() for r in jobs_text)
    assert "已完成" in text and "done" not in text and "matches" not in text
    assert "KeyError" not in text and "服务器日志" in text
    assert "土默特左旗" in text
    batches = page.text_content()
    assert "monitoring_persons" not in batches
    household = b.page(f"/console/households/{h.id}")
    warnings = household.xpath("//section[@id='warnings']")[0].text_content()
    assert "车辆登记" in warnings and "vehicles" not in warnings and "号牌号码：蒙A00001" in warnings
    audit_text = household.xpath("//table[.//td]")[-1].text_content()
    assert "{" not in audit_text and '"' not in audit_text
