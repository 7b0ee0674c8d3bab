"""Finding: one explained outcome of one rule, rendered in Chinese and English on demand.

A finding stores only the rule ID, the message variant and the numbers (``data``); the texts come
from the rule registry (:mod:`scoring.rules`) when asked for, which keeps scoring fast.
"""
from __future__ import annotations

from typing import Any

SEVERITIES = ("error", "warning", "info")


def _display(value: Any) -> str:
    """Numbers as people write them: 5,000 / 5,000.5; lists joined with 、; others as str."""
    if isinstance(value, bool) or value is None:
        return {True: "是", False: "否", None: "—"}[value]
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, tuple)):
        return "、".join(_display(v) for v in value)
    return str(value)


def _display_en(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "—"}[value]
    if isinstance(value, (list, tuple)):
        return ", ".join(_display_en(v) for v in value)
    return _display(value)


class _Lookup(dict):
    """Format mapping: ``{x}`` shows data value x; ``{x_zh}``/``{x_en}`` its label from ``labels``."""

    __slots__ = ("_data", "_render", "_labels", "_lang")

    def __init__(self, data, render, labels, lang):
        super().__init__()
        self._data, self._render, self._labels, self._lang = data, render, labels, lang

    def __missing__(self, key):
        if key in self._data:
            return self._render(self._data[key])
        base, _, lang = key.rpartition("_")
        if base in self._data and lang in ("zh", "en"):
            value = self._data[base]
            if isinstance(value, (list, tuple)):
                sep = "、" if lang == "zh" else ", "
                return sep.join(self._labels(base, v, lang) for v in value)
            return self._labels(base, value, lang)
        raise KeyError(key)


class Finding:
    """One rule outcome: ``rule_id``, ``variant`` (which message), ``data`` (the numbers)."""

    __slots__ = ("rule_id", "variant", "data", "override")

    def __init__(self, rule_id: str, variant: str, data: dict | None = None):
        self.rule_id = rule_id
        self.variant = variant
        self.data = data if data is not None else {}
        self.override = None  # {"reason", "by", "on"} when a county user overrode it

    def __repr__(self) -> str:
        return f"Finding({self.rule_id!r}, {self.variant!r}, {self.data!r})"

    @property
    def rule(self):
        from .rules import RULES
        return RULES[self.rule_id]

    @property
    def severity(self) -> str:
        return self.rule.messages[self.variant][0]

    @property
    def message_zh(self) -> str:
        from .rules import label
        return self.rule.messages[self.variant][1].format_map(
            _Lookup(self.data, _display, label, "zh"))

    @property
    def message_en(self) -> str:
        from .rules import label
        return self.rule.messages[self.variant][2].format_map(
            _Lookup(self.data, _display_en, label, "en"))

    @property
    def source(self) -> str:
        extra = self.data.get("policy_source")
        return f"{self.rule.source}; {extra}" if extra else self.rule.source

    def to_dict(self) -> dict:
        rule = self.rule
        severity, zh, en = rule.messages[self.variant]
        out = {
            "rule_id": self.rule_id,
            "severity": severity,
            "variant": self.variant,
            "title_zh": rule.title_zh,
            "title_en": rule.title_en,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "source": self.source,
            "data": {k: _jsonable(v) for k, v in self.data.items() if k != "policy_source"},
        }
        if self.override is not None:
            out["override"] = dict(self.override)
        return out


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
