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


# -- hostile documents: refused with SubmissionParseError, never expanded, fetched, hung or crashed --

def _refused(xml: bytes, message: str) -> str:
    with pytest.raises(SubmissionParseError, match=message) as err:
        parse_submission(xml)
    return str(err.value)


def test_billion_laughs_is_refused_without_expansion():
    levels = b"".join(b'<!ENTITY e%d "%s">' % (k, b"&e%d;" % (k - 1) * 10) for k in range(1, 20))
    xml = (b'<?xml version="1.0"?><!DOCTYPE data [<!ENTITY e0 "lol">' + levels + b']>'
           b'<data id="self_declaration"><head><head_name>&e19;</head_name></head>'
           b'<meta><instanceID>uuid:1</instanceID></meta></data>')
    _refused(xml, r"unsafe XML refused \(DTDForbidden\)")


def test_quadratic_blowup_is_refused():
    xml = (b'<!DOCTYPE data [<!ENTITY a "' + b"x" * 100_000 + b'">]><data id="self_declaration"><head>'
           b"<head_name>" + b"&a;" * 20_000 + b"</head_name></head><meta><instanceID>u</instanceID></meta></data>")
    _refused(xml, "unsafe XML refused")


def test_external_entities_and_dtds_are_never_fetched():
    import socket
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/x".encode()
    body = b'<data id="self_declaration"><head><head_name>&x;</head_name></head><meta><instanceID>u</instanceID></meta></data>'
    docs = [b'<!DOCTYPE data SYSTEM "' + url + b'.dtd">' + body.replace(b"&x;", b"a"),
            b'<!DOCTYPE data [<!ENTITY x SYSTEM "' + url + b'.txt">]>' + body,
            b'<!DOCTYPE data [<!ENTITY % p SYSTEM "' + url + b'.ent"> %p;]>' + body,
            b'<!DOCTYPE data [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + body,
            b'<!DOCTYPE data PUBLIC "-//X//Y" "' + url + b'.dtd">' + body.replace(b"&x;", b"a"),
            # malformed after the DOCTYPE: lxml refuses it, the expat fallback must still not fetch
            b'<!DOCTYPE data SYSTEM "' + url + b'.dtd">' + body + b"<junk",
            b'<!DOCTYPE data [<!ENTITY x SYSTEM "' + url + b'.txt">]>' + body.replace(b"</data>", b"")]
    try:
        for xml in docs:
            message = _refused(xml, "unsafe XML refused")
            assert "root:" not in message
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()


def test_plain_doctype_is_refused():
    _refused(b"<!DOCTYPE data>" + SELF_DECLARATION.split("?>", 1)[1].encode(), "unsafe")


def test_undefined_entities_are_not_well_formed():
    _refused(SELF_DECLARATION.replace("赵六", "&nbsp;").encode(), "not well-formed XML: undefined entity")


def test_xinclude_is_not_processed():
    xml = SELF_DECLARATION.replace(
        "<head_name>赵六</head_name>",
        '<head_name/><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" parse="text"/>')
    assert parse_submission(xml).record["head_name"] is None


def test_very_deep_nesting_within_the_size_limit_is_refused_not_a_crash():
    depth = (forms.submission.MAX_BYTES - 200) // 7
    xml = (b"<data id='self_declaration'><meta><instanceID>uuid:1</instanceID></meta>" + b"<g>" * depth
           + b"</g>" * depth + b"</data>")
    assert len(xml) <= forms.submission.MAX_BYTES
    _refused(xml, "nests deeper than 32 levels")


def test_unknown_encodings_are_refused_not_a_crash():
    body = SELF_DECLARATION.split("?>", 1)[1].encode()
    _refused(b'<?xml version="1.0" encoding="x-no-such-encoding"?>' + body, "not well-formed XML")


@pytest.mark.parametrize("declared,codec", [("GBK", "gbk"), ("GB2312", "gb2312"), ("GB18030", "gb18030"),
                                            ("gbk", "gbk")])
def test_chinese_encodings_expat_cannot_read_are_parsed(declared, codec):
    body = SELF_DECLARATION.split("?>", 1)[1]
    parsed = parse_submission(f'<?xml version="1.0" encoding="{declared}"?>'.encode() + body.encode(codec))
    assert parsed.record["head_name"] == "赵六" and parsed.record["group"] == "二组"


def test_other_encodings_expat_reads_still_parse():
    body = SELF_DECLARATION.split("?>", 1)[1]
    utf16 = '<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") + body.encode("utf-16")[2:]
    assert parse_submission(utf16).record["head_name"] == "赵六"
    latin = body.replace("赵六", "Zhao é").replace("二组", "2").replace("房屋进水", "x").replace("自主申报-", "")
    parsed = parse_submission(b'<?xml version="1.0" encoding="ISO-8859-1"?>' + latin.encode("latin-1"))
    assert parsed.record["head_name"] == "Zhao é"


def test_large_values_and_many_attributes_parse():
    big = "说" * 1_000_000
    xml = SELF_DECLARATION.replace("<decl_description/>", f"<decl_description>{big}</decl_description>")
    xml = xml.replace('version="2026.abc"', 'version="2026.abc" ' + " ".join(f'a{k}="{k}"' for k in range(5000)))
    assert parse_submission(xml).record["self_declaration"]["description"] == big


def test_common_documents_take_the_lxml_path_and_others_the_fallback():
    from lxml import etree
    root = forms.submission._root(SELF_DECLARATION.encode())
    assert isinstance(root, etree._Element)
    deep = b"<data id='self_declaration'>" + b"<g>" * 300 + b"</g>" * 300 + b"</data>"  # beyond libxml2's 256
    assert not isinstance(forms.submission._root(deep), etree._Element)
    latin = b'<?xml version="1.0" encoding="ISO-8859-1"?><data id="self_declaration"/>'
    assert not isinstance(forms.submission._root(latin), etree._Element)


def test_parsing_in_threads_gives_the_same_records():
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path
    docs = [(Path(__file__).parent / "data" / "household_survey_instance.xml").read_bytes(),
            SELF_DECLARATION.encode(), AUTH.format(thumb="t.jpg").encode()] * 40
    expected = [parse_submission(d).record for d in docs]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda d: parse_submission(d).record, docs)) == expected


def test_fifth_edition_name_characters_are_accepted_and_ignored():
    """The one known difference from the old expat-only parser (see the module docstring): a name
    character of XML 1.0 fifth edition that expat's older tables lack no longer makes the document
    not well-formed; the element is unknown to the form, so it is ignored."""
    xml = SELF_DECLARATION.replace("<head>", '<head \u01c9="1"><\u01c9a>x</\u01c9a>')
    assert parse_submission(xml).record["head_name"] == "赵六"


def test_lowercase_x_in_an_id_number_is_stored_as_capital_x():
    """Phone keyboards type x: the forms accept it and the record stores X (head, member, proxy)."""
    xml = ("<data id='authorization' version='1'><location><village>150121100201</village></location>"
           "<head><head_name>张桂英</head_name><head_id_number>11010519491231002x</head_id_number></head>"
           "<proxy><proxy_id_number>11010519491231002x</proxy_id_number></proxy>"
           "<meta><instanceID>uuid:1</instanceID></meta></data>")
    rec = forms.parse_submission(xml.encode()).record
    assert rec["head_id_number"] == "11010519491231002X"
    assert rec["authorization"]["proxy_id_number"] == "11010519491231002X"
