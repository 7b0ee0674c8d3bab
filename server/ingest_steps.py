"""The server's own processing steps (others add theirs in server/components.py)."""
from __future__ import annotations

import base64

from server.ingest import ProcessingError, Settled, StepContext
from server.models import utcnow


def parse_instance(ctx: StepContext) -> None:
    """Parse the instance into its household record with `forms.parse_submission`.

    Settles instead of failing when nothing applies: an encrypted instance waits for decryption
    (`encrypted`); a form that is not one of shoudi's household forms has no register step
    (`not_applicable`) — it is stored, listed and exported like any other."""
    try:
        from forms import FORMS, SubmissionParseError, parse_submission
    except ImportError as exc:
        raise ProcessingError(f"forms.parse_submission is not available: {exc}") from None
    if b"encryptedXmlFile" in ctx.xml and _encrypted(ctx.xml):
        ctx.xml = _decrypted(ctx)   # or Settled("encrypted"): waiting for the key
    if ctx.form.xml_form_id not in FORMS:
        raise Settled("not_applicable", f"form {ctx.form.xml_form_id[:60]!r} is not one of shoudi's household "
                                        "forms: no register step applies (无需登记)", apply=_dataset_entity(ctx))
    try:
        parsed = parse_submission(ctx.xml)
    except SubmissionParseError as exc:
        raise ProcessingError(f"instance could not be parsed: {exc}") from exc
    ctx.parsed = parsed
    ctx.record = parsed.record


parse_instance.step_name = "parse"
parse_instance.pure = True  # reads ctx.xml only: runs before the write transaction
parse_instance.warm_up = lambda: __import__("forms")  # a processor imports the parser when it starts


def _dataset_entity(ctx: StepContext):  # noqa: ANN202
    """The write a county form's own entity list needs (server/datasets.py), run when settling."""
    xml = ctx.xml
    if b"entity" not in xml:
        return None

    def apply(session):  # noqa: ANN001, ANN202
        from server.datasets import apply_submission
        return apply_submission(session, ctx.project.id, ctx.form_version.xml, xml, ctx.version.id)
    return apply


def _decrypted(ctx: StepContext) -> bytes:
    """The instance inside an encrypted submission, decrypted with the project's unlocked key. Waits
    (`encrypted`) while the key is locked or when the instance was encrypted with another key; fails
    when a part was altered (padding or element signature) — the stored parts are never touched."""
    from server import odk_crypto
    from server.encryption import manifest_of, unlocked_private_key
    from server.submissions.header import read_header
    header = read_header(ctx.xml)
    private = unlocked_private_key(ctx.session, ctx.app.config["SECRET_KEY"], ctx.project.id)
    if private is None:
        raise Settled("encrypted", "encrypted instance: waiting for decryption, the project key is locked (待解密)")
    manifest = manifest_of(header)
    if not manifest.key or not manifest.xml_part:
        raise ProcessingError("the encrypted submission has no base64EncryptedKey or encryptedXmlFile")
    parts = {a.name: ctx.blobs.read(a.sha256) for a in ctx.version.attachments
             if a.sha256 and a.name in manifest.parts}
    if len(parts) < len(manifest.parts):   # a split upload still under way: its last POST sends it back here
        raise Settled("encrypted", "encrypted instance: waiting for its remaining parts (待解密)")
    try:
        odk_crypto.unwrap_key(private, base64.b64decode(manifest.key))
    except (odk_crypto.UndecryptableSubmission, ValueError):
        raise Settled("encrypted", "encrypted with another key than this project's: decrypt it offline "
                                   "with that key (待解密)") from None
    try:
        plain = manifest.decrypt(private, parts)
        inner = read_header(plain.xml)
    except (odk_crypto.UndecryptableSubmission, ValueError) as exc:
        raise ProcessingError(f"the encrypted instance cannot be decrypted: {exc}") from None
    if inner.form_id != header.form_id or inner.instance_id != header.instance_id:
        raise ProcessingError("the decrypted instance names another form or instanceID than its manifest")
    _keep_decrypted_media(ctx, plain.media)
    return plain.xml


def _keep_decrypted_media(ctx: StepContext, media: list[tuple[str, bytes]]) -> None:
    """The decrypted photos become attachments of the version under their own names (the household
    record names them: the console and photo exports find them as for a plain submission); the
    encrypted parts stay as received. Blobs are written now (content-addressed), rows with the
    version's writes."""
    import mimetypes

    from server.submissions.header import safe_name
    stored = []
    for name, data in media:
        clean = safe_name(name)
        if clean:
            stored.append((clean, ctx.blobs.put_bytes(data),
                           mimetypes.guess_type(clean)[0] or "application/octet-stream"))
    ctx.results["decrypted_media"] = [name for name, _, _ in stored]

    def write(session) -> None:  # noqa: ANN001
        from server.models import Attachment
        have = {a.name for a in ctx.version.attachments}
        for name, blob, content_type in stored:
            if name not in have:
                session.add(Attachment(version_id=ctx.version.id, name=name, sha256=blob.sha256, size=blob.size,
                                       content_type=content_type, received_at=utcnow()))
        session.flush()
    if stored:
        ctx.deferred.append(write)


def _encrypted(xml: bytes) -> bool:
    from server.submissions.header import HeaderError, read_header
    try:
        return read_header(xml).encrypted
    except HeaderError:
        return False
