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

# Taps per form, measured by bench/forms/bench_taps.py (ODK Web Forms engine, reference households of
# bench/forms/reference.py): (form, household, answers, of which 是/否, shown, Collect pages, swipes).
# BEFORE is the form as of commit BEFORE_COMMIT; AFTER is the current catalog, and
# tests/forms/test_taps.py re-runs the bench to keep it true.
BEFORE_COMMIT = "ed266ab"
TAPS_BEFORE = (
    ("household_survey", "1 member (disabled, alone)", 61, 28, 113, 70, 71),
    ("household_survey", "4 members (issue 18 family)", 118, 57, 191, 148, 152),
    ("household_survey", "7 members (students, migrant work)", 159, 86, 266, 223, 230),
    ("followup_visit", "4 members (issue 18 family)", 11, 1, 58, 30, 30),
    ("elimination_check", "4 members (issue 18 family)", 14, 4, 55, 27, 27),
    ("self_declaration", "4 members (issue 18 family)", 11, 1, 12, 12, 12),
    ("authorization", "4 members (issue 18 family)", 14, 0, 15, 15, 15),
)
TAPS_AFTER = (
    ("household_survey", "1 member (disabled, alone)", 32, 0, 85, 16, 17),
    ("household_survey", "4 members (issue 18 family)", 60, 0, 139, 19, 23),
    ("household_survey", "7 members (students, migrant work)", 71, 1, 191, 22, 29),
    ("followup_visit", "4 members (issue 18 family)", 10, 1, 57, 14, 14),
    ("elimination_check", "4 members (issue 18 family)", 13, 4, 55, 20, 20),
    ("self_declaration", "4 members (issue 18 family)", 10, 1, 12, 6, 6),
    ("authorization", "4 members (issue 18 family)", 13, 0, 15, 4, 4),
)


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _taps_rows() -> list[str]:
    rows = []
    for label, table in ((f"before ({BEFORE_COMMIT})", TAPS_BEFORE), ("now", TAPS_AFTER)):
        for form_id, household, *figures in table:
            rows.append(f"| `{form_id}` {label} | {household} | " + " | ".join(map(str, figures)) + " |")
    return rows


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
        "",
        "## Building, publishing, parsing",
        "",
        "- `forms.build_form(form_id, policy)` / `forms.build_all(policy)` write an XLSForm workbook",
        "  (sheets survey, choices, settings, entities; labels `label::中文 (zh)` and",
        "  `label::English (en)`, Chinese by default) and compile it with pyxform. The same inputs give",
        "  byte-identical bytes; the version is `<year>.<digest of the content and media>`.",
        "- `shoudi forms build [--policy FILE] --out DIR` (`forms.cli_build`) writes `<id>.xlsx`,",
        "  `<id>.xml` and `<id>-media/regions.csv`. A policy file is TOML or JSON: `region_code`,",
        "  `region_name`, `year`, `floor`, `income_period` and `villages` = a CSV with columns",
        "  `county_code,county_name,township_code,township_name,village_code,village_name`",
        "  (see `forms/data/demo_policy.toml`).",
        "- A county may adjust a workbook in Excel or WPS and publish it with `shoudi forms publish`",
        "  (`forms.compile_xlsform`). Keep the form ids and field names: `forms.parse_submission` reads",
        "  instances by field name and ignores fields it does not know.",
        "- Nothing is asked twice: member 1 is the head (name and ID from the head's answers);",
        "  家庭人口数 counts the co-resident members; 失学辍学 (with its reason) and 未参保 are computed",
        "  from the members; 易地扶贫搬迁 is asked once for the household. Rows of 是/否 are one",
        "  multi-select with 以上均无 (insurance per member, housing and water, exclusions, the",
        "  household's facts); 文化程度 / 在校生状况 is one question. The national 是/否 columns stay in",
        "  the instance as calculations under their old names, so old and new instances parse alike",
        "  (`tests/forms/test_export_unchanged.py`: same record, same national workbooks).",
        "- Pages: every section and every member is one field-list page (a note heads each member's",
        "  page with the member's number and name); 务工/公益岗 are not asked of children, students or",
        "  members without labour. Follow-up and elimination check show `上次登记：…` beside each",
        "  pre-filled amount (Web Forms 0.22 shows a setvalue'd value as an empty box); the",
        "  self-declaration, filled in browsers, uses no setvalue at all.",
        "- Checks the cadre sees on the phone: 证件号码 length, birth date and GB 11643 check character",
        "  (ODK `substr()`, 0-based with an end index — JavaRosa has no XPath `substring()`; a lowercase",
        "  x is accepted and stored as X), a note under the field naming the rule that failed",
        "  (位数 / 出生日期 / 校验位), birth date and sex derived from it, schooling against age, labour",
        "  ability against age, 11-digit mobile numbers, non-negative amounts, one head (member 1), at",
        "  most five risks, 危房等级 only for an unsafe house, 收入稳定 = 是 refused under the floor in",
        "  the elimination check, a self-declaration needs a difficulty or a description, and consent.",
        "  The income figures and the 提交前核对 page (per capita vs floor, 合规自付支出, 三保障) show",
        "  once people and income are entered.",
        "- Tests fill the forms in the ODK Web Forms engine (`tests/engine/fill.mjs`, Node + jsdom)",
        "  and in JavaRosa, ODK Collect's engine (`tests/engine/javarosa/Fill.java`, from pyxform's",
        "  ODK_Validate.jar), then parse the serialised instances.",
        "",
        "## Forms a county writes (foreign forms)",
        "",
        "- Any XLSForm or XForm can be published into a project (`shoudi forms publish FILE.xlsx|.xml`).",
        "  A workbook without a `form_id` setting gets its file name (without `.xlsx`) as form id, as",
        "  pyxform and ODK Central do (`住户 随访.xlsx` → `住户 随访`); a `form_id` setting wins.",
        "- Media: files named by `jr://file/…`, `jr://file-csv/…` instances and `jr://images|audio|video|file`",
        "  references (add them with `--media`). `jr://instance/last-saved` is the phone's own last saved",
        "  instance, not a media file.",
        "- Submissions to a form that is not one of the household forms below are stored, listed",
        "  (`shoudi submissions list`), counted and exported (`shoudi export csv --form ID`) like any other.",
        "  Processing records that no register step applies: state `not_applicable` (无需登记), shown in",
        "  the CLI and on the console dashboard; never `failed`, never retried by `reprocess --all-failed`.",
        "- Entity lists of a county's own forms (`server/datasets.py`): a form whose `entities` sheet names",
        "  a list other than `households` creates that dataset (its `save_to` properties) when published;",
        "  each submission creates or updates its entity (problems — no label, an id that is not a UUID,",
        "  an unknown entity — are noted on the submission, never a failure; an update from an outdated",
        "  copy is applied and flagged as a conflict). Forms that read `<list>.csv` get it as an entity",
        "  list (manifest `type=\"entityList\"`, integrity URL, ETag), for users who may read the project.",
        "  A county form that reads `households.csv` gets the register's list within the user's villages.",
        "",
        "## Encryption on the phone",
        "",
        "- `shoudi forms encrypt PROJECT --user <county user>` (managed encryption, as ODK Central's): a key",
        "  pair for the project, the private key sealed under a passphrase the county keeps; every form",
        "  of the project is republished with `<submission base64RsaPublicKey=…>` and the version",
        "  `<version>[encrypted:<key digest>]`, and so is every form published into it later. Collect",
        "  then encrypts each finalised instance (data and photos) on the phone.",
        "- An encrypted submission is kept as received: the manifest XML and every part it names",
        "  (`submission.xml.enc`, `*.enc`), on disk before the 201; a last POST still missing a named",
        "  part is answered 400 so Collect keeps the instance and sends it again.",
        "- Processing decrypts while the key is unlocked: `shoudi forms unlock PROJECT --user <county",
        "  user> --minutes N` (passphrase asked; at most 480 minutes; audited), `shoudi forms lock",
        "  PROJECT`, `shoudi forms key-status PROJECT`. Otherwise submissions wait in state `encrypted`",
        "  (待解密), counted on the dashboard; unlocking sends them to processing. A part altered after",
        "  encryption fails the element signature: state `failed`, the parts kept.",
        "- `shoudi export csv` writes a row per encrypted submission (`Status` = `not decrypted`) and",
        "  ships its parts under `encrypted/<KEY>/` with `encrypted/manifest.csv` (sizes, SHA-256);",
        "  `--decrypt` writes decrypted rows and photos instead, while the key is unlocked. The console's",
        "  Encryption page (county staff, admins) turns encryption on, unlocks and locks.",
        "  Without the passphrase nothing can be decrypted: keep it where county staff can find it.",
        "  See `docs/security.md` (Encryption on the phone).",
        "",
        "## Taps per household",
        "",
        "Measured by `bench/forms/bench_taps.py` in the ODK Web Forms engine for the reference households",
        "of `bench/forms/reference.py`: *answers* the cadre gives or changes (of which 是/否), questions",
        "and notes *shown*, *pages* in ODK Collect with field-list groups, and *swipes* (pages plus the",
        "\"add another member?\" dialog after each member). `tests/forms/test_taps.py` keeps the current",
        "figures true.",
        "",
        "| form | household | answers | 是/否 | shown | pages | swipes |",
        "|---|---|---|---|---|---|---|",
        *_taps_rows(),
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
                "yes" if f.required is True else (f"if {f.required}" if f.required else ""), f"`{f.record}`" if f.record else "", f.export)) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    DOC_PATH.write_text(render(), "utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
