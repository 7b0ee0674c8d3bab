"""A corpus of diverse county-written XLSForms taken the way Collect takes them: published with
`shoudi forms publish`, listed, downloaded (hash as listed), then a filled instance submitted with its
files — every one 201, and none `failed` after processing (foreign forms settle as not applicable,
encrypted ones wait for decryption)."""
from __future__ import annotations

import copy
import hashlib
import io
import re
from pathlib import Path
from urllib.parse import quote

import openpyxl
from lxml import etree
from sqlalchemy import select

from server.models import SubmissionVersion
from tests.server.helpers import JPEG, OR

XF = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"

S = ["type", "name", "label"]
# Any RSA public key in base64 DER (SubjectPublicKeyInfo), as Central's managed encryption puts in forms.
PUBLIC_KEY = ("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAv5sO0gGVlkbQZnHYk0nDdOG4W0Gj0U0Uq1YwC3hT1NRqIKkb2h7qs"
              "Fq3WhtW0v1TjUbvG8ELy2K4dJrYk2A1b3VtR6J0pO3RCjQd1xVqU8Wq1y2fX4r3E9J9S6u7YB0v3E0lH2q4wCkZ2l8vT2n3Y"
              "hJm1fPqS0k6d1W7t2y3H5n8p9Q0r1s2t3u4v5w6x7y8z9A0B1C2D3E4F5G6H7I8J9K0L1M2N3O4P5Q6R7S8T9U0V1W2X3Y4Z"
              "5a6b7c8d9e0f1g2h3i4j5k6l7m8n9o0p1q2r3s4t5u6v7w8x9y0z1A2B3C4D5E6F7G8H9I0J1K2L3M4N5O6P7Q8R9S0T1U2V"
              "3W4X5Y6Z7a8b9c0d1e2f3g4h5QIDAQAB")

CORPUS: dict[str, dict[str, list[list[str]]]] = {
    "repeats_groups.xlsx": {"survey": [S, ["begin group", "hh", "Household"], ["text", "head", "Head"],
                                       ["begin repeat", "member", "Member"], ["text", "mname", "Name"],
                                       ["integer", "age", "Age"], ["begin group", "health", "Health"],
                                       ["text", "illness", "Illness"], ["end group", "", ""],
                                       ["end repeat", "", ""], ["end group", "", ""]]},
    "selects.xlsx": {"survey": [S, ["select_one yn", "water", "Safe water?"],
                                ["select_multiple crops", "crops", "Crops"],
                                ["select_one yn", "other", "Other", ], ["text", "why", "Why"]],
                     "choices": [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"],
                                 ["crops", "maize", "Maize"], ["crops", "potato", "Potato"]]},
    "uploads.xlsx": {"survey": [S, ["image", "house", "House photo"], ["audio", "voice", "Voice note"],
                                ["file", "doc", "Document"], ["begin repeat", "rooms", "Rooms"],
                                ["image", "room_photo", "Room photo"], ["end repeat", "", ""]]},
    "calc_geo.xlsx": {"survey": [S + ["calculation"], ["integer", "n", "N", ""],
                                 ["calculate", "double", "", "${n} * 2"], ["geopoint", "where", "Where", ""],
                                 ["date", "day", "Day", ""], ["start", "start", "", ""]]},
    "tree_registration.xlsx": {"survey": [S + ["save_to"], ["text", "species", "Species", "species"],
                                          ["decimal", "height", "Height", "height"]],
                               "entities": [["list_name", "label"], ["trees", "concat(${species}, ' ', ${height})"]]},
    "external_select.xlsx": {"survey": [S, ["select_one_from_file villages.csv", "village", "Village"],
                                        ["select_one_from_file households.csv", "household", "Household"]]},
    "last_saved_form.xlsx": {"survey": [S + ["default"], ["text", "village", "Village", "${last-saved#village}"]]},
    "translated.xlsx": {"survey": [["type", "name", "label::English (en)", "label::中文 (zh)"],
                                   ["text", "q", "Question", "问题"], ["note", "n", "Thanks", "谢谢"]]},
    "settings_cn.xlsx": {"survey": [S, ["text", "户主", "户主姓名"]],
                         "settings": [["form_id", "form_title", "version", "instance_name"],
                                      ["住户调查_ü", "住户调查", "2026120401", "concat('户 ', ${户主})"]]},
    "spaces in name.xlsx": {"survey": [S, ["text", "q", "Q"]]},
    "encrypted_form.xlsx": {"survey": [S, ["text", "secret", "Secret"], ["image", "pic", "Pic"]],
                            "settings": [["form_id", "version", "public_key"], ["sealed", "1", PUBLIC_KEY]]},
}
MEDIA = {"villages.csv": "name,label\n150121100201,示范村\n"}


def _workbook(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _fill(form_xml: bytes, instance_id: str) -> tuple[bytes, dict[str, bytes], str]:
    """A filled instance of the form's primary instance: every leaf answered, one repeat each, files
    named in binary fields. Returns (xml, files, form id)."""
    root = etree.fromstring(form_xml)
    model = root.find(f".//{XF}model")
    primary = next(i for i in model.findall(f"{XF}instance") if i.get("id") is None)
    data = copy.deepcopy(next(primary.iterchildren(tag=etree.Element)))
    binary = {b.get("nodeset") for b in model.iter(f"{XF}bind") if b.get("type") == "binary"}
    files: dict[str, bytes] = {}
    for el in list(data.iter(tag=etree.Element)):
        if el.get(f"{JR}template") is not None:
            del el.attrib[f"{JR}template"]
    for el in data.iter(tag=etree.Element):
        if len(el) or el is data:
            continue
        steps = [etree.QName(a).localname for a in reversed(list(el.iterancestors()))]
        local = etree.QName(el).localname
        path = "/" + "/".join([*steps, local])
        if local == "instanceID":
            el.text = instance_id
        elif path in binary:
            name = f"{local}-{len(files)}.jpg"
            el.text, files[name] = name, JPEG
        elif local not in ("deprecatedID", "entity", "label") and not el.text:
            el.text = "1"
    xml = etree.tostring(data, xml_declaration=True, encoding="UTF-8")
    return xml, files, data.get("id")


def test_corpus_publishes_downloads_and_submits(cli_runner, world, client, db_session, tmp_path):
    media_paths = []
    for name, content in MEDIA.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
        media_paths += ["--media", str(tmp_path / name)]
    for filename, sheets in CORPUS.items():
        path = _workbook(tmp_path / filename, sheets)
        extra = media_paths if filename == "external_select.xlsx" else []
        r = cli_runner("forms", "publish", str(path), "--project", str(world.project.id), *extra)
        assert r.exit_code == 0, (filename, r.output)
        assert "last-saved" not in r.output

    base = f"/v1/key/{world.token}/projects/{world.project.id}"
    listing = client.get(f"{base}/formList", headers=OR)
    assert listing.status_code == 200
    doc = etree.fromstring(listing.get_data())
    ns = {"x": "http://openrosa.org/xforms/xformsList"}
    entries = {x.findtext("x:formID", namespaces=ns): x for x in doc.findall("x:xform", ns)}
    expected_ids = {"repeats_groups", "selects", "uploads", "calc_geo", "tree_registration", "external_select",
                    "last_saved_form", "translated", "住户调查_ü", "spaces in name", "sealed"}
    assert expected_ids <= set(entries)
    assert "data" not in entries

    submitted = []
    for n, form_id in enumerate(sorted(expected_ids)):
        entry = entries[form_id]
        url = entry.findtext("x:downloadUrl", namespaces=ns)
        assert quote(form_id, safe="") in url
        form = client.get(url[url.index("/v1/"):])
        assert form.status_code == 200, form_id
        assert "md5:" + hashlib.md5(form.get_data()).hexdigest() == entry.findtext("x:hash", namespaces=ns)
        manifest_url = entry.findtext("x:manifestUrl", namespaces=ns)
        if manifest_url:
            m = client.get(manifest_url[manifest_url.index("/v1/"):], headers=OR)
            assert m.status_code == 200, form_id
            if form_id == "external_select":   # its uploaded CSV, and the register's list as an entity list
                media = {f.findtext("{*}filename"): f.get("type") for f in etree.fromstring(m.get_data())}
                assert media == {"villages.csv": None, "households.csv": "entityList"}
        iid = f"uuid:c0{n:06d}-1111-4111-8111-111111111111"
        if form_id == "sealed":
            from tests.server.openrosa.test_encrypted_submission import ENC_XML, outer_xml
            version = etree.fromstring(form.get_data()).find(f".//{XF}instance/*").get("version")
            xml = outer_xml(iid, form_id="sealed", version=version, media=())
            files = {"submission.xml.enc": ENC_XML}
        else:
            xml, files, root_id = _fill(form.get_data(), iid)
            assert root_id == form_id
        data = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml")}
        for fname, content in files.items():
            data[fname] = (io.BytesIO(content), fname, "image/jpeg")
        r = client.post(f"{base}/submission", headers=OR, data=data, content_type="multipart/form-data")
        assert r.status_code == 201, (form_id, r.get_data(as_text=True))
        r.close()
        submitted.append((iid, len(files)))

    db_session.rollback()
    versions = {v.instance_id: v for v in db_session.scalars(select(SubmissionVersion))}
    assert set(versions) == {iid for iid, _ in submitted}
    for iid, n_files in submitted:
        v = versions[iid]
        assert v.attachments_present == n_files == v.attachments_expected, iid
    states = {v.processing_state for v in versions.values()}
    assert "failed" not in states and states <= {"not_applicable", "encrypted"}
    assert sum(v.processing_state == "encrypted" for v in versions.values()) == 1
    from server.datasets import Dataset
    assert [(d.name, d.properties) for d in db_session.scalars(select(Dataset))] == [("trees", ["species", "height"])]
