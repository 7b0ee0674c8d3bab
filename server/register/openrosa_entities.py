"""OpenRosa side of the household entity list: ``households.csv`` as a form attachment (per user,
ETag/304), the manifest entry (``type="entityList"`` + ``integrityUrl``) and the dataset integrity
endpoint — under ``/v1/…`` and ``/v1/key/{token}/…`` like every OpenRosa route."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request

from server.db import get_db, get_session
from server.errors import ApiError
from server.openrosa import wire

from . import entities

bp = Blueprint("openrosa_entities", __name__)


def route(rule: str, **options):  # noqa: ANN201
    def decorator(view):  # noqa: ANN001, ANN202
        bp.add_url_rule("/v1" + rule, view_func=view, defaults={"token": None}, **options)
        bp.add_url_rule("/v1/key/<token>" + rule, endpoint=view.__name__ + "_key", view_func=view, **options)
        return view
    return decorator


def _views():
    from server.openrosa import views
    return views


def _scope(actor) -> tuple[str, list[str]]:  # noqa: ANN001
    return actor.user.role, actor.user.region_codes


def manifest_entries(actor, project, version, base_url: str) -> list[wire.ManifestEntry]:  # noqa: ANN001
    """The entity-list entry of a form whose definition references ``households.csv``."""
    if entities.FILENAME not in (version.media_expected or []):
        return []
    if any(m.name == entities.FILENAME for m in version.media):
        return []     # an uploaded file of that name wins, as in Central
    form_id = quote(version_form_id(version), safe="")
    digest = entities.list_hash(get_session(), *_scope(actor))
    return [wire.ManifestEntry(
        entities.FILENAME, digest,
        f"{base_url}/projects/{project.id}/forms/{form_id}/attachments/{entities.FILENAME}",
        type="entityList", integrity_url=f"{base_url}/projects/{project.id}/datasets/{entities.DATASET}/integrity")]


def version_form_id(version) -> str:  # noqa: ANN001
    from server.models import Form
    return get_session().get(Form, version.form_id).xml_form_id


@route("/projects/<int:pid>/forms/<xml_form_id>/attachments/households.csv", methods=["GET"])
def households_csv(pid: int, xml_form_id: str, token: str | None):
    views = _views()
    actor, project = views._access(pid, views._token(token))
    version = views._readable_form(actor, project, xml_form_id).current_version
    if entities.FILENAME not in (version.media_expected or []):
        raise ApiError(404, "Could not find the resource you were looking for. 媒体文件不存在。", code="404.1")
    session = get_session()
    digest = entities.list_hash(session, *_scope(actor))
    if request.if_none_match.contains(digest):
        response = Response(status=304)
        response.set_etag(digest)
        return response
    from flask import stream_with_context
    response = Response(stream_with_context(_stream_csv(get_db(), _scope(actor))),
                        content_type="text/csv; charset=utf-8")
    response.set_etag(digest)
    response.headers["Content-Disposition"] = f'attachment; filename="{entities.FILENAME}"'
    response.headers["Cache-Control"] = "no-store"      # names and household data: never cached on the way
    return response


def _stream_csv(db, scope: tuple):  # noqa: ANN001, ANN202
    """The body is sent after the request's teardown closed its session: read it with a session of its
    own, closed when the stream ends or is abandoned (else its connection stays idle in a transaction)."""
    session = db.sessionmaker()
    try:
        yield from entities.iter_households_csv(session, *scope)
    finally:
        session.close()


@route("/projects/<int:pid>/datasets/<name>/integrity", methods=["GET"])
def integrity(pid: int, name: str, token: str | None):
    views = _views()
    views._require_openrosa_version()
    actor, project = views._access(pid, views._token(token))
    other = None
    if name != entities.DATASET:
        from server import datasets   # a county form's own dataset
        other = datasets.find(get_session(), project.id, name)
        if other is None:
            raise ApiError(404, "Could not find the resource you were looking for. 数据集不存在。", code="404.1")
    if not actor.sees_project(project):
        raise views._forbidden(actor, "此账号无权访问该项目。This account may not access this project.")
    ids = request.args.get("id")
    wanted = [i.strip() for i in ids.split(",") if i.strip()] if ids else None
    if other is not None:
        from server import datasets
        body = datasets.integrity_xml(get_session(), other, wanted)
    else:
        body = entities.integrity_xml(get_session(), *_scope(actor), wanted)
    return wire.openrosa_headers(Response(body.encode("utf-8"), content_type=wire.XML_CT))
