"""docs/forms.md is generated from the catalog; this fails when the committed file is stale."""
from __future__ import annotations

from forms import docs


def test_forms_md_is_current():
    assert docs.DOC_PATH.read_text("utf-8") == docs.render(), \
        "docs/forms.md is stale: run `python -m forms.docs`"


def test_forms_md_lists_every_field_of_every_form():
    from forms.catalog import fields_of
    from forms.fields import FORM_IDS
    text = docs.render()
    for form_id in FORM_IDS:
        assert f"## `{form_id}`" in text
        for groups, f in fields_of(form_id):
            assert f"/{f.name}` |" in text
