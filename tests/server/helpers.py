"""Test helpers: a small XForm, instances, a Digest-capable wrapper over the Flask test client."""
from __future__ import annotations

import hashlib
import io
import os
import re

FORM_XML = """<?xml version="1.0" encoding="UTF-8"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
        xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
  <h:head>
    <h:title>{title}</h:title>
    <model>
      <instance>
        <data id="{form_id}" version="{version}">
          <name/>
          <photo/>
          <members jr:template=""><mname/><idphoto/></members>
          <meta><instanceID/><instanceName/></meta>
        </data>
      </instance>
      <instance id="villages" src="jr://file-csv/villages.csv"/>
      <bind nodeset="/data/name" type="string"/>
      <bind nodeset="/data/photo" type="binary"/>
      <bind nodeset="/data/members/idphoto" type="binary"/>
      <bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
    </model>
  </h:head>
  <h:body>
    <input ref="/data/name"><label>户主</label></input>
    <upload ref="/data/photo" mediatype="image/*"><label>承诺授权书</label></upload>
  </h:body>
</h:html>
"""


def form_xml(form_id: str = "visit", version: str = "2024010101", title: str = "入户调查") -> bytes:
    return FORM_XML.format(form_id=form_id, version=version, title=title).encode("utf-8")


def instance_xml(instance_id: str | None = "uuid:11111111-1111-4111-8111-111111111111", *,
                 form_id: str = "visit", version: str = "2024010101", name: str = "张三",
                 photo: str | None = "photo.jpg", member_photos: tuple[str, ...] = (),
                 deprecated_id: str | None = None) -> bytes:
    members = "".join(f"<members><mname>m{i}</mname><idphoto>{p}</idphoto></members>"
                      for i, p in enumerate(member_photos))
    meta = ""
    if instance_id is not None:
        meta += f"<orx:instanceID>{instance_id}</orx:instanceID>"
    if deprecated_id is not None:
        meta += f"<orx:deprecatedID>{deprecated_id}</orx:deprecatedID>"
    return (f'<?xml version="1.0"?><data xmlns:orx="http://openrosa.org/xforms" id="{form_id}" '
            f'version="{version}"><name>{name}</name><photo>{photo or ""}</photo>{members}'
            f"<orx:meta>{meta}</orx:meta></data>").encode("utf-8")


JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffdb004300") + os.urandom(64) + b"\xff\xd9"


def multipart(xml: bytes | None, files: dict[str, bytes] | None = None, *, incomplete: bool = False) -> dict:
    data: dict = {}
    if xml is not None:
        data["xml_submission_file"] = (io.BytesIO(xml), "submission.xml", "text/xml")
    for name, content in (files or {}).items():
        data[name] = (io.BytesIO(content), name, "image/jpeg")
    if incomplete:
        data["*isIncomplete*"] = "yes"
    return data


OR = {"X-OpenRosa-Version": "1.0"}

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


def parse_challenge(header: str) -> dict[str, str]:
    assert header.startswith("Digest ")
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _PARAM.finditer(header)}


def digest_authorization(challenge: str, method: str, uri: str, username: str, password: str,
                         nc: int = 1) -> str:
    p = parse_challenge(challenge)
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha1 = md5(f"{username}:{p['realm']}:{password}")
    ha2 = md5(f"{method}:{uri}")
    cnonce = "0a4f113b"
    ncs = f"{nc:08x}"
    response = md5(f"{ha1}:{p['nonce']}:{ncs}:{cnonce}:auth:{ha2}")
    return (f'Digest username="{username}", realm="{p["realm"]}", nonce="{p["nonce"]}", uri="{uri}", '
            f'qop=auth, nc={ncs}, cnonce="{cnonce}", response="{response}", opaque="{p["opaque"]}", '
            f"algorithm=MD5")


class DigestClient:
    """Plays Collect's okhttp-digest: on a 401 with a Digest challenge, retry with credentials."""

    def __init__(self, client, username: str, password: str) -> None:
        self.client, self.username, self.password = client, username, password
        self.challenge: str | None = None
        self.nc = 0

    def authorization(self, method: str, uri: str) -> str:
        """The next Authorization header for the cached challenge (nc + 1, as okhttp-digest counts)."""
        self.nc += 1
        return digest_authorization(self.challenge, method, uri, self.username, self.password, nc=self.nc)

    def request(self, method: str, url: str, *, headers: dict | None = None, data_factory=None, **kw):
        headers = dict(OR, **(headers or {}))
        path = url
        if self.challenge:
            headers["Authorization"] = self.authorization(method, path.split("?")[0])
        kw2 = dict(kw)
        if data_factory is not None:
            kw2["data"] = data_factory()
        response = self.client.open(url, method=method, headers=headers, **kw2)
        if response.status_code == 401:
            challenges = [v for v in response.headers.getlist("WWW-Authenticate") if v.startswith("Digest")]
            if challenges:
                self.challenge, self.nc = challenges[0], 0
                headers["Authorization"] = self.authorization(method, path.split("?")[0])
                if data_factory is not None:
                    kw2["data"] = data_factory()
                response = self.client.open(url, method=method, headers=headers, **kw2)
        response.get_data()
        response.close()  # as a WSGI server does: runs call_on_close work (processing after the 201)
        return response

    def get(self, url: str, **kw):
        return self.request("GET", url, **kw)

    def head(self, url: str, **kw):
        return self.request("HEAD", url, **kw)

    def post(self, url: str, data: dict, **kw):
        # the multipart dict holds streams consumed by a request: rebuild it for the retry
        snapshot = {k: (v[0].getvalue(), v[1], v[2]) if isinstance(v, tuple) else v for k, v in data.items()}

        def factory():
            return {k: (io.BytesIO(v[0]), v[1], v[2]) if isinstance(v, tuple) else v for k, v in snapshot.items()}
        return self.request("POST", url, data_factory=factory, content_type="multipart/form-data", **kw)


def shipped_structure(xform: bytes) -> bytes:
    """A test XForm under a shipped form id (forms.FORM_IDS) given every catalog field of that form at
    its place, as publishing requires (server/publishing.py); the test's own fields and binds stay."""
    from lxml import etree

    from server.publishing import shipped_paths

    xf = "http://www.w3.org/2002/xforms"
    root = etree.fromstring(xform)
    instance = next(i for i in root.iter(f"{{{xf}}}instance") if i.get("id") is None and i.get("src") is None)
    data = next(iter(instance.iterchildren(tag="{*}*")))
    for path in sorted(shipped_paths(data.get("id"))):
        element = data
        for step in path.strip("/").split("/"):
            child = element.find(f"{{*}}{step}")
            element = child if child is not None else etree.SubElement(element, f"{{{xf}}}{step}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
