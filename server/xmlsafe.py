"""Hardened XML parsing for untrusted documents: no DTD, no entities, no network, bounded size."""
from __future__ import annotations

from lxml import etree


class UnsafeXML(ValueError):
    """The document is malformed or uses a forbidden construct (DTD, entities)."""


_PARSER_KW = dict(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                  huge_tree=False, remove_comments=True, remove_pis=True)


def _prolog_has_doctype(data: bytes) -> bool:
    i, n = 0, len(data)
    if data.startswith(b"\xef\xbb\xbf"):
        i = 3
    while i < n:
        while i < n and data[i] in b" \t\r\n":
            i += 1
        if data.startswith(b"<?", i):
            end = data.find(b"?>", i)
            if end < 0:
                return False
            i = end + 2
        elif data.startswith(b"<!--", i):
            end = data.find(b"-->", i)
            if end < 0:
                return False
            i = end + 3
        else:
            return data.startswith(b"<!", i)
    return False


def parse(data: bytes) -> etree._Element:
    """Parse bytes into the root element, refusing DTDs/entities and anything not well-formed."""
    if not data or not data.strip():
        raise UnsafeXML("empty document")
    if _prolog_has_doctype(data):
        raise UnsafeXML("DTDs are not allowed")
    parser = etree.XMLParser(**_PARSER_KW)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnsafeXML(f"not well-formed XML: {exc}") from None
    if root is None:
        raise UnsafeXML("empty document")
    doc = root.getroottree().docinfo
    if doc.internalDTD is not None or doc.externalDTD is not None or doc.doctype:
        raise UnsafeXML("DTDs are not allowed")
    for _entity in root.iter(etree.Entity):
        raise UnsafeXML("entity references are not allowed")
    return root


def local(tag: object) -> str:
    """Tag name without namespace ('' for comments and other non-elements)."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
