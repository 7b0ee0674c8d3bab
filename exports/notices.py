"""Public notice lists (公示名单): rows built from export households, written as XLSX, as a
printable A4 HTML page and as PDF.

The notice kinds (title, intro text, result column, signature lines) are data in
``exports/notices.toml``. Columns: 序号, 乡镇, 村, 组, 户主姓名, 家庭人口数, the result
(category or elimination method), the reason, 备注. 证件号码, phone, bank account and health
status are never shown; ``show_id=True`` adds a masked ID column (:func:`exports.masking.mask_id`).
"""
from __future__ import annotations

import datetime as _dt
import io
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Iterable

from jinja2 import Environment, PackageLoader, select_autoescape

from scoring import codes as _codes

from .layout import getter
from .masking import mask_id
from .xlsx import Workbook


class NoticeError(ValueError):
    """Unknown notice kind or inconsistent notice period."""


def kinds() -> dict[str, dict]:
    """The notice kinds of ``exports/notices.toml`` by id."""
    text = resources.files(__package__).joinpath("notices.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass
class Notice:
    kind: str
    title: str
    intro: str
    header: list[str]
    rows: list[list]
    period_start: _dt.date
    period_end: _dt.date
    issued_on: _dt.date
    signers: list[str]
    region_label: str
    attachment: str = ""
    contact: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def period_text(self) -> str:
        return f"公示期：{_zh_date(self.period_start)}至{_zh_date(self.period_end)}"


def _zh_date(d: _dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _reason(hh: dict) -> str:
    if hh.get("reason"):
        return str(hh["reason"])
    labels = []
    for risk in (hh.get("record") or {}).get("risks") or []:
        code = risk.get("code")
        if code in _codes.RISK:
            label = _codes.RISK.get(code).label
            if code == "natural_disaster" and risk.get("disaster") in _codes.DISASTER:
                label += f"（{_codes.DISASTER.get(risk['disaster']).label}）"
            labels.append(label)
    return "、".join(labels)


def build_notice(kind: str, households: Iterable[dict], *, period_start: _dt.date,
                 period_end: _dt.date, issued_on: _dt.date | None = None,
                 region: dict | None = None, show_id: bool = False,
                 contact: str | None = None) -> Notice:
    """The notice ``kind`` for ``households`` (export households). ``region`` names fill the
    title placeholders; by default they come from the first household."""
    spec = kinds().get(kind)
    if spec is None:
        raise NoticeError(f"unknown notice kind {kind!r}; known: {', '.join(sorted(kinds()))}")
    if period_end < period_start:
        raise NoticeError("the notice period ends before it starts")
    households = list(households)
    if region is None:
        region = (households[0].get("region") if households else None) or {}
    names = {k: region.get(k) or "" for k in ("province", "city", "county", "township", "village")}
    names["year"] = period_start.year
    result = spec["result"]
    labels = {c.code: c.label for c in _codes.code_list(result["codes"])}
    result_get = getter(result["source"])
    header = ["序号", "乡镇", "村", "组", "户主姓名"]
    if show_id:
        header.append("户主证件号码（隐藏）")
    header += ["家庭人口数", result["header"], spec.get("reason_header", "原因"), "备注"]
    rows = []
    for i, hh in enumerate(households, start=1):
        record = hh.get("record") or {}
        reg = hh.get("region") or {}
        value = result_get(hh, None)
        row = [i, reg.get("township") or "", reg.get("village") or "", record.get("group") or "",
               record.get("head_name") or ""]
        if show_id:
            row.append(mask_id(record.get("head_id_number")))
        row += [record.get("people_count"), labels.get(value, value or ""), _reason(hh), ""]
        rows.append(row)
    region_label = "".join(names[k] for k in ("province", "city", "county", "township", "village"))
    return Notice(kind=kind, title=spec["title"].format(**names),
                  intro=spec["intro"].format(**names), header=header, rows=rows,
                  period_start=period_start, period_end=period_end,
                  issued_on=issued_on or period_start,
                  signers=[s.format(**names) for s in spec.get("signers", [])],
                  region_label=region_label, attachment=spec.get("attachment", ""),
                  contact=contact)


# --- writers -------------------------------------------------------------------------------

_WIDTHS = {"序号": 6, "乡镇": 12, "村": 12, "组": 8, "户主姓名": 10, "户主证件号码（隐藏）": 22,
           "家庭人口数": 8, "备注": 14}


def write_xlsx(target, notice: Notice) -> None:
    """The notice as a one-sheet workbook: title, intro, period, table, signature lines."""
    width = len(notice.header)
    widths = [_WIDTHS.get(h, 18) for h in notice.header]
    with Workbook(target) as book:
        with book.sheet("公示名单", widths=widths, columns=width, landscape=True) as sheet:
            sheet.merged_title(notice.title, width, height=30)
            sheet.merged_title(notice.intro, width, style="subtitle", height=48)
            sheet.merged_title(notice.period_text, width, style="subtitle")
            sheet.row(notice.header, style="header", height=30)
            for row in notice.rows:
                sheet.row(row, style="cell")
            sheet.row([])
            for signer in notice.signers:
                sheet.merged_title(f"{signer}：＿＿＿＿＿＿＿＿", width, style="subtitle")
            if notice.contact:
                sheet.merged_title(f"监督电话：{notice.contact}", width, style="subtitle")
            sheet.merged_title(f"公示日期：{_zh_date(notice.issued_on)}", width, style="subtitle")


_ENV = Environment(loader=PackageLoader(__package__, "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def render_html(notice: Notice) -> str:
    """A self-contained printable A4 page (no external resources; system CJK fonts)."""
    return _ENV.get_template("notice.html").render(notice=notice, issued=_zh_date(notice.issued_on))


_PDF_FONT = "STSong-Light"


def write_pdf(target, notice: Notice) -> None:
    """The notice as an A4 PDF (reportlab; the CJK CID font STSong-Light needs no font file —
    PDF readers supply it, so nothing is embedded or fetched)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    title = ParagraphStyle("t", fontName=_PDF_FONT, fontSize=18, leading=26, alignment=1)
    body = ParagraphStyle("b", fontName=_PDF_FONT, fontSize=11, leading=18, firstLineIndent=22,
                          wordWrap="CJK")
    cell = ParagraphStyle("c", fontName=_PDF_FONT, fontSize=10, leading=13, wordWrap="CJK")
    right = ParagraphStyle("r", fontName=_PDF_FONT, fontSize=11, leading=22, alignment=2)
    page = landscape(A4) if len(notice.header) > 9 else A4
    own = isinstance(target, (str, bytes)) or hasattr(target, "__fspath__")
    out = open(target, "wb") if own else target
    try:
        doc = SimpleDocTemplate(out, pagesize=page, leftMargin=15 * mm, rightMargin=15 * mm,
                                topMargin=15 * mm, bottomMargin=15 * mm, title=notice.title,
                                author="shoudi")
        data = [[Paragraph(_xml_text(h), cell) for h in notice.header]]
        data += [[Paragraph(_xml_text("" if v is None else str(v)), cell) for v in row]
                 for row in notice.rows]
        weights = [_WIDTHS.get(h, 18) for h in notice.header]
        total = page[0] - 30 * mm
        table = Table(data, colWidths=[total * w / sum(weights) for w in weights], repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#D9D9D9")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        story = [Paragraph(_xml_text(notice.title), title), Spacer(1, 4 * mm),
                 Paragraph(_xml_text(notice.intro), body),
                 Paragraph(_xml_text(notice.period_text), body), Spacer(1, 4 * mm), table,
                 Spacer(1, 10 * mm)]
        for signer in notice.signers:
            story.append(Paragraph(_xml_text(f"{signer}：＿＿＿＿＿＿＿＿"), right))
        if notice.contact:
            story.append(Paragraph(_xml_text(f"监督电话：{notice.contact}"), right))
        story.append(Paragraph(_xml_text(f"{_zh_date(notice.issued_on)}"), right))
        doc.build(story)
    finally:
        if own:
            out.close()


def pdf_bytes(notice: Notice) -> bytes:
    buf = io.BytesIO()
    write_pdf(buf, notice)
    return buf.getvalue()


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
