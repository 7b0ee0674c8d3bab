"""The catalogue of rows the national system would refuse: stable codes, zh/en messages.

An :class:`Issue` names the sheet row it concerns, so staff can find and fix the household in
shoudi before entry. The validation sheet lists them (see :mod:`exports.national`).
"""
from __future__ import annotations

from dataclasses import dataclass

REQUIRED_EMPTY = "required_empty"
ID_CHECK_DIGIT = "id_check_digit"
CODE_NOT_IN_LIST = "code_not_in_list"
PERSON_WITHOUT_HOUSEHOLD = "person_without_household"
HOUSEHOLD_WITHOUT_HEAD = "household_without_head"
DATE_OUT_OF_RANGE = "date_out_of_range"
INVALID_VALUE = "invalid_value"
PHONE_INVALID = "phone_invalid"

MESSAGES: dict[str, tuple[str, str]] = {
    REQUIRED_EMPTY: ("必填项为空", "Required field is empty"),
    ID_CHECK_DIGIT: ("证件号码校验不通过（位数、出生日期或校验码错误）",
                     "ID number fails the GB 11643 check (length, birth date or check digit)"),
    CODE_NOT_IN_LIST: ("取值不在代码表内", "Value is not in the code list"),
    PERSON_WITHOUT_HOUSEHOLD: ("人员无所属户（户编号或户所在行政区划为空）",
                               "Person has no household (household number or region is empty)"),
    HOUSEHOLD_WITHOUT_HEAD: ("户内无户主", "Household has no member whose relation is head"),
    DATE_OUT_OF_RANGE: ("日期超出允许范围", "Date is outside the allowed range"),
    INVALID_VALUE: ("取值格式不正确或超出范围", "Value is malformed or out of range"),
    PHONE_INVALID: ("联系电话应为11位手机号码", "Phone must be an 11-digit mobile number"),
}


@dataclass(frozen=True)
class Issue:
    sheet: str
    row: int              # worksheet row number (1-based, as Excel shows it)
    household_no: str | None
    head_name: str | None
    person_name: str | None
    column: str           # header of the offending column ("" for row-level issues)
    value: str | None
    code: str

    @property
    def message_zh(self) -> str:
        return MESSAGES[self.code][0]

    @property
    def message_en(self) -> str:
        return MESSAGES[self.code][1]


VALIDATION_HEADER = ("工作表", "行号", "户编号", "户主姓名", "姓名", "字段", "当前值", "问题", "问题代码")
