"""Entity lists of forms counties write (a dataset other than `households`), as on ODK Central:
publishing creates the dataset, submissions create and update its entities, forms referencing
`<dataset>.csv` get it as an entity list (manifest type, integrity, ETag) — and a county form
referencing `households.csv` gets the register's list within the user's scope."""
from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import openpyxl
from lxml import etree
from sqlalchemy import select

from server.datasets import Dataset, DatasetEntity
from server.models import SubmissionVersion
from tests.server.conftest import PASSWORD
from tests.server.helpers import OR, DigestClient

NS = {"m": "http://openrosa.org/xforms/xformsManifest"}


def _xlsx(path: Path, survey: list[list[str]], entities: list[list[str]] | None = None) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in (("survey", survey), ("entities", entities)):
        if rows:
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(row)
    wb.save(path)
    return path


def _publish_trees(cli_runner, world, tmp_path) -> None:
    forms = {
        "tree_registration.xlsx": ([["type", "name", "label", "save_to"], ["text", "species", "Species", "species"],
                                    ["decimal", "height", "Height", "height"]],
                                   [["list_name", "label"], ["trees", "concat(${species}, ' ', ${height})"]]),
        "tree_followup.xlsx": ([["type", "name", "label", "save_to"],
                                ["select_one_from_file trees.csv", "tree", "Tree", ""],
                                ["decimal", "height", "New height", "height"]],
                               [["list_name", "entity_id"], ["trees", "${tree}"]]),
        "county_visit.xlsx": ([["type", "name", "label"], ["select_one_from_file households.csv", "hh", "Household"]],
                              None),
    }
    for name, (survey, entities) in forms.items():
        r = cli_runner("forms", "publish", str(_xlsx(tmp_path / name, survey, entities)),
                       "--project", str(world.project.id))
        assert r.exit_code == 0, r.output


def _post(collect, world, xml: str):  # noqa: ANN202
    data = {"xml_submission_file": (io.BytesIO(xml.encode()), "submission.xml", "text/xml")}
    r = collect.post(f"/v1/projects/{world.project.id}/submission", data=data)
    assert r.status_code == 201, r.get_data(as_text=True)


def _registration(eid: str, species: str, height: str, iid: str | None = None) -> str:
    return (f'<data id="tree_registration"><species>{species}</species><height>{height}</height><meta>'
            f'<entity dataset="trees" create="1" id="{eid}"><label>{species} {height}</label></entity>'
            f'<instanceID>{iid or "uuid:" + str(uuid.uuid4())}</instanceID></meta></data>')


def _followup(eid: str, height: str, base: str) -> str:
    return (f'<data id="tree_followup"><tree>{eid}</tree><height>{height}</height><meta>'
            f'<entity dataset="trees" update="1" baseVersion="{base}" trunkVersion="" branchId="" id="{eid}"/>'
            f'<instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>')


def test_dataset_created_filled_served_and_updated(cli_runner, world, client, db_session, tmp_path):
    _publish_trees(cli_runner, world, tmp_path)
    dataset = db_session.scalars(select(Dataset)).one()
    assert (dataset.name, dataset.properties) == ("trees", ["species", "height"])

    collect = DigestClient(client, world.collector, PASSWORD)
    oak = str(uuid.uuid4())
    _post(collect, world, _registration(oak, "oak", "3"))
    db_session.rollback()
    v = db_session.scalars(select(SubmissionVersion)).one()
    assert v.processing_state == "not_applicable"
    assert "created" in v.processing_log[-1]["note"]

    base = f"/v1/projects/{world.project.id}/forms/tree_followup"
    manifest = etree.fromstring(collect.get(f"{base}/manifest", headers=OR).get_data())
    entry = manifest.find("m:mediaFile", NS)
    assert entry.get("type") == "entityList" and entry.findtext("m:filename", namespaces=NS) == "trees.csv"
    assert entry.findtext("m:integrityUrl", namespaces=NS).endswith(f"/projects/{world.project.id}/datasets/trees/integrity")
    url = entry.findtext("m:downloadUrl", namespaces=NS)
    got = collect.get(url[url.index("/v1/"):])
    assert got.status_code == 200 and got.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    assert rows == [["name", "label", "__version", "species", "height"], [oak, "oak 3", "1", "oak", "3"]]
    assert "md5:" + got.headers["ETag"].strip('"') == "md5:" + entry.findtext("m:hash", namespaces=NS).split(":")[1]
    assert collect.get(url[url.index("/v1/"):], headers={"If-None-Match": got.headers["ETag"]}).status_code == 304

    integrity = collect.get(f"/v1/projects/{world.project.id}/datasets/trees/integrity?id={oak},{uuid.uuid4()}",
                            headers=OR)
    doc = etree.fromstring(integrity.get_data())
    assert [e.findtext("deleted") for e in doc.iter("entity")] == ["false", "true"]

    _post(collect, world, _followup(oak, "4", "1"))
    _post(collect, world, _followup(oak, "5", "1"))      # made offline from the same copy: a conflict
    db_session.rollback()
    entity = db_session.scalars(select(DatasetEntity)).one()
    assert (entity.version, entity.data["height"], entity.data["species"], entity.conflict) == (3, "5", "oak", "hard")
    states = {v.processing_state for v in db_session.scalars(select(SubmissionVersion))}
    assert states == {"not_applicable"}


def test_entity_problems_are_noted_never_failed(cli_runner, world, client, db_session, tmp_path):
    _publish_trees(cli_runner, world, tmp_path)
    collect = DigestClient(client, world.collector, PASSWORD)
    _post(collect, world, _registration("not-a-uuid", "elm", "2"))
    _post(collect, world, _followup(str(uuid.uuid4()), "9", "1"))        # unknown entity
    db_session.rollback()
    versions = db_session.scalars(select(SubmissionVersion).order_by(SubmissionVersion.id)).all()
    assert [v.processing_state for v in versions] == ["not_applicable", "not_applicable"]
    assert "not a UUID" in versions[0].processing_log[-1]["note"]
    assert "no entity" in versions[1].processing_log[-1]["note"]
    assert db_session.scalars(select(DatasetEntity)).first() is None


def test_county_form_gets_the_register_list_in_scope(cli_runner, world, client, tmp_path):
    _publish_trees(cli_runner, world, tmp_path)
    collect = DigestClient(client, world.collector, PASSWORD)
    manifest = etree.fromstring(collect.get(f"/v1/projects/{world.project.id}/forms/county_visit/manifest",
                                            headers=OR).get_data())
    entries = {e.findtext("m:filename", namespaces=NS): e for e in manifest.findall("m:mediaFile", NS)}
    assert entries["households.csv"].get("type") == "entityList"
    got = collect.get(f"/v1/projects/{world.project.id}/forms/county_visit/attachments/households.csv")
    assert got.status_code == 200 and got.get_data(as_text=True).startswith("name,label,__version")


def test_outsider_gets_no_list(cli_runner, world, client, tmp_path):
    _publish_trees(cli_runner, world, tmp_path)
    outsider = DigestClient(client, world.outsider, PASSWORD)
    r = outsider.get(f"/v1/projects/{world.project.id}/forms/tree_followup/attachments/trees.csv")
    assert r.status_code in (401, 403)
    r = outsider.get(f"/v1/projects/{world.project.id}/datasets/trees/integrity", headers=OR)
    assert r.status_code in (401, 403)
