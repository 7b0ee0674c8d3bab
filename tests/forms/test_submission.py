"""forms.parse_submission on hand-written instances: typing, codes, defensive parsing."""
from __future__ import annotations

import pytest

import forms
from forms import SubmissionParseError, parse_submission

SELF_DECLARATION = """<?xml version="1.0"?>
<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"
      id="self_declaration" version="2026.abc">
  <location><county>150121</county><township>150121100</township><village>150121100201</village>
    <group_name>二组</group_name></location>
  <head><head_name>赵六</head_name><head_id_number>11010519491231002X</head_id_number>
    <phone>13800001111</phone><people_count>3</people_count></head>
  <risk><risks>natural_disaster other</risks><risk_disaster>flood</risk_disaster>
    <risk_note>房屋进水</risk_note></risk>
  <declaration><decl_description/><decl_consent>yes</decl_consent></declaration>
  <signoff><survey_date>2026-07-02</survey_date></signoff>
  <orx:meta><orx:instanceID>uuid:5b1c</orx:instanceID><orx:instanceName>自主申报-赵六</orx:instanceName></orx:meta>
</data>"""


def test_parses_a_self_declaration():
    parsed = parse_submission(SELF_DECLARATION.encode())
    assert (parsed.form_id, parsed.form_version, parsed.instance_id) == ("self_declaration", "2026.abc", "uuid:5b1c")
    assert parsed.instance_name == "自主申报-赵六" and parsed.deprecated_id is None and parsed.entity is None
    rec = parsed.record
    assert rec["region_code"] == "150121100201" and rec["group"] == "二组"
    assert rec["people_count"] == 3 and isinstance(rec["people_count"], int)
    assert rec["risks"] == [{"code": "natural_disaster", "disaster": "flood", "note": None},
                            {"code": "other", "disaster": None, "note": "房屋进水"}]
    assert rec["self_declaration"] == {"consent": True, "description": None}
    assert rec["survey_date"] == "2026-07-02" and rec["entity_id"] is None
    assert "income" not in rec and "members" not in rec


def test_deprecated_id_of_an_edit():
    xml = SELF_DECLARATION.replace("<orx:instanceID>", "<orx:deprecatedID>uuid:old</orx:deprecatedID><orx:instanceID>")
    assert parse_submission(xml).deprecated_id == "uuid:old"


def test_namespaced_instance_is_read_by_local_names():
    xml = SELF_DECLARATION.replace('<data xmlns:jr', '<data xmlns="http://www.w3.org/2002/xforms" xmlns:jr')
    assert parse_submission(xml).record["people_count"] == 3


@pytest.mark.parametrize("xml, message", [
    (b"", "empty"),
    (b"<data id='self_declaration'><head>", "well-formed"),
    (b"<data><meta><instanceID>uuid:1</instanceID></meta></data>", "no form id"),
    (b"<data id='other_form'><meta><instanceID>uuid:1</instanceID></meta></data>", "unknown form"),
    (b"<data id='self_declaration'><meta/></data>", "instanceID"),
])
def test_malformed_input_is_refused_clearly(xml, message):
    with pytest.raises(SubmissionParseError, match=message):
        parse_submission(xml)


def test_entities_and_dtds_are_refused():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>
    <data id="self_declaration"><head><head_name>&b;</head_name></head></data>"""
    with pytest.raises(SubmissionParseError, match="unsafe"):
        parse_submission(bomb)
    external = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <data id="self_declaration"><head><head_name>&x;</head_name></head></data>"""
    with pytest.raises(SubmissionParseError, match="unsafe"):
        parse_submission(external)


def test_wrong_types_name_the_field_not_the_answer():
    xml = SELF_DECLARATION.replace("<people_count>3<", "<people_count>three<")
    with pytest.raises(SubmissionParseError, match="'people_count'.*int") as err:
        parse_submission(xml)
    assert "three" not in str(err.value)


def test_unknown_codes_are_refused():
    xml = SELF_DECLARATION.replace("natural_disaster other", "natural_disaster lottery")
    with pytest.raises(SubmissionParseError, match="not a code of list 'risk'"):
        parse_submission(xml)
    xml = SELF_DECLARATION.replace("<decl_consent>yes", "<decl_consent>maybe")
    with pytest.raises(SubmissionParseError, match="decl_consent"):
        parse_submission(xml)


def test_more_than_five_risks_is_refused():
    xml = SELF_DECLARATION.replace("natural_disaster other", "illness disability accident education housing water")
    with pytest.raises(SubmissionParseError, match="more than 5"):
        parse_submission(xml)


AUTH = """<data id="authorization" version="2026.x">
  <location><village>150121100201</village></location>
  <head><head_name>张桂英</head_name><head_id_number>11010519491231002X</head_id_number></head>
  <proxy><proxy_reason>不识字</proxy_reason><proxy_name>王建国</proxy_name><proxy_relation>son</proxy_relation>
    <proxy_id_number>11010519491231002X</proxy_id_number><thumbprint_photo>{thumb}</thumbprint_photo></proxy>
  <signoff><authorization_photo>letter.jpg</authorization_photo><signature>s.png</signature>
    <collector_name>刘文</collector_name><survey_date>2026-07-02</survey_date></signoff>
  <meta><instanceID>uuid:a1</instanceID></meta></data>"""


def test_attachment_names_are_listed_and_must_be_bare_file_names():
    parsed = parse_submission(AUTH.format(thumb="thumb.jpg"))
    assert parsed.attachments == ("thumb.jpg", "letter.jpg", "s.png")
    assert parsed.record["authorization"]["thumbprint_photo"] == "thumb.jpg"
    for bad in ("../../etc/passwd", "a/b.jpg", "..", "c:\\x.jpg"):
        with pytest.raises(SubmissionParseError, match="bare file name"):
            parse_submission(AUTH.format(thumb=bad))


def test_oversized_input_is_refused():
    with pytest.raises(SubmissionParseError, match="larger"):
        parse_submission(b"<data id='x'>" + b" " * (forms.submission.MAX_BYTES + 1) + b"</data>")


def test_engine_instance_fixture_parses_without_node():
    """tests/forms/data/household_survey_instance.xml was serialised by the ODK Web Forms engine."""
    from pathlib import Path
    xml = (Path(__file__).parent / "data" / "household_survey_instance.xml").read_bytes()
    parsed = parse_submission(xml)
    rec = parsed.record
    assert parsed.form_id == "household_survey" and len(rec["members"]) == 4
    assert [m["relation"] for m in rec["members"]] == ["head", "spouse", "son", "mother"]
    assert rec["members"][0]["id_number"] == rec["head_id_number"]
    assert sum(rec["income"]["wage"].values()) == 30000 and rec["income"]["previous_net"] == 41000
    assert parsed.entity["create"] and parsed.entity["properties"]["people_count"] == "4"


def test_deep_nesting_is_refused_not_a_crash():
    xml = b"<data id='self_declaration'>" + b"<g>" * 5000 + b"</g>" * 5000 + \
          b"<meta><instanceID>uuid:1</instanceID></meta></data>"
    with pytest.raises(SubmissionParseError, match="nests deeper"):
        parse_submission(xml)
