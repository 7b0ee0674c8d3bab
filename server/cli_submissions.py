"""`shoudi submissions list|show` and `shoudi reprocess`."""
from __future__ import annotations

import json

import click
from sqlalchemy import func, select

from server.cli import data_dir_option, make_app
from server.db import session_scope
from server.ingest import failed_ids, process_pending, process_version
from server.models import PROCESSING_STATES, Form, Submission, SubmissionVersion, User

# How the CLI names a processing state (code first: scripts match on it).
STATE_LABELS = {"pending": "待处理", "done": "已处理", "failed": "处理失败", "not_applicable": "无需登记",
                "encrypted": "待解密 waiting for decryption", "held": "待审核 held for review",
                "rejected": "已驳回 rejected by a reviewer"}


def state_label(state: str) -> str:
    label = STATE_LABELS.get(state)
    return f"{state} ({label})" if label else state


@click.group()
def submissions() -> None:
    """Inspect received submissions."""


@submissions.command("list")
@click.option("--form", "xml_form_id", help="Only this form id.")
@click.option("--state", type=click.Choice(PROCESSING_STATES),
              help="Only this processing state (not_applicable: no register step applies, e.g. a county's own "
                   "form; encrypted: waiting for decryption).")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@data_dir_option
def submissions_list(xml_form_id: str | None, state: str | None, limit: int, as_json: bool,
                     data_dir: str | None) -> None:
    """Latest submissions: received, form, instanceID, versions, attachments, processing state."""
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        query = (select(Submission, SubmissionVersion, Form, User.username)
                 .join(SubmissionVersion, SubmissionVersion.id == Submission.current_version_id)
                 .join(Form, Form.id == Submission.form_id)
                 .outerjoin(User, User.id == Submission.submitter_id)
                 .order_by(Submission.id.desc()).limit(limit))
        if xml_form_id:
            query = query.where(Form.xml_form_id == xml_form_id)
        if state:
            query = query.where(SubmissionVersion.processing_state == state)
        for sub, ver, form, username in session.execute(query):
            n_versions = session.scalar(select(func.count()).select_from(SubmissionVersion).where(
                SubmissionVersion.submission_id == sub.id))
            row = {"received": sub.created_at.isoformat(timespec="seconds"), "project": form.project_id,
                   "form": form.xml_form_id, "instance_id": sub.instance_id, "versions": n_versions,
                   "attachments": f"{ver.attachments_present}/{ver.attachments_expected}",
                   "processing": ver.processing_state, "submitter": username}
            if as_json:
                click.echo(json.dumps(row, ensure_ascii=False))
            else:
                click.echo("\t".join(state_label(row[k]) if k == "processing" else str(row[k]) for k in row))


@submissions.command("show")
@click.argument("instance_id")
@data_dir_option
def submissions_show(instance_id: str, data_dir: str | None) -> None:
    """Every version of a submission (by any of its instanceIDs), attachments and processing log."""
    app = make_app(data_dir)
    with session_scope(app, write=False) as session:
        found = session.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == instance_id)).all()
        if not found:
            raise click.ClickException(f"未找到提交 / no submission with instanceID {instance_id}")
        for hit in found:
            sub = hit.submission
            click.echo(f"submission {sub.instance_id} (form #{sub.form_id}), review: {sub.review_state or '-'}")
            for v in session.scalars(select(SubmissionVersion).where(
                    SubmissionVersion.submission_id == sub.id).order_by(SubmissionVersion.id)):
                current = "*" if v.id == sub.current_version_id else " "
                click.echo(f" {current} {v.instance_id}  received {v.received_at.isoformat(timespec='seconds')}  "
                           f"xml sha256 {v.xml_sha256[:12]}…  processing {state_label(v.processing_state)} "
                           f"(attempts {v.processing_attempts})")
                for a in v.attachments:
                    click.echo(f"     {a.name}: {'present ' + str(a.size) + ' bytes' if a.sha256 else 'missing'}")
                if v.processing_error:
                    click.echo(f"     error: {v.processing_error}")
                note = next((e.get("note") for e in (v.processing_log or []) if e.get("note")), None)
                if note and v.processing_state not in ("pending", "failed"):
                    click.echo(f"     note: {note}")


@click.command()
@click.argument("instance_ids", nargs=-1)
@click.option("--all-failed", is_flag=True, help="Retry every version whose processing failed.")
@click.option("--pending", is_flag=True, help="Process versions still pending (e.g. after a crash).")
@click.option("--follow", is_flag=True, help="With --pending: keep processing new submissions until stopped "
                                              "(the processor `shoudi serve` starts).")
@click.option("--when-quiet", type=float, default=None, metavar="SECONDS",
              help="With --follow: a drain helper, claiming only while a backlog waits and no submission "
                   "arrived for SECONDS (PostgreSQL; `shoudi serve` starts DRAIN_HELPERS of them).")
@data_dir_option
def reprocess(instance_ids: tuple[str, ...], all_failed: bool, pending: bool, follow: bool,
              when_quiet: float | None, data_dir: str | None) -> None:
    """Run processing again (parse, score, register) for INSTANCE_ID… or --all-failed / --pending."""
    if not (instance_ids or all_failed or pending):
        raise click.UsageError("give INSTANCE_ID… or --all-failed or --pending")
    app = make_app(data_dir)
    if follow:
        import os

        from server.ingest import follow_pending
        if not pending:
            raise click.UsageError("--follow goes with --pending")
        parent = os.getppid()
        follow_pending(app, keep_going=lambda: os.getppid() == parent,  # stop when the server is gone
                       when_quiet=when_quiet)
        return
    counts: dict[str, int] = {}

    def count(state: str) -> None:
        counts[state] = counts.get(state, 0) + 1

    if pending:
        for state, n in process_pending(app).items():
            counts[state] = counts.get(state, 0) + n
    if all_failed:
        for version_id in failed_ids(app):
            count(process_version(app, version_id, force=True))
    if instance_ids:
        with session_scope(app, write=False) as session:
            ids = []
            for iid in instance_ids:
                found = session.scalars(select(SubmissionVersion.id).where(
                    SubmissionVersion.instance_id == iid)).all()
                if not found:
                    raise click.ClickException(f"未找到提交 / no submission with instanceID {iid}")
                ids.extend(found)
        for version_id in ids:
            count(process_version(app, version_id, force=True))
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to do"
    click.echo(f"重新处理 reprocessed — {summary}")
    if counts.get("failed"):
        raise SystemExit(1)
