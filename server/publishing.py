"""Publishing forms into a project: a new version becomes current; media carry over by file name."""
from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import FORM_STATES, Form, FormMedia, FormVersion, Project, utcnow
from server.storage import BlobStore
from server.submissions.header import safe_name
from server.xforms import XFormError, inspect


class PublishError(ValueError):
    pass


@dataclass(frozen=True)
class MediaFile:
    name: str
    data: bytes
    content_type: str | None = None


def publish(session: Session, blobs: BlobStore, project: Project, xml: bytes, *,
            xlsx: bytes | None = None, media: list[MediaFile] = ()) -> tuple[FormVersion, bool]:
    """Publish `xml` (and media) in `project`. Returns (version, created).

    Re-publishing identical XML under an existing version only updates its media; different XML under
    an existing version string is refused (bump the version: Collect caches by version and hash).
    """
    from server.encryption import prepare_for_project
    xml = prepare_for_project(session, project.id, xml)   # managed encryption: the project's public key
    try:
        info = inspect(xml)
    except XFormError as exc:
        raise PublishError(str(exc)) from None
    form = session.scalars(select(Form).where(Form.project_id == project.id,
                                              Form.xml_form_id == info.form_id)).first()
    if form is None:
        form = Form(project_id=project.id, xml_form_id=info.form_id, state="open", created_at=utcnow())
        session.add(form)
        session.flush()
    md5 = hashlib.md5(xml, usedforsecurity=False).hexdigest()
    version = session.scalars(select(FormVersion).where(FormVersion.form_id == form.id,
                                                        FormVersion.version == info.version)).first()
    created = False
    if version is not None:
        if version.md5 != md5:
            raise PublishError(f"表单 {info.form_id} 的版本 {info.version!r} 已发布且内容不同，请更新版本号。"
                               f" Version {info.version!r} of {info.form_id} is already published with "
                               "different content; bump the version.")
    else:
        previous = form.current_version
        version = FormVersion(form_id=form.id, version=info.version, title=info.title, xml=xml, md5=md5,
                              media_expected=info.media, binary_fields=info.binary_fields,
                              published_at=utcnow())
        if xlsx is not None:
            version.xlsx_sha256 = blobs.put_bytes(xlsx).sha256
        session.add(version)
        if previous is not None:
            for old in previous.media:
                if old.name in info.media:
                    version.media.append(FormMedia(name=old.name, content_type=old.content_type,
                                                   sha256=old.sha256, md5=old.md5, size=old.size))
        session.flush()
        form.current_version_id = version.id
        form.current_version = version
        created = True
        from server.datasets import declare
        declare(session, project.id, xml)   # a county form's own entity list (dataset) and its properties
    for item in media:
        attach_media(blobs, version, item)
    session.flush()
    return version, created


def attach_media(blobs: BlobStore, version: FormVersion, item: MediaFile) -> FormMedia:
    name = safe_name(item.name)
    if name is None or name not in (version.media_expected or []):
        raise PublishError(f"表单未引用媒体文件 {item.name!r} / the form does not reference {item.name!r}"
                           f" (expected: {', '.join(version.media_expected or []) or 'none'})")
    stored = blobs.put_bytes(item.data)
    content_type = item.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    for existing in version.media:
        if existing.name == name:
            existing.sha256, existing.md5, existing.size = stored.sha256, stored.md5, stored.size
            existing.content_type = content_type
            return existing
    row = FormMedia(name=name, content_type=content_type, sha256=stored.sha256, md5=stored.md5, size=stored.size)
    version.media.append(row)
    return row


def set_state(form: Form, state: str) -> None:
    if state not in FORM_STATES:
        raise PublishError(f"unknown form state {state!r}; one of {', '.join(FORM_STATES)}")
    form.state = state
