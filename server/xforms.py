"""What the server needs from an XForm definition: id, version, title, media it references, binary fields."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from server import xmlsafe

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
_MEDIA_REF = re.compile(r"jr://(?:images|audio|video|file|file-csv)/([^\s\"'<>]+)")


class XFormError(ValueError):
    pass


@dataclass(frozen=True)
class XFormInfo:
    form_id: str
    version: str
    title: str
    media: list[str] = field(default_factory=list)          # file names the form references
    binary_fields: list[str] = field(default_factory=list)  # instance paths, e.g. /data/photo
    paths: frozenset[str] = frozenset()                      # every element below the root: /group/field


def inspect(xml: bytes) -> XFormInfo:
    try:
        root = xmlsafe.parse(xml)
    except xmlsafe.UnsafeXML as exc:
        raise XFormError(f"表单 XML 无效 / invalid form XML: {exc}") from None
    model = root.find(f".//{{{XF}}}model")
    if model is None:
        raise XFormError("XForm 缺少 model / the form has no <model>")
    primary = None
    for inst in model.findall(f"{{{XF}}}instance"):
        if inst.get("id") is None and inst.get("src") is None:
            primary = inst
            break
    if primary is None or len(primary) == 0:
        raise XFormError("XForm 缺少主实例 / the form has no primary instance")
    data = next(iter(primary.iterchildren(tag="{*}*")), None)
    if data is None or not data.get("id"):
        raise XFormError("主实例缺少 id 属性 / the primary instance root has no id attribute")
    title_el = root.find(f".//{{{H}}}title")
    title = (title_el.text or "").strip() if title_el is not None else ""
    media: list[str] = []
    for inst in model.findall(f"{{{XF}}}instance"):
        src = (inst.get("src") or "").strip()
        # Files the server serves: jr://file/… and jr://file-csv/…. Others are the client's own, such as
        # jr://instance/last-saved (the last saved instance of this form on the phone): not media.
        if src.startswith(("jr://file/", "jr://file-csv/")):
            media.append(src.rsplit("/", 1)[-1])
    for m in _MEDIA_REF.finditer(xml.decode("utf-8", "replace")):
        media.append(m.group(1).rsplit("/", 1)[-1])
    if root.find(f".//{{{XF}}}input[@query]") is not None:
        media.append("itemsets.csv")
    paths: set[str] = set()

    def walk(el, prefix: str) -> None:  # noqa: ANN001
        for child in el.iterchildren(tag="{*}*"):
            path = f"{prefix}/{xmlsafe.local(child.tag)}"
            paths.add(path)
            walk(child, path)
    walk(data, "")
    binary = [b.get("nodeset") for b in model.iter(f"{{{XF}}}bind")
              if (b.get("type") or "").split(":")[-1] == "binary" and b.get("nodeset")]
    return XFormInfo(
        form_id=data.get("id"),
        version=data.get("version") or "",
        title=title or data.get("id"),
        media=sorted({m for m in media if m and m not in {".", ".."}}),
        binary_fields=sorted(set(binary)),
        paths=frozenset(paths),
    )
