"""Generate ``docs/forms.md`` from the catalog: one table per form, every field.

Run ``python -m forms.docs`` to rewrite the file; a test fails when the committed file is stale.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .catalog import ENTITY_PROPERTIES, FORMS, HOUSEHOLDS_CSV, fields_of
from .fields import FORM_IDS
from .policy import REGIONS_CSV

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "forms.md"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def render() -> str:
    lines = [
        "# Forms (generated — do not edit)",
        "",
        "Generated from `forms/catalog.py` by `python -m forms.docs`; `tests/forms/test_docs.py` fails",
        "when this file is stale. `[[floor]]`, `[[period]]`, `[[year]]` and `[[payouts]]` are filled from the policy",
        f"when a form is built. Location selects read `{REGIONS_CSV}` (built from the policy's villages);",
        f"`followup_visit` and `elimination_check` pick the household from the entity list `{HOUSEHOLDS_CSV}`",
        "(dataset `households`).",
        "",
        "Entity properties (saved by `household_survey`, updated by `followup_visit`, pre-filled in",
        "`followup_visit` and `elimination_check`):",
        "",
        ", ".join(f"`{p}`" for p in ENTITY_PROPERTIES),
        "",
        "Record paths follow `docs/household-record.md`: `a.b` nests, `members[].x` is a field of each",
        "repeat entry, `evidence_photos+` appends. Columns: field name, XLSForm type, labels, required,",
        "the record path, and the national-system column it maps to.",
    ]
    for form_id in FORM_IDS:
        fd = FORMS[form_id]
        lines += ["", f"## `{form_id}` — {fd.title_zh} ({fd.title_en})", ""]
        extra = {"create": "registers the household entity", "update": "updates the household entity"}
        if fd.entity:
            lines += [f"This form {extra[fd.entity]}.", ""]
        lines += ["| field | type | 中文 | English | required | record | national column |",
                  "|---|---|---|---|---|---|---|"]
        for groups, f in fields_of(form_id):
            where = " / ".join(g.name for g in groups)
            lines.append("| " + " | ".join(_cell(v) for v in (
                f"`{where}/{f.name}`" if where else f"`{f.name}`", f.xls_type, f.zh, f.en,
                "yes" if f.required else "", f"`{f.record}`" if f.record else "", f.export)) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    DOC_PATH.write_text(render(), "utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
