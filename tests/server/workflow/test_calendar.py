"""Working-day calendar: State Council holidays, adjusted working days, deadline arithmetic."""
from datetime import date

import pytest

from server.workflow.calendar import CalendarError, calendar_from_data, load_calendar


@pytest.fixture(scope="module")
def cal():
    return load_calendar()


def test_national_day_week_is_off_and_adjusted_saturday_is_on(cal):
    assert not cal.is_working_day(date(2024, 10, 1))
    assert not cal.is_working_day(date(2024, 10, 7))
    assert cal.is_working_day(date(2024, 10, 12))  # Saturday, 调休上班
    assert cal.is_working_day(date(2024, 9, 29))   # Sunday, 调休上班
    assert not cal.is_working_day(date(2024, 10, 13))  # ordinary Sunday


def test_five_working_days_across_national_day(cal):
    # 30 Sep 2024 (Mon): 8, 9, 10, 11 Oct, then Saturday 12 Oct (adjusted working day)
    assert cal.add_working_days(date(2024, 9, 30), 5) == date(2024, 10, 12)


def test_spring_festival_2026_with_two_adjusted_saturdays(cal):
    assert cal.is_working_day(date(2026, 2, 14))
    assert not cal.is_working_day(date(2026, 2, 23))
    assert cal.add_working_days(date(2026, 2, 13), 3) == date(2026, 2, 25)
    assert cal.is_working_day(date(2026, 2, 28))


def test_2020_extension_makes_first_of_february_a_holiday(cal):
    assert not cal.is_working_day(date(2020, 2, 1))
    assert cal.is_working_day(date(2020, 2, 3))


def test_fifteen_working_days_over_may_day_2025(cal):
    # 28 Apr 2025 (Mon) is a working day; 1–5 May off; 27 Apr was the adjusted Sunday
    due = cal.add_working_days(date(2025, 4, 25), 15)
    assert due == date(2025, 5, 20)
    assert cal.working_days_between(date(2025, 4, 25), due) == 15
    assert cal.working_days_between(due, date(2025, 4, 25)) == -15


def test_zero_days_is_the_start_itself(cal):
    assert cal.add_working_days(date(2024, 3, 1), 0) == date(2024, 3, 1)


def test_year_outside_the_data_is_refused_unless_lenient():
    cal = load_calendar()
    with pytest.raises(CalendarError):
        cal.is_working_day(date(2019, 5, 6))
    lenient = load_calendar(lenient=True)
    assert lenient.is_working_day(date(2019, 5, 6))
    assert not lenient.is_working_day(date(2019, 5, 4))


def test_configurable_file(tmp_path):
    path = tmp_path / "cal.json"
    path.write_text('{"years": {"2030": {"holidays": [["2030-01-01", "2030-01-02"]], "workdays": ["2030-01-05"]}}}')
    cal = load_calendar(path)
    assert not cal.is_working_day(date(2030, 1, 2))
    assert cal.is_working_day(date(2030, 1, 5))
    assert cal.add_working_days(date(2030, 1, 1), 2) == date(2030, 1, 4)


@pytest.mark.parametrize("data", [
    {"years": {"2030": {"workdays": ["2030-01-07"]}}},            # a Monday is no adjusted working day
    {"years": {"2030": {"holidays": [["2030-01-03", "2030-01-01"]]}}},
    {"years": {"20x0": {}}},
    {"years": {"2030": {"holidays": [["2030-01-05", "2030-01-05"]], "workdays": ["2030-01-05"]}}},
])
def test_malformed_calendar_data_is_rejected(data):
    with pytest.raises(CalendarError):
        calendar_from_data(data)


def test_every_packaged_adjusted_working_day_is_a_weekend(cal):
    assert cal.years == frozenset(range(2020, 2027))
    assert all(day.weekday() >= 5 for day in cal.workdays)


def test_china_today_is_utc_plus_eight():
    from datetime import datetime, timedelta, timezone

    from server.workflow import china_today
    assert china_today() == (datetime.now(timezone.utc) + timedelta(hours=8)).date()
