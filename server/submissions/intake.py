"""Receive one submission durably: blobs on disk (fsync) and rows committed, then the caller answers 201.

Outcomes follow ODK Central (shared/openrosa.md §3.3, §3.5); every refusal is an `ApiError`.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db import begin_write
from server.errors import ApiError
from server.models import Attachment, Form, FormVersion, Project, Submission, SubmissionVersion, utcnow
from server.storage import BlobStore
from server.submissions.header import HeaderError, InstanceHeader, read_header

log = logging.getLogger("shoudi.intake")


@dataclass
class IncomingFile:
    name: str                 # sanitised part name
    stream: BinaryIO
    content_type: str | None


@dataclass
class Received:
    version_id: int
    instance_id: str
    created: bool             # a new version was stored (needs processing)
    attachments_added: int


def receive(session: Session, blobs: BlobStore, *, project: Project, xml: bytes, files: list[IncomingFile],
            submitter_id: int | None, app_token_id: int | None, device_id: str | None,
            user_agent: str | None) -> Received:
    try:
        header = read_header(xml)
    except HeaderError as exc:
        raise ApiError(400, "Required parameter form ID xml attribute missing. "
                            f"提交的 XML 无法解析或缺少表单 id（{exc}）。", code="400.2") from None
    form = session.scalars(select(Form).where(Form.project_id == project.id,
                                              Form.xml_form_id == header.form_id)).first()
    if form is None:
        raise ApiError(404, "Could not find the resource you were looking for. "
                            f"本项目中没有表单 {header.form_id}。", code="404.1")
    if form.state == "closed":
        raise ApiError(409, "This form is not currently accepting submissions. 该表单已关闭，不再接收提交。",
                       code="409.2")
    form_version = form.current_version
    if form_version is None or form_version.version != header.version:  # an older published version?
        form_version = session.scalars(select(FormVersion).where(FormVersion.form_id == form.id,
                                                                 FormVersion.version == header.version)).first()
    if form_version is None:
        raise ApiError(404, f"The form version specified in this submission '{header.version}' does not exist. "
                            "请在 Collect 中更新表单后重新提交。", code="404.6")
    xml_sha = hashlib.sha256(xml).hexdigest()
    instance_id = header.instance_id or f"uuid:{uuid.uuid4()}"
    expected = header.file_names(form_version.binary_fields or [])
    for attempt in (1, 2):
        begin_write(session)
        try:
            return _store(session, blobs, form=form, form_version=form_version, header=header, xml=xml,
                          xml_sha=xml_sha, instance_id=instance_id, expected=expected, files=files,
                          submitter_id=submitter_id, app_token_id=app_token_id, device_id=device_id,
                          user_agent=user_agent)
        except IntegrityError:
            # A concurrent upload of the same instanceID won the race; decide again against it.
            session.rollback()
            if attempt == 2:
                raise
            for f in files:
                f.stream.seek(0)
    raise AssertionError("unreachable")


def _store(session: Session, blobs: BlobStore, *, form: Form, form_version: FormVersion,
           header: InstanceHeader, xml: bytes, xml_sha: str, instance_id: str, expected: list[str],
           files: list[IncomingFile], submitter_id: int | None, app_token_id: int | None,
           device_id: str | None, user_agent: str | None) -> Received:
    existing = session.scalars(select(SubmissionVersion).where(
        SubmissionVersion.form_id == form.id, SubmissionVersion.instance_id == instance_id)).first()
    if existing is not None:
        if existing.submission.deleted_at is not None:
            raise ApiError(409, "This submission has been deleted. You may not resubmit it. 该提交已删除。",
                           code="409.1")
        if existing.xml_sha256 != xml_sha:
            raise ApiError(409, "A submission already exists with this ID, but with different XML. "
                                "Resubmissions to attach additional multimedia must resubmit an identical "
                                "xml_submission_file. 已存在相同 instanceID 但内容不同的提交。", code="409.3")
        added = _attach(blobs, existing, files)
        session.commit()
        return Received(existing.id, instance_id, created=False, attachments_added=added)

    previous: SubmissionVersion | None = None
    if header.deprecated_id:
        previous = session.scalars(select(SubmissionVersion).where(
            SubmissionVersion.form_id == form.id,
            SubmissionVersion.instance_id == header.deprecated_id)).first()
        if previous is None:
            raise ApiError(404, f"The submission being edited ({header.deprecated_id}) does not exist. "
                                "被修改的原提交不存在。", code="404.7")
        if previous.submission.current_version_id != previous.id:
            raise ApiError(409, f"You are trying to update a submission, but the copy you were editing "
                                f"({header.deprecated_id}) is now out of date. 你修改的版本已不是最新版本。",
                           code="409.4")
        if previous.submission.deleted_at is not None:
            raise ApiError(409, "This submission has been deleted. You may not resubmit it. 该提交已删除。",
                           code="409.1")

    blobs.put_bytes(xml)  # durable before the row that points at it
    now = utcnow()
    if previous is None:
        return _store_new(session, blobs, form=form, form_version=form_version, header=header, xml=xml,
                          xml_sha=xml_sha, instance_id=instance_id, expected=expected, files=files,
                          submitter_id=submitter_id, app_token_id=app_token_id, device_id=device_id,
                          user_agent=user_agent, now=now)
    else:
        submission = previous.submission
        submission.updated_at = now
        submission.review_state = "edited"
    version = SubmissionVersion(
        submission=submission, form_id=form.id, form_version_id=form_version.id, instance_id=instance_id,
        deprecated_id=header.deprecated_id, instance_name=_clip(header.instance_name, 255), xml_sha256=xml_sha,
        xml_size=len(xml), submitter_id=submitter_id, app_token_id=app_token_id,
        device_id=_clip(device_id, 255), user_agent=_clip(user_agent, 512), received_at=now,
        attachments_expected=len(expected), processing_state="pending", processing_log=[])
    carried = {a.name: a for a in previous.attachments if a.sha256} if previous is not None else {}
    for name in expected:
        old = carried.get(name)
        version.attachments.append(Attachment(
            name=name, sha256=old.sha256 if old else None, size=old.size if old else None,
            content_type=old.content_type if old else None, received_at=old.received_at if old else None))
    added = _attach(blobs, version, files)
    session.add(version)
    session.flush()
    submission.current_version_id = version.id
    session.commit()
    return Received(version.id, instance_id, created=True, attachments_added=added)


def _store_new(session: Session, blobs: BlobStore, *, form: Form, form_version: FormVersion,
               header: InstanceHeader, xml: bytes, xml_sha: str, instance_id: str, expected: list[str],
               files: list[IncomingFile], submitter_id: int | None, app_token_id: int | None,
               device_id: str | None, user_agent: str | None, now) -> Received:  # noqa: ANN001
    """The common case, a first submission: four statements, no unit-of-work bookkeeping."""
    stored: dict[str, tuple] = {}
    for f in files:
        if f.name in expected and f.name not in stored:
            stored[f.name] = (blobs.put_stream(f.stream), _clip(f.content_type, 128) or "application/octet-stream")
    submission_id = session.execute(insert(Submission).values(
        form_id=form.id, instance_id=instance_id, submitter_id=submitter_id, created_at=now,
        updated_at=now).returning(Submission.id)).scalar_one()
    version_id = session.execute(insert(SubmissionVersion).values(
        submission_id=submission_id, form_id=form.id, form_version_id=form_version.id, instance_id=instance_id,
        deprecated_id=None, instance_name=_clip(header.instance_name, 255), xml_sha256=xml_sha,
        xml_size=len(xml), submitter_id=submitter_id, app_token_id=app_token_id,
        device_id=_clip(device_id, 255), user_agent=_clip(user_agent, 512), received_at=now,
        attachments_expected=len(expected), attachments_present=len(stored), processing_state="pending",
        processing_attempts=0, processing_log=[]).returning(SubmissionVersion.id)).scalar_one()
    if expected:
        session.execute(insert(Attachment), [
            {"version_id": version_id, "name": name,
             "sha256": stored[name][0].sha256 if name in stored else None,
             "size": stored[name][0].size if name in stored else None,
             "content_type": stored[name][1] if name in stored else None,
             "received_at": now if name in stored else None} for name in expected])
    session.execute(update(Submission).where(Submission.id == submission_id).values(current_version_id=version_id))
    session.commit()
    return Received(version_id, instance_id, created=True, attachments_added=len(stored))


def _attach(blobs: BlobStore, version: SubmissionVersion, files: list[IncomingFile]) -> int:
    """Store files for the version's expected slots: fill empty ones, replace differing ones."""
    slots = {a.name: a for a in version.attachments}
    changed = 0
    for f in files:
        slot = slots.get(f.name)
        if slot is None:
            continue  # not referenced by a binary field: dropped, as Central does
        stored = blobs.put_stream(f.stream)
        if slot.sha256 == stored.sha256:
            continue
        slot.sha256, slot.size, slot.received_at = stored.sha256, stored.size, utcnow()
        slot.content_type = _clip(f.content_type, 128) or "application/octet-stream"
        changed += 1
    version.attachments_present = sum(1 for a in version.attachments if a.sha256)
    return changed


def _clip(value: str | None, n: int) -> str | None:
    return value[:n] if value else value
