"""Server-side SVG pictures (no JavaScript, nothing loaded from elsewhere): stacked bar charts for the
dashboard and the score picture of a household. Every text is escaped; every figure drawn is also
printed as a number in or next to the picture."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from markupsafe import Markup, escape

from .i18n import t

FONT = 'font-family="inherit" font-size="12"'
PALETTE = ("#1f4e79", "#5b8db8", "#c27c0e", "#a7a9ac", "#2e7d32", "#8e3b46", "#6b5b95", "#3d7c74")


def format_number(value: float) -> str:
    """12345.5 → "12,345.5"; whole numbers without decimals."""
    if value is None:
        return "—"
    if abs(value - round(value)) < 0.005:
        return f"{round(value):,}"
    return f"{value:,.2f}"


def _text_on(color: str) -> str:
    """Black or white, whichever reads better on ``color`` (#rrggbb)."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return "#1d2733" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"


@dataclass(frozen=True)
class Series:
    label: str
    color: str


def stacked_bars(rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[Series], *, title: str,
                 width: int = 720) -> Markup:
    """Horizontal stacked bars, one row per area, one segment per series, the row total at the end."""
    label_w, total_w, bar_h, gap, top = 150, 60, 18, 8, 34
    plot_w = width - label_w - total_w - 10
    totals = [sum(values) for _label, values in rows]
    scale = plot_w / max(max(totals, default=0), 1)
    height = top + len(rows) * (bar_h + gap) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
           f'width="100%" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    x = 0
    for item in series:                                     # legend
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{item.color}"/>'
                   f'<text x="{x + 16}" y="14" {FONT}>{escape(item.label)}</text>')
        x += 28 + 13 * len(item.label) if any(ord(c) > 255 for c in item.label) else 28 + 7 * len(item.label)
    for i, (label, values) in enumerate(rows):
        y = top + i * (bar_h + gap)
        out.append(f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end" {FONT}>{escape(label)}</text>')
        cursor = float(label_w)
        for value, item in zip(values, series):
            if value <= 0:
                continue
            w = value * scale
            out.append(f'<rect x="{cursor:.1f}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" '
                       f'fill="{item.color}"><title>{escape(label)} · {escape(item.label)}: {value}</title></rect>')
            if w >= 24:
                out.append(f'<text x="{cursor + w / 2:.1f}" y="{y + 13}" text-anchor="middle" '
                           f'fill="{_text_on(item.color)}" {FONT}>{value}</text>')
            cursor += w
        out.append(f'<text x="{cursor + 6:.1f}" y="{y + 13}" {FONT} font-weight="bold">{totals[i]}</text>')
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class _Bar:
    label: str
    start: float
    end: float
    color: str
    value_text: str


def _bars_svg(bars: Sequence[_Bar], *, title: str, width: int, marker: tuple[float, str] | None = None) -> str:
    label_w, value_w, bar_h, gap, top = 190, 110, 20, 10, 22 if marker else 6
    plot_w = width - label_w - value_w
    points = [0.0] + [b.start for b in bars] + [b.end for b in bars] + ([marker[0]] if marker else [])
    lo, hi = min(points), max(points)
    hi = hi + (hi - lo) * 0.05 or 1.0
    span = (hi - lo) or 1.0

    def px(v: float) -> float:
        return label_w + (v - lo) / span * plot_w

    height = top + len(bars) * (bar_h + gap) + 4
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" width="100%" '
           f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>']
    zero = px(0)
    out.append(f'<line x1="{zero:.1f}" y1="{top - 4}" x2="{zero:.1f}" y2="{height}" stroke="#666" stroke-width="1"/>')
    for i, bar in enumerate(bars):
        y = top + i * (bar_h + gap)
        a, b = sorted((px(bar.start), px(bar.end)))
        out.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end" {FONT}>{escape(bar.label)}</text>')
        out.append(f'<rect x="{a:.1f}" y="{y}" width="{max(b - a, 1):.1f}" height="{bar_h}" fill="{bar.color}">'
                   f'<title>{escape(bar.label)}: {escape(bar.value_text)}</title></rect>')
        out.append(f'<text x="{width - value_w + 8}" y="{y + 14}" {FONT}>{escape(bar.value_text)}</text>')
    if marker is not None:
        mx = px(marker[0])
        out.append(f'<line x1="{mx:.1f}" y1="{top - 6}" x2="{mx:.1f}" y2="{height}" stroke="#b03a2e" '
                   f'stroke-width="2" stroke-dasharray="5 3"/>'
                   f'<text x="{mx:.1f}" y="12" text-anchor="middle" fill="#b03a2e" {FONT}>{escape(marker[1])}</text>')
    out.append("</svg>")
    return "".join(out)


def _amount(value) -> float:  # noqa: ANN001
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def score_chart(result: Mapping, *, width: int = 720) -> Markup:
    """The score picture of one assessment: per-capita net income (and after rigid spending) against the
    floor, then the family net income built from its components minus costs, and rigid spending."""
    income = result.get("income") or {}
    spending = _amount((result.get("spending") or {}).get("total"))
    floor = _amount(result.get("floor"))
    people = income.get("people") or 0
    per_capita = _amount(income.get("per_capita"))
    net = _amount(income.get("net"))
    yuan = t("common.yuan")
    after = round((net - spending) / people, 2) if people else None

    above = "#2e7d32"
    below = "#b03a2e"
    top_bars = [_Bar(t("score.per_capita"), 0, per_capita, above if per_capita >= floor else below,
                     f"{format_number(per_capita)} {yuan}")]
    if after is not None and spending:
        top_bars.append(_Bar(t("score.after_spending"), 0, after, above if after >= floor else below,
                             f"{format_number(after)} {yuan}"))
    first = _bars_svg(top_bars, title=t("score.per_capita"), width=width,
                      marker=(floor, t("score.floor", floor=format_number(floor))) if floor else None)

    steps = []
    cursor = 0.0
    for key, sign, color in (("wage", 1, "#1f4e79"), ("business", 1, "#3b6ea5"), ("business_costs", -1, "#8e3b46"),
                             ("property", 1, "#5b8db8"), ("transfer", 1, "#7fa7cf")):
        value = _amount(income.get(key))
        end = cursor + sign * value
        steps.append(_Bar(t(f"score.{key}"), cursor, end, color,
                          f"{'−' if sign < 0 else '+'}{format_number(value)} {yuan}"))
        cursor = end
    if income.get("insurance_counted"):
        value = _amount(income.get("insurance_payouts"))
        steps.append(_Bar(t("score.insurance_payouts"), cursor, cursor + value, "#9bb8d8",
                          f"+{format_number(value)} {yuan}"))
        cursor += value
    steps.append(_Bar(t("score.net"), 0, net, "#102a43", f"{format_number(net)} {yuan}"))
    steps.append(_Bar(t("score.spending"), 0, spending, "#c27c0e", f"{format_number(spending)} {yuan}"))
    second = _bars_svg(steps, title=t("score.components"), width=width)
    verdict = t("score.below") if floor and per_capita < floor else t("score.above")
    caption = escape(f'{t("score.per_capita")} {format_number(per_capita)} {yuan}'
                     + (f' · {verdict} ({format_number(floor)} {yuan})' if floor else "")
                     + f' · {t("score.people", people=people)}')
    return Markup(f'<figure class="score" aria-label="{escape(t("score.chart_label"))}">'
                  f'<figcaption>{caption}</figcaption>{first}'
                  f'<figcaption>{escape(t("score.components"))}</figcaption>{second}</figure>')
