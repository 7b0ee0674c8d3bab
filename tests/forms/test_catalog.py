"""forms.catalog: the catalog is consistent — names, forms, code lists, record paths, labels."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from forms.catalog import CATALOG, ENTITY_PROPERTIES, FORMS, fields_of
from forms.fields import FORM_IDS, Field, Group
from scoring import codes

RECORD_DOC = (Path(__file__).resolve().parents[2] / "docs" / "household-record.md").read_text("utf-8")


def _items(items, parent=None):
    for item in items:
        yield parent, item
        if isinstance(item, Group):
            yield from _items(item.children, item)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_names_are_unique_within_each_form(form_id):
    names = [f.name for _, f in fields_of(form_id)]
    groups = {g.name for gs, _ in fields_of(form_id) for g in gs}
    assert len(names) == len(set(names))
    assert not groups & set(names)


def test_a_field_only_lists_forms_its_group_carries():
    for parent, item in _items(CATALOG):
        if parent is not None:
            assert item.forms <= parent.forms, (item.name, item.forms - parent.forms)
        assert item.forms <= set(FORM_IDS), item.name


def test_every_labelled_field_is_bilingual_and_snake_case():
    for _, item in _items(CATALOG):
        assert re.fullmatch(r"[a-z][a-z0-9_]*", item.name), item.name
        if isinstance(item, Field) and item.type != "calculate":
            assert item.zh and item.en, item.name
            assert re.search(r"[\u4e00-\u9fff]", item.zh), item.name


def test_selects_use_the_shared_code_lists():
    for _, f in (x for fid in FORM_IDS for x in fields_of(fid)):
        if f.type in ("select_one", "select_multiple"):
            assert f.choices in codes.ALL


def test_record_paths_are_in_the_contract():
    for _, f in (x for fid in FORM_IDS for x in fields_of(fid)):
        if f.record:
            top = re.split(r"[.\[+]", f.record)[0]
            assert f'"{top}"' in RECORD_DOC, f"{f.name}: {top!r} is not in docs/household-record.md"


def test_income_sub_items_follow_the_codes():
    carried = {f.record for _, f in fields_of("household_survey") if f.record}
    for component, items in codes.INCOME_ITEMS.items():
        for item in items:
            assert f"income.{component}.{item.code}" in carried
    for item in codes.SPENDING:
        assert f"spending.{item.code}" in carried
    for item in codes.EXCLUSION:
        assert f"exclusions.{item.code}" in carried


def test_member_fields_cover_the_contract():
    member_keys = set(re.findall(r'"(\w+)":', RECORD_DOC.split('"members": [ {')[1].split("}, ... ]")[0]))
    carried = {f.record.split("[].")[1] for _, f in fields_of("household_survey")
               if f.record and f.record.startswith("members[].")}
    assert member_keys <= carried, member_keys - carried


def test_entity_properties_are_saved_by_registration_and_read_by_follow_up():
    assert ENTITY_PROPERTIES[0] == "region_code" and len(set(ENTITY_PROPERTIES)) == len(ENTITY_PROPERTIES)
    followup = {f.entity for _, f in fields_of("followup_visit") if f.entity}
    assert followup <= set(ENTITY_PROPERTIES)
    assert {"people_count", "risks", "spending_medical", "wage_migrant_work"} <= followup
    assert FORMS["household_survey"].entity == "create" and FORMS["followup_visit"].entity == "update"
