"""Read a submitted instance XML of a shipped form back into a household record.

The bytes come from the network. They are parsed with lxml's hardened parser (no DTD loaded, no
entity resolved, no network, libxml2's default size and depth limits) and a document that declares
a DTD is refused, so no entity is ever defined, let alone expanded. A document lxml refuses, or one
in an encoding other than UTF-8 or an XML version other than 1.0, is re-read by expat (DOCTYPE
refused) and ElementTree, the parser this module used before: so a document gets the answer and
the error message it always got (tests/forms/test_submission_corpus.py checks it against the old
parser), and only the common case takes the fast path. One known difference: libxml2 follows the
XML 1.0 fifth edition's name characters and expat the older tables, so an element, attribute or
processing-instruction name with a non-ASCII letter only the fifth edition allows (``<aǉ/>``) is
now accepted, and ignored like any name the form does not have, where expat refused the document
as not well-formed. Field names are ASCII, and neither Collect nor Enketo writes such names.

Field values are converted by the catalog's types (an ID number's lowercase x becomes X), select
values are checked against
``scoring.codes``, and attachment names must be bare file names. Everything a form needs for that
is compiled once per form (``_plan``). Error messages name the field, never the answer (answers hold
personal data).
"""
from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from xml.etree import ElementTree
from xml.parsers import expat

from lxml import etree

from scoring import codes

from .catalog import FORMS, fields_of
from .errors import SubmissionParseError
from .fields import Field, Group

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


def _child(el, name: str):
    for child in el:
        if _local(child.tag) == name:
            return child
    return None


def _text(el) -> str | None:
    if el is None or el.text is None:
        return None
    value = el.text.strip()
    return value or None


def _fail(f: Field, what: str) -> SubmissionParseError:
    return SubmissionParseError(f"field {f.name!r}: {what}")


# -- reading the XML ---------------------------------------------------------------------------

_UNSAFE = "unsafe XML refused (DTDForbidden)"
_LXML_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                     huge_tree=False, remove_comments=True, remove_pis=True, collect_ids=False,
                     strip_cdata=True)
# Declared encodings expat cannot read that Chinese tools still write; lxml decodes them (iconv)
_CHINESE_ENCODINGS = frozenset({"GBK", "GB2312", "GB18030", "CP936"})
_local_parsers = threading.local()  # lxml parser objects must not be shared between threads


def _lxml_parser() -> etree.XMLParser:
    try:
        return _local_parsers.parser
    except AttributeError:
        parser = _local_parsers.parser = etree.XMLParser(**_LXML_OPTIONS)
        return parser


def _root(xml_bytes: bytes):
    """The root element: lxml's for a well-formed UTF-8 XML 1.0 document without a DTD (the
    submissions Collect and Enketo send), else ElementTree's after an expat check (``_root_slow``)."""
    try:
        root = etree.fromstring(xml_bytes, _lxml_parser())
    except (etree.LxmlError, ValueError):
        return _root_slow(xml_bytes)
    info = root.getroottree().docinfo
    if info.xml_version != "1.0" or (info.encoding.upper() != "UTF-8"
                                     and info.encoding.upper() not in _CHINESE_ENCODINGS):
        return _root_slow(xml_bytes)
    if info.internalDTD is not None or info.externalDTD is not None:
        raise SubmissionParseError(_UNSAFE)
    return root


class _Doctype(Exception):
    pass


def _refuse_doctype(*_args) -> None:
    raise _Doctype


def _root_slow(xml_bytes: bytes) -> ElementTree.Element:
    """What lxml refused or did not read the way expat would: expat decides, as it did when it was
    the only parser (defusedxml: namespace processing, a DOCTYPE refused as soon as it starts, the
    data fed then the parse closed), with expat's error message; a document it accepts has no DTD,
    so ElementTree can build it without meeting an entity declaration."""
    parser = expat.ParserCreate(None, "}")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    try:
        parser.Parse(xml_bytes, False)
        parser.Parse(b"", True)
    except _Doctype:
        raise SubmissionParseError(_UNSAFE) from None
    except expat.ExpatError as exc:
        raise SubmissionParseError(f"the submission is not well-formed XML: {exc}") from None
    except (ValueError, LookupError) as exc:  # an encoding expat cannot read
        raise SubmissionParseError(f"the submission is not well-formed XML: {exc}") from None
    try:
        return ElementTree.fromstring(xml_bytes)
    except ElementTree.ParseError as exc:  # not expected after expat accepted it
        raise SubmissionParseError(f"the submission is not well-formed XML: {exc}") from None


# -- what a form's fields do, compiled once per form -------------------------------------------

def _codes_of(f: Field) -> frozenset[str] | None:
    if f.type in ("select_one", "select_multiple") and f.choices:
        return frozenset(item.code for item in codes.code_list(f.choices))
    return None


def _not_a_code(f: Field, value: str) -> SubmissionParseError:
    return _fail(f, f"{value[:40]!r} is not a code of list {f.choices!r}")


def _converter(f: Field):
    """``convert(raw, attachments)`` for the field's value type; ``raw`` is the stripped text or None."""
    kind = f.value
    allowed = _codes_of(f)
    if f.id_number:
        def convert(raw, attachments):
            return raw.replace("x", "X") if raw is not None else None
        return convert

    def wrong_type() -> SubmissionParseError:
        return _fail(f, f"expected a value of type {kind}")

    if kind == "list":
        def convert(raw, attachments):
            values = raw.split() if raw else []
            if allowed is not None:
                for v in values:
                    if v not in allowed:
                        raise _not_a_code(f, v)
            return values
    elif kind == "int":
        def convert(raw, attachments):
            if raw is None:
                return None
            try:
                number = float(raw)
            except ValueError:
                raise wrong_type() from None
            if not number.is_integer():
                raise wrong_type()
            return int(number)
    elif kind == "float":
        def convert(raw, attachments):
            if raw is None:
                return None
            try:
                number = float(raw)
            except ValueError:
                raise wrong_type() from None
            if not math.isfinite(number):
                raise wrong_type()
            return int(number) if number.is_integer() and "." not in raw else number
    elif kind == "bool":
        def convert(raw, attachments):
            if raw is None:
                return None
            try:
                return _YES_NO[raw]
            except KeyError:
                raise wrong_type() from None
    elif kind == "date":
        def convert(raw, attachments):
            if raw is None:
                return None
            try:
                return date.fromisoformat(raw[:10]).isoformat()
            except ValueError:
                raise wrong_type() from None
    elif kind == "geo":
        def convert(raw, attachments):
            if raw is None:
                return None
            try:
                parts = [float(p) for p in raw.split()]
            except ValueError:
                raise wrong_type() from None
            if len(parts) < 2 or not all(math.isfinite(p) for p in parts):
                raise wrong_type()
            parts += [0.0] * (4 - len(parts))
            return {"lat": parts[0], "lon": parts[1], "alt": parts[2], "accuracy": parts[3]}
    elif kind == "file":
        def convert(raw, attachments):
            if raw is None:
                return None
            if not _FILE_NAME.match(raw) or raw in (".", ".."):
                raise _fail(f, "the attachment name must be a bare file name")
            if raw not in attachments:
                attachments.append(raw)
            return raw
    elif allowed is not None:
        def convert(raw, attachments):
            if raw is None:
                return None
            if raw not in allowed:
                raise _not_a_code(f, raw)
            return raw
    else:
        def convert(raw, attachments):
            return raw
    return convert


def _target(path: str) -> str | tuple[str | None, tuple[str, ...], str]:
    """Where a value goes: the key itself for a plain key, ``(append_key, (), "")`` for ``key+``,
    else ``(None, parents, leaf)``."""
    if path.endswith("+"):
        return path[:-1], (), ""
    *parents, leaf = path.split(".")
    return (None, tuple(parents), leaf) if parents else leaf


_OUTSIDE_REPEAT = object()  # a repeat's field met outside any repeat entry

# How the reader converts a field's text: inline for the common kinds, else ``convert(raw, attachments)``.
_AS_TEXT, _AS_CODE, _AS_BOOL, _AS_NUMBER, _CALL = range(5)


def _field_actions(f: Field, keep: bool) -> tuple[tuple, tuple]:
    """What the reader does with the field's element outside any repeat and inside a repeat entry:
    ``(how, allowed codes, convert, keep, target, field)``. ``keep`` is the field's name when its
    raw text is kept (entity properties, risks; only outside repeats), else None; ``target`` is None
    (the value goes nowhere), ``_OUTSIDE_REPEAT`` (an error) or a ``_target``."""
    allowed = _codes_of(f)
    if f.id_number:
        how = _CALL  # convert: a lowercase x (what phone keyboards type) is stored as X
    elif f.value == "str":
        how = _AS_TEXT if allowed is None else _AS_CODE
    elif f.value == "bool":
        how = _AS_BOOL
    elif f.value == "float":
        how = _AS_NUMBER
    else:
        how = _CALL
    top = in_entry = None
    if f.record is not None:
        if "[]." in f.record:
            top, in_entry = _OUTSIDE_REPEAT, _target(f.record.split("[].", 1)[1])
        else:
            top = _target(f.record)
    convert = _converter(f)
    return ((how, allowed, convert, f.name if keep else None, top, f),
            (how, allowed, convert, None, in_entry, f))


def _runs(defaults: list[tuple[tuple[str, ...], str, bool]]) -> tuple:
    """Consecutive defaults with the same parents grouped: ``((parents, ((leaf, is_list), ...)), ...)``."""
    out: list[tuple[tuple[str, ...], list]] = []
    for parents, leaf, is_list in defaults:
        if not out or out[-1][0] != parents:
            out.append((parents, []))
        out[-1][1].append((leaf, is_list))
    return tuple((parents, tuple(leaves)) for parents, leaves in out)


@dataclass(frozen=True)
class _Plan:
    """Everything parsing a form needs, from the catalog: what to do with each element name, the
    defaults ``_complete`` gives, the entity properties and whether the form asks for risks."""

    fields: dict[str, Field]
    top_actions: dict[str, tuple]     # field name (not a repeat, not "meta") -> action outside repeats
    entry_actions: dict[str, tuple]   # the same names -> action inside a repeat entry
    repeats: dict[str, str | None]    # repeat group name -> record list
    entry_meta: tuple | None          # what "meta" is inside a repeat entry (a field's action, or None)
    converters: dict[str, object]     # field name -> convert(raw, attachments)
    top_defaults: tuple               # _runs(...)
    entry_defaults: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...]
    entity_props: tuple[tuple[str, str], ...]
    has_risks: bool


@lru_cache(maxsize=None)
def _plan(form_id: str) -> _Plan:
    fields: dict[str, Field] = {}
    groups_: dict[str, Group] = {}
    for groups, f in fields_of(form_id):
        if f.name in fields:
            raise SubmissionParseError(f"catalog error: {f.name!r} appears twice in {form_id}")
        fields[f.name] = f
        for g in groups:
            if g.repeat:
                groups_[g.name] = g
    entity_props = tuple((f.name, f.entity) for f in fields.values() if f.entity) if FORMS[form_id].entity else ()
    kept = {name for name, _ in entity_props} | {"risks", "risk_disaster", "risk_note"}
    actions = {name: _field_actions(f, name in kept) for name, f in fields.items() if name not in groups_}
    entry_meta = actions.pop("meta", (None, None))[1]
    top_defaults = []
    for f in fields.values():
        if f.record and "[]." not in f.record and not f.record.endswith("+"):
            *parents, leaf = f.record.split(".")
            top_defaults.append((tuple(parents), leaf, f.value == "list"))
        elif f.record and f.record.endswith("+"):
            top_defaults.append(((), f.record[:-1], True))
    entry_defaults = tuple(
        (g.record, tuple((f.record.split("[].", 1)[1], f.value == "list") for f in fields.values()
                         if f.record and f.record.startswith(g.record + "[].")))
        for g in groups_.values())
    return _Plan(fields, {name: a[0] for name, a in actions.items()}, {name: a[1] for name, a in actions.items()},
                 {name: g.record for name, g in groups_.items()}, entry_meta,
                 {name: _converter(f) for name, f in fields.items()},
                 _runs(top_defaults), entry_defaults, entity_props, "risks" in fields)


class _Reader:
    """Walks the instance once, in document order, converting and placing every field's value.

    Same order and precedence as ever: ``meta`` outside repeats is skipped, a repeat's element
    opens an entry (appended to its list once read), a field's element without children is read,
    any other element with children is walked into. The first error met in that order is raised."""

    def __init__(self, plan: _Plan):
        self.plan = plan
        self.kept: dict[str, str | None] = {}  # raw text of entity and risk fields (outside repeats)
        self.attachments: list[str] = []

    def read(self, el, record: dict, entry: dict | None = None, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise SubmissionParseError(f"the instance nests deeper than {MAX_DEPTH} levels")
        plan = self.plan
        if entry is None:
            actions, base = plan.top_actions, record
        else:
            actions, base = plan.entry_actions, entry
        repeats = plan.repeats
        kept = self.kept
        yes_no = _YES_NO
        as_bool, as_code, as_number, as_text, call = _AS_BOOL, _AS_CODE, _AS_NUMBER, _AS_TEXT, _CALL
        for child in el:
            name = child.tag
            action = actions.get(name)
            if action is None:
                if name.__class__ is not str:
                    continue  # not an element (only the ElementTree fallback could give one)
                if name[:1] == "{":
                    name = name[name.rindex("}") + 1:]
                    action = actions.get(name)
                if action is None:
                    if name == "meta" and entry is None:
                        continue
                    if name in repeats:
                        new_entry: dict = {}
                        self.read(child, record, new_entry, depth + 1)
                        record.setdefault(repeats[name], []).append(new_entry)
                        continue
                    if name == "meta":
                        action = plan.entry_meta
                    if action is None:
                        if len(child):
                            self.read(child, record, entry, depth + 1)
                        continue
            if len(child):
                self.read(child, record, entry, depth + 1)
                continue
            how, allowed, convert, keep, target, f = action
            raw = child.text
            if raw is not None:
                raw = raw.strip() or None
            if raw is None:
                value = None if how != call else convert(None, self.attachments)
            elif how == as_bool:
                value = yes_no.get(raw)
                if value is None:
                    raise _fail(f, "expected a value of type bool")
            elif how == as_code:
                if raw not in allowed:
                    raise _not_a_code(f, raw)
                value = raw
            elif how == as_number:
                try:
                    number = float(raw)
                except ValueError:
                    raise _fail(f, "expected a value of type float") from None
                if number - number != 0.0:  # inf or nan
                    raise _fail(f, "expected a value of type float")
                value = int(number) if number.is_integer() and "." not in raw else number
            elif how == as_text:
                value = raw
            else:
                value = convert(raw, self.attachments)
            if keep is not None:
                kept[keep] = raw
            if target is None:
                continue
            if target.__class__ is str:
                base[target] = value
                continue
            if target is _OUTSIDE_REPEAT:
                raise _fail(f, "a repeat field appears outside its repeat")
            append_key, parents, leaf = target
            into = base
            if append_key is not None:
                if value is not None:
                    into.setdefault(append_key, []).append(value)
                continue
            for part in parents:
                into = into.setdefault(part, {})
            into[leaf] = value


def _risks(values: dict) -> list[dict]:
    out = []
    for code in values.get("risks") or []:
        out.append({"code": code,
                    "disaster": values.get("risk_disaster") if code == "natural_disaster" else None,
                    "note": values.get("risk_note") if code == "other" else None})
    if len(out) > codes.MAX_RISKS:
        raise SubmissionParseError(f"field 'risks': more than {codes.MAX_RISKS} risks")
    return out


def _entity(meta, reader: _Reader, plan: _Plan) -> dict | None:
    el = _child(meta, "entity") if meta is not None else None
    if el is None:
        return None
    truthy = ("1", "true")
    entity_id = (el.get("id") or "").strip()
    if entity_id.startswith("uuid:"):
        entity_id = entity_id[5:]
    props = {}
    kept = reader.kept
    for name, prop in plan.entity_props:
        if name in kept:
            props[prop] = kept[name] or ""
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
    root = _root(xml_bytes)
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
    plan = _plan(form_id)
    reader = _Reader(plan)
    form_version = root.get("version")
    record: dict = {"form_id": form_id, "form_version": form_version, "instance_id": instance_id,
                    "deprecated_id": deprecated_id}
    reader.read(root, record)
    _complete(record, reader, plan)
    entity = _entity(meta, reader, plan)
    if record.get("entity_id") is None and entity and entity.get("id"):
        record["entity_id"] = entity["id"]
    record.setdefault("entity_id", None)
    return ParsedSubmission(form_id, form_version, instance_id, deprecated_id,
                            _text(_child(meta, "instanceName")), entity, tuple(reader.attachments), record)


def _complete(record: dict, reader: _Reader, plan: _Plan) -> None:
    """Give every field the form carries a place in the record (None / [] when unanswered)."""
    for parents, leaves in plan.top_defaults:
        target = record
        for part in parents:
            target = target.setdefault(part, {})
        for leaf, is_list in leaves:
            if leaf not in target:
                target[leaf] = [] if is_list else None
    for key, defaults in plan.entry_defaults:
        entries = record.setdefault(key, [])
        for entry in entries:
            for name, is_list in defaults:
                if name not in entry:
                    entry[name] = [] if is_list else None
            if key == "members" and entry.get("coresident") is None:
                entry["coresident"] = True
    if plan.has_risks:
        # The risk fields' values as converted during the walk (their text was valid then).
        kept = reader.kept
        record["risks"] = _risks({name: plan.converters[name](kept[name], [])
                                  for name in ("risks", "risk_disaster", "risk_note") if name in kept})
