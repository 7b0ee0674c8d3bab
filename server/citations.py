"""How a person cites the source of a rule or threshold.

Rule, procedure and policy data name their sources the way developers do (``"002 (domain.md §1)"``,
``"Gzuwkj 5_15_020; domain.md §5.1"``, ``"GB 11643-1999"``). :func:`cite` turns such a note into the
citations staff recognise: the title of the policy text (《…工作方案》), the national standard, the
national system's check, or the document number. The titles of the numbered source texts
(shared/sources/README.md) live here and nowhere else.
"""
from __future__ import annotations

import re

# shared/sources/NNN_*.txt → how the text is cited (its own title where it has one, with the year)
SOURCE_TITLES: dict[str, str] = {
    "000": "宁夏回族自治区贺兰县防止返贫监测和帮扶工作方案（2020年）",
    "001": "河南省安阳市防止返贫监测帮扶工作情况（2021年）",
    "002": "《内蒙古自治区健全防止返贫动态监测和帮扶机制工作方案》（2021年）",
    "003": "《霍山县佛子岭镇关于开展防止返贫致贫加强监测预警和动态帮扶工作的通知》（2020年）",
    "004": "《沂源县探索建立解决相对贫困工作机制 确保小康路上不落一人》（2020年）",
}
NATIONAL_GUIDANCE = "《关于健全防止返贫动态监测和帮扶机制的指导意见》（中农组发〔2021〕7号）"
ID_STANDARD = "《公民身份号码》（GB 11643—1999）"
SYSTEM_CHECK = "全国防返贫监测信息系统数据校验规则"
GENERAL = "国家和自治区防止返贫动态监测和帮扶工作有关规定"

_TEXT = re.compile(r"(?<![\w./-])(00\d)(?![\w.])")
_QUOTE = re.compile(r"「([^」]+)」")
_CHECK = re.compile(r"Gzuwkj\s*(?:rules/)?((?:[\d_*]+(?:,\s*)?)*)")


def cite(source: str | None) -> list[str]:
    """The citations in a source note, in the order a reader needs them; never the developer's note.
    A quoted phrase (``「…」``) follows the text it comes from as 原文「…」."""
    if not source:
        return []
    out: list[str] = []

    def add(text: str) -> None:
        if text not in out:
            out.append(text)

    quotes = _QUOTE.findall(source)
    for number in _TEXT.findall(source):
        if number in SOURCE_TITLES:
            add(SOURCE_TITLES[number])
    for phrase in quotes:
        add(f"原文「{phrase}」")
    if "中农组发" in source:
        add(NATIONAL_GUIDANCE)
    if "GB 11643" in source:
        add(ID_STANDARD)
    for found in _CHECK.finditer(source):
        codes = [c.strip() for c in found.group(1).split(",") if c.strip()]
        add(f"{SYSTEM_CHECK}（{'、'.join(codes)}）" if codes else SYSTEM_CHECK)
    if not out:
        add(GENERAL)
    return out
