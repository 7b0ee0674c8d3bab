"""Entity lists of forms counties write (ODK entities, a dataset other than the register's `households`),
as ODK Central keeps them: publishing a form that declares `<entity dataset="trees">` creates the
project's dataset and its properties (binds with `entities:saveto`); processing a submission creates or
updates the entity it carries (create/update, id, baseVersion, label, saved properties); forms that
reference `trees.csv` get the list as an entity-list media file (`name,label,__version,<properties>`,
ETag/304, manifest `type="entityList"` with an `integrityUrl`) and the dataset integrity document.

Entity problems (no label on create, an id that is not a UUID, an unknown entity to update, a reused
id) never fail the submission: they are written into its processing note, as Central records
`entity.error` events. An update whose baseVersion is not the current version is applied and the
entity flagged `conflict` (`soft`: other properties changed meanwhile; `hard`: the same ones).
Access follows the project: whoever may read the project's forms gets the list (the register's
`households` list keeps its own per-user region scope, server/register/entities.py).
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
import uuid as uuidlib
from datetime import datetime

from lxml import etree
from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from server import xmlsafe
from server.models import Base, JSONType, UTCDateTime, utcnow

XF = "http://www.w3.org/2002/xforms"
ENTITIES_NS = "http://www.opendatakit.org/xforms/entities"
REGISTER_DATASET = "households"     # served by the register (server/register/openrosa_entities.py)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_TRUE = {"1", "true", "yes"}


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    properties: Mapped[list] = mapped_column(JSONType, default=list)     # in order of first declaration
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DatasetEntity(Base):
    __tablename__ = "dataset_entities"
    __table_args__ = (UniqueConstraint("dataset_id", "uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    uuid: Mapped[str] = mapped_column(String(36))                 # bare UUID, lower case
    label: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    conflict: Mapped[str | None] = mapped_column(String(8))       # soft | hard
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    source_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("submission_versions.id", ondelete="SET NULL"))  # the submission version last applied
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- what a form declares ------------------------------------------------------------------------

class EntityPlan:
    """A form's entity declaration: dataset name and instance path → property name."""

    def __init__(self, dataset: str, properties: dict[str, str]) -> None:
        self.dataset, self.properties = dataset, properties


def plan_of(xml: bytes) -> EntityPlan | None:
    """The entity declaration of an XForm for a dataset other than the register's, else None."""
    try:
        root = xmlsafe.parse(xml)
    except xmlsafe.UnsafeXML:
        return None
    model = root.find(f".//{{{XF}}}model")
    if model is None:
        return None
    primary = next((i for i in model.findall(f"{{{XF}}}instance") if i.get("id") is None and i.get("src") is None),
                   None)
    if primary is None:
        return None
    entity = next((e for e in primary.iter("{*}entity") if e.get("dataset")), None)
    if entity is None or entity.get("dataset") == REGISTER_DATASET or not _NAME.match(entity.get("dataset")):
        return None
    props = {}
    for bind in model.iter(f"{{{XF}}}bind"):
        prop = bind.get(f"{{{ENTITIES_NS}}}saveto")
        if prop and bind.get("nodeset") and prop not in ("name", "label") and not prop.startswith("__"):
            props[bind.get("nodeset")] = prop
    return EntityPlan(entity.get("dataset"), props)


def declare(session: Session, project_id: int, xml: bytes) -> Dataset | None:
    """Publishing: create the dataset a form declares, and add its new properties."""
    plan = plan_of(xml)
    if plan is None:
        return None
    dataset = session.scalar(select(Dataset).where(Dataset.project_id == project_id, Dataset.name == plan.dataset))
    if dataset is None:
        dataset = Dataset(project_id=project_id, name=plan.dataset, properties=[], created_at=utcnow())
        session.add(dataset)
    known = list(dataset.properties or [])
    for prop in plan.properties.values():
        if prop not in known:
            known.append(prop)
    dataset.properties = known
    session.flush()
    return dataset


def find(session: Session, project_id: int, name: str) -> Dataset | None:
    return session.scalar(select(Dataset).where(Dataset.project_id == project_id, Dataset.name == name))


def referenced(session: Session, project_id: int, media_expected: list[str]) -> list[Dataset]:
    """The project's datasets a form references as `<dataset>.csv`."""
    names = [m[:-4] for m in media_expected or [] if m.endswith(".csv") and m[:-4] != REGISTER_DATASET]
    if not names:
        return []
    return list(session.scalars(select(Dataset).where(Dataset.project_id == project_id, Dataset.name.in_(names))
                                .order_by(Dataset.name)))


# --- submissions ---------------------------------------------------------------------------------

def _path_of(el: etree._Element) -> str:
    return "/" + "/".join(xmlsafe.local(a.tag) for a in [*reversed(list(el.iterancestors())), el])


def apply_submission(session: Session, project_id: int, form_xml: bytes, instance: bytes,
                     version_id: int) -> str | None:
    """Create or update the entity an instance carries; returns a note for the processing log (None when
    the form declares no dataset of its own)."""
    plan = plan_of(form_xml)
    if plan is None:
        return None
    dataset = find(session, project_id, plan.dataset) or declare(session, project_id, form_xml)
    root = xmlsafe.parse(instance)
    entity = next((e for e in root.iter("{*}entity") if e.get("dataset") == plan.dataset), None)
    if entity is None:
        return f"entity list {plan.dataset}: the instance carries no entity"
    values = {}
    for el in root.iter(tag=etree.Element):
        prop = plan.properties.get(_path_of(el))
        if prop is not None and len(el) == 0:
            values[prop] = (el.text or "").strip()
    label_el = next(entity.iterchildren("{*}label"), None)
    label = (label_el.text or "").strip() if label_el is not None else ""
    raw_id = (entity.get("id") or "").strip()
    bare = raw_id[5:] if raw_id.lower().startswith("uuid:") else raw_id
    try:
        uid = str(uuidlib.UUID(bare))
    except ValueError:
        return f"entity list {plan.dataset}: entity id {raw_id[:40]!r} is not a UUID; nothing applied"
    now = utcnow()
    existing = session.scalar(select(DatasetEntity).where(DatasetEntity.dataset_id == dataset.id,
                                                          DatasetEntity.uuid == uid).with_for_update())
    if (entity.get("create") or "").strip().lower() in _TRUE:
        if existing is not None:
            return f"entity list {plan.dataset}: entity {uid} already exists; not created again"
        if not label:
            return f"entity list {plan.dataset}: an entity to create needs a label; nothing applied"
        session.add(DatasetEntity(dataset_id=dataset.id, uuid=uid, label=label, data=values, version=1,
                                  source_version_id=version_id, created_at=now, updated_at=now))
        session.flush()
        return f"entity list {plan.dataset}: entity {uid} created"
    if (entity.get("update") or "").strip().lower() in _TRUE:
        if existing is None or existing.deleted:
            return f"entity list {plan.dataset}: no entity {uid} to update"
        base = (entity.get("baseVersion") or "").strip()
        if base.isdigit() and int(base) != existing.version:
            # changed since the phone's copy: applied, flagged (hard when the same properties changed)
            existing.conflict = "hard" if set(values) & set(existing.data or {}) else "soft"
        existing.data = {**(existing.data or {}), **values}
        if label:
            existing.label = label
        existing.version += 1
        existing.source_version_id, existing.updated_at = version_id, now
        session.flush()
        return f"entity list {plan.dataset}: entity {uid} updated to version {existing.version}"
    return f"entity list {plan.dataset}: the entity asks neither create nor update"


# --- serving -------------------------------------------------------------------------------------

def csv_bytes(session: Session, dataset: Dataset) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    props = list(dataset.properties or [])
    writer.writerow(["name", "label", "__version", *props])
    for e in session.scalars(select(DatasetEntity).where(DatasetEntity.dataset_id == dataset.id,
                                                         DatasetEntity.deleted.is_(False)).order_by(DatasetEntity.id)):
        writer.writerow([e.uuid, e.label, e.version, *[(e.data or {}).get(p, "") for p in props]])
    return out.getvalue().encode("utf-8")


def list_hash(session: Session, dataset: Dataset) -> str:
    return hashlib.md5(csv_bytes(session, dataset), usedforsecurity=False).hexdigest()


def integrity_xml(session: Session, dataset: Dataset, wanted: list[str] | None) -> str:
    from xml.sax.saxutils import quoteattr
    rows = dict(session.execute(select(DatasetEntity.uuid, DatasetEntity.deleted)
                                .where(DatasetEntity.dataset_id == dataset.id)).all())
    ids = wanted if wanted is not None else sorted(rows)
    body = "".join(f"<entity id={quoteattr(i)}><deleted>{'true' if rows.get(_bare(i), True) else 'false'}"
                   f"</deleted></entity>" for i in ids)
    return f'<?xml version="1.0" encoding="UTF-8"?><data><entities>{body}</entities></data>'


def _bare(i: str) -> str:
    return i[5:] if i.lower().startswith("uuid:") else i
