"""forms.build: every form compiles without warnings, outputs are deterministic, the version
follows the content, the workbook has the XLSForm sheets, ``cli_build`` writes the files."""
from __future__ import annotations

import dataclasses
import io
import zipfile

import pytest
from lxml import etree
from openpyxl import load_workbook

import forms
from forms.build import DEMO_POLICY

XF = {"x": "http://www.w3.org/2002/xforms", "h": "http://www.w3.org/1999/xhtml",
      "entities": "http://www.opendatakit.org/xforms/entities"}


@pytest.fixture(scope="module")
def built(policy):
    return {b.form_id: b for b in forms.build_all(policy)}


def test_all_five_forms_are_built_without_warnings(built):
    assert list(built) == list(forms.FORM_IDS) == [
        "household_survey", "followup_visit", "elimination_check", "self_declaration", "authorization"]
    for b in built.values():
        assert b.warnings == (), (b.form_id, b.warnings)
        xml, warnings = forms.compile_xlsform(b.xlsx_bytes)
        assert warnings == [] and xml == b.xml_bytes


def test_same_inputs_give_identical_bytes(policy, built):
    again = forms.build_form("household_survey", policy)
    assert again.xlsx_bytes == built["household_survey"].xlsx_bytes
    assert again.xml_bytes == built["household_survey"].xml_bytes
    assert again.media == built["household_survey"].media


def test_version_changes_with_the_content(policy, built):
    higher = forms.build_form("household_survey", dataclasses.replace(policy, floor=8200))
    assert higher.version != built["household_survey"].version
    assert "8200" in higher.xml_bytes.decode() and "8200" not in built["household_survey"].xml_bytes.decode()
    fewer = forms.build_form("household_survey", dataclasses.replace(policy, villages=policy.villages[:1]))
    assert fewer.version != built["household_survey"].version  # media differ → version differs
    root = etree.fromstring(built["household_survey"].xml_bytes)
    data = root.find(".//x:instance/x:data", XF)
    assert data.get("version") == built["household_survey"].version
    assert built["household_survey"].version.startswith("2026.")


def test_workbook_sheets_and_bilingual_columns(built):
    wb = load_workbook(io.BytesIO(built["household_survey"].xlsx_bytes))
    assert wb.sheetnames == ["survey", "choices", "settings", "entities"]
    header = [c.value for c in wb["survey"][1]]
    assert header[:4] == ["type", "name", "label::中文 (zh)", "label::English (en)"]
    settings = {h.value: v.value for h, v in zip(wb["settings"][1], wb["settings"][2])}
    assert settings["default_language"] == "中文 (zh)" and settings["form_id"] == "household_survey"
    assert [c.value for c in wb["entities"][2]][0] == "households"
    assert "entities" not in load_workbook(io.BytesIO(built["self_declaration"].xlsx_bytes)).sheetnames
    choices = {(r[0].value, r[1].value): r[2].value for r in wb["choices"].iter_rows(min_row=2)}
    assert choices[("household_type", "alleviated")] == "脱贫户"
    assert choices[("risk", "natural_disaster")] == "因自然灾害"


def test_workbook_zip_entries_have_fixed_dates(built):
    with zipfile.ZipFile(io.BytesIO(built["authorization"].xlsx_bytes)) as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}


def test_entities_spec_attributes(built):
    reg = etree.fromstring(built["household_survey"].xml_bytes)
    model = reg.find(".//x:model", XF)
    assert model.get(f"{{{XF['entities']}}}entities-version") == "2024.1.0"
    entity = reg.find(".//x:meta/x:entity", XF)
    assert entity.get("dataset") == "households" and entity.get("create") == "1"
    saved = [b.get(f"{{{XF['entities']}}}saveto") for b in reg.iter(f"{{{XF['x']}}}bind")]
    assert [s for s in saved if s] == list(forms.ENTITY_PROPERTIES)
    upd = etree.fromstring(built["followup_visit"].xml_bytes)
    entity = upd.find(".//x:meta/x:entity", XF)
    assert entity.get("update") == "1" and "baseVersion" in entity.attrib
    srcs = {i.get("id"): i.get("src") for i in upd.iter(f"{{{XF['x']}}}instance") if i.get("src")}
    assert srcs == {"regions": "jr://file-csv/regions.csv", "households": "jr://file-csv/households.csv"}


def test_floor_and_period_shown_to_the_cadre(built):
    text = built["household_survey"].xml_bytes.decode()
    assert "监测标准 8000 元" in text and "2025年11月—2026年10月" in text
    assert "[[" not in text


def test_build_refuses_unknown_form_and_empty_village_list(policy):
    with pytest.raises(forms.FormBuildError, match="unknown form"):
        forms.build_form("nope", policy)
    with pytest.raises(forms.FormBuildError, match="no villages"):
        forms.build_form("household_survey", dataclasses.replace(policy, villages=()))


def test_cli_build_writes_workbooks_xforms_and_media(tmp_path):
    written = forms.cli_build(tmp_path, form_ids=["self_declaration"])
    names = sorted(p.relative_to(tmp_path).as_posix() for p in written)
    assert names == ["self_declaration-media/regions.csv", "self_declaration.xlsx", "self_declaration.xml"]
    assert (tmp_path / "self_declaration.xml").read_bytes().startswith(b"<?xml")
    again = forms.cli_build(tmp_path / "again", policy=DEMO_POLICY, form_ids=["self_declaration"])
    assert again[0].read_bytes() == written[0].read_bytes()


def test_policy_file_errors_are_clear(tmp_path):
    bad = tmp_path / "p.toml"
    bad.write_text('region_code = "150121"\nregion_name = "x"\nyear = 2026\nfloor = 8000\n', "utf-8")
    with pytest.raises(forms.FormBuildError, match="villages"):
        forms.load_policy_file(bad)
    bad.write_text(bad.read_text("utf-8") + 'villages = "v.csv"\n', "utf-8")
    (tmp_path / "v.csv").write_text("county_code,county_name\n150121,x\n", "utf-8")
    with pytest.raises(forms.FormBuildError, match="lacks columns"):
        forms.load_policy_file(bad)


def test_python_m_forms_entry_point(tmp_path, capsys):
    from forms.__main__ import main
    assert main(["--out", str(tmp_path), "authorization"]) == 0
    assert (tmp_path / "authorization.xml").is_file()
    assert main(["--out", str(tmp_path), "--policy", str(tmp_path / "missing.toml")]) == 1
    assert "cannot read policy file" in capsys.readouterr().err


def test_shoudi_forms_build_writes_the_forms(tmp_path, policy):
    """`shoudi forms build --out DIR` (named in the README) builds like `python -m forms`."""
    from click.testing import CliRunner

    from server.cli_forms import forms as forms_group
    result = CliRunner().invoke(forms_group, ["build", "--out", str(tmp_path), "authorization"])
    assert result.exit_code == 0, result.output
    built = forms.build_form("authorization", forms.load_policy_file(forms.build.DEMO_POLICY))
    assert (tmp_path / "authorization.xml").read_bytes() == built.xml_bytes
    assert (tmp_path / "authorization-media" / "regions.csv").is_file()
    bad = CliRunner().invoke(forms_group, ["build", "--out", str(tmp_path), "no_such_form"])
    assert bad.exit_code != 0 and "no_such_form" in bad.output
