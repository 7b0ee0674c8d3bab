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
    add = findings.append
    seen_ids: dict = {}
    spouse_sex = head_sex = None
    n = coresident = able = working = students = heads = 0
    workers = college = ill_count = disabled = dibao_count = tekun_count = 0
    work_months: Any = 0  # int or float
    for m in members:
        n += 1
        get = m.get
        rel = get("relation")
        sex = get("sex")
        if get("coresident") is not False:
            coresident += 1
        if rel == "head":
            heads += 1
            head_sex = sex
        elif rel == "spouse":
            spouse_sex = sex
        elif sex and _REL_SEX.get(rel, sex) != sex:
            add(("PLS-04", "relation", {"member": n, "relation": rel, "sex": sex}))

        # ---- ID number (PLS-01..03) and birth date
        birth = get("birth_date")
        idn = get("id_number")
        if rel == "head":
            f.head_id = idn
        if idn:
            if idn.__class__ is not str or len(idn) != 18 or idn[17] == "x" or idn[0] == " ":
                idn = str(idn).strip().upper()
                if len(idn) in (20, 22):
                    idn = idn[:18]
            body = idn[:17]
            if idn[0] == "9" and idn.startswith("999999"):
                add(("PLS-01", "placeholder", {"member": n, "relation": rel}))
            elif len(idn) != 18 or not (body.isascii() and body.isdigit()):
                add(("PLS-01", "format", {"member": n, "relation": rel, "length": len(idn)}))
            else:
                if _CHECK_BY_REM[int(body, 13) % 11] != idn[17]:
                    add(("PLS-01", "check_digit", {"member": n, "relation": rel}))
                if idn in seen_ids:
                    add(("PLS-01", "duplicate", {"member": n, "other": seen_ids[idn]}))
                else:
                    seen_ids[idn] = n
                if not birth or birth.replace("-", "") != idn[6:14]:
                    y, mo, d = int(idn[6:10]), int(idn[10:12]), int(idn[12:14])
                    if not _date_ok(y, mo, d):
                        add(("PLS-01", "bad_date", {"member": n, "relation": rel}))
                    else:
                        from_id = f"{y:04d}-{mo:02d}-{d:02d}"
                        if not birth:
                            birth = from_id
                        else:
                            add(("PLS-02", "mismatch", {
                                "member": n, "relation": rel, "recorded": birth,
                                "from_id": from_id}))
                if sex and (sex == "male") != (idn[16] in _ODD):
                    add(("PLS-03", "mismatch", {
                        "member": n, "relation": rel, "recorded": sex,
                        "from_id": "female" if sex == "male" else "male"}))
        elif get("id_type", "resident_id") == "resident_id":
            add(("PLS-01", "missing", {"member": n, "relation": rel}))

        try:
            age = ay - int(birth[:4]) - (as_md < birth[5:10]) if len(birth) == 10 else None
        except (TypeError, ValueError):
            age = None

        # ---- health, labour, schooling
        health = get("health")
        if health.__class__ is str:  # comma-joined, as in the national exports
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
            if get("disability_type") and "disabled" not in health:
                disabled += 1
        labour = get("labour_skill")
        if labour in _WORKING:
            working += 1
            if labour != "weak":
                able += 1
        wm = get("work_months")
        if wm or get("work_location"):
            workers += 1
            if wm.__class__ is int or wm.__class__ is float:
                work_months += wm
        school = get("school_status")
        in_school = school not in _NOT_IN_SCHOOL
        if in_school:
            students += 1
            if school in _COLLEGE:
                college += 1
        edu = get("education")
        if edu:
            if school:
                add(("PLS-06", "both", {"member": n, "relation": rel}))
        elif not school:
            add(("PLS-06", "neither", {"member": n, "relation": rel}))
        if age is not None:
            if school:
                lim = SCHOOL_AGES.get(school)
                if lim and not lim[0] <= age <= lim[1]:
                    add(("PLS-05", "age", {"member": n, "relation": rel, "age": age,
                                           "status": school, "min": lim[0], "max": lim[1]}))
            if age < LABOUR_AGE_MIN:
                if labour in _WORKING:
                    add(("PLS-07", "child_labour", {"member": n, "relation": rel,
                                                    "age": age, "labour": labour}))
            elif (labour == "none" and age <= WORKING_AGE_MAX and not in_school
                  and (not health or health == _HEALTHY)):
                add(("PLS-07", "no_labour", {"member": n, "relation": rel,
                                             "age": age, "labour": labour}))
            if age_lo <= age <= age_hi and (
                    not school or get("dropout_reason")
                    or (school == "preschool_child" and age > age_lo)):
                f.out_of_school.append((n, rel, age, get("dropout_reason")))

        # ---- social protection and insurance
        dibao = get("dibao")
        if dibao and dibao != "none":
            dibao_count += 1
        tekun = get("tekun")
        if tekun and tekun != "none":
            tekun_count += 1
        if get("resident_medical_insurance") is False and not get("employee_medical_insurance"):
            f.uninsured.append((n, rel, get("uninsured_reason")))
        phone = get("phone")
        if phone and not (phone.__class__ is str and len(phone) == 11 and phone[0] == "1"
                          and phone[1] in _MOBILE_2ND and phone.isdigit() and phone.isascii()):
            add(("PLS-08", "member", {"member": n}))

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
        add(("PLS-04", "head_spouse", {"sex": head_sex}))
    if n == 0:
        add(("PLS-12", "no_members"))
    elif f.heads == 0:
        add(("PLS-12", "no_head"))
    elif f.heads > 1:
        add(("PLS-12", "many_heads", {"count": f.heads}))
    return f
