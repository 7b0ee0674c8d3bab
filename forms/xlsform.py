"""Catalog + policy → XLSForm sheets (plain rows) → a deterministic .xlsx workbook.

The rows are the single intermediate form: the workbook is written from them, the form version is
a digest of them, and tests read them. Same inputs give byte-identical workbooks (fixed document
timestamps and zip entry dates).
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, replace

from openpyxl import Workbook
from openpyxl.styles import Font

from scoring import codes

from .catalog import CATALOG, DATASET, FORMS
from .fields import Field, Group
from .policy import FormPolicy

ZH = "中文 (zh)"
EN = "English (en)"
SURVEY_COLUMNS = (
    "type", "name", f"label::{ZH}", f"label::{EN}", f"hint::{ZH}", f"hint::{EN}", "required",
    f"required_message::{ZH}", f"required_message::{EN}", "constraint", f"constraint_message::{ZH}",
    f"constraint_message::{EN}", "relevant", "calculation", "trigger", "choice_filter", "default",
    "appearance", "parameters", "save_to",
)
CHOICES_COLUMNS = ("list_name", "name", f"label::{ZH}", f"label::{EN}")
SETTINGS_COLUMNS = ("form_title", "form_id", "version", "default_language", "instance_name")
ENTITIES_COLUMNS = ("list_name", "entity_id", "label")
REQUIRED_MSG = ("此项必填", "This answer is required")
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_FIXED_ISO = "2000-01-01T00:00:00Z"


@dataclass(frozen=True)
class Sheets:
    """The four XLSForm sheets of one form, as header + rows of strings."""

    survey: tuple[tuple[str, ...], ...]
    choices: tuple[tuple[str, ...], ...]
    settings: tuple[tuple[str, ...], ...]
    entities: tuple[tuple[str, ...], ...] | None

    def as_dict(self) -> dict[str, list[tuple[str, ...]]]:
        out = {"survey": [SURVEY_COLUMNS, *self.survey], "choices": [CHOICES_COLUMNS, *self.choices],
               "settings": [SETTINGS_COLUMNS, *self.settings]}
        if self.entities is not None:
            out["entities"] = [ENTITIES_COLUMNS, *self.entities]
        return out


def _fill(text: str | None, policy: FormPolicy, lang: str = "zh") -> str:
    """Fill the policy tokens of a label (in ``lang``) or an expression."""
    if not text:
        return ""
    payouts = " + coalesce(${insurance_payouts}, 0)" if policy.count_insurance_payouts else ""
    return (text.replace("[[floor]]", policy.floor_text).replace("[[period]]", policy.period_text(lang))
            .replace("[[region]]", policy.region_name).replace("[[year]]", str(policy.year))
            .replace("[[payouts]]", payouts).replace("[[county]]", _single_county(policy)))


def _single_county(policy: FormPolicy) -> str:
    """The county code when every village of the policy is in one county (its select is then
    answered already), else ''."""
    counties = {v.county_code for v in policy.villages}
    return counties.pop() if len(counties) == 1 else ""


LAST_SUFFIX = "_last"
LAST_HINT = ("上次登记：", "Last registered: ")


def _prefilled(f: Field, form_id: str) -> bool:
    """Whether ``form_id`` pre-fills ``f`` from the chosen household (a setvalue on its choice)."""
    return bool(FORMS[form_id].prefill and f.entity and f.prefill
                and f.type not in ("calculate", "note", "image"))


def _entity_value(f: Field) -> str:
    return f"instance('{DATASET}')/root/item[name=${{household}}]/{f.entity}"


def _last_row(f: Field, policy: FormPolicy) -> tuple[str, ...]:
    """A calculation holding the registered value of a pre-filled field, for its hint."""
    return _field_row(Field(f.name + LAST_SUFFIX, "calculate", calculation=_entity_value(f)), "", policy)


def _field_row(f: Field, form_id: str, policy: FormPolicy) -> tuple[str, ...]:
    fd = FORMS.get(form_id)
    calculation, trigger, default = f.calculation, "", f.default
    if form_id and _prefilled(f, form_id):
        calculation = _entity_value(f)
        trigger, default = "${household}", None
        if f.type in ("decimal", "integer", "text"):
            # ODK Web Forms 0.22 shows a value set by setvalue as an empty box (and erases it when
            # the box is focused and left): the registered value is shown beside it, read-only.
            last = "${" + f.name + LAST_SUFFIX + "}"
            old = f.hint or ("", "")
            f = replace(f, hint=(f"{LAST_HINT[0]}{last}" + (f"；{old[0]}" if old[0] else ""),
                                 f"{LAST_HINT[1]}{last}" + (f"; {old[1]}" if old[1] else "")))
    save_to = f.entity if (fd and fd.entity and f.entity) else ""
    hint = f.hint or ("", "")
    msg = f.constraint_msg or ("", "")
    req = REQUIRED_MSG if f.required else ("", "")
    row = {
        "type": f.xls_type, "name": f.name, f"label::{ZH}": _fill(f.zh, policy),
        f"label::{EN}": _fill(f.en, policy, "en"), f"hint::{ZH}": _fill(hint[0], policy),
        f"hint::{EN}": _fill(hint[1], policy, "en"),
        "required": "yes" if f.required is True else _fill(f.required or "", policy),
        f"required_message::{ZH}": req[0], f"required_message::{EN}": req[1],
        "constraint": _fill(f.constraint, policy), f"constraint_message::{ZH}": _fill(msg[0], policy),
        f"constraint_message::{EN}": _fill(msg[1], policy, "en"), "relevant": _fill(f.relevant, policy),
        "calculation": _fill(calculation, policy), "trigger": trigger,
        "choice_filter": f.choice_filter or "", "default": _fill(default, policy),
        "appearance": f.appearance or "", "parameters": f.parameters or "", "save_to": save_to,
    }
    return tuple(row[c] for c in SURVEY_COLUMNS)


def _group_row(g: Group, begin: bool, policy: FormPolicy) -> tuple[str, ...]:
    kind = "repeat" if g.repeat else "group"
    row = dict.fromkeys(SURVEY_COLUMNS, "")
    row["type"] = f"{'begin' if begin else 'end'}_{kind}"
    if begin:
        hint = g.hint or ("", "")
        row.update({"name": g.name, f"label::{ZH}": _fill(g.zh, policy), f"label::{EN}": _fill(g.en, policy, "en"),
                    f"hint::{ZH}": _fill(hint[0], policy), f"hint::{EN}": _fill(hint[1], policy, "en"),
                    "relevant": _fill(g.relevant, policy), "appearance": g.appearance or ""})
    return tuple(row[c] for c in SURVEY_COLUMNS)


def _survey(items, form_id: str, policy: FormPolicy, out: list, lists: list[str]) -> None:
    for item in items:
        if form_id not in item.forms:
            continue
        if isinstance(item, Group):
            g = item.for_form(form_id)
            out.append(_group_row(g, True, policy))
            _survey(g.children, form_id, policy, out, lists)
            out.append(_group_row(g, False, policy))
        else:
            f = item.for_form(form_id)
            if _prefilled(f, form_id) and f.type in ("decimal", "integer", "text"):
                out.append(_last_row(f, policy))
            out.append(_field_row(f, form_id, policy))
            if f.type in ("select_one", "select_multiple") and f.choices not in lists:
                lists.append(f.choices)


def sheets(form_id: str, policy: FormPolicy) -> Sheets:
    """The XLSForm rows of ``form_id`` under ``policy`` (version column filled by digest)."""
    if form_id not in FORMS:
        raise KeyError(f"unknown form {form_id!r}; known: {', '.join(FORMS)}")
    fd = FORMS[form_id]
    survey: list[tuple[str, ...]] = []
    lists: list[str] = []
    _survey(CATALOG, form_id, policy, survey, lists)
    choices = tuple((name, c.code, c.zh, c.en) for name in lists for c in codes.code_list(name))
    entities = None
    if fd.entity == "create":
        entities = ((DATASET, "", fd.entity_label or ""),)
    elif fd.entity == "update":
        entities = ((DATASET, "${household}", ""),)
    title = f"{fd.title_zh}（{policy.region_name} {policy.year}）"
    unversioned = Sheets(tuple(survey), choices, ((title, form_id, "", ZH, fd.instance_name),), entities)
    version = form_version(unversioned, policy)
    return Sheets(unversioned.survey, choices, ((title, form_id, version, ZH, fd.instance_name),), entities)


def form_version(unversioned: Sheets, policy: FormPolicy) -> str:
    """``<year>.<10 hex>``: a digest of the form content and its media, so it changes with them."""
    from .policy import regions_csv
    digest = hashlib.sha256(json.dumps(unversioned.as_dict(), ensure_ascii=False).encode("utf-8"))
    digest.update(regions_csv(policy))
    return f"{policy.year}.{digest.hexdigest()[:10]}"


def workbook_bytes(s: Sheets) -> bytes:
    """Write the sheets as an .xlsx a county can open in Excel or WPS; stable bytes."""
    wb = Workbook()
    wb.remove(wb.active)
    widths = {"type": 28, "name": 26, f"label::{ZH}": 36, f"label::{EN}": 36, "constraint": 40,
              "relevant": 30, "calculation": 40, "list_name": 20, "form_title": 40}
    for title, rows in s.as_dict().items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for idx, header in enumerate(rows[0], start=1):
            ws.column_dimensions[ws.cell(1, idx).column_letter].width = widths.get(header, 16)
    wb.properties.creator = "shoudi"
    buf = io.BytesIO()
    wb.save(buf)
    return normalize_zip(buf.getvalue())


def normalize_zip(data: bytes) -> bytes:
    """Re-pack a zip with fixed entry dates and fixed document timestamps."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                                 rb"\g<1>" + _FIXED_ISO.encode() + rb"\g<2>", content)
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, content)
    return out.getvalue()


__all__ = ["Sheets", "sheets", "workbook_bytes", "form_version", "normalize_zip"]
