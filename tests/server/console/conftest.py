"""Console fixtures: the register world (users of every role in their own and a neighbouring region),
households built through the register's services from real submissions with a stored photo, and a
browser-like client that logs in through the login form (CSRF token included)."""
from __future__ import annotations

import copy
import hashlib
import itertools
import re
from datetime import date, timedelta

import pytest
from lxml import html

from scoring import idcard
from server.models import Attachment, Form, FormVersion, Project, Submission, SubmissionVersion
from server.register.assessing import assess_version
from server.register.households import apply_record
from server.storage import get_blobs
from tests.server.register.world import PASSWORD, record, world  # noqa: F401  (fixture)



def _png(width: int = 120, height: int = 80) -> bytes:
    """A small real PNG (a paper-coloured page with ruled lines) built with zlib only."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + (b"\x60\x60\x60" if y % 10 == 0 else b"\xf4\xf0\xe6") * width for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PHOTO = _png()
_serial = itertools.count(1)


def id_number(region: str, birth: str, serial: int, male: bool) -> str:
    """A valid 18-character 证件号码 (GB 11643 check character; odd 17th digit for men)."""
    first17 = f"{region[:6]}{birth}{(serial % 500) * 2 + (1 if male else 0):03d}"
    return first17 + idcard.check_digit(first17)


class Households:
    """Builds households in the register the way ingest does: a submission version (with the signed
    authorization photo stored in the blob store), ``apply_record`` and ``assess_version``."""

    def __init__(self, app, session) -> None:  # noqa: ANN001
        self.app, self.session = app, session
        self.project = Project(name="测试项目", region_code="150121000000")
        session.add(self.project)
        session.flush()
        self.form = Form(project_id=self.project.id, xml_form_id="household_survey", state="open")
        session.add(self.form)
        session.flush()
        self.form_version = FormVersion(form_id=self.form.id, version="1", title="入户调查", xml=b"<x/>",
                                        md5="0" * 32)
        session.add(self.form_version)
        session.flush()

    def submission(self, photo: bytes | None = PHOTO, name: str = "auth-1.jpg", state: str = "done",
                   error: str | None = None, submitter_id: int | None = None) -> SubmissionVersion:
        n = next(_serial)
        instance = f"uuid:00000000-0000-4000-8000-{n:012d}"
        sub = Submission(form_id=self.form.id, instance_id=instance, submitter_id=submitter_id)
        self.session.add(sub)
        self.session.flush()
        version = SubmissionVersion(submission_id=sub.id, form_id=self.form.id, form_version_id=self.form_version.id,
                                    instance_id=instance, xml_sha256=hashlib.sha256(instance.encode()).hexdigest(),
                                    xml_size=100, processing_state=state, submitter_id=submitter_id,
                                    processing_error=error,
                                    processing_log=[{"step": "parse", "status": "failed", "error": "ValueError"}]
                                    if state == "failed" else [])
        self.session.add(version)
        self.session.flush()
        if photo is not None:
            blob = get_blobs(self.app).put_bytes(photo)
            self.session.add(Attachment(version_id=version.id, name=name, sha256=blob.sha256, size=blob.size,
                                        content_type="image/png"))
        self.session.flush()
        return version

    def add(self, region: str = "150121100201", head: str = "王大山", *, score: bool = True, photo: bool = True,
            **changes):  # noqa: ANN003, ANN201
        n = next(_serial)
        data = copy.deepcopy(record(region_code=region, head_name=head, **changes))
        for i, member in enumerate(data["members"]):
            serial = n * 10 + i
            birth = date.fromisoformat(member["birth_date"]) + timedelta(days=serial // 500)
            member["birth_date"] = birth.isoformat()
            member["id_number"] = id_number(region, birth.strftime("%Y%m%d"), serial, member["sex"] == "male")
        data["members"][0]["name"] = head
        data["head_id_number"] = data["members"][0]["id_number"]
        data["instance_id"] = f"uuid:{n}"
        version = self.submission(PHOTO if photo else None, name=data["authorization_photo"])
        applied = apply_record(self.session, data, submission_version_id=version.id)
        if score:
            assess_version(self.session, applied.household, applied.version, year=2021)
        self.session.flush()
        return applied.household


@pytest.fixture
def households(app, world, db_session) -> Households:  # noqa: ANN001, F811
    return Households(app, db_session)


class Browser:
    """The Flask test client as a browser: logs in through the form, keeps the cookie, and reads the
    CSRF token from each page it gets."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client
        self.csrf = None

    def _remember(self, response):  # noqa: ANN001, ANN202
        if response.mimetype == "text/html":
            found = re.search(rb'name="csrf_token" value="([^"]+)"', response.data)
            if found:
                self.csrf = found.group(1).decode()
        return response

    def get(self, path: str, **kw):  # noqa: ANN003, ANN201
        return self._remember(self.client.get(path, **kw))

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kw):  # noqa: ANN003, ANN201
        data = dict(data or {})
        if csrf:
            if self.csrf is None:
                self.get("/console/login")
            data.setdefault("csrf_token", self.csrf)
        return self._remember(self.client.post(path, data=data, **kw))

    def login(self, username: str, password: str = PASSWORD):  # noqa: ANN201
        self.get("/console/login")
        response = self.post("/console/login", {"username": username, "password": password})
        assert response.status_code == 302, response.data[:500]
        self.get("/console/households")   # pick up the new session's CSRF token
        return response

    def page(self, path: str, status: int = 200):  # noqa: ANN201
        response = self.get(path)
        assert response.status_code == status, (path, response.status_code, response.data[:300])
        return html.fromstring(response.data)


@pytest.fixture
def browser(app, world):  # noqa: ANN001, F811
    return Browser(app.test_client())


@pytest.fixture
def as_user(app, world):  # noqa: ANN001, F811
    """``as_user("township")`` → a Browser logged in as that world user."""
    def make(name: str) -> Browser:
        b = Browser(app.test_client())
        b.login(name)
        return b
    return make
