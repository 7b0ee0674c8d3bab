"""Managed encryption of a project's forms (as ODK Central's managed encryption): one RSA key pair per
project, the private key kept only sealed under a passphrase county staff hold; the project's forms
are republished with the public key, so Collect encrypts each finalised instance on the phone.

Processing decrypts while the key is unlocked. An authorised county user (county or admin role, the
project's region in scope) unlocks it with the passphrase for a bounded time (at most
MAX_UNLOCK_MINUTES), audited. The unlocked key must be usable by every processor process, so it is
kept in the database for that time — wrapped with AES-256-GCM under a key derived (HKDF-SHA256) from
the deployment's SECRET_KEY, which is not in the database — and every use checks the expiry in the
same read; `lock` (or any use after the expiry) deletes it. Trade-off (docs/security.md): during the
window, whoever holds both the database and SECRET_KEY can decrypt — as the running server can; a
database dump alone cannot, and after the window nothing on the server can without the passphrase.
Versions whose key is locked (or that were encrypted with another key) stay `encrypted`, counted
and exported as received; unlocking sends them back to processing.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from lxml import etree
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server import odk_crypto, xmlsafe
from server.models import Base, Form, FormVersion, JSONType, Project, SubmissionVersion, UTCDateTime, User, utcnow
from server.roles import may_act_in

MAX_UNLOCK_MINUTES = 8 * 60
UNLOCK_ROLES = ("county", "admin")
XF = "http://www.w3.org/2002/xforms"


class EncryptionError(ValueError):
    """A refusal with a bilingual message (CLI, console)."""


class ProjectKey(Base):
    """A project's key pair: the public key in the forms, the private key sealed under a passphrase."""

    __tablename__ = "project_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), unique=True)
    public_key: Mapped[str] = mapped_column(Text)           # base64 DER SubjectPublicKeyInfo
    sealed_private: Mapped[bytes] = mapped_column(LargeBinary)
    kdf: Mapped[dict] = mapped_column(JSONType)             # scrypt parameters and salt
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KeyUnlock(Base):
    """A project key unlocked until `expires_at` (see the module docstring for the trade-off)."""

    __tablename__ = "project_key_unlocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("project_keys.id", ondelete="CASCADE"), unique=True)
    unlocked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    unlocked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    wrapped_private: Mapped[bytes] = mapped_column(LargeBinary)   # salt(16) ‖ nonce ‖ AES-GCM(PKCS#8)
    note: Mapped[str | None] = mapped_column(String(255))


# --- stored submissions --------------------------------------------------------------------------

@dataclass
class Manifest:
    """What an encrypted submission's outer XML says (the ODK submission manifest)."""
    form_id: str
    version: str | None
    instance_id: str
    key: str                    # base64EncryptedKey
    signature: str | None       # base64EncryptedElementSignature
    xml_part: str               # encryptedXmlFile
    media_parts: list[str]      # media/file, in order

    @property
    def parts(self) -> list[str]:
        return [*self.media_parts, self.xml_part]

    def decrypt(self, private, parts: dict[str, bytes]) -> odk_crypto.Decrypted:  # noqa: ANN001
        return odk_crypto.decrypt_submission(
            private, form_id=self.form_id, version=self.version, instance_id=self.instance_id,
            base64_key=self.key, signature=self.signature, xml_part=self.xml_part,
            media_parts=self.media_parts, parts=parts)


def manifest_of(header) -> Manifest:  # noqa: ANN001 — server.submissions.header.InstanceHeader
    root = header.root

    def text(tag: str) -> str:
        return next(((el.text or "").strip() for el in root.iterchildren("{*}" + tag)), "")
    xml_part = text("encryptedXmlFile")
    return Manifest(header.form_id, header.version or None, header.instance_id or "", text("base64EncryptedKey"),
                    text("base64EncryptedElementSignature") or None, xml_part,
                    [n for n in header.encrypted_parts() if n != xml_part])


# --- forms ---------------------------------------------------------------------------------------

def public_key_of_form(xml: bytes) -> str | None:
    root = xmlsafe.parse(xml)
    for el in root.iter(f"{{{XF}}}submission"):
        if el.get("base64RsaPublicKey"):
            return el.get("base64RsaPublicKey").strip()
    return None


def with_public_key(xml: bytes, public_key: str) -> bytes:
    """The XForm with `<submission base64RsaPublicKey=…>` in its model and a version of its own
    (`<version>[encrypted:<key digest>]`, so Collect treats it as a new form version; deterministic,
    so publishing the same source again is idempotent)."""
    import hashlib
    root = xmlsafe.parse(xml)
    model = root.find(f".//{{{XF}}}model")
    if model is None:
        raise EncryptionError("XForm 缺少 model / the form has no <model>")
    submission = model.find(f"{{{XF}}}submission")
    if submission is None:
        submission = etree.SubElement(model, f"{{{XF}}}submission")
        submission.set("method", "post")
    submission.set("base64RsaPublicKey", public_key)
    primary = next(i for i in model.findall(f"{{{XF}}}instance") if i.get("id") is None and i.get("src") is None)
    data = next(primary.iterchildren(tag=etree.Element))
    suffix = f"[encrypted:{hashlib.sha256(public_key.encode()).hexdigest()[:8]}]"
    version = data.get("version") or ""
    if not version.endswith(suffix):
        data.set("version", version + suffix)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def project_key(session: Session, project_id: int) -> ProjectKey | None:
    return session.scalar(select(ProjectKey).where(ProjectKey.project_id == project_id))


def prepare_for_project(session: Session, project_id: int, xml: bytes) -> bytes:
    """What `publish` stores for a project: with managed encryption, the form carries its public key."""
    key = project_key(session, project_id)
    if key is None:
        return xml
    try:
        if public_key_of_form(xml) is not None:
            return xml
        return with_public_key(xml, key.public_key)
    except (xmlsafe.UnsafeXML, StopIteration):
        return xml   # not a usable XForm: `publish` says why


# --- the key -------------------------------------------------------------------------------------

def _check_actor(actor: User | None, project: Project) -> None:
    if actor is None or actor.role not in UNLOCK_ROLES or not actor.active or \
            not may_act_in(actor.region_codes, actor.role, project.region_code):
        raise EncryptionError("只有本项目所在区域的县级人员或管理员可以管理加密密钥。"
                              "Only county staff of the project's region or an administrator may manage its key.")


def _audit(session: Session, action: str, actor: User | None, project: Project, after: dict | None = None) -> None:
    from server.register import audit
    audit.record(session, action, actor=actor, entity_type="project_key", entity_id=project.id,
                 region_code=project.region_code, after=after)


def encrypt_project(session: Session, blobs, project: Project, passphrase: str,  # noqa: ANN001
                    actor: User | None) -> tuple[ProjectKey, list[FormVersion]]:
    """Create the project's key pair and republish each of its forms with the public key."""
    from server.publishing import publish
    _check_actor(actor, project)
    if project_key(session, project.id) is not None:
        raise EncryptionError("该项目已启用加密。This project already uses managed encryption.")
    sealed = odk_crypto.generate_sealed_key(passphrase)
    key = ProjectKey(project_id=project.id, public_key=sealed.public_key, sealed_private=sealed.sealed_private,
                     kdf=sealed.kdf, created_by=actor.id if actor else None, created_at=utcnow())
    session.add(key)
    session.flush()
    republished = []
    forms = session.scalars(select(Form).where(Form.project_id == project.id,
                                               Form.current_version_id.is_not(None)).order_by(Form.id)).all()
    for form in forms:
        current = form.current_version
        if public_key_of_form(current.xml) is not None:
            continue   # a county's own key: left as it is
        version, _ = publish(session, blobs, project, current.xml)
        republished.append(version)
    _audit(session, "key.create", actor, project, {"forms": [f.xml_form_id for f in forms]})
    return key, republished


def _unlock_key(secret: str, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"shoudi key unlock").derive(secret.encode())


def unlock(session: Session, secret: str, project: Project, passphrase: str, actor: User | None,
           minutes: int) -> KeyUnlock:
    """Unlock the project's key for `minutes` (≤ MAX_UNLOCK_MINUTES) and send its waiting versions back
    to processing. A wrong passphrase is audited and refused."""
    _check_actor(actor, project)
    if not 1 <= minutes <= MAX_UNLOCK_MINUTES:
        raise EncryptionError(f"解锁时长须在 1 到 {MAX_UNLOCK_MINUTES} 分钟之间。"
                              f"Unlock for 1 to {MAX_UNLOCK_MINUTES} minutes.")
    key = project_key(session, project.id)
    if key is None:
        raise EncryptionError("该项目未启用加密。This project does not use managed encryption.")
    try:
        private = odk_crypto.unlock(odk_crypto.SealedKey(key.public_key, key.sealed_private, key.kdf), passphrase)
    except odk_crypto.WrongPassphrase:
        _audit(session, "key.unlock_failed", actor, project)
        session.commit()
        raise EncryptionError("口令不正确。Wrong passphrase.") from None
    salt = os.urandom(16)
    wrapped = salt + odk_crypto.seal_private_key(private, _unlock_key(secret, salt), b"shoudi unlocked key")
    now = utcnow()
    session.execute(delete(KeyUnlock).where(KeyUnlock.key_id == key.id))
    row = KeyUnlock(key_id=key.id, unlocked_by=actor.id if actor else None, unlocked_at=now,
                    expires_at=now + timedelta(minutes=minutes), wrapped_private=wrapped)
    session.add(row)
    waiting = session.execute(
        update(SubmissionVersion).where(
            SubmissionVersion.processing_state == "encrypted",
            SubmissionVersion.form_id.in_(select(Form.id).where(Form.project_id == project.id)))
        .values(processing_state="pending").execution_options(synchronize_session=False)).rowcount
    _audit(session, "key.unlock", actor, project, {"minutes": minutes, "expires_at": row.expires_at.isoformat(),
                                                   "requeued": waiting})
    return row


def lock(session: Session, project: Project, actor: User | None) -> bool:
    _check_actor(actor, project)
    key = project_key(session, project.id)
    if key is None:
        return False
    removed = session.execute(delete(KeyUnlock).where(KeyUnlock.key_id == key.id)).rowcount
    _audit(session, "key.lock", actor, project, {"was_unlocked": bool(removed)})
    return bool(removed)


def unlocked_private_key(session: Session, secret: str, project_id: int):  # noqa: ANN201
    """The project's private key while it is unlocked, else None (an expired unlock is deleted by the
    next writer: `sweep_expired`; it is never used here)."""
    row = session.execute(
        select(KeyUnlock.wrapped_private).join(ProjectKey, ProjectKey.id == KeyUnlock.key_id)
        .where(ProjectKey.project_id == project_id, KeyUnlock.expires_at > utcnow())).first()
    if row is None:
        return None
    wrapped = row[0]
    try:
        return odk_crypto.open_private_key(wrapped[16:], _unlock_key(secret, wrapped[:16]), b"shoudi unlocked key")
    except odk_crypto.WrongPassphrase:
        return None   # SECRET_KEY changed since the unlock: unlock again


def sweep_expired(session: Session) -> int:
    """Delete expired unlocks (the processor loop and `forms lock` call it)."""
    return session.execute(delete(KeyUnlock).where(KeyUnlock.expires_at <= utcnow())).rowcount


def status(session: Session, project_id: int) -> dict:
    key = project_key(session, project_id)
    if key is None:
        return {"encrypted": False}
    until = session.scalar(select(KeyUnlock.expires_at).where(KeyUnlock.key_id == key.id,
                                                              KeyUnlock.expires_at > utcnow()))
    waiting = session.scalar(select(func.count()).select_from(SubmissionVersion).where(
        SubmissionVersion.processing_state == "encrypted",
        SubmissionVersion.form_id.in_(select(Form.id).where(Form.project_id == project_id))))
    return {"encrypted": True, "created_at": key.created_at, "unlocked_until": until, "waiting": waiting}
