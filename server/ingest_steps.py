"""The server's own processing steps (others add theirs in server/components.py)."""
from __future__ import annotations

from server.ingest import ProcessingError, StepContext


def parse_instance(ctx: StepContext) -> None:
    """Parse the instance into its household record with `forms.parse_submission`."""
    try:
        from forms import SubmissionParseError, parse_submission
    except ImportError as exc:
        raise ProcessingError(f"forms.parse_submission is not available: {exc}") from None
    try:
        parsed = parse_submission(ctx.xml)
    except SubmissionParseError as exc:
        raise ProcessingError(f"instance could not be parsed: {exc}") from exc
    ctx.parsed = parsed
    ctx.record = parsed.record


parse_instance.step_name = "parse"
parse_instance.pure = True  # reads ctx.xml only: runs before the write transaction
parse_instance.warm_up = lambda: __import__("forms")  # a processor imports the parser when it starts
