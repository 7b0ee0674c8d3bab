"""One pass over the members: the facts other rules need, and member-level plausibility checks.

Rules checked here: PLS-01 … PLS-08 (member phone), PLS-12 (structure). Ages are whole years at
the assessment date; a missing birth date is taken from the ID number.
"""
from __future__ import annotations

from typing import Any

from . import codes
from .idcard import _date_ok

_CHECK = "10X98765432"
# Check character by int(first17, 13) % 11 (the doubling of idcard's formula folded into the table).
_CHECK_BY_REM = "".join(_CHECK[2 * r % 11] for r in range(11))
_WORKING = frozenset(codes.ABLE_LABOUR_CODES + ("weak",))
_COLLEGE = frozenset(codes.COLLEGE_SCHOOL_CODES)
_NOT_IN_SCHOOL = frozenset((None, "", "preschool_child"))
_ILL = frozenset(("serious_illness", "chronic"))
_HEALTHY = ["healthy"]
_ODD = frozenset("13579")
_MALE = frozenset(("son", "son_in_law", "grandson", "grandson_maternal", "father",
                   "father_in_law_w", "father_in_law_h", "grandfather", "grandfather_maternal",
                   "great_grandson", "nephew", "uncle"))
_FEMALE = frozenset(("daughter", "daughter_in_law", "granddaughter", "granddaughter_maternal",
                     "mother", "mother_in_law_w", "mother_in_law_h", "grandmother",
                     "grandmother_maternal", "great_granddaughter", "niece", "sister_in_law"))
_REL_SEX = {**{r: "male" for r in _MALE}, **{r: "female" for r in _FEMALE}}
# Usual age range (whole years) per school status; outside it → PLS-05.
SCHOOL_AGES = {
    "preschool_child": (0, 6), "preschool": (2, 7), "primary": (5, 15),
    "grade7": (10, 18), "grade8": (11, 19), "grade9": (12, 20),
    "high1": (13, 22), "high2": (14, 23), "high3": (15, 24),
    "vocational1": (13, 30), "vocational2": (14, 30), "vocational3": (15, 30),
    "higher_vocational1": (15, 40), "higher_vocational2": (16, 40), "higher_vocational3": (17, 40),
    "technician1": (14, 40), "technician2": (15, 40), "technician3": (16, 40), "technician4": (17, 40),
    "bachelor1": (15, 45), "bachelor2": (16, 45), "bachelor3": (17, 45), "bachelor4": (18, 45),
    "bachelor5": (19, 45), "postgraduate": (19, 65),
}
LABOUR_AGE_MIN = 16   # below: no labour ability expected (domain.md §8.4)
WORKING_AGE_MAX = 60  # 16–60, healthy, not in school: "无劳动力" is suspicious

_MOBILE_2ND = frozenset("3456789")


def is_mobile(phone) -> bool:
    """An 11-digit mainland mobile number (1[3-9]…)."""
    return (isinstance(phone, str) and len(phone) == 11 and phone[0] == "1"
            and phone[1] in _MOBILE_2ND and phone.isdigit() and phone.isascii())


class Facts:
    """What the household's members say, counted once (counters default to 0)."""

    count: int = 0
    coresident: int = 0
    heads: int = 0
    able: int = 0
    working: int = 0
    workers: int = 0
    students: int = 0
    college: int = 0
    ill: int = 0
    disabled: int = 0
    dibao: int = 0
    tekun: int = 0
    work_months: Any = 0  # int or float (sum of the members' work months)
    head_id: Any = None

    def __init__(self) -> None:
        self.uninsured: list = []      # (member no, relation, reason)
        self.out_of_school: list = []  # (member no, relation, age, dropout reason)


def scan(members: Any, as_of_iso: str, school_age: Any, findings: list) -> Facts:
    """Count member facts and append member-level plausibility findings.

    ``as_of_iso``: the assessment date as "YYYY-MM-DD" (ages are whole years at that date).
    """
    f = Facts()
    ay = int(as_of_iso[:4])
    as_md = as_of_iso[5:10]
    age_lo, age_hi = school_age
    seen_ids: dict = {}
    spouse_sex = head_sex = None
    n = coresident = able = working = students = heads = 0
    workers = college = ill_count = disabled = dibao_count = tekun_count = 0
    work_months: Any = 0  # int or float
    m: dict
    ids: str  # the ID number, normalised
    bs: str
    rel: Any
    birth: Any  # values of a member dict: anything
    for m in members:
        n += 1
        rel = m.get("relation")
        sex = m.get("sex")
        if m.get("coresident") is not False:
            coresident += 1
        if rel == "head":
            heads += 1
            head_sex = sex
        elif rel == "spouse":
            spouse_sex = sex
        elif sex and _REL_SEX.get(rel, sex) != sex:
            findings.append(("PLS-04", "relation", {"member": n, "relation": rel, "sex": sex}))

        # ---- ID number (PLS-01..03) and birth date
        birth = m.get("birth_date")
        idn = m.get("id_number")
        if rel == "head":
            f.head_id = idn
        if idn:
            if type(idn) is str and len(idn) == 18 and idn[17] != "x" and idn[0] != " ":
                ids = idn
            else:
                ids = str(idn).strip().upper()
                if len(ids) in (20, 22):
                    ids = ids[:18]
            body = ids[:17]
            if ids[0] == "9" and ids.startswith("999999"):
                findings.append(("PLS-01", "placeholder", {"member": n, "relation": rel}))
            elif len(ids) != 18 or not (body.isascii() and body.isdigit()):
                findings.append(("PLS-01", "format", {"member": n, "relation": rel, "length": len(ids)}))
            else:
                if _CHECK_BY_REM[int(body, 13) % 11] != ids[17]:
                    findings.append(("PLS-01", "check_digit", {"member": n, "relation": rel}))
                if ids in seen_ids:
                    findings.append(("PLS-01", "duplicate", {"member": n, "other": seen_ids[ids]}))
                else:
                    seen_ids[ids] = n
                if not birth or birth.replace("-", "") != ids[6:14]:
                    y, mo, d = int(ids[6:10]), int(ids[10:12]), int(ids[12:14])
                    if not _date_ok(y, mo, d):
                        findings.append(("PLS-01", "bad_date", {"member": n, "relation": rel}))
                    else:
                        from_id = f"{y:04d}-{mo:02d}-{d:02d}"
                        if not birth:
                            birth = from_id
                        else:
                            findings.append(("PLS-02", "mismatch", {
                                "member": n, "relation": rel, "recorded": birth,
                                "from_id": from_id}))
                if sex and (sex == "male") != (ids[16] in _ODD):
                    findings.append(("PLS-03", "mismatch", {
                        "member": n, "relation": rel, "recorded": sex,
                        "from_id": "female" if sex == "male" else "male"}))
        elif m.get("id_type", "resident_id") == "resident_id":
            findings.append(("PLS-01", "missing", {"member": n, "relation": rel}))

        try:
            if type(birth) is str:
                bs = birth
                age = ay - int(bs[:4]) - (as_md < bs[5:10]) if len(bs) == 10 else None
            else:
                age = ay - int(birth[:4]) - (as_md < birth[5:10]) if len(birth) == 10 else None
        except (TypeError, ValueError):
            age = None

        # ---- health, labour, schooling
        health = m.get("health")
        if type(health) is str:  # comma-joined, as in the national exports
            health = health.split(",")
        if health and health != _HEALTHY:
            ill = False
            for h in health:
                if h in _ILL:
                    ill = True
                elif h == "disabled":
                    disabled += 1
            if ill:
                ill_count += 1
            if m.get("disability_type") and "disabled" not in health:
                disabled += 1
        labour = m.get("labour_skill")
        if labour in _WORKING:
            working += 1
            if labour != "weak":
                able += 1
        wm = m.get("work_months")
        if wm or m.get("work_location"):
            workers += 1
            if type(wm) is int or type(wm) is float:
                work_months += wm
        school = m.get("school_status")
        in_school = school not in _NOT_IN_SCHOOL
        if in_school:
            students += 1
            if school in _COLLEGE:
                college += 1
        edu = m.get("education")
        if edu:
            if school:
                findings.append(("PLS-06", "both", {"member": n, "relation": rel}))
        elif not school:
            findings.append(("PLS-06", "neither", {"member": n, "relation": rel}))
        if age is not None:
            if school:
                lim = SCHOOL_AGES.get(school)
                if lim and not lim[0] <= age <= lim[1]:
                    findings.append(("PLS-05", "age", {"member": n, "relation": rel, "age": age,
                                           "status": school, "min": lim[0], "max": lim[1]}))
            if age < LABOUR_AGE_MIN:
                if labour in _WORKING:
                    findings.append(("PLS-07", "child_labour", {"member": n, "relation": rel,
                                                    "age": age, "labour": labour}))
            elif (labour == "none" and age <= WORKING_AGE_MAX and not in_school
                  and (not health or health == _HEALTHY)):
                findings.append(("PLS-07", "no_labour", {"member": n, "relation": rel,
                                             "age": age, "labour": labour}))
            if age_lo <= age <= age_hi and (
                    not school or m.get("dropout_reason")
                    or (school == "preschool_child" and age > age_lo)):
                f.out_of_school.append((n, rel, age, m.get("dropout_reason")))

        # ---- social protection and insurance
        dibao = m.get("dibao")
        if dibao and dibao != "none":
            dibao_count += 1
        tekun = m.get("tekun")
        if tekun and tekun != "none":
            tekun_count += 1
        if m.get("resident_medical_insurance") is False and not m.get("employee_medical_insurance"):
            f.uninsured.append((n, rel, m.get("uninsured_reason")))
        phone = m.get("phone")
        if phone and not (type(phone) is str and len(phone) == 11 and phone[0] == "1"
                          and phone[1] in _MOBILE_2ND and phone.isdigit() and phone.isascii()):
            findings.append(("PLS-08", "member", {"member": n}))

    f.count = n
    f.heads = heads
    f.coresident = coresident
    f.able = able
    f.working = working
    f.students = students
    f.workers = workers
    f.work_months = work_months
    f.college = college
    f.ill = ill_count
    f.disabled = disabled
    f.dibao = dibao_count
    f.tekun = tekun_count
    if head_sex and spouse_sex and head_sex == spouse_sex:
        findings.append(("PLS-04", "head_spouse", {"sex": head_sex}))
    if n == 0:
        findings.append(("PLS-12", "no_members"))
    elif f.heads == 0:
        findings.append(("PLS-12", "no_head"))
    elif f.heads > 1:
        findings.append(("PLS-12", "many_heads", {"count": f.heads}))
    return f
