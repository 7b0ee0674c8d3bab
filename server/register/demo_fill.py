"""`shoudi demo fill N`: N realistic households submitted through the real OpenRosa path, so every
console page of a demo has something to show.

Each household is an instance of the published ``household_survey`` form (``forms.samples``), with a
photo of the signed authorization, POSTed by the app's own test client to
``/v1/key/{token}/projects/{id}/submission`` — the intake, the durable store and the processing steps
are the ones phones go through. Every active collector of the project submits for the villages it is
bound to, in turn; each gets a device token labelled ``demo fill`` that is revoked when the run ends.
Never used outside demos.
"""
from __future__ import annotations

import random
import secrets
import struct
import zlib
from dataclasses import dataclass
from datetime import date
from typing import Callable

from flask import Flask
from sqlalchemy import select

from server.accounts import issue_token, revoke_token
from server.db import session_scope
from server.models import Form, FormVersion, Project, Region, User
from server.roles import may_act_in

from .models import Member

FORM_ID = "household_survey"
TOKEN_LABEL = "demo fill"


class DemoFillError(RuntimeError):
    pass


@dataclass
class FillResult:
    submitted: int
    refused: list[tuple[str, int, str]]     # (instanceID, status, body start)
    by_village: dict[str, int]


def _png(seed: int, width: int = 320, height: int = 220) -> bytes:
    """A small real PNG: a paper-coloured sheet with ruled lines and a signature-like stroke."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rnd = random.Random(seed)
    wave = [int(height * 0.78 + 10 * ((x * (3 + seed % 5)) % 17 - 8) / 8) for x in range(width)]
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            if 140 <= x < 300 and abs(y - wave[x]) <= 1:
                rows += b"\x20\x30\x80"
            elif y % 18 == 0 and 20 <= x < width - 20:
                rows += b"\xa0\xa0\xa0"
            else:
                shade = 240 - rnd.randrange(0, 6)
                rows += bytes((shade, shade - 4, shade - 16))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + \
        chunk(b"IEND", b"")


def fill(app: Flask, count: int, *, project_id: int | None = None, seed: int | None = None,
         photos: bool = True, echo: Callable[[str], None] = print) -> FillResult:
    from forms.samples import household, instance_xml, skeleton

    if count < 1:
        raise DemoFillError("N 须为正整数 / N must be at least 1")
    with session_scope(app) as session:
        query = select(Project).order_by(Project.id)
        project = session.scalars(query.where(Project.id == project_id) if project_id else query).first()
        if project is None:
            raise DemoFillError("没有项目，请先运行 `shoudi init --demo` / no project: run `shoudi init --demo` first")
        form = session.scalars(select(Form).where(Form.project_id == project.id, Form.xml_form_id == FORM_ID,
                                                  Form.state == "open")).first()
        version = session.get(FormVersion, form.current_version_id) if form is not None else None
        if version is None:
            raise DemoFillError(f"项目 {project.id} 没有已发布的入户调查表 / project {project.id} has no open "
                                f"{FORM_ID} form: run `shoudi init` to publish the shipped forms")
        template = skeleton(version.xml)
        prefix = project.region_code.rstrip("0")
        villages = list(session.execute(select(Region.code, Region.name).where(
            Region.level == "village", Region.code.startswith(prefix)).order_by(Region.code)))
        pairs: list[tuple[int, str, str]] = []
        tokens: dict[int, tuple[int, str]] = {}
        for user in session.scalars(select(User).where(User.role == "collector", User.active).order_by(User.id)):
            mine = [(code, name) for code, name in villages if may_act_in(user.region_codes, user.role, code)]
            if not mine:
                continue
            issued = issue_token(session, user, project, TOKEN_LABEL)
            tokens[user.id] = (issued.row.id, issued.token)
            pairs += [(user.id, code, name) for code, name in mine]
        if not pairs:
            raise DemoFillError(f"项目 {project.id} 没有绑定到村的在用采集员 / no active collector is bound to a "
                                f"village of project {project.id} (`shoudi users add NAME --role collector …`)")
        used = set(session.scalars(select(Member.id_number)))
        pid = project.id
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    today = date.today()
    client = app.test_client()
    result = FillResult(0, [], {})
    import logging
    http_log = logging.getLogger("shoudi.http")
    level = http_log.level
    http_log.setLevel(max(logging.WARNING, level))      # one progress line per 50, not one per request
    try:
        for i in range(count):
            user_id, code, name = pairs[i % len(pairs)]
            photo = f"authorization-{rng.getrandbits(32):08x}.png" if photos else None
            answers = household(rng, village=(code, name), today=today, used=used, photo_name=photo)
            files = {"xml_submission_file": (_io(instance_xml(template, answers)), "submission.xml", "text/xml")}
            if photo:
                files[photo] = (_io(_png(i)), photo, "image/png")
            response = client.post(f"/v1/key/{tokens[user_id][1]}/projects/{pid}/submission", data=files,
                                   headers={"X-OpenRosa-Version": "1.0", "User-Agent": "shoudi-demo-fill"},
                                   content_type="multipart/form-data")
            response.close()                 # runs the processing a 201 queues (parse, score, register)
            if response.status_code == 201:
                result.submitted += 1
                result.by_village[name] = result.by_village.get(name, 0) + 1
            else:
                result.refused.append((answers["instanceID"], response.status_code,
                                       response.get_data(as_text=True)[:200]))
            if (i + 1) % 50 == 0 or i + 1 == count:
                echo(f"  已提交 submitted {result.submitted}/{count}")
    finally:
        http_log.setLevel(level)
        with session_scope(app) as session:
            for token_id, _token in tokens.values():
                revoke_token(session, token_id)
    return result


def _io(data: bytes):  # noqa: ANN202
    import io
    return io.BytesIO(data)
