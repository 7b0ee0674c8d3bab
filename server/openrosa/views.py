"""OpenRosa routes: formList, form XML, manifest, media, submission (HEAD/GET pre-flight and POST).

Every route exists twice: `/v1/projects/…` (Digest/Basic login) and `/v1/key/{token}/projects/…`
(app-user token from the QR code). Handlers parse → check → call a service → return a response.
"""
from __future__ import annotations

import hashlib
import logging
from typing import NamedTuple
from urllib.parse import quote

from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import bindparam, select
from werkzeug.wsgi import wrap_file

from server.auth.identity import Actor, authenticate, recently_verified, unauthorized
from server.db import HotStatement, autocommit, get_session, retry_on_disconnect
from server.errors import ApiError
from server.ingest import process_version
from server.models import Form, FormMedia, Project
from server.openrosa import wire
from server.processor import get_processor
from server.storage import get_blobs
from server.submissions.intake import express_lane, receive, receive_express
from server.submissions.multipart import submission_parts

bp = Blueprint("openrosa", __name__)
log = logging.getLogger("shoudi.openrosa")


def route(rule: str, **options):  # noqa: ANN201
    """Register a view under /v1 and under /v1/key/<token>."""
    def decorator(view):  # noqa: ANN001, ANN202
        bp.add_url_rule("/v1" + rule, view_func=view, defaults={"token": None}, **options)
        bp.add_url_rule("/v1/key/<token>" + rule, endpoint=view.__name__ + "_key", view_func=view, **options)
        return view
    return decorator


def _require_openrosa_version() -> None:
    if request.headers.get("X-OpenRosa-Version") != "1.0":
        raise ApiError(400, "An expected header field (X-OpenRosa-Version) did not match the expected format. "
                            "缺少 X-OpenRosa-Version: 1.0 请求头。", code="400.6")


def _base_url(token: str | None) -> str:
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    base += request.script_root
    return f"{base}/v1/key/{token}" if token else f"{base}/v1"


def _authenticate(token: str | None) -> Actor:
    session = get_session()
    return retry_on_disconnect(session, lambda: authenticate(session, token=token))


def _access(pid: int, token: str | None) -> tuple[Actor, Project]:
    actor = _authenticate(token)
    project = get_session().get(Project, pid)
    if project is None:
        raise ApiError(404, "Could not find the resource you were looking for. 项目不存在。", code="404.1")
    return actor, project


def _forbidden(actor: Actor, message: str) -> ApiError:
    if actor.method == "token":
        return ApiError(403, message, code="403.1")
    return unauthorized(message)


def _token(token: str | None) -> str | None:
    return token if token is not None else request.args.get("st")


@route("/projects/<int:pid>/formList", methods=["GET"])
def form_list(pid: int, token: str | None):
    _require_openrosa_version()
    token = _token(token)
    actor, project = _access(pid, token)
    entries: list[wire.FormListEntry] = []
    if actor.sees_project(project):
        query = select(Form).where(Form.project_id == project.id, Form.state == "open",
                                   Form.current_version_id.is_not(None))
        wanted = request.args.get("formID")
        if wanted is not None:
            query = query.where(Form.xml_form_id == wanted)
        base = f"{_base_url(token)}/projects/{project.id}/forms/"
        for form in get_session().scalars(query):
            v = form.current_version
            fid = quote(form.xml_form_id, safe="")
            entries.append(wire.FormListEntry(
                form_id=form.xml_form_id, name=v.title or form.xml_form_id, version=v.version, md5=v.md5,
                download_url=f"{base}{fid}.xml",
                manifest_url=f"{base}{fid}/manifest" if v.media_expected else None))
    return wire.form_list(entries)


def _readable_form(actor: Actor, project: Project, xml_form_id: str) -> Form:
    form = get_session().scalars(select(Form).where(Form.project_id == project.id,
                                                    Form.xml_form_id == xml_form_id)).first()
    if form is None or form.current_version is None:
        raise ApiError(404, "Could not find the resource you were looking for. 表单不存在。", code="404.1")
    if not actor.sees_project(project):
        raise _forbidden(actor, "此账号无权访问该项目。This account may not access this project.")
    if form.state == "closed" and actor.user.role == "collector":
        raise ApiError(403, "该表单已关闭。This form is closed.", code="403.1")
    return form


@route("/projects/<int:pid>/forms/<xml_form_id>.xml", methods=["GET"])
def form_xml(pid: int, xml_form_id: str, token: str | None):
    actor, project = _access(pid, _token(token))
    version = _readable_form(actor, project, xml_form_id).current_version
    response = Response(version.xml, content_type="application/xml; charset=utf-8")
    response.set_etag(version.md5)
    return response.make_conditional(request)


@route("/projects/<int:pid>/forms/<xml_form_id>/manifest", methods=["GET"])
def manifest(pid: int, xml_form_id: str, token: str | None):
    _require_openrosa_version()
    token = _token(token)
    actor, project = _access(pid, token)
    version = _readable_form(actor, project, xml_form_id).current_version
    base = f"{_base_url(token)}/projects/{project.id}/forms/{quote(xml_form_id, safe='')}/attachments/"
    entries = [wire.ManifestEntry(m.name, m.md5, base + quote(m.name, safe="")) for m in version.media]
    from server.register.openrosa_entities import manifest_entries  # the households entity list
    entries += manifest_entries(actor, project, version, _base_url(token))
    entries += _dataset_entries(project, version, base, _base_url(token))   # county forms' own entity lists
    return wire.manifest(entries)


def _dataset_entries(project: Project, version, base: str, root: str) -> list[wire.ManifestEntry]:  # noqa: ANN001
    from server import datasets
    session = get_session()
    held = {m.name for m in version.media}
    return [wire.ManifestEntry(f"{d.name}.csv", datasets.list_hash(session, d), base + quote(f"{d.name}.csv", safe=""),
                               type="entityList",
                               integrity_url=f"{root}/projects/{project.id}/datasets/{quote(d.name, safe='')}/integrity")
            for d in datasets.referenced(session, project.id, version.media_expected)
            if f"{d.name}.csv" not in held]   # an uploaded file of that name wins, as in Central


@route("/projects/<int:pid>/forms/<xml_form_id>/attachments/<name>", methods=["GET"])
def media(pid: int, xml_form_id: str, name: str, token: str | None):
    actor, project = _access(pid, _token(token))
    version = _readable_form(actor, project, xml_form_id).current_version
    row: FormMedia | None = next((m for m in version.media if m.name == name), None)
    if row is None:
        from server import datasets
        found = datasets.referenced(get_session(), project.id, [name] if name in version.media_expected else [])
        if found:   # a county form's entity list (server/datasets.py)
            body = datasets.csv_bytes(get_session(), found[0])
            digest = hashlib.md5(body, usedforsecurity=False).hexdigest()
            response = Response(status=304) if request.if_none_match.contains(digest) else \
                Response(body, content_type="text/csv; charset=utf-8")
            response.set_etag(digest)
            return response
        raise ApiError(404, "Could not find the resource you were looking for. 媒体文件不存在。", code="404.1")
    if request.if_none_match.contains(row.md5):
        response = Response(status=304)
        response.set_etag(row.md5)
        return response
    # in blocks (a file object would be iterated by lines), local disk or S3 alike
    response = Response(wrap_file(request.environ, get_blobs().open(row.sha256)), content_type=row.content_type,
                        direct_passthrough=True)
    response.content_length = row.size
    response.set_etag(row.md5)
    ascii_name = row.name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(row.name, safe='')}")
    return response


@route("/projects/<int:pid>/submission", methods=["HEAD", "GET"])
def submission_preflight(pid: int, token: str | None):
    _require_openrosa_version()
    actor, project = _access(pid, _token(token))
    if not actor.sees_project(project):
        raise _forbidden(actor, "此账号无权向该项目提交。This account may not submit to this project.")
    response = Response(status=204)
    del response.headers["Content-Type"]
    return wire.openrosa_headers(response, accept_length=current_app.config["MAX_BODY_BYTES"])


_PROJECT_SCOPE = HotStatement(select(Project.__table__.c.id, Project.__table__.c.region_code).where(
    Project.__table__.c.id == bindparam("pid")))


class _Scope(NamedTuple):
    id: int
    region_code: str


@route("/projects/<int:pid>/submission", methods=["POST"])
def submission(pid: int, token: str | None):
    _require_openrosa_version()
    session = get_session()
    token = _token(token)
    # The express lane (PostgreSQL, see receive_express): a token this process verified is checked by
    # the one INSERT itself; anyone else authenticates first, as on every other route, before the body.
    sha = recently_verified(session, token, pid) if express_lane(session) else None
    who = {"token_sha256": sha} if sha else _submitter(pid, token)
    origin = {"device_id": request.args.get("deviceID"), "user_agent": _user_agent()}
    session.close()   # the body may take minutes on a weak network: hold no pooled connection meanwhile
    with submission_parts(request.stream, request.mimetype, request.mimetype_params.get("boundary"),
                          request.content_length, current_app.config["MAX_XML_BYTES"]) as (xml, files, incomplete):
        if not sha:
            autocommit(session)   # as `_submitter` left it
        received, header = None, None
        if express_lane(session):
            received, header = receive_express(session, get_blobs(), project_id=pid, xml=xml, files=files,
                                               **origin, **who)
        if received is None:
            if sha:
                who = _submitter(pid, token)
            received = receive(session, get_blobs(), project_id=pid, xml=xml, files=files, header=header,
                               **origin, **who)
    # identifiers only, on the request's own log line (server/logs.py)
    g.log_detail = (f"version={received.version_id} created={received.created} "
                    f"attachments_added={received.attachments_added}")
    if received.encrypted and received.missing and not incomplete:
        # The last POST of an encrypted instance and still a named part missing: what arrived is kept
        # (committed above, completed by a resend of the same XML), but the phone must not take it as
        # sent and delete it. Collect keeps the instance and retries.
        g.log_detail += f" missing={len(received.missing)}"
        raise ApiError(400, "The encrypted submission is incomplete: these files it names were not received: "
                            f"{', '.join(received.missing)[:500]}. Please send it again. "
                            f"加密提交不完整，缺少：{', '.join(received.missing)[:500]}。请重新发送。",
                       code="400.8")
    response = wire.submission_created()
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(current_app.config["MAX_BODY_BYTES"])
    if (received.created or received.requeued) and current_app.config["PROCESS_INLINE"]:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        processor = get_processor(app)
        if processor is not None:  # `shoudi serve`: the worker's processing thread takes it
            response.call_on_close(lambda: processor.enqueue(received.version_id))
        else:
            response.call_on_close(lambda: _process_quietly(app, received.version_id))
    return response


def _submitter(pid: int, token: str | None) -> dict:
    """Authenticate; the project must exist and be the actor's to submit to. Returns who submits
    (`submitter_id`, `app_token_id`), as intake takes it."""
    # PostgreSQL: reads and the first-submission INSERT are each one statement: no BEGIN/COMMIT round
    # trips (intake leaves autocommit before any multi-statement write).
    autocommit(get_session())
    actor = _authenticate(token)
    if actor.token is None or actor.token.project_id != pid:  # a token's own project exists (foreign key)
        rows = _PROJECT_SCOPE.run(get_session(), {"pid": pid})
        if not rows:
            raise ApiError(404, "Could not find the resource you were looking for. 项目不存在。", code="404.1")
        if not actor.sees_project(_Scope(*rows[0])):
            raise _forbidden(actor, "此账号无权向该项目提交。This account may not submit to this project.")
    return {"submitter_id": actor.user.id, "app_token_id": actor.token.id if actor.token else None}


def _process_quietly(app, version_id: int) -> None:  # noqa: ANN001
    try:
        process_version(app, version_id)
    except Exception:  # noqa: BLE001 — the submission is stored; `reprocess --pending` retries
        log.exception("processing crashed for version %s; left pending", version_id)


def _user_agent() -> str | None:
    agent = request.headers.get("User-Agent")
    client = request.headers.get("ODK-Client")
    return f"{client} {agent}" if client and agent else agent
