"""Central-style CSV zip: schema from the XForm, rows from instances, keys like Central's."""
import csv
import datetime as dt
import io
import zipfile

import pytest

from exports.central_csv import (META_COLUMNS, Submission, XFormError, parse_xform, write_bundle)

XFORM = """<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
  xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
  <h:head><h:title>入户调查</h:title>
    <model>
      <instance>
        <survey id="visit" version="2026110101">
          <head_name/>
          <location/>
          <photo/>
          <income><wage/><transfer/></income>
          <family>
            <member jr:template="">
              <name/><health/>
              <visit jr:template=""><date/><note/></visit>
            </member>
          </family>
          <risk><code/></risk>
          <orx:meta><orx:instanceID/></orx:meta>
        </survey>
      </instance>
      <instance id="villages"><root><item><name>a</name></item></root></instance>
      <bind nodeset="/survey/head_name" type="string"/>
      <bind nodeset="/survey/location" type="geopoint"/>
      <bind nodeset="/survey/photo" type="binary"/>
      <bind nodeset="/survey/income/wage" type="decimal"/>
      <bind nodeset="/survey/family/member/health" type="select"/>
    </model>
  </h:head>
  <h:body>
    <group ref="/survey/family"><repeat nodeset="/survey/family/member">
      <repeat nodeset="/survey/family/member/visit"/></repeat></group>
    <repeat nodeset="/survey/risk"><input ref="/survey/risk/code"/></repeat>
  </h:body>
</h:html>"""

INSTANCE_1 = """<survey xmlns:orx="http://openrosa.org/xforms" id="visit" version="2026110101">
  <head_name>王建国, "老王"</head_name>
  <location>34.745 105.332 1520.5 4.8</location>
  <photo>auth-1.jpg</photo>
  <income><wage>24000</wage><transfer/></income>
  <family>
    <member><name>王建国</name><health>chronic disabled</health>
      <visit><date>2026-03-01</date><note>第一次</note></visit>
      <visit><date>2026-04-01</date><note>第二次
换行</note></visit>
    </member>
    <member><name>李秀英</name><health>healthy</health></member>
  </family>
  <risk><code>illness</code></risk>
  <risk><code>natural_disaster</code></risk>
  <orx:meta><orx:instanceID>uuid:v2</orx:instanceID></orx:meta>
</survey>"""

INSTANCE_2 = """<survey id="visit" version="2026110101"><head_name>张三</head_name>
<unknown_extra>dropped</unknown_extra><meta><instanceID>uuid:b</instanceID></meta></survey>"""


def _subs(extra=()):
    when = dt.datetime(2026, 3, 2, 1, 2, 3, 456000, tzinfo=dt.timezone.utc)
    return [
        Submission("uuid:a", INSTANCE_1.encode(), submission_date=when, submitter_id=5,
                   submitter_name="赵村干", attachments_present=1, attachments_expected=1,
                   review_state="approved", device_id="collect:x1", edits=1,
                   form_version="2026110101",
                   attachments=[("auth-1.jpg", lambda: io.BytesIO(b"\xff\xd8JPEG"))]),
        Submission("uuid:b", INSTANCE_2.encode(), submission_date=when, edits=0,
                   form_version="2026110101"),
        *extra,
    ]


def _read(buf, name):
    with zipfile.ZipFile(buf) as zf:
        text = zf.read(name).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_schema_walk():
    schema = parse_xform(XFORM)
    assert schema.form_id == "visit" and schema.version == "2026110101" and schema.title == "入户调查"
    assert [t.name for t in schema.tables] == ["", "member", "visit", "risk"]
    assert schema.tables[0].columns == [
        "head_name", "location-Latitude", "location-Longitude", "location-Altitude",
        "location-Accuracy", "photo", "income-wage", "income-transfer", "meta-instanceID"]
    assert schema.tables[1].columns == ["name", "health"]
    assert schema.binary_paths == {"/survey/photo"}


def test_bundle_files_rows_and_keys():
    buf = io.BytesIO()
    summary = write_bundle(buf, XFORM, _subs())
    assert summary.submissions == 2 and summary.repeat_rows == 6 and summary.media_files == 1
    names = zipfile.ZipFile(buf).namelist()
    assert set(names) == {"visit.csv", "visit-member.csv", "visit-visit.csv", "visit-risk.csv",
                          "media/uuid-a/auth-1.jpg"}
    root = _read(buf, "visit.csv")
    assert root[0] == ["SubmissionDate", "head_name", "location-Latitude", "location-Longitude",
                       "location-Altitude", "location-Accuracy", "photo", "income-wage",
                       "income-transfer", "meta-instanceID", *META_COLUMNS]
    first = dict(zip(root[0], root[1]))
    assert first["SubmissionDate"] == "2026-03-02T01:02:03.456Z"
    assert first["head_name"] == '王建国, "老王"'
    assert first["location-Latitude"] == "34.745" and first["location-Accuracy"] == "4.8"
    assert first["income-wage"] == "24000" and first["income-transfer"] == ""
    assert first["meta-instanceID"] == "uuid:v2"
    assert first["KEY"] == "uuid:a" and first["ReviewState"] == "approved"
    assert first["SubmitterName"] == "赵村干" and first["Edits"] == "1"
    assert first["AttachmentsPresent"] == "1" and first["DeviceID"] == "collect:x1"
    second = dict(zip(root[0], root[2]))
    assert second["head_name"] == "张三" and second["ReviewState"] == ""
    assert second["meta-instanceID"] == "uuid:b"
    members = _read(buf, "visit-member.csv")
    assert members == [["name", "health", "PARENT_KEY", "KEY"],
                       ["王建国", "chronic disabled", "uuid:a", "uuid:a/family/member[1]"],
                       ["李秀英", "healthy", "uuid:a", "uuid:a/family/member[2]"]]
    visits = _read(buf, "visit-visit.csv")
    assert visits[1] == ["2026-03-01", "第一次", "uuid:a/family/member[1]",
                         "uuid:a/family/member[1]/visit[1]"]
    assert visits[2][1] == "第二次\n换行"
    risks = _read(buf, "visit-risk.csv")
    assert [r[-1] for r in risks[1:]] == ["uuid:a/risk[1]", "uuid:a/risk[2]"]
    assert zipfile.ZipFile(buf).read("media/uuid-a/auth-1.jpg") == b"\xff\xd8JPEG"


def test_header_only_when_no_submissions_and_bom_switch():
    buf = io.BytesIO()
    write_bundle(buf, XFORM, [], bom=False)
    raw = zipfile.ZipFile(buf).read("visit-member.csv")
    assert raw == b"name,health,PARENT_KEY,KEY\r\n"


def test_malformed_instances_are_skipped_and_entities_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<survey id="visit"><head_name>&x;</head_name></survey>').encode()
    buf = io.BytesIO()
    summary = write_bundle(buf, XFORM, _subs([Submission("uuid:c", b"<survey><oops></survey>"),
                                              Submission("uuid:d", xxe)]), media=False)
    assert summary.skipped == 1 and summary.submissions == 3
    text = zipfile.ZipFile(buf).read("visit.csv").decode("utf-8-sig")
    assert "TOP-SECRET" not in text
    assert not [n for n in zipfile.ZipFile(buf).namelist() if n.startswith("media/")]


def test_worker_processes_give_identical_output():
    one, two = io.BytesIO(), io.BytesIO()
    subs = _subs() * 30
    write_bundle(one, XFORM, subs, media=False, chunk_size=7)
    write_bundle(two, XFORM, subs, media=False, workers=2, chunk_size=7)
    for name in zipfile.ZipFile(one).namelist():
        assert zipfile.ZipFile(one).read(name) == zipfile.ZipFile(two).read(name)


def test_repeat_name_clash_gets_a_suffix():
    xform = XFORM.replace("<risk><code/></risk>", "<risk><code/></risk><other><risk><code/></risk></other>") \
                 .replace('<repeat nodeset="/survey/risk">',
                          '<repeat nodeset="/survey/other/risk"/><repeat nodeset="/survey/risk">')
    schema = parse_xform(xform)
    assert [t.name for t in schema.tables] == ["", "member", "visit", "risk", "risk~1"]


def test_not_an_xform():
    with pytest.raises(XFormError):
        parse_xform("<html/>")
    with pytest.raises(XFormError):
        parse_xform("not xml")
