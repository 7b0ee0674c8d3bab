"""Dashboard: households by category and by status per area (SVG bars + the numbers), open procedures
by step, missed deadlines and submissions whose processing failed — all within the user's regions."""
from __future__ import annotations

from flask import render_template, request

from server.api.cases import today
from server.db import get_session

from . import access, bp, queries
from .charts import PALETTE, Series, stacked_bars
from .i18n import code_label, keyed, t

STATUSES = ("registered", "identifying", "monitored", "not_admitted", "eliminated", "exited")


def categories() -> list[str]:
    from scoring import codes
    return list(codes.CATEGORY.codes)


@bp.get("/dashboard")
@access.login_required("village", "township", "county", "admin")
def dashboard():  # noqa: ANN201
    user = access.console_user()
    session = get_session()
    area = request.args.get("region") or queries.default_area(user)
    if request.args.get("region"):
        access.checked_region(area)
    areas = queries.area_counts(session, user, area)
    cats = categories()
    cat_series = [Series(code_label("category", c), PALETTE[i]) for i, c in enumerate(cats)]
    cat_series.append(Series(t("dash.no_category"), "#c5cbd3"))
    cat_rows = [(a.name, [a.by_category.get(c, 0) for c in cats] + [a.by_category.get("", 0)]) for a in areas]
    status_series = [Series(keyed("status", s), PALETTE[i]) for i, s in enumerate(STATUSES)]
    status_rows = [(a.name, [a.by_status.get(s, 0) for s in STATUSES]) for a in areas]
    drillable = queries.child_prefix_len(area) < 12          # children below villages do not exist
    return render_template(
        "console/dashboard.html", area=area, path=queries.region_path(session, area) if area else [],
        areas=areas, cats=cats, statuses=STATUSES, drillable=drillable,
        category_chart=stacked_bars(cat_rows, cat_series, title=t("dash.by_category")) if areas else None,
        status_chart=stacked_bars(status_rows, status_series, title=t("dash.by_status")) if areas else None,
        cases=queries.open_case_counts(session, user, area),
        overdue=queries.overdue_deadlines(session, user, area, today()), today=today(),
        failures=queries.failed_submissions(session, user, area),
        processing=queries.processing_counts(session, user, area))
