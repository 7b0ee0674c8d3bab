"""Department data comparison (数据比对): department files → exclusion warnings on households.

Each source (vehicles, real estate, business registrations, public payroll, social insurance, large
deposits) has a column mapping — canonical field → accepted header names — that a caller may
override per file, and maps to one exclusion code of ``scoring.codes.EXCLUSION``. Rows are streamed
(``tables.read_table``) and matched on the normalised 证件号码 against an index of the register's
members, so memory does not grow with the file. Warnings are warnings: county staff confirm or
override them (domain.md §6: a hit may still be admitted).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable, IO, Iterator, Mapping

from scoring import codes

from .tables import TableError, read_table

# GB 11643 check character
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalize_id(raw: str | None) -> str | None:
    """A comparable 18-character 证件号码, or None when the value cannot be one.

    Upper-cases ``x``, drops spaces, keeps the first 18 characters of a 20/22-character
    disability-certificate number, and widens a 15-digit legacy number to 18 (century 19 + check).
    The check character of 18-character numbers is not enforced here: departments' files hold the
    numbers as registered, and a mismatch would hide a hit.
    """
    if raw is None:
        return None
    value = "".join(str(raw).split()).upper()
    if len(value) in (20, 22) and value[:17].isdigit():
        value = value[:18]
    if len(value) == 15 and value.isdigit():
        body = value[:6] + "19" + value[6:]
        value = body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS)) % 11]
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return None
    return value


@dataclass(frozen=True)
class Source:
    code: str
    zh: str
    en: str
    exclusion: str                               # scoring.codes.EXCLUSION code
    columns: Mapping[str, tuple[str, ...]]       # canonical field -> accepted header names
    detail_fields: tuple[str, ...]
    keep: Callable[[Mapping[str, str], Mapping], str | None] | None = None  # -> reason to skip, or None


def _state_employer(row: Mapping[str, str], options: Mapping) -> str | None:
    kind = row.get("employer_type", "")
    markers = options.get("state_employer_markers", ("机关", "事业", "国有", "国企", "财政"))
    return None if any(m in kind for m in markers) else "not a state employer"


def _large_amount(row: Mapping[str, str], options: Mapping) -> str | None:
    threshold = options.get("min_amount")
    if threshold is None:                 # the bank already sent only large deposits
        return None
    try:
        amount = float(row.get("amount", "").replace(",", ""))
    except ValueError:
        return "amount unreadable"
    return None if amount >= float(threshold) else "below the amount threshold"


_ID = ("证件号码", "身份证号码", "身份证号", "公民身份号码", "id_number")
_NAME = ("姓名", "所有人", "权利人", "name")

SOURCES: dict[str, Source] = {s.code: s for s in [
    Source("vehicles", "车辆登记（公安车管）", "Vehicle register", "vehicle",
           {"id_number": _ID + ("所有人证件号码",), "name": _NAME, "date": ("登记日期", "初次登记日期", "date"),
            "plate": ("号牌号码", "车牌号", "plate"), "vehicle_type": ("车辆类型", "vehicle_type")},
           ("plate", "vehicle_type")),
    Source("real_estate", "不动产登记（住建）", "Real-estate register", "town_property",
           {"id_number": _ID + ("权利人证件号",), "name": _NAME, "date": ("登记日期", "登簿日期", "date"),
            "address": ("坐落", "房屋坐落", "address"), "use": ("用途", "规划用途", "use"),
            "area": ("建筑面积", "面积", "area")},
           ("address", "use", "area")),
    Source("business", "市场主体登记（市场监管）", "Business registrations", "company",
           {"id_number": _ID + ("法定代表人证件号码", "投资人证件号码"), "name": _NAME + ("法定代表人",),
            "date": ("成立日期", "登记日期", "date"), "company": ("企业名称", "名称", "company"),
            "role": ("职务", "身份", "role")},
           ("company", "role")),
    Source("public_payroll", "财政供养人员（财政）", "Public payroll", "public_employee",
           {"id_number": _ID, "name": _NAME, "date": ("入职日期", "发放年月", "date"),
            "employer": ("单位名称", "工作单位", "employer")},
           ("employer",)),
    Source("social_insurance", "社保参保单位（人社）", "Social insurance by employer", "public_employee",
           {"id_number": _ID, "name": _NAME, "date": ("参保日期", "date"),
            "employer": ("单位名称", "参保单位", "employer"),
            "employer_type": ("单位类型", "单位性质", "employer_type")},
           ("employer", "employer_type"), keep=_state_employer),
    Source("large_deposits", "大额存款（人民银行）", "Large deposits", "large_grower_or_deposits",
           {"id_number": _ID, "name": _NAME, "date": ("日期", "统计日期", "date"),
            "bank": ("银行", "开户行", "bank"), "amount": ("金额", "存款余额", "amount")},
           ("bank", "amount"), keep=_large_amount),
]}


@dataclass(frozen=True)
class Hit:
    """One department row that matches a member of the register."""
    source: str
    exclusion: str
    id_number: str
    member_ref: object          # what the index maps the id to (e.g. (household_id, member_id))
    record_date: str | None
    detail: dict
    row_number: int


@dataclass
class ComparisonStats:
    rows: int = 0
    matched: int = 0
    unmatched: int = 0
    invalid_id: int = 0
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"rows": self.rows, "matched": self.matched, "unmatched": self.unmatched,
                "invalid_id": self.invalid_id, "skipped": self.skipped, "skip_reasons": dict(self.skip_reasons)}


def _resolve_columns(source: Source, header: Mapping[str, str], mapping: Mapping[str, str] | None):
    """canonical field -> header name actually present in the file."""
    resolved: dict[str, str] = {}
    for canonical, aliases in source.columns.items():
        if mapping and canonical in mapping:
            if mapping[canonical] not in header:
                raise TableError(f"mapped column {mapping[canonical]!r} for {canonical} is not in the file")
            resolved[canonical] = mapping[canonical]
            continue
        for alias in aliases:
            if alias in header:
                resolved[canonical] = alias
                break
    if "id_number" not in resolved:
        raise TableError("the file has no 证件号码 column; map one with id_number=<header>")
    if source.keep is _state_employer and "employer_type" not in resolved:
        raise TableError("social insurance files need the employer type column (单位类型) to tell state employers")
    return resolved


def _date_text(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    for candidate in (value[:10], value[:10].replace("/", "-").replace(".", "-")):
        try:
            return date.fromisoformat(candidate).isoformat()
        except ValueError:
            continue
    if len(value) in (6, 8) and value.isdigit():   # YYYYMM / YYYYMMDD
        return f"{value[:4]}-{value[4:6]}" + (f"-{value[6:8]}" if len(value) == 8 else "")
    return value


def compare(source_code: str, file: str | IO[bytes], members: Mapping[str, object], *,
            filename: str | None = None, mapping: Mapping[str, str] | None = None,
            options: Mapping | None = None, stats: ComparisonStats | None = None) -> Iterator[Hit]:
    """Stream the department file and yield a ``Hit`` per row whose 证件号码 is in ``members``
    (normalised id → member reference). ``stats`` is updated as rows are read."""
    try:
        source = SOURCES[source_code]
    except KeyError:
        raise TableError(f"unknown department source {source_code!r}") from None
    if source.exclusion not in codes.EXCLUSION:
        raise TableError(f"source {source_code} maps to an unknown exclusion code")
    options = options or {}
    stats = stats if stats is not None else ComparisonStats()
    expected = set(source.columns["id_number"]) | set((mapping or {}).values())
    columns = None
    for number, row in read_table(file, expected, filename=filename):
        if columns is None:
            columns = _resolve_columns(source, row, mapping)
        stats.rows += 1
        fields = {canonical: row.get(header, "") for canonical, header in columns.items()}
        id_number = normalize_id(fields.get("id_number"))
        if id_number is None:
            stats.invalid_id += 1
            continue
        ref = members.get(id_number)
        if ref is None:
            stats.unmatched += 1
            continue
        if source.keep is not None:
            skip = source.keep(fields, options)
            if skip:
                stats.skipped += 1
                stats.skip_reasons[skip] = stats.skip_reasons.get(skip, 0) + 1
                continue
        stats.matched += 1
        detail = {k: fields[k] for k in source.detail_fields if fields.get(k)}
        if fields.get("name"):
            detail["name"] = fields["name"]
        yield Hit(source.code, source.exclusion, id_number, ref, _date_text(fields.get("date", "")),
                  detail, number)
