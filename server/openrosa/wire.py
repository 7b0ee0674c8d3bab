"""OpenRosa wire formats: one function per document. No database, no request access.

Namespaces and shapes follow /work/shared/openrosa.md §0–§3 (ODK Central's output).
"""
from __future__ import annotations

from dataclasses import dataclass
from email.utils import formatdate
from xml.sax.saxutils import escape

from flask import Response

RESPONSE_NS = "http://openrosa.org/http/response"
FORMLIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
XML_CT = "text/xml; charset=utf-8"


def openrosa_headers(response: Response, *, accept_length: int | None = None, write: bool = False) -> Response:
    """The headers every OpenRosa response carries (§0)."""
    response.headers["X-OpenRosa-Version"] = "1.0"
    response.headers["Date"] = formatdate(usegmt=True)
    response.headers["Content-Language"] = "zh-CN"
    response.headers["Cache-Control"] = "no-store" if write else "private, no-cache"
    if accept_length is not None:
        response.headers["X-OpenRosa-Accept-Content-Length"] = str(accept_length)
    return response


def _xml_response(body: str, status: int) -> Response:
    return Response(body.encode("utf-8"), status=status, content_type=XML_CT)


def message_document(message: str, *, nature: str = "") -> str:
    return (f'<OpenRosaResponse xmlns="{RESPONSE_NS}" items="0">'
            f'<message nature="{escape(nature)}">{escape(message)}</message></OpenRosaResponse>')


def error_response(status: int, message: str) -> Response:
    return openrosa_headers(_xml_response(message_document(message, nature="error"), status))


def submission_created(message: str = "full submission upload was successful!") -> Response:
    return openrosa_headers(_xml_response(message_document(message), 201), write=True)


@dataclass(frozen=True)
class FormListEntry:
    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str | None


def form_list(entries: list[FormListEntry]) -> Response:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<xforms xmlns="{FORMLIST_NS}">']
    for e in sorted(entries, key=lambda e: (e.name, e.form_id)):
        parts.append(
            "<xform>"
            f"<formID>{escape(e.form_id)}</formID><name>{escape(e.name)}</name>"
            f"<version>{escape(e.version)}</version><hash>md5:{e.md5}</hash>"
            f"<downloadUrl>{escape(e.download_url)}</downloadUrl>"
            + (f"<manifestUrl>{escape(e.manifest_url)}</manifestUrl>" if e.manifest_url else "")
            + "</xform>")
    parts.append("</xforms>")
    return openrosa_headers(_xml_response("".join(parts), 200))


@dataclass(frozen=True)
class ManifestEntry:
    filename: str
    md5: str
    download_url: str
    type: str | None = None            # "entityList" for an entity list (openrosa.md §2)
    integrity_url: str | None = None


def manifest(entries: list[ManifestEntry]) -> Response:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<manifest xmlns="{MANIFEST_NS}">']
    for e in entries:
        kind = f' type="{escape(e.type)}"' if e.type else ""
        integrity = f"<integrityUrl>{escape(e.integrity_url)}</integrityUrl>" if e.integrity_url else ""
        parts.append(f"<mediaFile{kind}><filename>{escape(e.filename)}</filename><hash>md5:{e.md5}</hash>"
                     f"<downloadUrl>{escape(e.download_url)}</downloadUrl>{integrity}</mediaFile>")
    parts.append("</manifest>")
    return openrosa_headers(_xml_response("".join(parts), 200))
