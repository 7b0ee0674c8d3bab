"""Working-day calendar: weekends, Chinese public holidays and adjusted working days (调休).

The holiday data is a JSON file (``holidays.json`` beside this module by default; a deployment may
point ``SHOUDI_CALENDAR_FILE`` at its own). Deadlines in the procedures are counted in working days:
the first day counted is the working day *after* the starting date.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

DEFAULT_FILE = Path(__file__).with_name("holidays.json")
CHINA = timezone(timedelta(hours=8), "CST")   # one time zone for the whole country, no DST


def china_today() -> date:
    """Today's date in China, whatever the server's own time zone (deadlines and notices are local)."""
    return datetime.now(CHINA).date()


class CalendarError(ValueError):
    """The calendar file is malformed, or a date lies outside the years it covers."""


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date]
    workdays: frozenset[date]        # weekend days that are working days (调休上班)
    years: frozenset[int]            # years the data covers; others raise unless ``lenient``
    lenient: bool = False            # outside covered years: plain Monday–Friday

    def _check(self, day: date) -> None:
        if not self.lenient and day.year not in self.years:
            raise CalendarError(f"the working-day calendar has no data for {day.year}")

    def is_working_day(self, day: date) -> bool:
        self._check(day)
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself is not counted)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        current = start
        left = days
        while left:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def _parse_day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CalendarError(f"{where}: {text!r} is not an ISO date") from None


def calendar_from_data(data: dict, *, lenient: bool = False) -> WorkingCalendar:
    """Build a calendar from the JSON structure ``{"years": {"2024": {"holidays": [[from, to]…],
    "workdays": [day…]}}}``; validates that adjusted working days fall on weekends."""
    holidays: set[date] = set()
    workdays: set[date] = set()
    years: set[int] = set()
    for year_text, spec in (data.get("years") or {}).items():
        try:
            year = int(year_text)
        except ValueError:
            raise CalendarError(f"{year_text!r} is not a year") from None
        years.add(year)
        for pair in spec.get("holidays", []):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise CalendarError(f"{year}: holiday range {pair!r} must be [from, to]")
            first, last = (_parse_day(p, str(year)) for p in pair)
            if last < first:
                raise CalendarError(f"{year}: holiday range {pair!r} ends before it starts")
            day = first
            while day <= last:
                holidays.add(day)
                day += timedelta(days=1)
        for text in spec.get("workdays", []):
            day = _parse_day(text, str(year))
            if day.weekday() < 5:
                raise CalendarError(f"{year}: adjusted working day {text} is not a weekend day")
            workdays.add(day)
    clash = holidays & workdays
    if clash:
        raise CalendarError(f"days both holiday and working day: {sorted(clash)}")
    return WorkingCalendar(frozenset(holidays), frozenset(workdays), frozenset(years), lenient)


def load_calendar(path: str | Path | None = None, *, lenient: bool = False) -> WorkingCalendar:
    """Load the calendar file (default: the packaged 2020–2026 State Council data)."""
    path = Path(path) if path else DEFAULT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CalendarError(f"cannot read calendar file {path}: {exc}") from None
    return calendar_from_data(data, lenient=lenient)


# Deadlines of the procedures, in working days (domain.md §7.1, §7.3).
DEADLINES = {
    "self_declaration_check": 5,     # village home check after a self-declaration
    "township_recheck": 3,           # township re-check of a village warning
    "identification_total": 15,      # first clue to completed identification
}
