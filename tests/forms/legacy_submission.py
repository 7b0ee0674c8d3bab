"""Frozen reference: ``forms/submission.py`` as it was before the lxml rewrite (commit a66a023).

The differential tests (tests/forms/test_submission_corpus.py) parse the same documents with this
module and with ``forms.parse_submission`` and require identical results and identical error
messages. Do not optimise or "fix" this file: it is the definition of the old behaviour.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from scoring import codes

from forms.catalog import FORMS, fields_of
from forms.errors import SubmissionParseError
from forms.fields import Field, Group

MAX_BYTES = 10_000_000
MAX_DEPTH = 32  # the shipped forms nest 4 levels
_FILE_NAME = re.compile(r"^[^/\\\x00]{1,255}$")
_YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class ParsedSubmission:
    """What a submission says: which form and version, its meta block, the entity action, the
    attachment file names it references, and the household record (docs/household-record.md)."""

    form_id: str
    form_version: str | None
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    entity: dict | None
    attachments: tuple[str, ...]
    record: dict = field(default_factory=dict)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: Element, name: str) -> Element | None:
    for child in el:
        if _local(child.tag) == name:
            return child
    return None


def _text(el: Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    value = el.text.strip()
    return value or None


def _fail(f: Field, what: str) -> SubmissionParseError:
    return SubmissionParseError(f"field {f.name!r}: {what}")


def _convert(f: Field, raw: str | None, attachments: list[str]):
    if f.value == "list":
        values = raw.split() if raw else []
        for v in values:
            _check_code(f, v)
        return values
    if raw is None:
        return None
    try:
        if f.value == "int":
            number = float(raw)
            if not number.is_integer():
                raise ValueError
            return int(number)
        if f.value == "float":
            number = float(raw)
            if not math.isfinite(number):
                raise ValueError
            return int(number) if number.is_integer() and "." not in raw else number
        if f.value == "bool":
            if raw not in _YES_NO:
                raise ValueError
            return _YES_NO[raw]
        if f.value == "date":
            return date.fromisoformat(raw[:10]).isoformat()
        if f.value == "geo":
            parts = [float(p) for p in raw.split()]
            if len(parts) < 2 or not all(math.isfinite(p) for p in parts):
                raise ValueError
            parts += [0.0] * (4 - len(parts))
            return {"lat": parts[0], "lon": parts[1], "alt": parts[2], "accuracy": parts[3]}
    except ValueError:
        raise _fail(f, f"expected a value of type {f.value}") from None
    if f.value == "file":
        if not _FILE_NAME.match(raw) or raw in (".", ".."):
            raise _fail(f, "the attachment name must be a bare file name")
        if raw not in attachments:
            attachments.append(raw)
        return raw
    _check_code(f, raw)
    return raw


def _check_code(f: Field, value: str) -> None:
    if f.type in ("select_one", "select_multiple") and f.choices and value not in codes.code_list(f.choices):
        raise _fail(f, f"{value[:40]!r} is not a code of list {f.choices!r}")


def _assign(target: dict, path: str, value) -> None:
    if path.endswith("+"):
        if value is not None:
            target.setdefault(path[:-1], []).append(value)
        return
    *parents, leaf = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


@lru_cache(maxsize=None)
def _form_fields(form_id: str) -> tuple[dict[str, Field], dict[str, Group]]:
    fields: dict[str, Field] = {}
    repeats: dict[str, Group] = {}
    for groups, f in fields_of(form_id):
        if f.name in fields:
            raise SubmissionParseError(f"catalog error: {f.name!r} appears twice in {form_id}")
        fields[f.name] = f
        for g in groups:
            if g.repeat:
                repeats[g.name] = g
    return fields, repeats


class _Reader:
    def __init__(self, form_id: str):
        self.form_id = form_id
        self.fields, self.repeats = _form_fields(form_id)
        self.flat: dict[str, object] = {}
        self.raw: dict[str, str | None] = {}
        self.attachments: list[str] = []

    def read(self, el: Element, record: dict, item: dict | None = None, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise SubmissionParseError(f"the instance nests deeper than {MAX_DEPTH} levels")
        for child in el:
            name = _local(child.tag)
            if name == "meta" and item is None:
                continue
            if name in self.repeats:
                group = self.repeats[name]
                entry: dict = {}
                self.read(child, record, entry, depth + 1)
                record.setdefault(group.record, []).append(entry)
            elif name in self.fields and len(child) == 0:
                f = self.fields[name]
                value = _convert(f, _text(child), self.attachments)
                if item is None:
                    self.flat[name] = value
                    self.raw[name] = _text(child)
                if f.record is None:
                    continue
                if "[]." in f.record:
                    if item is None:
                        raise _fail(f, "a repeat field appears outside its repeat")
                    _assign(item, f.record.split("[].", 1)[1], value)
                elif item is None:
                    _assign(record, f.record, value)
            elif len(child):
                self.read(child, record, item, depth + 1)


def _risks(flat: dict) -> list[dict]:
    out = []
    for code in flat.get("risks") or []:
        out.append({"code": code,
                    "disaster": flat.get("risk_disaster") if code == "natural_disaster" else None,
                    "note": flat.get("risk_note") if code == "other" else None})
    if len(out) > codes.MAX_RISKS:
        raise SubmissionParseError(f"field 'risks': more than {codes.MAX_RISKS} risks")
    return out


def _entity(meta: Element | None, reader: _Reader, form_id: str) -> dict | None:
    el = _child(meta, "entity") if meta is not None else None
    if el is None:
        return None
    truthy = ("1", "true")
    entity_id = (el.get("id") or "").strip()
    if entity_id.startswith("uuid:"):
        entity_id = entity_id[5:]
    props = {}
    if FORMS[form_id].entity:
        for f in reader.fields.values():
            if f.entity and f.name in reader.raw:
                props[f.entity] = reader.raw[f.name] or ""
    return {"dataset": el.get("dataset"), "id": entity_id or None,
            "create": (el.get("create") or "").lower() in truthy,
            "update": (el.get("update") or "").lower() in truthy,
            "base_version": el.get("baseVersion") or None,
            "label": _text(_child(el, "label")), "properties": props}


def parse_submission(xml_bytes: bytes | str) -> ParsedSubmission:
    """Parse a submitted instance of a shipped form. Raises ``SubmissionParseError``."""
    if isinstance(xml_bytes, str):
        xml_bytes = xml_bytes.encode("utf-8")
    if not xml_bytes or not xml_bytes.strip():
        raise SubmissionParseError("the submission is empty")
    if len(xml_bytes) > MAX_BYTES:
        raise SubmissionParseError(f"the submission XML is larger than {MAX_BYTES} bytes")
    try:
        root = fromstring(xml_bytes, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SubmissionParseError(f"unsafe XML refused ({type(exc).__name__})") from None
    except ParseError as exc:
        raise SubmissionParseError(f"the submission is not well-formed XML: {exc}") from None
    form_id = root.get("id")
    if not form_id:
        raise SubmissionParseError("the root element has no form id attribute")
    if form_id not in FORMS:
        raise SubmissionParseError(f"unknown form id {form_id[:60]!r}")
    meta = _child(root, "meta")
    instance_id = _text(_child(meta, "instanceID")) if meta is not None else None
    if not instance_id:
        raise SubmissionParseError("meta/instanceID is missing")
    deprecated_id = _text(_child(meta, "deprecatedID"))
    reader = _Reader(form_id)
    record: dict = {"form_id": form_id, "form_version": root.get("version"), "instance_id": instance_id,
                    "deprecated_id": deprecated_id}
    reader.read(root, record)
    _complete(record, reader)
    entity = _entity(meta, reader, form_id)
    if record.get("entity_id") is None and entity and entity.get("id"):
        record["entity_id"] = entity["id"]
    record.setdefault("entity_id", None)
    return ParsedSubmission(form_id, root.get("version"), instance_id, deprecated_id,
                            _text(_child(meta, "instanceName")), entity, tuple(reader.attachments), record)


def _complete(record: dict, reader: _Reader) -> None:
    """Give every field the form carries a place in the record (None / [] when unanswered)."""
    for f in reader.fields.values():
        if f.record and "[]." not in f.record and not f.record.endswith("+"):
            target = record
            *parents, leaf = f.record.split(".")
            for part in parents:
                target = target.setdefault(part, {})
            target.setdefault(leaf, [] if f.value == "list" else None)
        elif f.record and f.record.endswith("+"):
            record.setdefault(f.record[:-1], [])
    for group in reader.repeats.values():
        entries = record.setdefault(group.record, [])
        for entry in entries:
            for f in reader.fields.values():
                if f.record and f.record.startswith(group.record + "[]."):
                    entry.setdefault(f.record.split("[].", 1)[1], [] if f.value == "list" else None)
            if group.record == "members" and entry.get("coresident") is None:
                entry["coresident"] = True
    if "risks" in reader.fields:
        record["risks"] = _risks(reader.flat)
