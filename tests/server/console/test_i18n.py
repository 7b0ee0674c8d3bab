"""The translation table and the language switch: zh-CN by default, ``?lang=en`` remembered in the
session, and no page mixes the two languages in its own text."""
from __future__ import annotations

import re
from pathlib import Path

from server.console import i18n

TEMPLATES = Path(i18n.__file__).parent / "templates" / "console"
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_message_has_chinese_and_english():
    for key, (zh, en) in i18n.MESSAGES.items():
        assert zh.strip() and en.strip(), key
        if key == "nav.lang":                 # the switch names the other language
            assert (zh, en) == ("English", "中文")
            continue
        assert HAN.search(zh), f"{key}: the Chinese text has no Chinese"
        assert not HAN.search(en), f"{key}: the English text contains Chinese"
        assert set(re.findall(r"{(\w+)}", zh)) == set(re.findall(r"{(\w+)}", en)), key


def test_templates_use_only_known_keys_and_no_literal_chinese():
    used = set()
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        used |= {k for k in re.findall(r"\bt\('([a-z0-9_.]+)'", text) if not k.endswith('.')}
        stripped = re.sub(r"{[{%].*?[}%]}", "", text, flags=re.S)
        assert not HAN.search(stripped.replace("：", "").replace("（", "").replace("）", "")
                              .replace("、", "").replace("；", "").replace("　", "")), \
            f"{path.name} has literal Chinese outside the translation table"
    assert used <= set(i18n.MESSAGES), used - set(i18n.MESSAGES)


def test_language_switch_is_remembered(as_user):
    b = as_user("county")
    zh = b.page("/console/dashboard")
    assert zh.xpath("//html/@lang") == ["zh-CN"]
    assert zh.xpath("//h1")[0].text == "工作概况"
    en = b.page("/console/dashboard?lang=en")
    assert en.xpath("//html/@lang") == ["en"]
    assert en.xpath("//h1")[0].text == "Dashboard"
    again = b.page("/console/households")              # no parameter: still English
    assert again.xpath("//h1")[0].text.strip().startswith("Households")
    assert b.page("/console/households?lang=zh").xpath("//h1")[0].text.strip().startswith("农户")


def test_english_pages_have_no_chinese_chrome(as_user):
    b = as_user("county")
    page = b.page("/console/jobs?lang=en")
    for node in page.xpath("//h1|//h2|//nav//a|//th|//button|//label"):
        text = "".join(node.xpath("text()"))          # the element's own words, not the region names inside
        assert not HAN.search(text) or node.get("lang") == "zh-CN", text
    switch = page.xpath("//a[@class='lang']")[0]
    assert switch.text == "中文" and "lang=zh" in switch.get("href")


def test_labels_come_from_their_sources():
    from scoring import codes
    from server.workflow import PROCEDURES

    assert i18n.code_label("category", "marginal") == codes.CATEGORY.get("marginal").zh
    proc = PROCEDURES["identification_im8"]
    assert i18n.state_label("identification_im8", "village_notice") == proc.states["village_notice"][0]
    assert i18n.code_label("category", "no-such-code") == "no-such-code"
    assert i18n.deadline_label("township_recheck") == "乡镇审核"
