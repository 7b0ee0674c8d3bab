"""REST API basics: login (token and cookie), JSON problems, pagination, regions and users
administration with audit, the OpenAPI document."""
import io

from sqlalchemy import select

from server.register.models import AuditEntry
from tests.server.register.world import PASSWORD


def test_login_token_cookie_and_logout(app, api, db_session):
    client = app.test_client()
    bad = client.post("/api/v1/session", json={"username": "county", "password": "nope"})
    assert bad.status_code == 401 and bad.get_json()["code"] == "auth.login_failed"
    ok = client.post("/api/v1/session", json={"username": "county", "password": PASSWORD})
    assert ok.status_code == 200 and ok.get_json()["user"]["role"] == "county"
    assert client.get("/api/v1/me").get_json()["username"] == "county"            # session cookie
    form_post = client.post("/api/v1/rescore", data={"region_code": "150121000000"})   # a cross-site form
    assert form_post.status_code == 403 and form_post.get_json()["code"] == "auth.csrf"
    assert client.post("/api/v1/rescore", json={"region_code": "150121000000"}).status_code == 202
    assert client.delete("/api/v1/session", headers={"X-Requested-With": "fetch"}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    token = ok.get_json()["token"]
    assert api.client.get("/api/v1/me", headers={"Authorization": "Bearer " + token}).status_code == 200
    assert api.client.get("/api/v1/me", headers={"Authorization": "Bearer x" + token}).get_json()["code"] == \
        "auth.invalid_token"
    actions = db_session.scalars(select(AuditEntry.action)).all()
    assert actions.count("login") == 1 and "login.failed" in actions and "logout" in actions


def test_token_dies_with_a_password_change(app, api, db_session, world):
    token = api.token("village")
    from server.accounts import set_password
    user = db_session.merge(world.users["village"])
    set_password(app, user, "An0ther-passw0rd")
    db_session.commit()
    response = api.client.get("/api/v1/me", headers={"Authorization": "Bearer " + token})
    assert response.status_code == 401


def test_validation_problem_and_pagination(api):
    response = api.post("/users", "admin", json={"role": "boss"})
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "validation"
    assert set(body["details"]["fields"]) >= {"username", "role", "password"}
    assert api.get("/regions?per_page=1000", "admin").status_code == 422
    page = api.get("/regions?per_page=3&page=2", "admin").get_json()
    assert (page["page"], page["per_page"], page["total"], len(page["items"])) == (2, 3, 11, 3)


def test_region_import_by_admin(api, db_session):
    text = "区划代码,名称,年份\n150121100203,丙新村,2024\n150121102000,新镇,2024\n150121102201,新镇一村,2024\n"
    response = api.post("/regions/import", "admin", data={"file": (io.BytesIO(text.encode()), "r.csv")},
                        content_type="multipart/form-data")
    assert response.status_code == 201 and response.get_json() == {"created": 3, "updated": 0}
    assert api.get("/regions/150121102201", "county").get_json()["parent_code"] == "150121102000"
    broken = api.post("/regions/import", "admin",
                      data={"file": (io.BytesIO("code,name\n150199001001,孤村\n".encode()), "r.csv"), "vintage": "2024"},
                      content_type="multipart/form-data")
    assert broken.status_code == 422 and broken.get_json()["code"] == "region.invalid"
    assert "parent" in broken.get_json()["details"]["errors"][0]["message"]
    assert api.post("/regions/import", "county", data={}).status_code == 403


def test_users_and_permission_changes_are_audited(api, db_session):
    created = api.post("/users", "admin", json={"username": "cadre9", "role": "collector", "password": "Longpassw0rd",
                                                "region_codes": ["150121100202"]})
    assert created.status_code == 201
    uid = created.get_json()["id"]
    moved = api.call("PUT", f"/users/{uid}/regions", "admin", json={"region_codes": ["150121100201"]})
    assert moved.status_code == 200 and moved.get_json()["region_codes"] == ["150121100201"]
    entry = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "user.regions")).one()
    assert entry.before == {"regions": ["150121100202"]} and entry.after == {"regions": ["150121100201"]}
    assert entry.actor == "admin"
    in_county = {u["username"] for u in api.get("/users?per_page=100", "county").get_json()["items"]}
    assert "cadre9" in in_county and "county_other" not in in_county and "admin" not in in_county


def test_openapi_document_covers_every_route(app, api):
    doc = api.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    api_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/") and r.endpoint != "api.openapi"]
    assert len(api_rules) >= 25
    for rule in api_rules:
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], (path, method)
    transition = paths["/api/v1/cases/{case_id}/transitions"]["post"]
    assert transition["requestBody"]["content"]["application/json"]["schema"]["required"] == ["name"]
    assert "transition.refused" in doc["components"]["responses"]["Problem"]["content"]["application/json"][
        "schema"]["properties"]["code"]["enum"]
