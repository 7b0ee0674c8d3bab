"""Readable wording for values the console would otherwise show raw: job messages and errors,
department-warning sources and their detail fields, audit details. (Labels of code lists, roles,
states and procedures come from ``i18n``; this module covers the free-form values.)"""
from __future__ import annotations

import json
import re

from .i18n import has, lang, pick, t

_ROWS = re.compile(r"^(\d+) rows, (\d+) matches$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def job_message(message: str | None) -> str:
    """A job's progress message ("done", "re-scoring", "120 rows, 3 matches") in the page's language."""
    if not message:
        return ""
    key = "jobs.msg." + message.replace("-", "_").replace(" ", "_")
    if has(key):
        return t(key)
    found = _ROWS.match(message)
    if found:
        return t("jobs.msg.rows", rows=found.group(1), matches=found.group(2))
    return message if lang() == "en" or _CJK.search(message) else t("jobs.msg.other")


def job_error(error: str | None) -> str:
    """A failed job's error for staff: the Chinese half of a bilingual message (our own errors are
    "中文 / English"), else the kind of failure and where to look — never a raw exception text."""
    first = (error or "").strip().splitlines()[0] if (error or "").strip() else ""
    if lang() != "en" and _CJK.search(first):
        zh = first.split(" / ")[0]
        return zh.split(": ", 1)[1] if zh.split(": ", 1)[0].isidentifier() and ": " in zh else zh
    if lang() == "en":
        return first
    return t("jobs.error_generic")


def warning_source(code: str | None) -> str:
    from server.register.comparison import SOURCES

    source = SOURCES.get(code or "")
    return pick(source.zh, source.en) if source else (code or "")


def warning_detail(code: str | None, detail: dict | None) -> str:
    """``{"plate": "蒙A12345"}`` → "号牌号码：蒙A12345" (the field's name in the source's own header)."""
    from server.register.comparison import SOURCES

    source = SOURCES.get(code or "")
    parts = []
    for key, value in (detail or {}).items():
        label = key
        if source and key in source.columns and lang() != "en":
            label = next((h for h in source.columns[key] if _CJK.search(h)), key)
        elif has(f"field.{key}"):
            label = t(f"field.{key}")
        parts.append(f"{label}：{_value(value)}")
    return "；".join(parts)


def _value(value) -> str:  # noqa: ANN001
    if value is True:
        return t("common.yes")
    if value is False:
        return t("common.no")
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, tuple)):
        return "、".join(_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "（" + audit_detail(value) + "）"
    if isinstance(value, str) and lang() != "en" and has(f"value.{value}"):
        return t(f"value.{value}")
    return str(value) if isinstance(value, (str, int, float)) else json.dumps(value, ensure_ascii=False)


# internal references a reader cannot use (a policy's content hash, row ids shown elsewhere)
_HIDDEN = {"policy_version", "submission_version_id", "job_id"}


def audit_detail(value: dict | None) -> str:
    """An audit entry's before/after as "label：value；…" with Chinese labels (never JSON): record
    fields by their names, categories by their labels, internal references left out."""
    from .i18n import code_label, field_label, role_label

    if not value:
        return ""
    if not isinstance(value, dict):
        return _value(value)
    parts = []
    for key, item in value.items():
        if key in _HIDDEN or (item is None and key != "category"):
            continue
        label = t(f"field.{key}") if has(f"field.{key}") else field_label(key)
        if key in ("changed", "fields") and isinstance(item, (list, tuple)):
            shown = "、".join(record_label(str(name)) for name in item) or "—"
        elif key in ("category", "scored_category"):
            shown = code_label("category", item) if item else "—"
        elif key == "role" and isinstance(item, str):
            shown = role_label(item)
        else:
            shown = _value(item)
        parts.append(f"{label}：{shown}")
    return "；".join(parts)


def record_label(name: str) -> str:
    """A household record field (a survey answer) by its name on the form."""
    from .i18n import field_label
    return t(f"record.{name}") if has(f"record.{name}") else field_label(name)


def actor(name: str | None) -> str:
    """Who did it: a username, or 系统 for the server's own work."""
    return t("audit.system") if name in (None, "", "system") else name


_SPLIT = re.compile(r"\s?/\s(?=[A-Za-z])")


def in_language(message: str) -> str:
    """One language of a bilingual service message ("区划不存在 / unknown region …"): the Chinese
    half on Chinese pages, the English half on English ones; other messages as they are."""
    parts = _SPLIT.split(message, maxsplit=1)
    if len(parts) != 2 or not _CJK.search(parts[0]):
        return message
    return parts[1].strip() if lang() == "en" else parts[0].strip()
