"""Server side of exports: region-scoped batches (full and incremental) run as jobs, stored,
downloadable again and audited; notice pages; the `shoudi export` CLI."""
import datetime as dt
import io
import time
import zipfile

import openpyxl
from sqlalchemy import select

from server.exporting import ExportBatch
from server.jobs import run_pending
from server.register.households import apply_record
from server.register.models import AuditEntry, Household, WorkflowCase
from tests.server.register.world import HEAD_ID, api, record, world  # noqa: F401

COUNTY = "150121000000"


def _seed(db_session, *, village="150121100201", head="王大山", household_no=None, status="monitored",
          id_prefix="15012119800315"):
    from scoring import idcard
    body = id_prefix + "001"
    head_id = body + idcard.check_digit(body)
    rec = record(region_code=village, head_name=head, head_id_number=head_id, household_no=household_no)
    rec["members"][0] = dict(rec["members"][0], name=head, id_number=head_id)
    applied = apply_record(db_session, rec)
    h = applied.household
    h.status, h.category, h.identified_on = status, "marginal", dt.date(2026, 2, 10)
    db_session.commit()
    return h


def _run(app, api, user, body):
    response = api.post("/exports", user, json=body)
    assert response.status_code == 202, response.get_json()
    batch = response.get_json()
    assert batch["state"] == "queued" and batch["job_id"]
    run_pending(app)
    detail = api.get(f"/exports/{batch['id']}", user).get_json()
    assert detail["state"] == "done", detail
    return detail


def _rows(api, user, batch_id, sheet="监测对象信息"):
    response = api.get(f"/exports/{batch_id}/file", user)
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    return wb, [r for r in wb[sheet].iter_rows(min_row=4, values_only=True)]


def test_national_batch_is_scoped_recorded_downloadable_and_audited(app, api, db_session, world):
    _seed(db_session)
    _seed(db_session, village="150121101201", head="赵六", id_prefix="15012119750101")
    _seed(db_session, village="150122100201", head="外县户", id_prefix="15012219700101")   # other county
    _seed(db_session, head="未纳入", status="registered", id_prefix="15012119900101")
    batch = _run(app, api, "county", {"kind": "national", "spec": "monitoring_persons",
                                      "region_code": COUNTY, "full": True})
    assert batch["households"] == 2 and batch["rows"] == 6 and batch["full"]
    assert batch["file_name"].endswith(".xlsx") and "土默特左旗" in batch["file_name"]
    wb, rows = _rows(api, "county", batch["id"])
    assert wb["监测对象信息"]["A2"].value.startswith("行政区划：内蒙古自治区呼和浩特市土默特左旗")
    heads = {r[7] for r in rows}
    assert heads == {"王大山", "赵六"}
    first = rows[0]
    assert first[:5] == ("内蒙古自治区", "呼和浩特市", "土默特左旗", "察素齐镇", "甲村")
    assert first[10] == "边缘易致贫户" and first[11] == "202602"
    # downloadable again; every download audited, without personal data
    assert api.get(f"/exports/{batch['id']}/file", "county").status_code == 200
    entries = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    kinds = [e.entity_type for e in entries]
    assert kinds.count("export_batch") == 1 and kinds.count("export_download") == 2
    assert all(HEAD_ID not in str(e.after) for e in entries)
    listed = api.get("/exports", "county").get_json()["items"]
    assert [b["id"] for b in listed] == [batch["id"]]
    assert api.get("/exports", "county_other").get_json()["items"] == []


def test_incremental_batches_take_only_changes(app, api, db_session, world):
    first = _seed(db_session)
    _seed(db_session, village="150121101201", head="赵六", id_prefix="15012119750101")
    body = {"kind": "national", "spec": "households", "region_code": COUNTY}
    b1 = _run(app, api, "county", body)
    assert b1["households"] == 2 and b1["full"]            # no earlier batch: everything
    time.sleep(0.01)
    b2 = _run(app, api, "county", body)
    assert b2["households"] == 0 and not b2["full"] and b2["since"] == b1["cutoff"]
    time.sleep(0.01)
    apply_record(db_session, {"phone": "13912341234"}, entity={"id": first.entity_id, "base_version": 1})
    db_session.commit()
    b3 = _run(app, api, "county", body)
    assert b3["households"] == 1
    _, rows = _rows(api, "county", b3["id"], "户信息")
    assert [r[7] for r in rows] == ["王大山"] and rows[0][9] == "13912341234"
    full = _run(app, api, "county", dict(body, full=True))
    assert full["households"] == 2


def test_roles_and_regions_are_checked(app, api, db_session, world):
    body = {"kind": "national", "spec": "monitoring_persons", "region_code": COUNTY}
    assert api.post("/exports", "village", json=body).status_code == 403
    assert api.post("/exports", "county_other", json=body).status_code == 404
    assert api.post("/exports", None, json=body).status_code == 401
    assert api.post("/exports", "county", json=dict(body, spec="nope")).status_code == 422
    assert api.post("/exports", "county", json={"kind": "csv"}).status_code == 422
    assert api.post("/exports", "county", json=dict(body, region_code="15012")).status_code == 422
    assert api.post("/exports", "county", json=dict(body, params=[1])).status_code == 422
    assert api.get("/exports/notices/identification_village?region_code=", "village").status_code == 422
    assert api.post("/exports", "township", json=dict(body, kind="csv", spec="x")).status_code == 403
    assert db_session.scalar(select(ExportBatch.id)) is None


def test_notice_page_lists_households_at_that_step_without_personal_data(app, api, db_session, world):
    h = _seed(db_session, status="identifying")
    _seed(db_session, head="不在公示", status="identifying", id_prefix="15012119900101")
    db_session.add(WorkflowCase(household_id=h.id, kind="identification", procedure="im_8_steps",
                                state="village_notice", context={}, open=True))
    db_session.commit()
    url = ("/exports/notices/identification_village?region_code=150121100201"
           "&period_start=2026-03-16&period_end=2026-03-20&contact=12317")
    response = api.get(url, "village")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "甲村防止返贫监测对象识别公示" in html and "王大山" in html and "不在公示" not in html
    assert "公示期：2026年3月16日至2026年3月20日" in html
    household = db_session.get(Household, h.id)
    assert household.current_version.record["head_id_number"] not in html
    assert "13800000000" not in html
    # printable page: not cached, not framed, no script, only its own inline style (by hash)
    import base64
    import hashlib
    import re
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp
    style = re.search(r"<style[^>]*>(.*?)</style>", html, flags=re.S).group(1)
    assert "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'" in csp
    pdf = api.get(url + "&format=pdf", "village")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "no-store"
    assert api.get(url, "village_other").status_code == 404
    assert api.get(url.replace("identification_village", "nope"), "village").status_code == 404


def test_cli_export_with_progress_and_user_check(app, cli_runner, db_session, world, tmp_path):
    _seed(db_session)
    out = tmp_path / "n.xlsx"
    result = cli_runner("export", "national", "--region", COUNTY, "--full", "--user", "county", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "1 households, 3 rows" in result.output
    ws = openpyxl.load_workbook(out)["监测对象信息"]
    assert ws["H4"].value == "王大山"
    denied = cli_runner("export", "national", "--region", COUNTY, "--user", "county_other")
    assert denied.exit_code != 0 and "may not export" in denied.output
    listing = cli_runner("export", "batches")
    assert "national\tmonitoring_persons\t150121000000\tfull\tdone\tcounty" in listing.output


def test_photo_bundle_lists_missing_files_in_its_index(app, api, db_session, world):
    _seed(db_session)
    batch = _run(app, api, "township", {"kind": "photos", "spec": "monitored",
                                        "region_code": "150121100000"})
    assert batch["households"] == 1 and batch["summary"]["missing"] == 2   # auth-1.jpg, sig.png
    data = api.get(f"/exports/{batch['id']}/file", "township").data
    zf = zipfile.ZipFile(io.BytesIO(data))
    index = openpyxl.load_workbook(io.BytesIO(zf.read("索引.xlsx")))["索引"]
    rows = list(index.iter_rows(min_row=3, values_only=True))
    assert [r[7] for r in rows] == ["承诺授权书_auth-1.jpg", "户主签字_sig.png"]
    assert all(r[8] == "否（缺失）" for r in rows)
    household_id = db_session.scalar(select(Household.id))
    assert rows[0][1] == f"甲村_王大山_无户编号{household_id}"
