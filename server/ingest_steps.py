"""The server's own processing steps (others add theirs in server/components.py)."""
from __future__ import annotations

from server.ingest import ProcessingError, Settled, StepContext


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
        raise Settled("encrypted", "encrypted instance: waiting for decryption (待解密)")
    if ctx.form.xml_form_id not in FORMS:
        raise Settled("not_applicable", f"form {ctx.form.xml_form_id[:60]!r} is not one of shoudi's household "
                                        "forms: no register step applies (无需登记)")
    try:
        parsed = parse_submission(ctx.xml)
    except SubmissionParseError as exc:
        raise ProcessingError(f"instance could not be parsed: {exc}") from exc
    ctx.parsed = parsed
    ctx.record = parsed.record


parse_instance.step_name = "parse"
parse_instance.pure = True  # reads ctx.xml only: runs before the write transaction
parse_instance.warm_up = lambda: __import__("forms")  # a processor imports the parser when it starts


def _encrypted(xml: bytes) -> bool:
    from server.submissions.header import HeaderError, read_header
    try:
        return read_header(xml).encrypted
    except HeaderError:
        return False
