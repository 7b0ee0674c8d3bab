"""The households entity list over OpenRosa: per-collector CSV, manifest entityList entry, ETag/304,
integrity endpoint."""
import csv
import io

import pytest
from lxml import etree

from server.accounts import create_project, issue_token
from server.publishing import publish
from server.register.entities import entity_properties
from server.register.households import apply_record
from server.storage import get_blobs
from tests.server.helpers import shipped_structure
from tests.server.register.world import record

FOLLOWUP = """<?xml version="1.0" encoding="UTF-8"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
        xmlns:jr="http://openrosa.org/javarosa">
  <h:head><h:title>Follow-up</h:title>
    <model>
      <instance><data id="followup_visit" version="1"><hh/><meta><instanceID/></meta></data></instance>
      <instance id="households" src="jr://file-csv/households.csv"/>
      <bind nodeset="/data/hh" type="string"/>
    </model>
  </h:head>
  <h:body><select1 ref="/data/hh"><label>户</label>
    <itemset nodeset="instance('households')/root/item"><value ref="name"/><label ref="label"/></itemset>
  </select1></h:body>
</h:html>""".encode()
OR = {"X-OpenRosa-Version": "1.0"}


@pytest.fixture
def setup(app, db_session, world):
    project = create_project(db_session, "土左旗", "150121000000")
    publish(db_session, get_blobs(app), project, shipped_structure(FOLLOWUP))
    mine = apply_record(db_session, record())
    theirs = apply_record(db_session, record(region_code="150121100202", head_name="赵四",
                                             head_id_number="150121197001010013", members=[]))
    tokens = {name: issue_token(db_session, world.users[name], project).token
              for name in ("collector", "collector_other", "county")}
    db_session.commit()
    return {"pid": project.id, "mine": mine.household, "theirs": theirs.household, "tokens": tokens}


def _base(setup, user):
    return f"/v1/key/{setup['tokens'][user]}/projects/{setup['pid']}"


def _get_csv(client, url, **kwargs):  # noqa: ANN001, ANN003, ANN202
    """GET the streamed entity list, read it and close the response (as a WSGI server does): until then
    the stream's request context keeps its session open, idle in a transaction."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def test_manifest_lists_the_entity_list_with_integrity_url(client, setup):
    response = client.get(_base(setup, "collector") + "/forms/followup_visit/manifest", headers=OR)
    assert response.status_code == 200
    doc = etree.fromstring(response.data)
    ns = {"m": "http://openrosa.org/xforms/xformsManifest"}
    entry = doc.find("m:mediaFile", ns)
    assert entry.get("type") == "entityList"
    assert entry.findtext("m:filename", namespaces=ns) == "households.csv"
    assert entry.findtext("m:hash", namespaces=ns).startswith("md5:")
    assert entry.findtext("m:integrityUrl", namespaces=ns).endswith("/datasets/households/integrity")


def test_csv_holds_only_the_collectors_villages(client, setup):
    url = _base(setup, "collector") + "/forms/followup_visit/attachments/households.csv"
    response = _get_csv(client, url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"      # names and household data: never cached
    rows = list(csv.reader(io.StringIO(response.data.decode())))
    from forms import ENTITY_PROPERTIES
    assert rows[0] == ["name", "label", "__version", *ENTITY_PROPERTIES]
    assert [r[0] for r in rows[1:]] == [setup["mine"].entity_id]
    row = dict(zip(rows[0], rows[1]))
    assert row["label"] == "王大山（3人，上次走访 2026-01-10）" and row["__version"] == "1"  # head, size, last visit
    assert row["wage_migrant_work"] == "6000" and row["school_dropout"] == "no" and row["risks"] == "illness"
    other = _get_csv(client, _base(setup, "collector_other") + "/forms/followup_visit/attachments/households.csv")
    assert [r[0] for r in csv.reader(io.StringIO(other.data.decode()))][1:] == [setup["theirs"].entity_id]
    county = _get_csv(client, _base(setup, "county") + "/forms/followup_visit/attachments/households.csv")
    assert len(county.data.decode().strip().splitlines()) == 3


def test_etag_304_until_the_list_changes(client, db_session, setup):
    url = _base(setup, "collector") + "/forms/followup_visit/attachments/households.csv"
    first = _get_csv(client, url)
    etag = first.headers["ETag"]
    manifest = client.get(_base(setup, "collector") + "/forms/followup_visit/manifest", headers=OR)
    assert etag.strip('"') in manifest.data.decode()
    assert _get_csv(client, url, headers={"If-None-Match": etag}).status_code == 304
    apply_record(db_session, {"phone": "13911112222"}, entity={"id": setup["mine"].entity_id, "base_version": 1})
    db_session.commit()
    again = _get_csv(client, url, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert ",2," in again.data.decode().splitlines()[1]


def test_integrity_endpoint(client, setup):
    mine, theirs = setup["mine"].entity_id, setup["theirs"].entity_id
    url = _base(setup, "collector") + "/datasets/households/integrity"
    assert client.get(url).status_code == 400                      # OpenRosa header required
    response = client.get(f"{url}?id={mine},{theirs}", headers=OR)
    assert response.status_code == 200 and response.headers["X-OpenRosa-Version"] == "1.0"
    doc = etree.fromstring(response.data)
    states = {e.get("id"): e.findtext("deleted") for e in doc.iter("entity")}
    assert states == {mine: "false", theirs: "true"}
    everything = etree.fromstring(client.get(url, headers=OR).data)
    assert [e.get("id") for e in everything.iter("entity")] == [mine]
    assert client.get(_base(setup, "collector") + "/datasets/other/integrity", headers=OR).status_code == 404


def test_entity_properties_encode_like_the_form():
    props = entity_properties(record())
    assert props["region_code"] == "150121100201" and props["people_count"] == "3"
    assert props["water_quality"] == "yes" and props["last_visit"] == "2026-01-10"
    assert props["transfer_dibao"] == "0"


def test_chunked_list_equals_the_whole(db_session, setup):
    from server.register.entities import households_csv, iter_households_csv
    for i in range(5):
        apply_record(db_session, record(head_id_number=f"15012119800101{i:03d}1", members=[], household_no=f"N{i}"))
    db_session.commit()
    whole = households_csv(db_session, "county", ["150121000000"])
    chunks = list(iter_households_csv(db_session, "county", ["150121000000"], chunk=2))
    assert len(chunks) == 4 and b"".join(chunks) == whole
    assert whole.count(b"\n") == 1 + 7 and whole.startswith(b"name,label,__version,")


def test_streamed_csv_leaves_no_connection_checked_out(app, client, setup):
    """The list is streamed after the request's teardown: its session must be closed when the stream ends
    (a connection left idle in a transaction blocks the tables' emptying and ties up the pool)."""
    import gc

    from server.db import get_db
    pool = get_db(app).engine.pool
    gc.disable()   # a leaked session would be released only by the cycle collector: do not let it hide one
    try:
        response = _get_csv(client, _base(setup, "county") + "/forms/followup_visit/attachments/households.csv")
        assert response.status_code == 200 and len(response.get_data().splitlines()) == 3
        assert pool.checkedout() == 0
    finally:
        gc.enable()
