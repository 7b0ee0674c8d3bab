"""Finding: one explained outcome of one rule, rendered in Chinese and English on demand.

A finding stores only the rule ID, the message variant and the numbers (``data``); the texts come
from the rule registry (:mod:`scoring.rules`) when asked for, which keeps scoring fast. In a
template, ``{x}`` shows the data value ``x`` (numbers with thousands separators) and ``{x_zh}`` /
``{x_en}`` the Chinese / English label of the code(s) in ``x``.
"""
from __future__ import annotations

import string
from typing import Any

from .rules import RULES, label

SEVERITIES = ("error", "warning", "info")
_BOOL = {"zh": {True: "是", False: "否", None: "—"}, "en": {True: "yes", False: "no", None: "—"}}
_SEP = {"zh": "、", "en": ", "}


def _display(value: Any, lang: str = "zh") -> str:
    """Numbers as people write them: 5,000 / 5,000.5; lists joined; booleans as 是/否 (yes/no)."""
    if value is None or value is True or value is False:
        return _BOOL[lang][value]
    cls = value.__class__
    if cls is int:
        return str(value) if -1000 < value < 1000 else f"{value:,}"
    if cls is float:
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if cls is list or cls is tuple:
        return _SEP[lang].join(_display(v, lang) for v in value) if value else (
            "无" if lang == "zh" else "none")
    return str(value)


_COMPILED: dict = {}


def _fields(template: str) -> tuple:
    """((placeholder, data key, label language or None), ...) of a template, parsed once."""
    out = _COMPILED.get(template)
    if out is None:
        out = []
        for _, name, _, _ in string.Formatter().parse(template):
            if not name or any(n == name for n, _, _ in out):
                continue
            base, _, suffix = name.rpartition("_")
            if suffix in ("zh", "en") and base:
                out.append((name, base, suffix))
            else:
                out.append((name, name, None))
        out = _COMPILED[template] = tuple(out)
    return out


def render(template: str, data: dict, lang: str) -> str:
    values = {}
    for name, key, label_lang in _fields(template):
        if label_lang is None:
            values[name] = _display(data.get(key), lang)
        else:
            v = data.get(key)
            if v.__class__ is list or v.__class__ is tuple:
                values[name] = (_SEP[label_lang].join(label(key, x, label_lang) for x in v)
                                if v else ("无" if label_lang == "zh" else "none"))
            else:
                values[name] = label(key, v, label_lang)
    return template.format_map(values)


class Finding:
    """One rule outcome: ``rule_id``, ``variant`` (which message), ``data`` (the numbers)."""

    __slots__ = ("rule_id", "variant", "data", "override")

    def __init__(self, rule_id: str, variant: str, data: dict | None = None):
        self.rule_id = rule_id
        self.variant = variant
        self.data = data if data is not None else {}
        self.override: dict | None = None  # {"reason", "by", "on"} when a county user overrode it

    def __repr__(self) -> str:
        return f"Finding({self.rule_id!r}, {self.variant!r}, {self.data!r})"

    @property
    def rule(self):
        return RULES[self.rule_id]

    @property
    def severity(self) -> str:
        return RULES[self.rule_id].messages[self.variant][0]

    @property
    def message_zh(self) -> str:
        return render(RULES[self.rule_id].messages[self.variant][1], self.data, "zh")

    @property
    def message_en(self) -> str:
        return render(RULES[self.rule_id].messages[self.variant][2], self.data, "en")

    @property
    def source(self) -> str:
        extra = self.data.get("policy_source")
        src = RULES[self.rule_id].source
        return f"{src}; {extra}" if extra else src

    def to_dict(self) -> dict:
        rule = RULES[self.rule_id]
        severity, zh, en = rule.messages[self.variant]
        data = self.data
        out = {
            "rule_id": self.rule_id,
            "severity": severity,
            "variant": self.variant,
            "title_zh": rule.title_zh,
            "title_en": rule.title_en,
            "message_zh": render(zh, data, "zh"),
            "message_en": render(en, data, "en"),
            "source": self.source,
            "data": {k: _jsonable(v) for k, v in data.items() if k != "policy_source"},
        }
        if self.override is not None:
            out["override"] = dict(self.override)
        return out


_PLAIN = frozenset((str, int, float, bool, type(None)))


def _jsonable(value):
    if value.__class__ in _PLAIN:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
