"""Reading XForm definitions and instance headers safely; attachment name sanitising."""
from __future__ import annotations

import pytest

from server.submissions.header import HeaderError, read_header, safe_name
from server.xforms import XFormError, inspect
from server.xmlsafe import UnsafeXML, parse
from tests.server.helpers import form_xml, instance_xml


def test_inspect_form():
    info = inspect(form_xml())
    assert (info.form_id, info.version, info.title) == ("visit", "2024010101", "入户调查")
    assert info.media == ["villages.csv"]
    assert info.binary_fields == ["/data/members/idphoto", "/data/photo"]


def test_inspect_refuses_non_forms():
    for bad in (b"<html/>", b"not xml", b'<h:html xmlns:h="http://www.w3.org/1999/xhtml"/>'):
        with pytest.raises(XFormError):
            inspect(bad)


def test_header_and_file_names():
    h = read_header(instance_xml("uuid:1", member_photos=("a.jpg", "b.jpg", "a.jpg"), deprecated_id="uuid:0"))
    assert (h.form_id, h.version, h.instance_id, h.deprecated_id) == ("visit", "2024010101", "uuid:1", "uuid:0")
    assert h.file_names(["/data/photo", "/data/members/idphoto"]) == ["photo.jpg", "a.jpg", "b.jpg"]
    assert h.file_names(["/other/photo"]) == []


def test_header_requires_form_id():
    with pytest.raises(HeaderError):
        read_header(b"<data><meta/></data>")


@pytest.mark.parametrize("raw,clean", [
    ("photo.jpg", "photo.jpg"), ("../../etc/passwd", "passwd"), ("C:\\temp\\x.jpg", "x.jpg"),
    ("/abs/path.png", "path.png"), ("..", None), ("", None), ("a\x00b.jpg", "ab.jpg"), (".hidden", "hidden"),
    ("签名 照片.jpg", "签名 照片.jpg"),
])
def test_safe_name(raw, clean):
    assert safe_name(raw) == clean


def test_doctype_anywhere_in_prolog_is_refused():
    with pytest.raises(UnsafeXML):
        parse(b'<?xml version="1.0"?><!-- c --><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert parse(b"<?xml version='1.0'?><!-- ok --><x>1</x>").text == "1"
