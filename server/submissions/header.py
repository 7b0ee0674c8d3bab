"""The minimal, hardened read of a submitted instance that must happen before the 201.

Only what routing and idempotence need: root `id` and `version`, meta/instanceID, meta/deprecatedID,
meta/instanceName, and the file names held by binary fields. Full parsing happens after the 201 (forms).
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from server import xmlsafe


class HeaderError(ValueError):
    pass


class FieldTooLong(HeaderError):
    """An identifier longer than its database column (255 characters)."""


MAX_ID_CHARS = 255   # instanceID and deprecatedID columns (ODK's are uuid:… of 41 characters)


@dataclass
class InstanceHeader:
    form_id: str
    version: str
    instance_id: str | None
    deprecated_id: str | None
    instance_name: str | None
    root: etree._Element

    @property
    def encrypted(self) -> bool:
        """An instance Collect encrypted with the form's public key (ODK encryption: the outer XML carries
        `base64EncryptedKey` and names the encrypted parts; the data is in `encryptedXmlFile`)."""
        if (self.root.get("encrypted") or "").strip().lower() == "yes":
            return True
        return any(True for _ in self.root.iterchildren("{*}encryptedXmlFile", "encryptedXmlFile"))

    def encrypted_parts(self) -> list[str]:
        """The parts an encrypted instance names, sanitised, unique: each `media/file` (encrypted
        attachments, e.g. `pic.jpg.enc`), then `encryptedXmlFile` (e.g. `submission.xml.enc`)."""
        names: list[str] = []
        found = [f for media in self.root.iterchildren("{*}media", "media")
                 for f in media.iterchildren("{*}file", "file")]
        found += list(self.root.iterchildren("{*}encryptedXmlFile", "encryptedXmlFile"))
        for el in found:
            name = safe_name((el.text or "").strip())
            if name and name not in names:
                names.append(name)
        return names

    def file_names(self, binary_fields: list[str]) -> list[str]:
        """File names the instance expects: for an encrypted instance every part it names (whatever the
        form's binary fields); else those referenced by the form's binary fields (repeats included).
        Sanitised, unique."""
        if self.encrypted:
            return self.encrypted_parts()
        names: list[str] = []
        root_name = xmlsafe.local(self.root.tag)
        for path in binary_fields:
            steps = [s for s in path.split("/") if s]
            if not steps or steps[0] != root_name:
                continue
            matches = [self.root] if len(steps) == 1 else self.root.findall("/".join("{*}" + s for s in steps[1:]))
            for el in matches:
                name = safe_name((el.text or "").strip())
                if name and name not in names:
                    names.append(name)
        return names


def _meta_text(root: etree._Element, name: str) -> str | None:
    for meta in root.iterchildren("{*}meta"):
        for child in meta.iterchildren("{*}" + name):
            text = (child.text or "").strip()
            return text or None
    return None


def read_header(xml: bytes) -> InstanceHeader:
    try:
        root = xmlsafe.parse(xml)
    except xmlsafe.UnsafeXML as exc:
        raise HeaderError(str(exc)) from None
    form_id = (root.get("id") or "").strip()
    if not form_id:
        raise HeaderError("root element has no id attribute")
    instance_id = _meta_text(root, "instanceID")
    if instance_id is None:
        for child in root.iterchildren("{*}instanceID"):
            instance_id = (child.text or "").strip() or None
    deprecated_id = _meta_text(root, "deprecatedID")
    for name, value in (("instanceID", instance_id), ("deprecatedID", deprecated_id)):
        if value is not None and len(value) > MAX_ID_CHARS:
            raise FieldTooLong(f"{name} 超过 {MAX_ID_CHARS} 个字符 / {name} is longer than {MAX_ID_CHARS} characters")
    return InstanceHeader(
        form_id=form_id,
        version=(root.get("version") or "").strip(),
        instance_id=instance_id,
        deprecated_id=deprecated_id,
        instance_name=_meta_text(root, "instanceName"),
        root=root,
    )


_FORBIDDEN = set('/\\:*?"<>|') | {chr(c) for c in range(32)} | {"\x7f"}


def safe_name(name: str | None) -> str | None:
    """A file name safe to store and offer for download: a basename, no control or path characters.

    Returns None for names that cannot be made safe (empty, '.', '..', or only forbidden characters).
    """
    if not name:
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(c for c in base if c not in _FORBIDDEN).strip().lstrip(".")
    if not cleaned or len(cleaned) > 255:
        return None
    return cleaned
