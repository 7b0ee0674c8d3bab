"""Distinct, realistic `household_survey` instances: `shoudi demo fill` submits them through the OpenRosa
path so a demo has something on every page; the ingest benchmark (bench/ingest) loads the server with them.

The instance skeleton is the primary instance of the form the server publishes (fetched like Collect
fetches it), so element names and order follow the shipped form; values are filled as a cadre would
fill them for a household of 3–6 members, and calculated fields (sex, birth date, age, totals,
labels) are filled the way Collect computes them. Deterministic for a given seed and index.
"""
from __future__ import annotations

import random
import uuid
from copy import deepcopy
from datetime import date

from lxml import etree

from scoring import codes
from scoring.idcard import check_digit

XF = "{http://www.w3.org/2002/xforms}"
JR_TEMPLATE = "{http://openrosa.org/javarosa}template"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
GIVEN = "建国秀英小明志强丽华春梅海燕文军玉兰红霞桂芳永刚德明金花宝山俊杰淑珍凤英振华秀云"
EMPLOYERS = ("呼和浩特某建筑公司", "包头某物流公司", "本村合作社", "旗里餐馆", "鄂尔多斯某煤矿")
YES_NO = ("yes", "no")
INCOME_ITEMS = [f"{comp}_{item.code}" for comp, items in codes.INCOME_ITEMS.items() for item in items]


def skeleton(form_xml: bytes) -> etree._Element:
    """The primary instance of a published XForm, in no namespace (as Collect serialises it)."""
    root = etree.fromstring(form_xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    model = root.find(f".//{XF}model")
    primary = model.find(f"{XF}instance")[0]
    return _strip(primary)


def _strip(el: etree._Element) -> etree._Element:
    out = etree.Element(etree.QName(el).localname, {k: v for k, v in el.attrib.items() if "}" not in k})
    out.text = (el.text or "").strip() or None
    members_seen = False
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "member":
            if members_seen:
                continue          # keep one member element: the template
            members_seen = True
        out.append(_strip(child))
    return out


def _person_id(rng: random.Random, born: date, male: bool, used: set[str]) -> str:
    while True:
        seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
        body = f"150121{born:%Y%m%d}{seq:03d}"
        full = body + check_digit(body)
        if full not in used:
            used.add(full)
            return full


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def _birth(rng: random.Random, year: int) -> date:
    return date(year, rng.randrange(1, 13), rng.randrange(1, 29))


def _members(rng: random.Random, today: date, used: set[str]) -> list[dict]:
    surname = rng.choice(SURNAMES)
    head_year = rng.randrange(1950, 1992)
    people = [("head", True, head_year, surname), ("spouse", False, head_year + rng.randrange(-3, 4), None)]
    size = rng.choice((3, 3, 4, 4, 4, 5, 5, 6))
    for _ in range(size - 2):
        kind = rng.random()
        if kind < 0.65 and head_year + 22 < today.year:
            male = rng.random() < 0.5
            people.append(("son" if male else "daughter", male,
                           min(today.year - 1, head_year + rng.randrange(22, 34)), surname))
        elif kind < 0.85 and head_year - 28 > 1925:
            male = rng.random() < 0.4
            people.append(("father" if male else "mother", male, head_year - rng.randrange(22, 32),
                           surname if male else None))
        else:
            male = rng.random() < 0.5
            people.append(("grandson" if male else "granddaughter", male,
                           min(today.year - 1, head_year + rng.randrange(44, 56)), surname))
    members = []
    for relation, male, year, family in people:
        born = _birth(rng, year)
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        members.append(_member(rng, relation, male, born, age, _name(rng, family), used))
    return members


def _member(rng: random.Random, relation: str, male: bool, born: date, age: int, name: str,
            used: set[str]) -> dict:
    id_number = _person_id(rng, born, male, used)
    m = {"name": name, "relation": relation, "id_type": "resident_id", "id_number": id_number,
         "sex": "male" if male else "female", "birth_date": born.isoformat(), "age": str(age),
         "sex_zh": "男" if male else "女", "ethnicity": "01" if rng.random() < 0.85 else "04",
         "political": "cpc_member" if rng.random() < 0.08 and age >= 18 else "masses",
         "speaks_mandarin": "yes", "resident_medical_insurance": "yes", "employee_medical_insurance": "no",
         "serious_illness_insurance": "yes", "commercial_insurance": "no",
         "medical_assistance": "yes" if rng.random() < 0.1 else "no",
         "dibao": "rural" if rng.random() < 0.08 else "none", "tekun": "none", "relocated": "no",
         "coresident": "yes" if rng.random() < 0.92 else "no", "public_job_months": "0", "work_months": "0"}
    health = "healthy"
    roll = rng.random()
    if age >= 60 and roll < 0.35:
        health = "chronic"
    elif roll < 0.04:
        health = "serious_illness"
    elif roll < 0.07:
        health = "chronic disabled"
        m.update(disability_type=rng.choice([c.code for c in codes.DISABILITY_TYPE]),
                 disability_grade=str(rng.randrange(1, 5)), disability_cert_year=str(rng.randrange(2010, 2025)))
    m["health"] = health
    if age < 6:
        m.update(in_school="no", labour_skill="none")
    elif age < 19:
        status = ("primary" if age < 12 else "grade7" if age == 12 else "grade8" if age == 13
                  else "grade9" if age == 14 else "high1" if age == 15 else "high2" if age == 16 else "high3")
        m.update(in_school="yes", school_status=status, labour_skill="none")
    else:
        m.update(in_school="no", education=rng.choice(("illiterate", "primary", "junior", "junior", "senior")),
                 resident_pension="yes", employee_pension="no")
        if age >= 70 or "disabled" in health:
            m["labour_skill"] = "lost" if age >= 75 else "weak"
        else:
            m["labour_skill"] = rng.choice(("ordinary", "ordinary", "skilled", "weak"))
            months = rng.choice((0, 3, 6, 8, 10, 12))
            if months:
                m.update(work_months=str(months), work_location=rng.choice(("in_township", "in_county",
                                                                            "in_province", "out_province")),
                         employer=rng.choice(EMPLOYERS), employment_channel=rng.choice(("self", "enterprise")),
                         works_abroad="no")
    return m


def household(rng: random.Random, *, village: tuple[str, str], today: date, used: set[str],
              photo_name: str | None) -> dict:
    """Answers for one household (a dict of leaf name → text, plus 'members')."""
    members = _members(rng, today, used)
    head = members[0]
    a: dict = {"county": village[0][:6], "township": village[0][:9], "village": village[0],
               "village_name": village[1], "group_name": f"{rng.randrange(1, 9)}组",
               "address": f"{village[1]}{rng.randrange(1, 9)}组{rng.randrange(1, 120)}号",
               "head_name": head["name"], "head_id_number": head["id_number"],
               "phone": f"139{rng.randrange(10**7, 10**8)}",
               "household_type": "alleviated" if rng.random() < 0.4 else "ordinary",
               "military_family": "no", "relocated_settlement": "no", "whole_household_no_labour": "no"}
    people = len(members)
    a.update(members_total=str(people), members_coresident=str(sum(m["coresident"] == "yes" for m in members)),
             people_count=str(people))
    income = {k: 0 for k in INCOME_ITEMS}
    workers = sum(1 for m in members if m["work_months"] != "0")
    income["wage_migrant_work"] = workers * rng.randrange(4000, 30000, 500)
    income["business_planting"] = rng.randrange(0, 15000, 500)
    income["business_breeding"] = rng.randrange(0, 8000, 500)
    income["business_costs_planting"] = income["business_planting"] * rng.randrange(20, 60) // 100
    income["business_costs_breeding"] = income["business_breeding"] * rng.randrange(20, 60) // 100
    income["transfer_pension"] = sum(1200 for m in members if int(m["age"]) >= 60)
    income["transfer_agri_subsidy"] = rng.randrange(0, 1500, 100)
    income["transfer_dibao"] = sum(3600 for m in members if m["dibao"] != "none")
    totals: dict[str, int] = {}
    for comp in codes.INCOME_ITEMS:
        totals[comp] = sum(income[f"{comp}_{item.code}"] for item in codes.INCOME_ITEMS[comp])
    a.update({k: str(v) for k, v in income.items()})
    net = sum(v for k, v in totals.items() if k != "business_costs") - totals.get("business_costs", 0)
    a.update({f"{comp}_total": str(v) for comp, v in totals.items()})
    a.update(insurance_payouts="0", previous_net=str(max(0, net + rng.randrange(-6000, 6000, 500))),
             net_income=str(net), per_capita_net=f"{net / people:.2f}".rstrip("0").rstrip("."))
    medical = rng.choice((0, 0, 0, 1500, 6500, 18000))
    education = rng.choice((0, 0, 2000)) if any(m.get("in_school") == "yes" for m in members) else 0
    a.update(spending_medical=str(medical), spending_education=str(education),
             spending_total=str(medical + education))
    water = {k: "yes" if rng.random() < 0.93 else "no"
             for k in ("water_quality", "water_quantity", "water_convenience", "water_reliability")}
    a.update(water, water_unsafe="yes" if "no" in water.values() else "no", school_dropout="no",
             medical_uninsured="no", housing_unsafe="no", house_grade=rng.choice("AABBC"))
    risks = []
    if medical >= 6500:
        risks.append("illness")
    if rng.random() < 0.1:
        risks.append("natural_disaster")
        a["risk_disaster"] = "drought"
    a["risks"] = " ".join(risks)
    for item in codes.EXCLUSION:
        a[f"excl_{item.code}"] = "yes" if item.code == "vehicle" and rng.random() < 0.1 else "no"
    a.update(land_cultivated=f"{rng.randrange(0, 400) / 10:g}", road_distance_km=f"{rng.randrange(1, 60) / 10:g}",
             gps=f"40.{rng.randrange(10**5, 10**6)} 111.{rng.randrange(10**5, 10**6)} 1050.0 4.5",
             collector_name=_name(rng), collector_phone=f"158{rng.randrange(10**7, 10**8)}",
             survey_date=today.isoformat())
    if photo_name:
        a["authorization_photo"] = photo_name
    a["members"] = members
    a["label"] = f"{head['name']}（{village[1]}）"
    a["instanceName"] = f"{village[1]}-{head['name']}"
    a["instanceID"] = f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    a["entity_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return a


def _fill(el: etree._Element, answers: dict) -> None:
    for child in el:
        name = child.tag
        if name == "member":
            continue
        if len(child):
            _fill(child, answers)
        elif name in answers:
            child.text = answers[name]


def instance_xml(template: etree._Element, answers: dict) -> bytes:
    root = deepcopy(template)
    member_template = root.find("member")
    position = list(root).index(member_template)
    root.remove(member_template)
    _fill(root, answers)
    for offset, m in enumerate(answers["members"]):
        el = deepcopy(member_template)
        for child in el:
            if child.tag in m:
                child.text = m[child.tag]
        root.insert(position + offset, el)
    meta = root.find("meta")
    entity = meta.find("entity") if meta is not None else None
    if entity is not None:
        entity.set("id", answers["entity_id"])
        label = entity.find("label")
        if label is not None:
            label.text = answers["label"]
    return etree.tostring(root, encoding="utf-8", xml_declaration=False)


def generate(form_xml: bytes, n: int, villages: list[tuple[str, str]], *, seed: int = 1,
             photo: bool = False, today: date | None = None) -> list[tuple[str, bytes]]:
    """`n` distinct instances (instanceID, xml); household i lives in villages[i % len(villages)]."""
    template = skeleton(form_xml)
    today = today or date.today()
    rng = random.Random(seed)
    used: set[str] = set()
    out = []
    for i in range(n):
        answers = household(rng, village=villages[i % len(villages)], today=today, used=used,
                            photo_name=f"authorization-{i}.jpg" if photo else None)
        out.append((answers["instanceID"], instance_xml(template, answers)))
    return out
