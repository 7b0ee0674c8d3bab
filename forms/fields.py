"""The building blocks of the catalog: ``Field`` and ``Group``, and short constructors for them.

A field is declared once, with the forms that carry it; per-form differences (a plainer label in
the self-declaration, a constraint that only makes sense where members are listed) are overrides
in ``Field.per_form``. Code lists come from ``scoring.codes``; the catalog names a list, never
copies it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

from scoring import codes

HOUSEHOLD_SURVEY = "household_survey"
FOLLOWUP_VISIT = "followup_visit"
ELIMINATION_CHECK = "elimination_check"
SELF_DECLARATION = "self_declaration"
AUTHORIZATION = "authorization"
FORM_IDS: tuple[str, ...] = (HOUSEHOLD_SURVEY, FOLLOWUP_VISIT, ELIMINATION_CHECK,
                             SELF_DECLARATION, AUTHORIZATION)

# Record value types for parsing (see docs/household-record.md).
VALUE_TYPES = ("str", "int", "float", "bool", "date", "list", "geo", "file")
_TYPE_VALUE = {"integer": "int", "decimal": "float", "date": "date", "select_multiple": "list",
               "geopoint": "geo", "image": "file", "text": "str", "select_one": "str",
               "select_one_from_file": "str", "calculate": "str", "note": "str"}


@dataclass(frozen=True)
class Field:
    """One question, calculation or note of the catalog.

    ``type`` is the XLSForm type without its list (``select_one`` + ``choices``);
    ``choices`` names a ``scoring.codes`` list, or a CSV media file for ``select_one_from_file``.
    ``record`` is the path in the household record (``income.wage.picking``, ``members[].name``,
    ``evidence_photos+`` appends); ``None`` keeps the value out of the record.
    ``entity`` names the entity property the value is saved to (``save_to``), ``export`` the
    national-system column it maps to.
    """

    name: str
    type: str
    zh: str = ""
    en: str = ""
    forms: frozenset[str] = frozenset()
    choices: str | None = None
    required: bool | str = False     # True, or an XPath expression (required only when it holds)
    constraint: str | None = None
    constraint_msg: tuple[str, str] | None = None
    relevant: str | None = None
    hint: tuple[str, str] | None = None
    calculation: str | None = None
    default: str | None = None
    appearance: str | None = None
    parameters: str | None = None
    choice_filter: str | None = None
    record: str | None = None
    value: str | None = None
    export: str | None = None
    entity: str | None = None
    prefill: bool = True
    id_number: bool = False          # an ID number: a lowercase x is accepted and stored as X
    per_form: dict[str, dict] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.choices and self.type in ("select_one", "select_multiple"):
            codes.code_list(self.choices)  # fails loudly on a list that does not exist
        if self.value is None:
            value = _TYPE_VALUE.get(self.type, "str")
            if self.choices == "yes_no" and self.type == "select_one":
                value = "bool"
            object.__setattr__(self, "value", value)
        if self.value not in VALUE_TYPES:
            raise ValueError(f"{self.name}: unknown value type {self.value!r}")
        if self.constraint and not self.constraint_msg:
            raise ValueError(f"{self.name}: a constraint needs a message (zh, en)")

    def for_form(self, form_id: str) -> "Field":
        """This field as ``form_id`` carries it (per-form overrides applied)."""
        overrides = self.per_form.get(form_id)
        return replace(self, **overrides) if overrides else self

    @property
    def xls_type(self) -> str:
        if self.type in ("select_one", "select_multiple", "select_one_from_file"):
            return f"{self.type} {self.choices}"
        return self.type


@dataclass(frozen=True)
class Group:
    """A group of fields (a page or block); ``repeat`` makes it a repeat (members, measures).

    ``record`` is the record list a repeat fills (``members``). Children without their own
    ``forms`` inherit the group's.
    """

    name: str
    zh: str
    en: str
    forms: frozenset[str]
    children: tuple["Field | Group", ...]
    repeat: bool = False
    relevant: str | None = None
    appearance: str | None = None
    record: str | None = None
    hint: tuple[str, str] | None = None
    per_form: dict[str, dict] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "children", tuple(
            child if child.forms else replace(child, forms=self.forms) for child in self.children))

    def for_form(self, form_id: str) -> "Group":
        overrides = self.per_form.get(form_id)
        return replace(self, **overrides) if overrides else self


def walk(items: Iterable[Field | Group], form_id: str | None = None,
         path: tuple[Group, ...] = ()) -> Iterator[tuple[tuple[Group, ...], Field]]:
    """Every field (with its enclosing groups), optionally only those ``form_id`` carries."""
    for item in items:
        if form_id is not None and form_id not in item.forms:
            continue
        if isinstance(item, Group):
            yield from walk(item.children, form_id, path + ((item.for_form(form_id) if form_id else item),))
        else:
            yield path, (item.for_form(form_id) if form_id else item)


# -- short constructors -------------------------------------------------------------------------

YES_NO = "yes_no"
NON_NEGATIVE = (". >= 0", ("金额不能为负数", "The amount cannot be negative"))


def _forms(forms) -> frozenset[str]:
    return frozenset(forms or ())


def q(name: str, type_: str, zh: str, en: str, *, forms=(), **kw) -> Field:
    """A question of any type."""
    return Field(name, type_, zh, en, _forms(forms), **kw)


def yes_no(name: str, zh: str, en: str, *, forms=(), required: bool = True, **kw) -> Field:
    return Field(name, "select_one", zh, en, _forms(forms), choices=YES_NO, required=required,
                 appearance=kw.pop("appearance", "horizontal-compact"), **kw)


def select(name: str, list_name: str, *, zh: str | None = None, en: str | None = None,
           multiple: bool = False, forms=(), required: bool = True, **kw) -> Field:
    """A select from a ``scoring.codes`` list; the list's own label is the default question."""
    cl = codes.code_list(list_name)
    return Field(name, "select_multiple" if multiple else "select_one",
                 zh if zh is not None else cl.zh, en if en is not None else cl.en,
                 _forms(forms), choices=list_name, required=required, **kw)


def amount(name: str, zh: str, en: str, *, forms=(), required: bool = True,
           default: str | None = "0", **kw) -> Field:
    """A non-negative yuan amount."""
    constraint, msg = NON_NEGATIVE
    return Field(name, "decimal", zh, en, _forms(forms), required=required, default=default,
                 constraint=kw.pop("constraint", constraint), constraint_msg=kw.pop("constraint_msg", msg),
                 **kw)


def calc(name: str, expression: str, *, value: str = "str", forms=(), **kw) -> Field:
    return Field(name, "calculate", forms=_forms(forms), calculation=expression, value=value, **kw)


def note(name: str, zh: str, en: str, *, forms=(), **kw) -> Field:
    return Field(name, "note", zh, en, _forms(forms), **kw)


def group(name: str, zh: str, en: str, children, *, forms=(), **kw) -> Group:
    return Group(name, zh, en, _forms(forms), tuple(children), **kw)
