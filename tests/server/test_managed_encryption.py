"""Managed encryption of the household forms, end to end in Collect's format.

`shoudi forms encrypt` gives the project a key pair (private key sealed under a passphrase) and
republishes its forms with the public key; the tests then encrypt instances the way ODK Collect does —
written here independently with the `cryptography` package from Collect's EncryptionUtils (RSA OAEP
SHA-256/MGF1-SHA-256 key wrap, AES-256/CFB/PKCS#7 per file, IVs from MD5(instanceID ‖ key) with a byte
incremented per file, the MD5 element signature) — and check: waiting while locked, a wrong passphrase
refused and audited, decryption and registration once unlocked, a tampered part failing visibly, split
uploads, an expired unlock, a lost passphrase (nothing decryptable, nothing dropped), who may unlock.
"""
from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, padding as sympadding, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:    # CFB's new home (cryptography ≥ 47); older releases have it in primitives
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.modes import CFB
from lxml import etree
from sqlalchemy import select, update

from server.accounts import create_project, issue_token
from server.ingest import process_pending
from server.models import SubmissionVersion, utcnow
from server.publishing import publish
from tests.server.helpers import shipped_structure
from server.register.models import AuditEntry, Household
from server.storage import get_blobs
from tests.server.helpers import JPEG, OR
from tests.server.register.world import world  # noqa: F401  (fixture)

INSTANCE = (Path(__file__).resolve().parents[1] / "forms" / "data" / "household_survey_instance.xml").read_bytes()
INSTANCE = INSTANCE.replace(b"<survey_date>2026-11-23</survey_date>", b"<survey_date>2021-06-01</survey_date>")
VERSION = INSTANCE.split(b'version="', 1)[1].split(b'"', 1)[0].decode()
PASSPHRASE = "县里保管的口令 2026"
FORM = f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
  <h:head><h:title>household_survey</h:title><model>
    <instance><data id="household_survey" version="{VERSION}"><x/><signoff><authorization_photo/></signoff>
      <meta><instanceID/></meta></data></instance>
    <bind nodeset="/data/x" type="string"/>
    <bind nodeset="/data/signoff/authorization_photo" type="binary"/></model></h:head>
  <h:body><input ref="/data/x"><label>x</label></input></h:body></h:html>""".encode()
OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def collect_encrypt(form_xml: bytes, instance: bytes, media: dict[str, bytes]) -> tuple[bytes, dict[str, bytes]]:
    """What Collect posts for a finalised instance of an encrypted form: (manifest XML, parts)."""
    public = serialization.load_der_public_key(
        base64.b64decode(re.search(rb'base64RsaPublicKey="([^"]+)"', form_xml).group(1)))
    root = etree.fromstring(instance)
    form_id, version = root.get("id"), root.get("version")
    iid = root.find("{*}meta/{*}instanceID").text
    key = os.urandom(32)
    wrapped = base64.b64encode(public.encrypt(key, OAEP)).decode()
    seed = bytearray(hashlib.md5(iid.encode("utf-8") + key).digest())
    counter = 0

    def encrypt(data: bytes) -> bytes:
        nonlocal counter
        seed[counter % 16] = (seed[counter % 16] + 1) & 0xFF
        counter += 1
        padder = sympadding.PKCS7(128).padder()
        padded = padder.update(data) + padder.finalize()
        enc = Cipher(algorithms.AES(key), CFB(bytes(seed))).encryptor()
        return enc.update(padded) + enc.finalize()

    signed = f"{form_id}\n{version}\n{wrapped}\n{iid}\n"
    parts: dict[str, bytes] = {}
    for name, data in media.items():
        parts[name + ".enc"] = encrypt(data)
        signed += f"{name}::{hashlib.md5(data).hexdigest()}\n"
    parts["submission.xml.enc"] = encrypt(instance)
    signed += f"submission.xml::{hashlib.md5(instance).hexdigest()}\n"
    signature = base64.b64encode(public.encrypt(hashlib.md5(signed.encode()).digest(), OAEP)).decode()
    files = "".join(f"<media><file>{n}</file></media>" for n in parts if n != "submission.xml.enc")
    manifest = (f'<data xmlns="http://www.opendatakit.org/xforms/encrypted" id="{form_id}" version="{version}" '
                f'encrypted="yes"><base64EncryptedKey>{wrapped}</base64EncryptedKey>'
                f'<orx:meta xmlns:orx="http://openrosa.org/xforms"><orx:instanceID>{iid}</orx:instanceID></orx:meta>'
                f'{files}<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>'
                f'<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature></data>').encode()
    return manifest, parts


class Setup:
    def __init__(self, app, db_session, world, cli_runner):  # noqa: ANN001
        self.app, self.db, self.world, self.cli = app, db_session, world, cli_runner
        self.project = create_project(db_session, "土左旗", "150121000000")
        publish(db_session, get_blobs(app), self.project, shipped_structure(FORM))
        self.token = issue_token(db_session, world.users["collector"], self.project).token
        db_session.commit()
        self.client = app.test_client()
        self.base = f"/v1/key/{self.token}/projects/{self.project.id}"

    def encrypt_project(self) -> None:
        r = self.cli("forms", "encrypt", str(self.project.id), "--user", "county", "--passphrase", PASSPHRASE)
        assert r.exit_code == 0, r.output

    def form(self) -> bytes:
        return self.client.get(f"{self.base}/forms/household_survey.xml").get_data()

    def instance(self, iid: str) -> bytes:
        form_version = etree.fromstring(self.form()).find(".//{*}instance/{*}data").get("version")
        xml = re.sub(rb'version="[^"]*"', f'version="{form_version}"'.encode(), INSTANCE, count=1)
        return re.sub(rb"<instanceID>[^<]*</instanceID>", f"<instanceID>{iid}</instanceID>".encode(), xml)

    def post(self, manifest: bytes, parts: dict[str, bytes], incomplete: bool = False):  # noqa: ANN201
        data = {"xml_submission_file": (io.BytesIO(manifest), "submission.xml", "text/xml")}
        for name, content in parts.items():
            data[name] = (io.BytesIO(content), name, "application/octet-stream")
        if incomplete:
            data["*isIncomplete*"] = "yes"
        r = self.client.post(f"{self.base}/submission", data=data, headers=OR, content_type="multipart/form-data")
        r.close()
        return r

    def state(self, iid: str) -> SubmissionVersion:
        self.db.rollback()
        return self.db.scalars(select(SubmissionVersion).where(SubmissionVersion.instance_id == iid)).one()

    def unlock(self, passphrase: str = PASSPHRASE, user: str = "county", minutes: int = 30):  # noqa: ANN201
        return self.cli("forms", "unlock", str(self.project.id), "--user", user, "--minutes", str(minutes),
                        "--passphrase", passphrase)


@pytest.fixture
def s(app, db_session, world, cli_runner):  # noqa: F811
    return Setup(app, db_session, world, cli_runner)


IID = "uuid:5b9cf8d1-106f-4004-844f-c072d76762ed"


def test_forms_are_republished_with_the_public_key(s):
    before = s.form()
    s.encrypt_project()
    after = s.form()
    assert b"base64RsaPublicKey" not in before and b"base64RsaPublicKey" in after
    version = etree.fromstring(after).find(".//{*}instance/{*}data").get("version")
    assert version.startswith(VERSION) and "[encrypted:" in version
    listing = s.client.get(f"{s.base}/formList", headers=OR).get_data()
    assert hashlib.md5(after).hexdigest().encode() in listing
    again = s.cli("forms", "encrypt", str(s.project.id), "--user", "county", "--passphrase", PASSPHRASE)
    assert again.exit_code != 0 and "already" in again.output
    assert "encrypted since" in s.cli("forms", "key-status", str(s.project.id)).output


def test_round_trip_waits_while_locked_then_decrypts_and_registers(s, app):
    s.encrypt_project()
    manifest, parts = collect_encrypt(s.form(), s.instance(IID), {"authorization.jpg": JPEG})
    assert s.post(manifest, parts).status_code == 201
    v = s.state(IID)
    assert v.processing_state == "encrypted" and v.attachments_present == 2 == v.attachments_expected
    assert s.db.scalars(select(Household)).first() is None
    assert "waiting: 1" in s.cli("forms", "key-status", str(s.project.id)).output

    wrong = s.unlock("not the passphrase at all")
    assert wrong.exit_code != 0 and "Wrong passphrase" in wrong.output
    assert s.state(IID).processing_state == "encrypted"

    ok = s.unlock()
    assert ok.exit_code == 0, ok.output
    assert s.state(IID).processing_state == "pending"        # sent back to processing
    process_pending(app)
    v = s.state(IID)
    assert v.processing_state == "done", (v.processing_error, v.processing_log)
    household = s.db.scalars(select(Household)).one()
    assert household.head_name == "王建国" and len(household.members) == 4
    actions = [e.action for e in s.db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "project_key"))]
    assert actions == ["key.create", "key.unlock_failed", "key.unlock"]
    # the stored submission is still the encrypted one, as received; the decrypted photo is kept under
    # the name the household record gives it (the console and photo exports find it)
    assert b"base64EncryptedKey" in v.xml and b"\xe7\x8e\x8b\xe5\xbb\xba\xe5\x9b\xbd" not in v.xml  # 王建国
    photos = {a.name: a for a in v.attachments}
    assert set(photos) == {"authorization.jpg", "authorization.jpg.enc", "submission.xml.enc"}
    assert get_blobs(app).read(photos["authorization.jpg"].sha256) == JPEG


def test_unlocked_key_decrypts_new_submissions_at_once(s):
    s.encrypt_project()
    assert s.unlock().exit_code == 0
    manifest, parts = collect_encrypt(s.form(), s.instance(IID), {"authorization.jpg": JPEG})
    assert s.post(manifest, parts).status_code == 201
    assert s.state(IID).processing_state == "done"


def test_tampered_part_fails_visibly_and_keeps_the_parts(s, app):
    s.encrypt_project()
    assert s.unlock().exit_code == 0
    manifest, parts = collect_encrypt(s.form(), s.instance(IID), {"authorization.jpg": JPEG})
    photo = bytearray(parts["authorization.jpg.enc"])
    photo[5] ^= 0x01            # CFB: the photo still decrypts (padding intact); the signature catches it
    parts["authorization.jpg.enc"] = bytes(photo)
    assert s.post(manifest, parts).status_code == 201
    v = s.state(IID)
    assert v.processing_state == "failed" and "signature" in v.processing_error
    assert v.attachments_present == 2
    assert s.db.scalars(select(Household)).first() is None


def test_split_upload_of_encrypted_parts(s):
    s.encrypt_project()
    assert s.unlock().exit_code == 0
    manifest, parts = collect_encrypt(s.form(), s.instance(IID), {"authorization.jpg": JPEG})
    first = s.post(manifest, {"authorization.jpg.enc": parts["authorization.jpg.enc"]}, incomplete=True)
    assert first.status_code == 201
    assert s.state(IID).processing_state == "encrypted"        # waits for its parts, not failed
    second = s.post(manifest, {"submission.xml.enc": parts["submission.xml.enc"]})
    assert second.status_code == 201
    v = s.state(IID)                                             # the last part sends it to processing
    assert v.processing_state == "done", v.processing_error
    assert s.db.scalars(select(Household)).one().head_name == "王建国"


def test_expired_unlock_is_not_used_and_is_swept(s, app):
    from server.encryption import KeyUnlock, sweep_expired
    s.encrypt_project()
    assert s.unlock().exit_code == 0
    s.db.execute(update(KeyUnlock).values(expires_at=utcnow() - timedelta(minutes=1)))
    s.db.commit()
    manifest, parts = collect_encrypt(s.form(), s.instance(IID), {"authorization.jpg": JPEG})
    assert s.post(manifest, parts).status_code == 201
    assert s.state(IID).processing_state == "encrypted"
    assert sweep_expired(s.db) == 1
    s.db.commit()
    assert s.db.scalars(select(KeyUnlock)).first() is None


def test_lost_passphrase_nothing_decryptable_nothing_dropped(s, tmp_path):
    s.encrypt_project()
    manifest, parts = collect_encrypt(s.form(), s.instance(IID), {"authorization.jpg": JPEG})
    assert s.post(manifest, parts).status_code == 201
    for guess in ("县里保管的口令 2025", PASSPHRASE.upper() + "x"):
        assert s.unlock(guess).exit_code != 0
    assert s.state(IID).processing_state == "encrypted"
    out = tmp_path / "hs.zip"
    r = s.cli("export", "csv", "--form", "household_survey", "--workers", "1", "--region", "150121000000",
              "--out", str(out), "--user", "county")
    assert r.exit_code == 0, r.output
    import zipfile
    with zipfile.ZipFile(out) as z:
        folder = "encrypted/" + IID.replace(":", "_")
        assert z.read(f"{folder}/submission.xml.enc") == parts["submission.xml.enc"]
        assert z.read(f"{folder}/authorization.jpg.enc") == parts["authorization.jpg.enc"]
        assert b"not decrypted" in z.read("household_survey.csv")


def test_only_county_staff_in_scope_may_manage_the_key(s):
    for user in ("collector", "township", "county_other"):
        r = s.cli("forms", "encrypt", str(s.project.id), "--user", user, "--passphrase", PASSPHRASE)
        assert r.exit_code != 0 and "county" in r.output.lower()
    s.encrypt_project()
    assert s.unlock(user="county_other").exit_code != 0
    assert s.unlock(user="admin").exit_code == 0
    assert s.cli("forms", "lock", str(s.project.id), "--user", "county").exit_code == 0
    assert "locked" in s.cli("forms", "key-status", str(s.project.id)).output


def test_short_passphrase_refused(s):
    r = s.cli("forms", "encrypt", str(s.project.id), "--user", "county", "--passphrase", "short")
    assert r.exit_code != 0 and "at least" in r.output


def test_server_decryption_matches_collect_byte_for_byte():
    """The server's primitives against this file's independent encryptor, with a fresh key pair."""
    from server import odk_crypto
    sealed = odk_crypto.generate_sealed_key(PASSPHRASE)
    private = odk_crypto.unlock(sealed, PASSPHRASE)
    form = FORM.replace(b"<model>", f'<model><submission base64RsaPublicKey="{sealed.public_key}"/>'.encode())
    media = {"a.jpg": JPEG, "b.jpg": os.urandom(1000), "c.jpg": b""}
    manifest, parts = collect_encrypt(form, INSTANCE, media)
    root = etree.fromstring(manifest)
    plain = odk_crypto.decrypt_submission(
        private, form_id="household_survey", version=VERSION, instance_id=root.findtext(".//{*}instanceID"),
        base64_key=root.findtext("{*}base64EncryptedKey"),
        signature=root.findtext("{*}base64EncryptedElementSignature"), xml_part="submission.xml.enc",
        media_parts=["a.jpg.enc", "b.jpg.enc", "c.jpg.enc"], parts=parts)
    assert plain.xml == INSTANCE and dict(plain.media) == media
    with pytest.raises(odk_crypto.WrongPassphrase):
        odk_crypto.unlock(sealed, PASSPHRASE + "!")


def test_export_decrypts_while_unlocked_only(s, tmp_path):
    import csv as csvmod
    import zipfile
    s.encrypt_project()
    manifest, parts = collect_encrypt(s.form(), s.instance(IID), {"authorization.jpg": JPEG})
    assert s.post(manifest, parts).status_code == 201
    out = tmp_path / "hs.zip"
    args = ("export", "csv", "--form", "household_survey", "--workers", "1", "--region", "150121000000",
            "--out", str(out), "--user", "county", "--decrypt")
    locked = s.cli(*args)
    assert locked.exit_code != 0 and "locked" in locked.output
    assert s.unlock().exit_code == 0
    r = s.cli(*args)
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out) as z:
        from exports.central_csv import media_folder
        assert z.read(f"{media_folder(IID, set())}/authorization.jpg") == JPEG   # media/<instance>/<name>
        assert not [n for n in z.namelist() if n.startswith("encrypted/")]
        rows = list(csvmod.DictReader(io.StringIO(z.read("household_survey.csv").decode("utf-8-sig"))))
        assert rows[0]["KEY"] == IID and rows[0]["Status"] == ""
        # read from the decrypted instance; the cell points at the file in the bundle
        assert rows[0]["signoff-authorization_photo"] == f"{media_folder(IID, set())}/authorization.jpg"
