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
    check_shipped_structure(info)
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


def shipped_paths(form_id: str) -> frozenset[str]:
    """Instance paths (`/group/field`) of every catalog field of a shipped form; empty for other ids."""
    import forms
    from forms.fields import walk

    if form_id not in forms.FORM_IDS:
        return frozenset()
    return frozenset("/" + "/".join([g.name for g in groups] + [f.name]) for groups, f in walk(forms.CATALOG, form_id))


def check_shipped_structure(info) -> None:  # noqa: ANN001 — server.xforms.XFormInfo
    """A form using the id of a shipped form (forms.FORM_IDS) is processed by that form's parser and
    register steps: it must carry every field of the catalog at the same place, or every submission
    to it would fail processing. Extra fields are allowed (ignored by processing)."""
    missing = sorted(shipped_paths(info.form_id) - info.paths)
    if missing:
        shown = ", ".join(missing[:8]) + (f" … (+{len(missing) - 8})" if len(missing) > 8 else "")
        raise PublishError(
            f"表单 id {info.form_id} 属于系统内置表单，但结构不同（缺少 {len(missing)} 个字段：{shown}），"
            "按此发布的每份提交都将无法处理。请使用 `shoudi forms build` 生成的表单，或改用其他表单 id。"
            f" Form id {info.form_id} belongs to a shipped form but this form has another structure "
            f"({len(missing)} of its fields are missing: {shown}); every submission to it would fail "
            "processing. Publish the form `shoudi forms build` makes, or use another form id.")


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
