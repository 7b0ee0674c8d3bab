"""`shoudi export csv`: Central-style CSV zip from submissions received over OpenRosa."""
import csv
import io
import zipfile

from tests.server.helpers import JPEG, instance_xml, multipart

IID1 = "uuid:11111111-1111-4111-8111-111111111111"
IID2 = "uuid:22222222-2222-4222-8222-222222222222"


def test_csv_bundle_of_received_submissions(app, collect, world, cli_runner, tmp_path):
    url = f"/v1/projects/{world.project.id}/submission"
    assert collect.post(url, data=multipart(instance_xml(IID1, member_photos=("m0.jpg",)),
                                            {"photo.jpg": JPEG, "m0.jpg": JPEG})).status_code == 201
    assert collect.post(url, data=multipart(instance_xml(IID2, name="李四", photo=None))).status_code == 201
    out = tmp_path / "visit.zip"
    result = cli_runner("export", "csv", "--region", "150121000000", "--form", "visit", "-o", str(out))
    assert result.exit_code == 0, result.output
    zf = zipfile.ZipFile(out)
    names = set(zf.namelist())
    folder = "media/uuid-11111111-1111-4111-8111-111111111111"
    assert {"visit.csv", "visit-members.csv", f"{folder}/photo.jpg", f"{folder}/m0.jpg"} <= names
    assert zf.read(f"{folder}/photo.jpg") == JPEG
    root = list(csv.DictReader(io.StringIO(zf.read("visit.csv").decode("utf-8-sig"))))
    assert [r["KEY"] for r in root] == [IID1, IID2]
    assert [r["name"] for r in root] == ["张三", "李四"]
    assert root[0]["SubmitterName"] and root[0]["SubmissionDate"].endswith("Z")
    assert root[0]["AttachmentsExpected"] == "2" and root[0]["AttachmentsPresent"] == "2"
    assert root[0]["FormVersion"] == "2024010101" and root[0]["Edits"] == "0"
    assert root[0]["photo"] == f"{folder}/photo.jpg" and root[1]["photo"] == ""
    members = list(csv.DictReader(io.StringIO(zf.read("visit-members.csv").decode("utf-8-sig"))))
    assert members == [{"mname": "m0", "idphoto": f"{folder}/m0.jpg", "PARENT_KEY": IID1,
                        "KEY": f"{IID1}/members[1]"}]
    other = cli_runner("export", "csv", "--region", "150122000000", "--form", "visit")
    assert other.exit_code != 0 and "No form" in other.output
