"""A deterministic corpus of submission instances for checking ``forms.parse_submission``.

Used by tests/forms/test_submission_corpus.py (golden digest + differential test against
tests/forms/legacy_submission.py) and by bench/forms/bench_parse.py. Everything is derived from
fixed seeds and a fixed survey date, so the same code gives the same bytes:

- ``households(n)``: realistic ``household_survey`` instances of 3–6 members, filled into the form
  the server publishes (bench/ingest/households.py, the ingest benchmark's generator);
- ``other_forms(n)``: the four other shipped forms, every field filled with a plausible answer of
  its type (some left empty), repeats with 0–3 entries and the entity block of the meta;
- ``fixtures()``: the hand-written instances of the forms tests and the engine-serialised fixture;
- ``edge_cases()``: empty groups and repeats, missing fields, odd numbers, whitespace, unicode,
  namespaces, comments/CDATA/PIs inside values, encodings, DTDs and entity declarations, …;
- ``mutants(base, n, seed)``: random structural and byte-level mutations of instances.
"""
from __future__ import annotations

import random
import sys
import uuid
from copy import deepcopy
from datetime import date
from functools import lru_cache
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.ingest import households as hh  # noqa: E402
from forms import build_all, load_policy_file  # noqa: E402
from forms.build import DEMO_POLICY  # noqa: E402
from forms.catalog import fields_of  # noqa: E402
from scoring import codes  # noqa: E402

TODAY = date(2026, 7, 1)
DATA = Path(__file__).parent / "data"


@lru_cache(maxsize=1)
def _built() -> tuple[dict[str, bytes], tuple[tuple[str, str], ...]]:
    policy = load_policy_file(DEMO_POLICY)
    villages = tuple((v.village_code, v.village_name) for v in policy.villages)
    return {b.form_id: b.xml_bytes for b in build_all(policy)}, villages


def form_xml(form_id: str) -> bytes:
    return _built()[0][form_id]


def households(n: int, seed: int = 11) -> list[tuple[str, bytes]]:
    """``n`` bench households (every fifth with an authorization photo)."""
    forms_xml, villages = _built()
    template = hh.skeleton(forms_xml["household_survey"])
    rng = random.Random(seed)
    used: set[str] = set()
    out = []
    for i in range(n):
        answers = hh.household(rng, village=villages[i % len(villages)], today=TODAY, used=used,
                               photo_name=f"authorization-{i}.jpg" if i % 5 == 0 else None)
        out.append((f"household/{i}", hh.instance_xml(template, answers)))
    return out


# -- the other forms ---------------------------------------------------------------------------

_TEXTS = ("说明", "房屋进水，已修复", "ok", "Wang Jianguo", "三组 12 号", "")
_AMOUNTS = ("0", "1200", "350.5", "80", "12000", "0.25", "3e3")


def _answer(rng: random.Random, f, i: int) -> str | None:
    if rng.random() < 0.12:
        return None
    v = f.value
    if v == "int":
        return str(rng.randrange(0, 13))
    if v == "float":
        return rng.choice(_AMOUNTS)
    if v == "bool":
        return rng.choice(("yes", "no"))
    if v == "date":
        return f"2026-06-{rng.randrange(1, 29):02d}"
    if v == "geo":
        return rng.choice(("40.81 111.65 1050.0 4.5", "40.81 111.65", "40.812345 111.654321 0 0"))
    if v == "file":
        return f"{f.name}-{i}.jpg"
    if f.type in ("select_one", "select_multiple") and f.choices:
        all_codes = list(codes.code_list(f.choices).codes)
        if v == "list":
            return " ".join(rng.sample(all_codes, min(len(all_codes), rng.randrange(0, 3))))
        return rng.choice(all_codes)
    if f.type == "select_one_from_file":
        return rng.choice(("150121", "150121100", "150121100201", "hh-1"))
    return rng.choice(_TEXTS)


def _fill_generic(el: etree._Element, fields: dict, repeats: set[str], rng: random.Random, i: int) -> None:
    seen: set[str] = set()
    for child in list(el):
        name = child.tag
        if name in repeats:
            if name in seen:
                el.remove(child)
                continue
            seen.add(name)
            position = list(el).index(child)
            el.remove(child)
            for k in range(rng.randrange(0, 4)):
                entry = deepcopy(child)
                _fill_generic(entry, fields, repeats, rng, i)
                el.insert(position + k, entry)
        elif len(child):
            _fill_generic(child, fields, repeats, rng, i)
        elif name in fields:
            child.text = _answer(rng, fields[name], i)


def other_forms(n: int, seed: int = 12) -> list[tuple[str, bytes]]:
    """``n`` instances of each of the four other forms."""
    forms_xml, _ = _built()
    rng = random.Random(seed)
    out = []
    for form_id in ("followup_visit", "elimination_check", "self_declaration", "authorization"):
        template = hh.skeleton(forms_xml[form_id])
        fields = {f.name: f for _, f in fields_of(form_id)}
        repeats = {g.name for groups, _ in fields_of(form_id) for g in groups if g.repeat}
        for i in range(n):
            root = deepcopy(template)
            _fill_generic(root, fields, repeats, rng, i)
            meta = root.find("meta")
            meta.find("instanceID").text = f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
            meta.find("instanceName").text = f"{form_id}-{i}"
            entity = meta.find("entity")
            if entity is not None:
                entity.set("id", rng.choice(("", "uuid:", "")) + str(uuid.UUID(int=rng.getrandbits(128), version=4)))
                if entity.get("baseVersion") is not None:
                    entity.set("baseVersion", str(rng.randrange(1, 9)))
            out.append((f"{form_id}/{i}", etree.tostring(root, encoding="utf-8")))
    return out


# -- fixtures and edge cases -------------------------------------------------------------------

def fixtures() -> list[tuple[str, bytes]]:
    from tests.forms import test_submission as ts
    out = [("fixture/engine", (DATA / "household_survey_instance.xml").read_bytes()),
           ("fixture/self_declaration", ts.SELF_DECLARATION.encode()),
           ("fixture/authorization", ts.AUTH.format(thumb="thumb.jpg").encode())]
    return out


SD = ('<data id="self_declaration" version="v1"><location><county>150121</county><township>150121100'
      '</township><village>150121100201</village><group_name>二组</group_name></location><head><head_name>'
      '赵六</head_name><head_id_number>11010519491231002X</head_id_number><phone>13800001111</phone>'
      '<people_count>{count}</people_count></head><risk><risks>{risks}</risks><risk_disaster>flood'
      '</risk_disaster><risk_note>房屋进水</risk_note></risk><declaration><decl_description>{desc}'
      '</decl_description><decl_consent>yes</decl_consent></declaration><signoff><survey_date>{survey}'
      '</survey_date></signoff><meta><instanceID>uuid:5b1c</instanceID>{meta}</meta></data>')


def _sd(count="3", risks="natural_disaster other", desc="", survey="2026-07-02", meta="") -> bytes:
    return SD.format(count=count, risks=risks, desc=desc, survey=survey, meta=meta).encode()


ODD_NUMBERS = ("0", "-0", "007", " 5 ", "1e3", "1E-2", "1.0", "1.50", "-1", "+4", "1_000", "0x10", "inf",
               "-inf", "nan", "NaN", "1e400", "٣", "３", "½", "5.", ".5", "1,000", "", " ", "\u00a03\u3000",
               "9" * 40, "1" + "0" * 400, "2.5e-320")
ODD_DATES = ("2026-07-02", "2026-07-02T10:00:00.000+08:00", "2026-7-2", "20260702", "2026-02-30", "",
             " 2026-07-02 ", "2026-W27-3", "0001-01-01")
ODD_GEO = ("40.1 111.2", "40.1 111.2 5", "40.1 111.2 5 6 7", "40.1", "nan 1", "inf 1 2 3", "a b", "",
           "  40.1\t111.2  ")


def edge_cases() -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    add = out.append
    for v in ODD_NUMBERS:
        add((f"edge/int/{v!r}", _sd(count=v)))
    for v in ODD_DATES:
        add((f"edge/date/{v!r}", _sd(survey=v)))
    for v in ("", "   ", "\n\t", "illness", "illness  illness", "natural_disaster\nother", "a b c d e f",
              "illness disability accident education housing", "illness disability accident education housing water"):
        add((f"edge/risks/{v!r}", _sd(risks=v)))
    for v in ("前后空格 ", "\u00a0不换行空格\u00a0", "emoji 👨‍👩‍👧", "e\u0301", "a &amp; b &lt;c&gt;",
              "&#x4e2d;&#25991;", "<![CDATA[<b>粗</b>]]>", "一<!-- 注释 -->二", "一<?pi x?>二",
              "<![CDATA[ ]]>", "<!-- only a comment -->", "line1\r\nline2\rline3", "\t", "x" * 5000):
        add((f"edge/text/{v[:30]!r}", _sd(desc=v)))
    base = _sd().decode()
    # Meta variants.
    for k, meta in enumerate(("<instanceName>  名称 </instanceName>", "<deprecatedID>uuid:old</deprecatedID>",
                 "<deprecatedID/>", "<instanceName/>", "<entity/>",
                 '<entity dataset="households" create="TRUE" update="0" id="uuid:abc" baseVersion=""><label> L </label></entity>',
                 '<entity dataset="households" create="true" id="  uuid:  "/>',
                 '<entity id="x" update="True" baseVersion="4"><label/></entity>')):
        add((f"edge/meta/{k}", _sd(meta=meta)))
    add(("edge/meta/missing", base.replace("<meta><instanceID>uuid:5b1c</instanceID></meta>", "").encode()))
    add(("edge/meta/empty-id", base.replace("<instanceID>uuid:5b1c</instanceID>", "<instanceID> </instanceID>").encode()))
    add(("edge/meta/second-meta", base.replace("</data>", "<meta><instanceID>uuid:2</instanceID></meta></data>").encode()))
    add(("edge/meta/first-meta-empty", base.replace("<location>", "<meta/><location>").encode()))
    add(("edge/meta/in-group", base.replace("<signoff>", "<signoff><meta><people_count>9</people_count></meta>").encode()))
    # Structure.
    add(("edge/empty-groups", base.replace("<location>", "<location/><x><y/></x><location>").encode()))
    add(("edge/field-with-children", base.replace("<people_count>3</people_count>",
                                                   "<people_count>3<x>4</x></people_count>").encode()))
    add(("edge/field-nested-deeper", base.replace("<people_count>3</people_count>",
                                                   "<a><b><c><people_count>5</people_count></c></b></a>").encode()))
    add(("edge/duplicate-field", base.replace("<people_count>3</people_count>",
                                               "<people_count>3</people_count><people_count>4</people_count>").encode()))
    add(("edge/missing-fields", b'<data id="self_declaration"><meta><instanceID>u</instanceID></meta></data>'))
    add(("edge/no-version", base.replace(' version="v1"', "").encode()))
    add(("edge/empty-id", base.replace('id="self_declaration"', 'id=""').encode()))
    add(("edge/attributes", base.replace("<head>", '<head a="1" id="other_form">').encode()))
    add(("edge/root-name", base.replace("<data ", "<instance ").replace("</data>", "</instance>").encode()))
    add(("edge/default-ns", base.replace("<data ", '<data xmlns="http://www.w3.org/2002/xforms" ').encode()))
    add(("edge/prefixed", base.replace("<data ", '<h:data xmlns:h="urn:x" ').replace("</data>", "</h:data>")
         .replace("<people_count>3</people_count>", "<h:people_count>7</h:people_count>").encode()))
    add(("edge/ns-attribute", base.replace('id="self_declaration"', 'xmlns:o="urn:o" o:id="self_declaration"').encode()))
    add(("edge/pretty", etree.tostring(_pretty(_sd()), encoding="utf-8")))
    add(("edge/bom", b"\xef\xbb\xbf" + _sd()))
    add(("edge/declaration", b'<?xml version="1.0" encoding="UTF-8"?>\n' + _sd()))
    add(("edge/declaration-1.1", b'<?xml version="1.1"?>' + _sd()))
    add(("edge/latin1", '<?xml version="1.0" encoding="ISO-8859-1"?>'.encode() +
         _sd(desc="caf\u00e9").decode().replace("赵六", "Zhao").replace("二组", "2").replace("房屋进水", "x")
         .encode("latin-1")))
    add(("edge/gbk", '<?xml version="1.0" encoding="GBK"?>'.encode() + _sd().decode().encode("gbk")))
    add(("edge/utf16", '<?xml version="1.0" encoding="UTF-16"?>'.encode("utf-16") +
         _sd().decode().encode("utf-16")[2:]))
    add(("edge/utf16-no-decl", _sd().decode().encode("utf-16")))
    add(("edge/wrong-declared-encoding", b'<?xml version="1.0" encoding="UTF-16"?>' + _sd()))
    add(("edge/leading-comment-pi", b"<!-- c --><?pi x?>\n" + _sd() + b"<!-- after -->\n"))
    # Malformed and hostile.
    add(("bad/empty", b""))
    add(("bad/whitespace", b" \n\t"))
    add(("bad/truncated", _sd()[:200]))
    add(("bad/mismatch", b"<data id='self_declaration'><head></data>"))
    add(("bad/junk-after", _sd() + b"<x/>"))
    add(("bad/text-only", b"hello"))
    add(("bad/undefined-entity", _sd(desc="&nbsp;")))
    add(("bad/invalid-char", _sd(desc="\x01")))
    add(("bad/invalid-charref", _sd(desc="&#1;")))
    add(("bad/bad-utf8", _sd().replace("赵六".encode(), b"\xff\xfe")))
    add(("bad/unknown-encoding", b'<?xml version="1.0" encoding="x-nope"?>' + _sd()))
    add(("bad/lt-in-attr", b"<data id='a<b'/>"))
    add(("bad/dup-attr", b"<data id='a' id='b'/>"))
    add(("bad/unbound-prefix", b"<data id='self_declaration'><x:y/></data>"))
    add(("bad/doctype-plain", b"<!DOCTYPE data>" + _sd()))
    add(("bad/doctype-system", b'<!DOCTYPE data SYSTEM "http://127.0.0.1:1/x.dtd">' + _sd()))
    add(("bad/doctype-then-malformed", b"<!DOCTYPE data><data><x></data>"))
    add(("bad/malformed-then-doctype", b"<?xml version='1.0' junk?><!DOCTYPE data><data/>"))
    add(("bad/billion-laughs", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
         + b"".join(b'<!ENTITY %s "%s">' % (bytes([98 + k]), (b"&" + bytes([97 + k]) + b";") * 10) for k in range(9))
         + b']><data id="self_declaration"><head><head_name>&j;</head_name></head></data>'))
    add(("bad/external-entity", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
         b'<data id="self_declaration"><head><head_name>&x;</head_name></head></data>'))
    add(("bad/parameter-entity", b'<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p.dtd"> %p;]><data/>'))
    add(("bad/xinclude", b'<data xmlns:xi="http://www.w3.org/2001/XInclude" id="self_declaration">'
         b'<head><xi:include href="/etc/passwd" parse="text"/></head><meta><instanceID>u</instanceID></meta></data>'))
    add(("bad/deep-5000", b"<data id='self_declaration'>" + b"<g>" * 5000 + b"</g>" * 5000
         + b"<meta><instanceID>uuid:1</instanceID></meta></data>"))
    add(("bad/deep-300-in-meta", b"<data id='self_declaration'><meta>" + b"<g>" * 300 + b"</g>" * 300
         + b"<instanceID>uuid:1</instanceID></meta></data>"))
    add(("bad/deep-33", b"<data id='self_declaration'>" + b"<g>" * 33 + b"<x/>" + b"</g>" * 33
         + b"<meta><instanceID>uuid:1</instanceID></meta></data>"))
    add(("bad/deep-32", b"<data id='self_declaration'>" + b"<g>" * 32 + b"<x/>" + b"</g>" * 32
         + b"<meta><instanceID>uuid:1</instanceID></meta></data>"))
    add(("bad/deep-then-type-error", b"<data id='self_declaration'><head><people_count>x</people_count></head>"
         + b"<g>" * 40 + b"<x/>" + b"</g>" * 40 + b"<meta><instanceID>uuid:1</instanceID></meta></data>"))
    add(("bad/long-name", b"<data id='self_declaration'><" + b"n" * 60000 + b"/>"
         b"<meta><instanceID>u</instanceID></meta></data>"))
    add(("bad/many-attributes", b"<data id='self_declaration' " + b" ".join(b"a%d='1'" % k for k in range(3000))
         + b"><meta><instanceID>u</instanceID></meta></data>"))
    add(("bad/file-names", _auth("../x.jpg")))
    add(("edge/file-names-dup", _auth("letter.jpg")))
    add(("edge/file-name-spaces", _auth(" a b.jpg ")))
    add(("bad/file-name-long", _auth("x" * 256)))
    # household_survey specifics: repeats.
    hs = (DATA / "household_survey_instance.xml").read_bytes().decode()
    start, end = hs.index("<member>"), hs.rindex("</member>") + len("</member>")
    add(("edge/hs/no-members", (hs[:start] + hs[end:]).encode()))
    add(("edge/hs/empty-member", (hs[:start] + "<member/>" + hs[start:]).encode()))
    add(("edge/hs/member-with-group", (hs[:start] + "<member><g><name>甲</name></g><meta><name>乙</name></meta>"
                                       "</member>" + hs[start:]).encode()))
    add(("edge/hs/nested-member", hs.replace("<member><name>", "<member><member><name>子</name></member><name>", 1).encode()))
    add(("edge/hs/member-field-outside", hs.replace("<household_no/>", "<household_no/><relation>son</relation>").encode()))
    add(("edge/hs/top-field-in-member", hs.replace("<member><name>", "<member><head_name>x</head_name><name>", 1).encode()))
    add(("edge/hs/members-in-group", (hs[:start] + "<wrap>" + hs[start:end] + "</wrap>" + hs[end:]).encode()))
    add(("edge/hs/coresident-empty", hs.replace("<coresident>yes</coresident>", "<coresident/>", 1).encode()))
    add(("edge/hs/photos", hs.replace("<spending_medical_photo/>", "<spending_medical_photo>a.jpg</spending_medical_photo>")
         .replace("<spending_education_photo/>", "<spending_education_photo>a.jpg</spending_education_photo>").encode()))
    for v in ODD_GEO:
        add((f"edge/hs/gps/{v!r}", _replace_leaf(hs, "gps", v)))
    for v in ("healthy", "", "chronic  disabled", "healthy lottery"):
        add((f"edge/hs/health/{v!r}", hs.replace("<health>healthy</health>", f"<health>{v}</health>", 1).encode()))
    for v in ("maybe", "Yes", " yes ", "true", "1"):
        add((f"edge/hs/bool/{v!r}", _replace_leaf(hs, "military_family", v)))
    for v in ("1200.50", "1e2", "-5", "12.0", "0.1"):
        add((f"edge/hs/amount/{v!r}", _replace_leaf(hs, "wage_picking", v)))
    return out


def _replace_leaf(xml: str, name: str, value: str) -> bytes:
    import re
    return re.sub(rf"<{name}>[^<]*</{name}>|<{name}/>", f"<{name}>{value}</{name}>", xml, count=1).encode()


def _auth(thumb: str) -> bytes:
    from tests.forms import test_submission as ts
    return ts.AUTH.format(thumb=thumb).encode()


def _pretty(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    etree.indent(root, space="  ")
    return root


# -- mutants -----------------------------------------------------------------------------------

_TEXT_POOL = ODD_NUMBERS + ODD_DATES + ODD_GEO + (
    "yes", "no", "illness", "natural_disaster", "male", "resident_id", "a.jpg", "../a.jpg", "中文", " 中 文 ")


def _leaves(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str) and len(el) == 0] or [root]


def _elements(root: etree._Element) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str) and el is not root]


def _mutate_tree(root: etree._Element, rng: random.Random) -> str:
    op = rng.randrange(12)
    elements = _elements(root)
    if not elements:
        return "none"
    el = rng.choice(elements)
    parent = el.getparent()
    if op == 0:
        leaf = rng.choice(_leaves(root))
        leaf.text = rng.choice(_TEXT_POOL)
        return "text"
    if op == 1:
        parent.remove(el)
        return "delete"
    if op == 2:
        parent.insert(parent.index(el), deepcopy(el))
        return "duplicate"
    if op == 3:
        target = rng.choice([e for e in root.iter() if isinstance(e.tag, str)])
        if target is el or el in target.iterancestors() or any(a is el for a in target.iterancestors()):
            return "none"
        parent.remove(el)
        target.insert(rng.randrange(len(target) + 1), el)
        return "move"
    if op == 4:
        wrapper = etree.Element(rng.choice(("wrap", "meta", "member", "group")))
        parent.replace(el, wrapper)
        wrapper.append(el)
        return "wrap"
    if op == 5:
        etree.SubElement(el, rng.choice(("x", "name", "people_count", "instanceID")))
        return "add-child"
    if op == 6:
        for child in list(el):
            el.remove(child)
        el.text = None if rng.random() < 0.5 else el.text
        return "empty"
    if op == 7:
        leaf = rng.choice(_leaves(root))
        leaf.text = (leaf.text or "") + " "
        leaf.append(etree.Comment("c"))
        leaf[-1].tail = rng.choice(("1", "", " x", "0"))
        return "comment-in-text"
    if op == 8:
        leaf = rng.choice(_leaves(root))
        leaf.text = etree.CDATA(rng.choice(_TEXT_POOL))
        return "cdata"
    if op == 9:
        el.set(rng.choice(("id", "version", "dataset", "create")), rng.choice(("1", "", "true", "self_declaration")))
        return "attribute"
    if op == 10:
        el.tag = "{urn:x}" + etree.QName(el).localname
        return "namespace"
    el.tag = rng.choice(("member", "assistance", "meta", "entity", "instanceID", "risks", "head_name",
                         "people_count", "gps", "label", "x"))
    return "rename"


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return b"<data/>"
    op = rng.randrange(6)
    if op == 0:
        return data[:rng.randrange(len(data))]
    if op == 1:
        i = rng.randrange(len(data))
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
    if op == 2:
        return b"<!DOCTYPE data [<!ENTITY e 'v'>]>" + data
    if op == 3:
        i = data.find(b"</", rng.randrange(len(data)))
        return data if i < 0 else data[:i] + b"&e;" + data[i:]
    if op == 4:
        i = data.find(b"<", rng.randrange(len(data)))
        return data if i < 0 else data[:i] + b"<!-- m -->" + data[i:]
    return data.replace(b"><", b">\n  <")


def mutants(base: list[tuple[str, bytes]], n: int, seed: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    out = []
    for k in range(n):
        label, data = rng.choice(base)
        if rng.random() < 0.15:
            out.append((f"mutant/{k}/bytes/{label}", _mutate_bytes(data, rng)))
            continue
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError:
            continue
        ops = [_mutate_tree(root, rng) for _ in range(rng.randrange(1, 4))]
        out.append((f"mutant/{k}/{'+'.join(ops)}/{label}", etree.tostring(root, encoding="utf-8")))
    return out


def corpus() -> list[tuple[str, bytes]]:
    """The pinned corpus: 300 households, 25 of each other form, fixtures, edge cases, 800 mutants."""
    base = households(300) + other_forms(25) + fixtures()
    valid = base[:40] + base[300:] + [e for e in edge_cases() if e[0].startswith("edge/")][:40]
    return base + edge_cases() + mutants(valid, 800, seed=20261123)
