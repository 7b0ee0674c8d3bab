"""Receive one submission durably: attachments on disk (fsync), then the rows committed with the XML in
the version's own row, then the caller answers 201.

Outcomes follow ODK Central (shared/openrosa.md §3.3, §3.5); every refusal is an `ApiError`.
"""
from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from server.db import HotStatement, begin_write, end_autocommit, remember, remembered, retry_on_disconnect
from server.errors import ApiError
from server.models import Attachment, Form, FormVersion, Submission, SubmissionVersion, utcnow
from server.storage import BlobStore
from server.submissions.header import FieldTooLong, HeaderError, InstanceHeader, read_header

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
    encrypted: bool = False   # an encrypted instance (ODK encryption): its parts are its data
    missing: tuple[str, ...] = ()   # expected files the version still lacks after this request
    requeued: bool = False    # an encrypted instance completed by this request: processing runs again


# Routing and the duplicate check in one statement: the form (by project + xmlFormId), the version the
# instance names, and a version already stored under this instanceID. A prebuilt statement (compiled
# once, prepared on PostgreSQL: `HotStatement`); read afresh on every request, so a form closed or
# published in another process counts at once.
_f, _fv, _sv = Form.__table__, FormVersion.__table__, SubmissionVersion.__table__
_ROUTE = HotStatement(
    select(_f.c.id, _f.c.state, _fv.c.id, _fv.c.binary_fields, _sv.c.id)
    .select_from(_f.outerjoin(_fv, (_fv.c.form_id == _f.c.id) & (_fv.c.version == bindparam("version")))
                 .outerjoin(_sv, (_sv.c.form_id == _f.c.id) & (_sv.c.instance_id == bindparam("instance_id"))))
    .where(_f.c.project_id == bindparam("project_id"), _f.c.xml_form_id == bindparam("xml_form_id")))

# PostgreSQL: a first submission in one round trip, guarded: rows are written only if, at this instant,
# the form (by project + xmlFormId) is not closed and has the version (by id and name), no version
# holds this instanceID yet, and the submitter is who it should be (below). Both ids come from their
# sequences first, so the submission row is written with its current_version_id (the foreign keys are
# checked at the end of the statement); the attachment slots come from arrays (none, or one row per
# expected file). No row back means "decide the long way" (`receive`), never a refusal by itself.
_PG_INSERT_NEW = """
WITH who AS ({who}), r AS (
    SELECT f.id AS form_id FROM forms f JOIN form_versions fv ON fv.form_id = f.id
    WHERE f.project_id = CAST(:project_id AS integer) AND f.xml_form_id = CAST(:xml_form_id AS text)
      AND f.state <> 'closed' AND fv.id = CAST(:form_version_id AS integer) AND fv.version = CAST(:version AS text)
      AND NOT EXISTS (SELECT 1 FROM submission_versions x
                      WHERE x.form_id = f.id AND x.instance_id = CAST(:instance_id AS text))
), p AS (
    SELECT nextval(pg_get_serial_sequence('submissions', 'id'))::integer AS sid,
           nextval(pg_get_serial_sequence('submission_versions', 'id'))::integer AS vid,
           r.form_id, CAST(:instance_id AS text) AS instance_id, who.submitter_id, who.app_token_id,
           CAST(:now AS timestamptz) AS now
    FROM r, who
), s AS (
    INSERT INTO submissions (id, form_id, instance_id, current_version_id, submitter_id, created_at, updated_at)
    SELECT sid, form_id, instance_id, vid, submitter_id, now, now FROM p
), v AS (
    INSERT INTO submission_versions (id, submission_id, form_id, form_version_id, instance_id, deprecated_id,
        instance_name, xml_sha256, xml_size, xml, submitter_id, app_token_id, device_id, user_agent, received_at,
        attachments_expected, attachments_present, processing_state, processing_attempts, processing_log)
    SELECT vid, sid, form_id, CAST(:form_version_id AS integer), instance_id, NULL,
        CAST(:instance_name AS text), CAST(:xml_sha256 AS text), CAST(:xml_size AS integer),
        CAST(:xml AS bytea), submitter_id, app_token_id, CAST(:device_id AS text), CAST(:user_agent AS text),
        now, CAST(:attachments_expected AS integer), CAST(:attachments_present AS integer), 'pending', 0,
        CAST('[]' AS jsonb) FROM p
), a AS (
    INSERT INTO attachments (version_id, name, sha256, size, content_type, received_at)
    SELECT vid, a.name, a.sha256, a.size, a.content_type, CASE WHEN a.sha256 IS NULL THEN NULL ELSE now END
    FROM p, unnest(CAST(:names AS text[]), CAST(:shas AS text[]), CAST(:sizes AS bigint[]),
                   CAST(:content_types AS text[])) AS a(name, sha256, size, content_type)
)
SELECT vid FROM p
"""
# The submitter as authenticated by the caller (Digest, Basic, or a token checked this request) …
_PG_STORE_NEW = HotStatement(text(_PG_INSERT_NEW.format(
    who="SELECT CAST(:submitter_id AS integer) AS submitter_id, CAST(:app_token_id AS integer) AS app_token_id")))
# … or an app-user token checked by this very statement (the express lane: no statement of its own for
# authentication): known, not revoked, of this project, its user active, and used within the last
# TOKEN_TOUCH (else `authenticate` runs, which also records the use).
_PG_STORE_NEW_BY_TOKEN = HotStatement(text(_PG_INSERT_NEW.format(who="""
    SELECT t.user_id AS submitter_id, t.id AS app_token_id FROM app_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_sha256 = CAST(:token_sha256 AS text) AND t.project_id = CAST(:project_id AS integer)
      AND t.revoked_at IS NULL AND u.active AND t.last_used_at > CAST(:used_since AS timestamptz)""")))

# Elsewhere (SQLite): Core statements, RETURNING the new ids.
_s, _a = Submission.__table__, Attachment.__table__
_INSERT_SUBMISSION = _s.insert().returning(_s.c.id)
_INSERT_VERSION = _sv.insert().returning(_sv.c.id)
_INSERT_ATTACHMENT = _a.insert()
_SET_CURRENT = _s.update().where(_s.c.id == bindparam("sid")).values(current_version_id=bindparam("vid"))


class _Superseded(Exception):
    """The guarded first-submission statement wrote nothing: something changed since the decision."""


def read(xml: bytes) -> InstanceHeader:
    """The instance header, or a 400 for XML that cannot be read."""
    try:
        return read_header(xml)
    except FieldTooLong as exc:
        raise ApiError(400, f"提交的 XML 无效：{exc}。", code="400.2") from None
    except HeaderError as exc:
        raise ApiError(400, "Required parameter form ID xml attribute missing. "
                            f"提交的 XML 无法解析或缺少表单 id（{exc}）。", code="400.2") from None


# Routes this process has seen: (project, xmlFormId, version name) → (form version id, binary fields).
# A form version is never changed once published, and the express lane's statement checks again that
# the id still names that version of that form, open; so an entry needs no invalidation to be safe.
_ROUTES = "submission routes"


def express_lane(session: Session) -> bool:
    """Whether `receive_express` may be tried (PostgreSQL; elsewhere every submission takes `receive`)."""
    return session.get_bind().dialect.name == "postgresql"


def receive_express(session: Session, blobs: BlobStore, *, project_id: int, xml: bytes,
                    files: list[IncomingFile], device_id: str | None, user_agent: str | None,
                    token_sha256: str | None = None, submitter_id: int | None = None,
                    app_token_id: int | None = None) -> tuple[Received | None, InstanceHeader | None]:
    """PostgreSQL, the first submission of an instance of a form version this process has routed
    before: routing, the duplicate check and the rows in one statement — and, given `token_sha256` (an
    app-user token this process verified before: `identity.recently_verified`), the token check too;
    else the submitter authenticated by the caller (`submitter_id`, `app_token_id`). Returns
    (None, header) whenever anything is unusual (the token revoked, its user deactivated, or unused for
    TOKEN_TOUCH; a closed form; an unseen version; an edit; a resubmission; a race): the caller then
    takes the full path (`authenticate`, `receive`), which decides and answers exactly as it would have.
    Attachments are on disk before the statement, so a refused request may leave a blob behind
    (content-addressed, never referenced)."""
    from server.auth.identity import TOKEN_TOUCH
    try:
        header = read_header(xml)
    except HeaderError:
        return None, None   # the full path answers 400
    if header.deprecated_id or (header.encrypted and not header.instance_id):
        return None, header
    routes = remembered(session, _ROUTES)
    key = (project_id, header.form_id, header.version)
    route = routes.get(key)
    if route is None:
        return None, header
    form_version_id, binary_fields = route
    expected = header.file_names(binary_fields)
    instance_id = header.instance_id or f"uuid:{uuid.uuid4()}"
    now = utcnow()
    stored = _store_files(blobs, files, expected)
    params = _new_values(header, xml, hashlib.sha256(xml).hexdigest(), instance_id, expected,
                         stored, device_id, user_agent, now,
                         project_id=project_id, form_version_id=form_version_id)
    try:
        if token_sha256 is not None:  # nothing else of this request touched the database: no Session
            params.update(token_sha256=token_sha256, used_since=now - TOKEN_TOUCH)
            rows = _PG_STORE_NEW_BY_TOKEN.run_alone(session.get_bind(), params)  # committed on return
        else:
            params.update(submitter_id=submitter_id, app_token_id=app_token_id)
            rows = _PG_STORE_NEW.run(session, params)
            if rows:
                session.commit()   # the 201 follows the commit (a no-op in autocommit)
    except DBAPIError as error:
        # A concurrent upload of the same instanceID (IntegrityError), or a dead pooled connection
        # (invalidated): the full path decides, on a fresh connection.
        if not isinstance(error, IntegrityError) and not error.connection_invalidated:
            raise
        session.rollback()
        rows = []
    if not rows:
        routes.pop(key, None)   # the full path reads the route again (and caches it if still good)
        for f in files:
            f.stream.seek(0)
        return None, header
    return Received(rows[0][0], instance_id, created=True, attachments_added=params["attachments_present"],
                    encrypted=header.encrypted, missing=tuple(n for n in expected if n not in stored)), header


def receive(session: Session, blobs: BlobStore, *, project_id: int, xml: bytes, files: list[IncomingFile],
            submitter_id: int | None, app_token_id: int | None, device_id: str | None,
            user_agent: str | None, header: InstanceHeader | None = None) -> Received:
    """Decide and store: Central's outcome table (404 form or version, 409 closed / differing XML /
    edit of an outdated copy, 201 new or duplicate). `header`: already read by the caller."""
    if header is None:
        header = read(xml)
    if header.encrypted and not header.instance_id:
        # Central's rule: the instanceID is part of the encryption (each file's IV) and what makes a
        # resend of the parts idempotent; a made-up one would split the instance.
        raise ApiError(400, "Required parameter instanceID missing. An encrypted submission must carry "
                            "meta/instanceID. 加密提交缺少 meta/instanceID。", code="400.2")
    instance_id = header.instance_id or f"uuid:{uuid.uuid4()}"
    xml_sha = hashlib.sha256(xml).hexdigest()
    for attempt in (1, 2, 3):
        rows = retry_on_disconnect(session, lambda: _ROUTE.run(session, {
            "project_id": project_id, "xml_form_id": header.form_id, "version": header.version,
            "instance_id": instance_id}))
        route = rows[0] if rows else None
        if route is None:
            raise ApiError(404, "Could not find the resource you were looking for. "
                                f"本项目中没有表单 {header.form_id}。", code="404.1")
        form_id, form_state, form_version_id, binary_fields, existing_id = route
        if form_state == "closed":
            raise ApiError(409, "This form is not currently accepting submissions. 该表单已关闭，不再接收提交。",
                           code="409.2")
        if form_version_id is None:
            raise ApiError(404, f"The form version specified in this submission '{header.version}' does not "
                                "exist. 请在 Collect 中更新表单后重新提交。", code="404.6")
        remember(remembered(session, _ROUTES), (project_id, header.form_id, header.version),
                 (form_version_id, list(binary_fields or [])))
        expected = header.file_names(binary_fields or [])
        common = dict(project_id=project_id, form_id=form_id, form_version_id=form_version_id, header=header,
                      xml=xml, xml_sha=xml_sha, instance_id=instance_id, expected=expected, files=files,
                      submitter_id=submitter_id, app_token_id=app_token_id, device_id=device_id,
                      user_agent=user_agent)
        try:
            if existing_id is None and not header.deprecated_id and attempt == 1:  # the common case
                begin_write(session)  # SQLite: the write lock; PostgreSQL: one statement (autocommit or not)
                return _store_new(session, blobs, now=utcnow(), **common)
            end_autocommit(session)  # several statements from here: one transaction
            begin_write(session)
            return _store(session, blobs, **common)
        except (IntegrityError, _Superseded):
            # A concurrent upload of the same instanceID won the race, or the form changed: decide again.
            session.rollback()
            if attempt == 3:
                raise
            for f in files:
                f.stream.seek(0)
    raise AssertionError("unreachable")


def _store(session: Session, blobs: BlobStore, *, project_id: int, form_id: int, form_version_id: int,
           header: InstanceHeader, xml: bytes, xml_sha: str, instance_id: str, expected: list[str],
           files: list[IncomingFile], submitter_id: int | None, app_token_id: int | None,
           device_id: str | None, user_agent: str | None) -> Received:
    """Every case, decided under the write transaction: duplicates, edits (deprecatedID), first ones."""
    existing = session.scalars(select(SubmissionVersion).where(
        SubmissionVersion.form_id == form_id, SubmissionVersion.instance_id == instance_id)).first()
    if existing is not None:
        if existing.submission.deleted_at is not None:
            raise ApiError(409, "This submission has been deleted. You may not resubmit it. 该提交已删除。",
                           code="409.1")
        if existing.xml_sha256 != xml_sha:
            raise ApiError(409, "A submission already exists with this ID, but with different XML. "
                                "Resubmissions to attach additional multimedia must resubmit an identical "
                                "xml_submission_file. 已存在相同 instanceID 但内容不同的提交。", code="409.3")
        from server.register.evidence import Ledger
        added = _attach(blobs, existing, files, ledger=Ledger(session, existing, submitter_id))
        missing = _missing(existing)
        # An encrypted instance is decrypted from its parts: one that was waiting for them (a split
        # upload) goes back to processing once they are all here.
        requeued = bool(header.encrypted and added and not missing and existing.processing_state == "encrypted")
        if requeued:
            existing.processing_state = "pending"
        session.commit()
        return Received(existing.id, instance_id, created=False, attachments_added=added,
                        encrypted=header.encrypted, missing=missing, requeued=requeued)

    previous: SubmissionVersion | None = None
    if header.deprecated_id:
        previous = session.scalars(select(SubmissionVersion).where(
            SubmissionVersion.form_id == form_id,
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

    if previous is not None and files:
        _check_edit_files(session, blobs, previous, files, submitter_id)
    now = utcnow()
    if previous is None:
        return _store_new(session, blobs, project_id=project_id, form_id=form_id,
                          form_version_id=form_version_id, header=header,
                          xml=xml, xml_sha=xml_sha, instance_id=instance_id, expected=expected, files=files,
                          submitter_id=submitter_id, app_token_id=app_token_id, device_id=device_id,
                          user_agent=user_agent, now=now)
    submission = previous.submission
    submission.updated_at = now
    submission.review_state = "edited"
    version = SubmissionVersion(
        submission=submission, form_id=form_id, form_version_id=form_version_id, instance_id=instance_id,
        deprecated_id=header.deprecated_id, instance_name=_clip(header.instance_name, 255), xml_sha256=xml_sha,
        xml_size=len(xml), xml=xml, submitter_id=submitter_id, app_token_id=app_token_id,
        device_id=_clip(device_id, 255), user_agent=_clip(user_agent, 512), received_at=now,
        attachments_expected=len(expected), processing_state="pending", processing_log=[])
    carried = {a.name: a for a in previous.attachments if a.sha256}
    for name in expected:
        old = carried.get(name)
        version.attachments.append(Attachment(
            name=name, sha256=old.sha256 if old else None, size=old.size if old else None,
            content_type=old.content_type if old else None, received_at=old.received_at if old else None))
    added = _attach(blobs, version, files)
    missing = _missing(version)
    session.add(version)
    session.flush()
    submission.current_version_id = version.id
    session.commit()
    return Received(version.id, instance_id, created=True, attachments_added=added, encrypted=header.encrypted,
                    missing=missing)


def _store_files(blobs: BlobStore, files: list[IncomingFile], expected: list[str]) -> dict[str, tuple]:
    """The uploaded files that fill an expected slot, stored (fsync): name → (StoredBlob, content type)."""
    stored: dict[str, tuple] = {}
    for f in files:
        if f.name in expected and f.name not in stored:
            stored[f.name] = (blobs.put_stream(f.stream, md5=False),
                              _clip(f.content_type, 128) or "application/octet-stream")
    return stored


def _new_values(header: InstanceHeader, xml: bytes, xml_sha: str, instance_id: str, expected: list[str],
                stored: dict[str, tuple], device_id: str | None, user_agent: str | None, now, *,  # noqa: ANN001
                project_id: int, form_version_id: int) -> dict:
    """The values of a first submission's rows (bar who submits): the parameters of the PostgreSQL
    statements, and of the Core statements elsewhere."""
    return {"project_id": project_id, "xml_form_id": header.form_id, "version": header.version,
            "form_version_id": form_version_id, "instance_id": instance_id,
            "instance_name": _clip(header.instance_name, 255), "xml_sha256": xml_sha, "xml_size": len(xml),
            "xml": xml, "device_id": _clip(device_id, 255), "user_agent": _clip(user_agent, 512), "now": now,
            "attachments_expected": len(expected), "attachments_present": len(stored), "names": expected,
            "shas": [stored[n][0].sha256 if n in stored else None for n in expected],
            "sizes": [stored[n][0].size if n in stored else None for n in expected],
            "content_types": [stored[n][1] if n in stored else None for n in expected]}


def _store_new(session: Session, blobs: BlobStore, *, project_id: int, form_id: int, form_version_id: int,
               header: InstanceHeader, xml: bytes, xml_sha: str, instance_id: str, expected: list[str],
               files: list[IncomingFile], submitter_id: int | None, app_token_id: int | None,
               device_id: str | None, user_agent: str | None, now) -> Received:  # noqa: ANN001
    """A first submission: Core statements, no unit-of-work bookkeeping; on PostgreSQL a single
    statement (raises `_Superseded` when its guard finds the decision out of date)."""
    stored = _store_files(blobs, files, expected)
    v = {**_new_values(header, xml, xml_sha, instance_id, expected, stored, device_id, user_agent, now,
                       project_id=project_id, form_version_id=form_version_id),
         "submitter_id": submitter_id, "app_token_id": app_token_id}
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        rows = _PG_STORE_NEW.run(session, v)
        if not rows:
            raise _Superseded()
        version_id = rows[0][0]
    else:
        submission_id = conn.execute(_INSERT_SUBMISSION, {
            "form_id": form_id, "instance_id": instance_id, "submitter_id": submitter_id, "created_at": now,
            "updated_at": now}).scalar_one()
        version_id = conn.execute(_INSERT_VERSION, {
            **{k: v[k] for k in ("form_version_id", "instance_id", "instance_name", "xml_sha256", "xml_size",
                                 "xml", "submitter_id", "app_token_id", "device_id", "user_agent",
                                 "attachments_expected", "attachments_present")},
            "form_id": form_id, "submission_id": submission_id, "deprecated_id": None, "received_at": now,
            "processing_state": "pending", "processing_attempts": 0, "processing_log": []}).scalar_one()
        if expected:
            conn.execute(_INSERT_ATTACHMENT, [
                {"version_id": version_id, "name": name, "sha256": sha, "size": size, "content_type": ctype,
                 "received_at": now if sha else None}
                for name, sha, size, ctype in zip(v["names"], v["shas"], v["sizes"], v["content_types"])])
        conn.execute(_SET_CURRENT, {"sid": submission_id, "vid": version_id})
    session.commit()
    return Received(version_id, instance_id, created=True, attachments_added=len(stored),
                    encrypted=header.encrypted, missing=tuple(n for n in expected if n not in stored))


def _attach(blobs: BlobStore, version: SubmissionVersion, files: list[IncomingFile], *,
            ledger=None) -> int:  # noqa: ANN001
    """Store files for the version's expected slots: fill empty ones, replace differing ones.

    ``ledger`` (a resubmission of a stored version: ``server.register.evidence.Ledger``): every change is
    checked first — only the original submitter, nothing replaced once the household's authorization
    step is taken — and audited; a refusal changes nothing, is audited and committed, and raises."""
    slots = {a.name: a for a in version.attachments}
    changes = []
    for f in files:
        slot = slots.get(f.name)
        if slot is None:
            continue  # not referenced by a binary field: dropped, as Central does
        stored = blobs.put_stream(f.stream, md5=False)
        if slot.sha256 == stored.sha256:
            continue
        changes.append((slot, stored, f))
    if ledger is not None:
        for slot, stored, f in changes:
            refused = ledger.check(slot.name, slot.sha256, stored.sha256)
            if refused is not None:
                _refuse(ledger.session, refused)
    for slot, stored, f in changes:
        if ledger is not None:
            ledger.changed(slot.name, slot.sha256, stored.sha256)
        slot.sha256, slot.size, slot.received_at = stored.sha256, stored.size, utcnow()
        slot.content_type = _clip(f.content_type, 128) or "application/octet-stream"
    version.attachments_present = sum(1 for a in version.attachments if a.sha256)
    return len(changes)


def _refuse(session: Session, refused: tuple[int, str, str]) -> None:
    """Keep the refusal's audit entry (nothing else of the request is pending) and answer it."""
    session.commit()
    status, zh, en = refused
    raise ApiError(status, f"{en} {zh}", code=f"{status}.1" if status == 403 else "409.5")


def _check_edit_files(session: Session, blobs: BlobStore, previous: SubmissionVersion, files: list[IncomingFile],
                      submitter_id: int | None) -> None:
    """An edit (deprecatedID) may not bring another file under a name the previous version holds once the
    household's authorization step is taken (evidence is immutable)."""
    from server.register.evidence import Ledger
    carried = {a.name: a.sha256 for a in previous.attachments if a.sha256}
    if not any(f.name in carried for f in files):
        return
    ledger = Ledger(session, previous, submitter_id)
    for f in files:
        if f.name not in carried:
            continue
        stored = blobs.put_stream(f.stream, md5=False)
        f.stream.seek(0)
        if stored.sha256 != carried[f.name]:
            refused = ledger.check(f.name, carried[f.name], stored.sha256, edit=True)
            if refused is not None:
                _refuse(session, refused)


def _missing(version: SubmissionVersion) -> tuple[str, ...]:
    return tuple(a.name for a in version.attachments if not a.sha256)


def instance_xml(version: SubmissionVersion, blobs: BlobStore) -> bytes:
    """The XML of a version exactly as received: from its row, or from the blob store for versions stored
    before migration 0008."""
    return version.xml if version.xml is not None else blobs.read(version.xml_sha256)


def _clip(value: str | None, n: int) -> str | None:
    return value[:n] if value else value
