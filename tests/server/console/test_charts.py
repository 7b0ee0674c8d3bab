"""The SVG pictures: bar lengths follow the numbers, the floor marker sits where the floor is, every
text is escaped, nothing refers to anything outside the document."""
from __future__ import annotations

from lxml import etree

from server.console.charts import Series, score_chart, stacked_bars

NS = {"s": "http://www.w3.org/2000/svg"}


def _svg(markup) -> etree._Element:  # noqa: ANN001
    return etree.fromstring(str(markup).encode())


def test_stacked_bar_segments_are_proportional_and_totals_printed():
    svg = _svg(stacked_bars([("甲村", [3, 1]), ("乙村", [0, 2])],
                            [Series("A", "#1f4e79"), Series("B", "#c5cbd3")], title="t"))
    bars = [r for r in svg.xpath("//s:rect", namespaces=NS) if r.get("height") == "18"]
    widths = [float(r.get("width")) for r in bars]
    assert len(widths) == 3                       # the zero segment is not drawn
    assert abs(widths[0] / widths[1] - 3) < 0.01
    assert abs(widths[2] / widths[1] - 2) < 0.01
    texts = [t.text for t in svg.xpath("//s:text", namespaces=NS)]
    assert "4" in texts and "2" in texts          # row totals
    assert svg.get("role") == "img" and svg.xpath("s:title", namespaces=NS)[0].text == "t"


def test_stacked_bars_escape_labels():
    markup = str(stacked_bars([("<script>x</script>", [1])], [Series("&", "#000000")], title="<t>"))
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    _svg(markup)                                  # still well-formed XML


def _result(per_capita: float, floor: float, **income) -> dict:
    base = {"wage": 6000, "business": 3000, "business_costs": 1500, "property": 500, "transfer": 500,
            "net": 8500, "people": 3, "per_capita": per_capita}
    base.update(income)
    return {"floor": floor, "income": base, "spending": {"total": 12000}}


def test_score_picture_marks_the_floor_and_the_per_capita_bar(app):
    with app.test_request_context("/console/"):
        markup = score_chart(_result(2833.33, 6000))
    root = etree.fromstring(f"<div>{markup}</div>".encode())
    first, second = root.xpath("//s:svg", namespaces=NS)
    zero = float(first.xpath("s:line", namespaces=NS)[0].get("x1"))
    marker = first.xpath("s:line[@stroke-dasharray]", namespaces=NS)[0]
    per_capita_bar = first.xpath("s:rect", namespaces=NS)[0]
    bar_end = float(per_capita_bar.get("x")) + float(per_capita_bar.get("width"))
    floor_x = float(marker.get("x1"))
    assert abs((bar_end - zero) / (floor_x - zero) - 2833.33 / 6000) < 0.01
    assert per_capita_bar.get("fill") == "#b03a2e"             # below the floor: red
    assert "低于监测标准" in root.xpath("//figcaption")[0].text
    # waterfall: wage, business, costs (backwards), property, transfer, net, spending
    rects = second.xpath("s:rect", namespaces=NS)
    assert len(rects) == 7
    labels = [t.text for t in second.xpath("s:text", namespaces=NS)]
    assert "−1,500 元" in labels and "8,500 元" in labels and "12,000 元" in labels
    assert "http://" not in markup.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_score_picture_above_the_floor_is_green_and_in_english(app):
    with app.test_request_context("/console/"):
        from flask import g
        g.lang = "en"
        markup = score_chart(_result(9000, 6000, net=27000, people=3))
    root = etree.fromstring(f"<div>{markup}</div>".encode())
    bar = root.xpath("//s:svg", namespaces=NS)[0].xpath("s:rect", namespaces=NS)[0]
    assert bar.get("fill") == "#2e7d32"
    assert "at or above the floor" in root.xpath("//figcaption")[0].text


def test_score_picture_handles_negative_net_income(app):
    with app.test_request_context("/console/"):
        markup = score_chart(_result(-100, 6000, wage=0, business=0, business_costs=300, property=0, transfer=0,
                                     net=-300))
    etree.fromstring(f"<div>{markup}</div>".encode())
    assert "-100 元" in markup
