"""ODK Central-style CSV zip of one form's submissions, built from the XForm itself.

Generic, like Central's export (shared/openrosa.md §6): the XForm's primary instance and binds
give the leaf fields, groups, repeats, geopoints and binary fields; each stored submission
instance is read against that schema. Output: ``{form}.csv`` (``SubmissionDate``, leaf fields
named by group path joined with ``-``, geopoints split into ``-Latitude/-Longitude/-Altitude/
-Accuracy``, then ``KEY, SubmitterID, SubmitterName, AttachmentsPresent, AttachmentsExpected,
Status, ReviewState, DeviceID, Edits, FormVersion``), one ``{form}-{repeat}.csv`` per repeat
(fields relative to the repeat, then ``PARENT_KEY, KEY``; ``KEY = {parentKey}/{path}[n]``) and,
optionally, the attachments under ``media/{instance}/{file}`` (one folder per submission, so files
of the same name from different phones are all kept; a binary field's cell then holds that path).
Every cell goes through :mod:`exports.csv_safety` (no spreadsheet formulas).

Encrypted submissions (ODK encryption, not decrypted on the server) get a row with ``Status`` =
``not decrypted`` and their data fields empty; what they consist of is shipped as received, one
directory per instance, ``encrypted/{KEY}/`` (``submission.xml``, the outer XML with the wrapped key and
signature, and every part it names: ``submission.xml.enc``, ``*.enc`` media), listed in
``encrypted/manifest.csv`` (KEY, file, size, sha256), ready for offline decryption with the private key.

XML is parsed with lxml with entity resolution, DTD loading and network access off.
"""
from __future__ import annotations

import datetime as _dt
import io
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import IO, Callable, Iterable, Sequence

from lxml import etree

from . import csv_safety

XFORMS_NS = "http://www.w3.org/2002/xforms"
JR_NS = "http://openrosa.org/javarosa"
_H = "{http://www.w3.org/1999/xhtml}"
_X = "{" + XFORMS_NS + "}"

META_COLUMNS = ("KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
                "Status", "ReviewState", "DeviceID", "Edits", "FormVersion")
GEO_SUFFIXES = ("Latitude", "Longitude", "Altitude", "Accuracy")


class XFormError(ValueError):
    """The XForm cannot be read (not XML, no primary instance)."""


def safe_parser() -> etree.XMLParser:
    """An lxml parser that resolves no entities, loads no DTD and never touches the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def _local(tag) -> str:
    return tag.rpartition("}")[2] if tag[0] == "{" else tag


# --- schema --------------------------------------------------------------------------------

FIELD, GEOPOINT, GROUP, REPEAT, BINARY = 0, 1, 2, 3, 4


@dataclass
class Node:
    kind: int
    name: str
    path: str                      # absolute instance path, e.g. /data/members/name
    type: str = "string"
    children: list["Node"] = field(default_factory=list)


@dataclass
class Table:
    """One CSV: the root or a repeat. ``columns`` excludes the metadata columns."""
    name: str                      # file name stem suffix ("" for the root)
    path: str                      # instance path of the repeat ("" for the root)
    columns: list[str] = field(default_factory=list)
    plan: dict = field(default_factory=dict)   # child tag -> (kind, index | subplan, ...)


@dataclass
class FormSchema:
    form_id: str
    version: str | None
    title: str | None
    root: Node
    binary_paths: frozenset[str]
    tables: list[Table]

    @property
    def root_table(self) -> Table:
        return self.tables[0]


def parse_xform(xml: bytes | str) -> FormSchema:
    """Read an XForm: primary instance, binds (types) and body repeats."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    try:
        doc = etree.fromstring(xml, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise XFormError(f"the XForm is not well-formed XML: {exc}") from None
    model = doc.find(f"{_H}head/{_X}model")
    if model is None:
        raise XFormError("the XForm has no h:head/model")
    instance = model.find(f"{_X}instance")
    if instance is None or len(instance) == 0:
        raise XFormError("the XForm has no primary instance")
    root_el = instance[0]
    types = {}
    for bind in model.iter(f"{_X}bind"):
        nodeset = bind.get("nodeset")
        if nodeset:
            types[nodeset] = bind.get("type", "string").rpartition(":")[2]
    repeats = {r.get("nodeset") for r in doc.iter(f"{_X}repeat") if r.get("nodeset")}
    title_el = doc.find(f"{_H}head/{_H}title")
    root_name = _local(root_el.tag)
    root = Node(GROUP, root_name, "/" + root_name)
    binaries: set[str] = set()

    def walk(el, node: Node):
        seen = {}
        for child in el:
            if not isinstance(child.tag, str):
                continue
            name = _local(child.tag)
            path = f"{node.path}/{name}"
            if name in seen:          # repeat copies in the default instance: keep the first
                continue
            is_repeat = path in repeats or child.get(f"{{{JR_NS}}}template") is not None
            if is_repeat:
                sub = Node(REPEAT, name, path)
                walk(child, sub)
            elif len(child) and any(isinstance(c.tag, str) for c in child):
                sub = Node(GROUP, name, path)
                walk(child, sub)
            else:
                kind_type = types.get(path, "string")
                sub = Node(GEOPOINT if kind_type == "geopoint" else FIELD, name, path, kind_type)
                if kind_type == "binary":
                    binaries.add(path)
            seen[name] = sub
            node.children.append(sub)

    walk(root_el, root)
    tables = _tables(root, _local(root_el.tag))
    return FormSchema(form_id=root_el.get("id") or root_name, version=root_el.get("version"),
                      title=title_el.text if title_el is not None else None, root=root,
                      binary_paths=frozenset(binaries), tables=tables)


def _tables(root: Node, form_stem: str) -> list[Table]:
    tables = [Table("", "")]
    used: dict[str, int] = {}

    def plan_for(node: Node, table: Table, prefix: str, relpath: str) -> dict:
        plan = {}
        for child in node.children:
            label = f"{prefix}-{child.name}" if prefix else child.name
            if child.kind == FIELD:
                plan[child.name] = (BINARY if child.type == "binary" else FIELD, len(table.columns))
                table.columns.append(label)
            elif child.kind == GEOPOINT:
                plan[child.name] = (GEOPOINT, len(table.columns))
                table.columns.extend(f"{label}-{s}" for s in GEO_SUFFIXES)
            elif child.kind == GROUP:
                plan[child.name] = (GROUP, plan_for(child, table, label,
                                                    f"{relpath}/{child.name}" if relpath else child.name))
            else:
                n = used.get(child.name, 0)
                used[child.name] = n + 1
                sub = Table(child.name if n == 0 else f"{child.name}~{n}", child.path)
                tables.append(sub)
                index = len(tables) - 1
                keypath = f"{relpath}/{child.name}" if relpath else child.name
                plan[child.name] = (REPEAT, plan_for(child, sub, "", ""), index, keypath)
        return plan

    tables[0].plan = plan_for(root, tables[0], "", "")
    return tables


# --- submissions ---------------------------------------------------------------------------

@dataclass
class Submission:
    """A stored submission as the export needs it (metadata as Central's export columns)."""
    instance_id: str                                # logical (first) instanceID: the KEY
    xml: bytes
    submission_date: _dt.datetime | str | None = None
    submitter_id: str | int | None = None
    submitter_name: str | None = None
    attachments_present: int | None = None
    attachments_expected: int | None = None
    status: str | None = None
    review_state: str | None = None                 # None = received
    device_id: str | None = None
    edits: int = 0
    form_version: str | None = None
    attachments: Sequence[tuple[str, Callable[[], IO[bytes]]]] = ()   # (file name, opener)
    encrypted: bool = False                         # ODK-encrypted instance: parts shipped under encrypted/

NOT_DECRYPTED = "not decrypted"
ENCRYPTED_DIR = "encrypted"
ENCRYPTED_MANIFEST = f"{ENCRYPTED_DIR}/manifest.csv"


def encrypted_dir(instance_id: str) -> str:
    """The directory of one encrypted instance in the bundle (the KEY made safe as a path segment)."""
    import re
    return f"{ENCRYPTED_DIR}/" + (re.sub(r"[^A-Za-z0-9._-]", "_", instance_id).lstrip(".") or "_")


def format_timestamp(value) -> str:
    """ISO 8601 UTC with milliseconds, as Central writes SubmissionDate."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class _Extractor:
    """Turns one parsed instance into rows of every table (root first, then repeat rows)."""

    def __init__(self, schema: FormSchema):
        self.schema = schema
        self.widths = [len(t.columns) for t in schema.tables]
        self.media_dir = ""                 # this submission's folder in the zip ("" = no media)
        self.media_names: frozenset = frozenset()

    def rows(self, root_el, key: str, sink: list[list], media_dir: str = "", media_names=frozenset()):
        self.media_dir, self.media_names = media_dir, media_names
        root_row = [""] * self.widths[0]
        self._fill(root_el, self.schema.tables[0].plan, root_row, key, sink)
        return root_row

    def _fill(self, el, plan, row, parent_key, sink):
        counters = None
        for child in el:
            node = plan.get(child.tag)
            if node is None:
                node = self._miss(plan, child.tag)
                if node is None:
                    continue
            kind = node[0]
            if kind == FIELD:
                text = child.text
                if text:
                    row[node[1]] = text
            elif kind == GROUP:
                self._fill(child, node[1], row, parent_key, sink)
            elif kind == BINARY:
                text = child.text
                if text:
                    name = text.strip().rpartition("/")[2]
                    row[node[1]] = f"{self.media_dir}/{name}" if name in self.media_names else text
            elif kind == GEOPOINT:
                text = child.text
                if text:
                    i = node[1]
                    for j, part in enumerate(text.split()[:4]):
                        row[i + j] = part
            else:
                _, subplan, index, keypath = node
                if counters is None:
                    counters = {}
                n = counters.get(keypath, 0) + 1
                counters[keypath] = n
                child_key = f"{parent_key}/{keypath}[{n}]"
                sub_row = [""] * self.widths[index]
                self._fill(child, subplan, sub_row, child_key, sink)
                sub_row.append(parent_key)
                sub_row.append(child_key)
                sink.append((index, sub_row))

    @staticmethod
    def _miss(plan: dict, tag):
        """Namespaced tags (``{ns}name``, e.g. orx:meta) map to the plan entry of their local
        name; the answer is cached in the plan. Comments and unknown elements map to None."""
        if type(tag) is not str or tag[0] != "{":
            return None
        node = plan.get(tag[tag.index("}") + 1:])
        if node is not None:
            plan[tag] = node
        return node


def _opt(value) -> str:
    return "" if value is None else str(value)


@dataclass
class BundleSummary:
    submissions: int = 0
    repeat_rows: int = 0
    media_files: int = 0
    skipped: int = 0              # instances that were not well-formed XML
    files: list[str] = field(default_factory=list)


def csv_file_names(schema: FormSchema) -> list[str]:
    stem = schema.form_id
    return [f"{stem}.csv" if not t.name else f"{stem}-{t.name}.csv" for t in schema.tables]


# Chunk work: parse + extract + CSV-encode a list of submissions. Runs in the calling process or
# in worker processes (state set once per process by _init_worker).
_STATE: dict = {}


def _init_worker(schema: FormSchema):
    _STATE["extractor"] = _Extractor(schema)
    _STATE["parser"] = safe_parser()
    _STATE["tables"] = len(schema.tables)


def _work_chunk(chunk: list[tuple]) -> tuple[list[bytes], int, int, int]:
    """``chunk`` = [(xml, submission_date_text, key, meta_tail), ...] → CSV bytes per table."""
    extractor, parser = _STATE["extractor"], _STATE["parser"]
    buffers = [io.StringIO() for _ in range(_STATE["tables"])]
    writers = [csv_safety.writer(b) for b in buffers]
    root_writer = writers[0]
    skipped = done = repeats = 0
    sink: list = []
    for xml, date_text, key, tail, media_dir, media_names in chunk:
        try:
            root_el = etree.fromstring(xml, parser)
        except etree.XMLSyntaxError:
            skipped += 1
            continue
        row = extractor.rows(root_el, key, sink, media_dir, media_names)
        row.insert(0, date_text)
        row += tail
        root_writer.writerow(row)
        done += 1
        if sink:
            repeats += len(sink)
            for index, sub_row in sink:
                writers[index].writerow(sub_row)
            sink.clear()
    return [b.getvalue().encode("utf-8") for b in buffers], done, repeats, skipped


def write_bundle(target, xform: bytes | str | FormSchema, submissions: Iterable[Submission], *,
                 media: bool = True, bom: bool = True, compresslevel: int = 6, workers: int = 1,
                 chunk_size: int = 250,
                 progress: Callable[[int], None] | None = None) -> BundleSummary:
    """Write the CSV zip to ``target`` (path or binary file object).

    ``bom`` prefixes each CSV with a UTF-8 byte-order mark so Excel/WPS read Chinese correctly
    (Central writes none; pass ``bom=False`` for byte-level Central fidelity). ``workers`` > 1
    parses instances in that many spawned processes (at most ``2 * workers + 2`` chunks of
    ``chunk_size`` submissions in flight, so memory stays bounded); rows keep submission order.
    An instance that is not well-formed XML is counted in ``skipped`` and left out.
    """
    schema = xform if isinstance(xform, FormSchema) else parse_xform(xform)
    names = csv_file_names(schema)
    summary = BundleSummary(files=list(names))
    spools = [tempfile.SpooledTemporaryFile(max_size=8 << 20) for _ in schema.tables]
    headers = [["SubmissionDate", *schema.tables[0].columns, *META_COLUMNS]]
    headers += [[*t.columns, "PARENT_KEY", "KEY"] for t in schema.tables[1:]]
    for spool, header in zip(spools, headers):
        text = io.StringIO()
        csv_safety.writer(text).writerow(header)
        spool.write(("\ufeff" if bom else "").encode("utf-8") + text.getvalue().encode("utf-8"))
    media_dirs: set[str] = set()
    manifest: list[list[str]] = []

    def take(result):
        blobs, done, repeats, skipped = result
        for spool, blob in zip(spools, blobs):
            spool.write(blob)
        summary.submissions += done
        summary.repeat_rows += repeats
        summary.skipped += skipped
        if progress is not None:
            progress(done + skipped)

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=compresslevel) as zf:
        def chunks():
            chunk = []
            for sub in submissions:
                status = NOT_DECRYPTED if sub.encrypted and not sub.status else sub.status
                folder, names = "", frozenset()
                if sub.encrypted:
                    _write_encrypted(zf, sub, manifest)
                    summary.media_files += len(sub.attachments)
                elif media and sub.attachments:
                    folder = media_folder(sub.instance_id, media_dirs)
                    stored: set[str] = set()
                    for name, opener in sub.attachments:
                        name = name.rpartition("/")[2]
                        if name in stored:       # one file per name within a submission
                            continue
                        stored.add(name)
                        arc = f"{folder}/{name}"
                        with opener() as src, zf.open(zipfile.ZipInfo(arc, _now_tuple()), "w") as dst:
                            shutil.copyfileobj(src, dst, 1 << 20)
                        summary.media_files += 1
                    names = frozenset(stored)
                chunk.append((sub.xml, format_timestamp(sub.submission_date), sub.instance_id,
                              (sub.instance_id, _opt(sub.submitter_id), _opt(sub.submitter_name),
                               _opt(sub.attachments_present), _opt(sub.attachments_expected),
                               _opt(status), _opt(sub.review_state), _opt(sub.device_id),
                               _opt(sub.edits), _opt(sub.form_version)), folder, names))
                if len(chunk) >= chunk_size:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        if workers <= 1:
            _init_worker(schema)
            for chunk in chunks():
                take(_work_chunk(chunk))
        else:
            _run_pool(schema, chunks(), take, workers)
        if manifest:
            text = io.StringIO()
            csv_safety.writer(text).writerows([["KEY", "file", "size", "sha256"], *manifest])
            zf.writestr(zipfile.ZipInfo(ENCRYPTED_MANIFEST, _now_tuple()), text.getvalue().encode("utf-8"))
            summary.files.append(ENCRYPTED_MANIFEST)
        for name, spool in zip(names, spools):
            size = spool.seek(0, 2)
            spool.seek(0)
            with zf.open(name, "w", force_zip64=size > (1 << 30)) as dst:
                shutil.copyfileobj(spool, dst, 1 << 20)
            spool.close()
    return summary


def _write_encrypted(zf: zipfile.ZipFile, sub: Submission, manifest: list[list[str]]) -> None:
    """One encrypted instance as received: its outer XML and every part, hashed into the manifest."""
    import hashlib
    folder = encrypted_dir(sub.instance_id)
    entries = [("submission.xml", lambda: io.BytesIO(sub.xml))]
    entries += [(name.rpartition("/")[2], opener) for name, opener in sub.attachments]
    seen: set[str] = set()
    for name, opener in entries:
        if name in seen:
            continue
        seen.add(name)
        digest, size = hashlib.sha256(), 0
        with opener() as src, zf.open(zipfile.ZipInfo(f"{folder}/{name}", _now_tuple()), "w") as dst:
            while block := src.read(1 << 20):
                digest.update(block)
                size += len(block)
                dst.write(block)
        manifest.append([sub.instance_id, f"{folder}/{name}", str(size), digest.hexdigest()])


def _run_pool(schema: FormSchema, chunks, take, workers: int):
    import collections
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")   # no fork of a server process's state
    window = 2 * workers + 2
    with ctx.Pool(workers, initializer=_init_worker, initargs=(schema,)) as pool:
        pending: collections.deque = collections.deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_work_chunk, (chunk,)))
            if len(pending) >= window:
                take(pending.popleft().get())
        while pending:
            take(pending.popleft().get())


_UNSAFE_PATH = re.compile(r"[^0-9A-Za-z._-]+")


def media_folder(instance_id: str, used: set[str]) -> str:
    """``media/{instance}`` for a submission's attachments: the instanceID with every character a
    file system or unzip tool may mangle (``:`` of ``uuid:``, slashes, dots-only names) replaced by
    ``-``; distinct instanceIDs that would share a folder get ``~2``, ``~3``…."""
    base = _UNSAFE_PATH.sub("-", instance_id).strip(".-")[:120] or "submission"
    folder, n = base, 1
    while folder in used:
        n += 1
        folder = f"{base}~{n}"
    used.add(folder)
    return f"media/{folder}"


def _now_tuple():
    now = _dt.datetime.now()
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)
