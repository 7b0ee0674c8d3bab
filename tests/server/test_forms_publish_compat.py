"""`shoudi forms publish` as pyxform and ODK Central do it: a workbook without a `form_id` setting is
published under its file name (not `data`), and `jr://instance/last-saved` is not a media file."""
from __future__ import annotations

from pathlib import Path

import openpyxl

from tests.server.helpers import DigestClient, OR
from tests.server.conftest import PASSWORD


def workbook(path: Path, rows: list[list[str]], settings: list[list[str]] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label"])
    for row in rows:
        ws.append(row)
    if settings:
        st = wb.create_sheet("settings")
        for row in settings:
            st.append(row)
    wb.save(path)
    return path


def test_workbook_without_form_id_takes_its_file_name(cli_runner, world, tmp_path):
    first = workbook(tmp_path / "tutorial.xlsx", [["text", "name", "Name"]])
    second = workbook(tmp_path / "住户 随访_2.xlsx", [["integer", "age", "Age"]])
    for path in (first, second):
        r = cli_runner("forms", "publish", str(path), "--project", str(world.project.id))
        assert r.exit_code == 0, r.output
    listed = cli_runner("forms", "list", "--project", str(world.project.id)).output
    assert f"{world.project.id}\ttutorial\topen" in listed
    assert f"{world.project.id}\t住户 随访_2\topen" in listed
    assert "\tdata\t" not in listed
    # a form_id setting still wins over the file name
    named = workbook(tmp_path / "whatever.xlsx", [["text", "q", "Q"]], [["form_id", "version"], ["county_check", "1"]])
    assert cli_runner("forms", "publish", str(named), "--project", str(world.project.id)).exit_code == 0
    assert "\tcounty_check\t" in cli_runner("forms", "list").output


def test_last_saved_is_not_media(cli_runner, world, tmp_path, client):
    path = workbook(tmp_path / "last_saved.xlsx", [["text", "village", "Village", ],
                                                   ["calculate", "prev", ""]])
    wb = openpyxl.load_workbook(path)
    ws = wb["survey"]
    ws.cell(row=1, column=4, value="calculation")
    ws.cell(row=1, column=5, value="default")
    ws.cell(row=2, column=5, value="${last-saved#village}")
    ws.cell(row=3, column=4, value="instance('__last-saved')/data/village")
    wb.save(path)
    r = cli_runner("forms", "publish", str(path), "--project", str(world.project.id))
    assert r.exit_code == 0, r.output
    assert "missing media" not in r.output and "last-saved" not in r.output
    collect = DigestClient(client, world.collector, PASSWORD)
    form = collect.get(f"/v1/projects/{world.project.id}/forms/last_saved.xml")
    assert b"jr://instance/last-saved" in form.get_data()      # the form does use it …
    listing = collect.get(f"/v1/projects/{world.project.id}/formList?formID=last_saved", headers=OR)
    assert b"<formID>last_saved</formID>" in listing.get_data()
    assert b"manifestUrl" not in listing.get_data()            # … yet it needs no media files
    manifest = collect.get(f"/v1/projects/{world.project.id}/forms/last_saved/manifest", headers=OR)
    assert manifest.status_code == 200 and b"mediaFile" not in manifest.get_data()
